import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@canopy/async-testing';
import { nodeStreamId } from '@canopy/contracts';
import { ServiceProcess, repositoryRoot } from './testing/service-process.js';
import { stackForFile } from './testing/stack-for-file.js';

// The packages a user installs outside this repository: `npm pack` of @canopy/contracts,
// @canopy/node-sdk and @canopy/client, installed into an empty project in a temporary directory
// (from npm's cache where it has the dependencies), their type declarations checked against the
// examples, and examples/node.mjs and examples/client.mjs run there against the stack.

const run = promisify(execFile);
const e2e = stackForFile({ label: 'packages' });
const packed = ['contracts', 'node-sdk', 'client'];

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'canopy-packages-'));
  const tarballs = path.join(scratch, 'tarballs');
  await mkdir(tarballs);
  for (const lib of packed) {
    await run('npm', ['pack', '--pack-destination', tarballs], {
      cwd: path.join(repositoryRoot, 'libs', lib),
    });
  }
  const project = path.join(scratch, 'project');
  await mkdir(project);
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  const files = (await readdir(tarballs)).map((file) => path.join(tarballs, file));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...files], {
    cwd: project,
  });
  for (const example of ['node.mjs', 'client.mjs']) {
    await copyFile(path.join(repositoryRoot, 'examples', example), path.join(project, example));
  }
}, 300_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const project = () => path.join(scratch, 'project');

e2e.test(
  'the packages install with their own dependencies and the examples type-check',
  async () => {
    // The type checker of this repository, on the installed packages' declarations only.
    const tsc = path.join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--allowJs',
        '--checkJs',
        '--strict',
        '--module',
        'nodenext',
        '--target',
        'es2022',
        '--typeRoots',
        path.join(repositoryRoot, 'node_modules', '@types'),
        '--types',
        'node',
        'node.mjs',
        'client.mjs',
      ],
      { cwd: project() },
    ).catch((error: { stdout?: string }) => {
      throw new Error(`the examples do not type-check:\n${error.stdout ?? String(error)}`);
    });
    expect(checked.stdout).toBe('');
  },
);

e2e.test('the node example runs a task the client example issues', async (stack) => {
  const { account, token } = await stack.signUp('packages');
  const registered = await stack.requestJson<{ nodeId: string; credentials: string }>(
    '/v1/node/uppercase',
    { method: 'POST', token, json: { description: 'examples/node.mjs' } },
  );
  expect(registered.status).toBe(201);
  const credentials = path.join(scratch, 'uppercase.creds');
  await writeFile(credentials, registered.body.credentials, { mode: 0o600 });
  const functionId = await stack.registerFunction(token, {
    name: 'uppercase',
    runtime: { kind: 'process', command: 'cat' },
  });

  const node = new ServiceProcess('examples/node.mjs', path.join(project(), 'node.mjs'), [], {
    NATS_URL: stack.natsUrl,
    NATS_CREDS: credentials,
    NODE_ID: registered.body.nodeId,
  });
  try {
    await eventually(async () => {
      const events = await stack.store.readStream(nodeStreamId(registered.body.nodeId));
      if (events.at(-1)?.type !== 'NodeAnnounced') throw new Error('the node has not announced');
    }, 60_000);

    const client = await run(
      process.execPath,
      [path.join(project(), 'client.mjs'), functionId, 'hello from the client'],
      {
        cwd: project(),
        env: {
          PATH: process.env['PATH'] ?? '',
          CANOPY_API_URL: stack.url,
          CANOPY_API_KEY: account.apiKey,
        },
      },
    );
    expect(client.stdout).toBe('200 HELLO FROM THE CLIENT\n');
  } finally {
    await node.stop();
  }
  expect(await node.exited).toBe(0);
});
