import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { commonConfigSchema } from '@canopy/service-runtime';
import { parse } from 'yaml';
import { argumentsOf, dockerfilePath, readDockerfile } from '../testing/dockerfile-targets.js';
import { builtEntryPoint, repositoryRoot } from '../testing/service-process.js';

// docker-compose.yml without Docker (no engine runs here): its services are held to what the
// images, the services' configuration and the documentation say, and the preparation commands its
// header gives are run with the built CLI in a temporary directory, which must then hold every file
// the compose file mounts. What stays unchecked: Docker's own reading of the file and the containers.

const run = promisify(execFile);

interface ComposeService {
  readonly profiles?: string[];
  readonly image?: string;
  readonly build?: {
    readonly context: string;
    readonly dockerfile: string;
    readonly target: string;
  };
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly secrets?: string[];
  readonly depends_on?: Record<string, { readonly condition: string }>;
  readonly healthcheck?: { readonly test: string[] };
  readonly deploy?: { readonly replicas?: number };
  readonly init?: boolean;
}

interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly secrets: Record<string, { readonly file: string }>;
}

const composeText = readFileSync(`${repositoryRoot}docker-compose.yml`, 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const canopyServices = ['gateway', 'scheduler', 'projector', 'node-agent'] as const;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const postgres = service('postgres');
const dockerfile = readDockerfile();

test("the services profile runs every Canopy service from its target of the images' Dockerfile", () => {
  const profiled = Object.entries(compose.services)
    .filter(([, each]) => each.profiles?.includes('services'))
    .map(([name]) => name);
  expect(profiled).toEqual([...canopyServices]);
  for (const name of canopyServices) {
    expect(service(name).build).toEqual({ context: '.', dockerfile: dockerfilePath, target: name });
    expect(dockerfile.stages.map((stage) => stage.name)).toContain(name);
  }
  expect(service('scheduler').deploy?.replicas).toBe(2);
  // The node agent's command is its flags (the image's entry point is the agent), under an init.
  expect(service('node-agent').command?.every((argument) => !argument.includes('main.js'))).toBe(
    true,
  );
  expect(service('node-agent').init).toBe(true);
});

test('every service waits for what it needs to be healthy, and each of those has a health check', () => {
  const dockerfileHealthcheck = (name: string) =>
    dockerfile.stages.some((stage) => stage.name === name) &&
    argumentsOf(dockerfile.instructionsOf(name), 'HEALTHCHECK').some((check) =>
      check.includes('/readyz'),
    );
  for (const name of canopyServices) {
    const needs = service(name).depends_on ?? {};
    expect(Object.keys(needs).sort()).toEqual(
      name === 'node-agent' ? ['nats', 'scheduler'] : ['nats', 'postgres'],
    );
    for (const [dependency, { condition }] of Object.entries(needs)) {
      expect(condition).toBe('service_healthy');
      const checked =
        service(dependency).healthcheck !== undefined || dockerfileHealthcheck(dependency);
      expect([dependency, checked]).toEqual([dependency, true]);
    }
  }
  expect(service('nats').healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8222/healthz');
});

test("the default DATABASE_URL reaches compose's PostgreSQL, and so do the services' own", () => {
  expect(postgres.environment).toEqual({
    POSTGRES_DB: 'canopy',
    POSTGRES_HOST_AUTH_METHOD: 'trust',
  });
  expect(postgres.ports).toEqual(['127.0.0.1:5432:5432']);
  // What a service uses when DATABASE_URL is unset, and `npm start` finds on 127.0.0.1:5432.
  const defaultUrl = new URL(commonConfigSchema.parse({}).DATABASE_URL);
  expect([defaultUrl.hostname, defaultUrl.port, defaultUrl.password]).toEqual([
    '127.0.0.1',
    '5432',
    '',
  ]);
  expect([defaultUrl.username, defaultUrl.pathname]).toEqual([
    'postgres',
    `/${postgres.environment?.['POSTGRES_DB'] ?? ''}`,
  ]);
  for (const name of ['gateway', 'scheduler', 'projector']) {
    const url = new URL(service(name).environment?.['DATABASE_URL'] ?? '');
    expect([url.hostname, url.port, url.username, url.password, url.pathname]).toEqual([
      'postgres',
      '5432',
      'postgres',
      '',
      '/canopy',
    ]);
  }
  expect(service('node-agent').environment?.['DATABASE_URL']).toBeUndefined();
});

test('NATS credentials, the authority and the signing keys reach only the services that use them', () => {
  const expected: Record<string, string[]> = {
    gateway: ['NATS_CREDS', 'NATS_AUTHORITY_FILE', 'AUTH_SIGNING_KEYS_FILE'],
    scheduler: ['NATS_CREDS', 'NATS_AUTHORITY_FILE'],
    projector: ['NATS_CREDS'],
    'node-agent': ['NATS_CREDS'],
  };
  for (const name of canopyServices) {
    const { environment = {}, secrets = [], volumes = [] } = service(name);
    expect(environment['NATS_URL']).toBe('nats://nats:4222');
    const files = Object.keys(environment).filter((variable) =>
      ['NATS_CREDS', 'NATS_AUTHORITY_FILE', 'AUTH_SIGNING_KEYS_FILE'].includes(variable),
    );
    expect(files.sort()).toEqual([...(expected[name] ?? [])].sort());
    for (const variable of files) {
      const file = environment[variable] ?? '';
      const secret = /^\/run\/secrets\/([^/]+)$/.exec(file)?.[1];
      const mountedDirectory = volumes
        .map((volume) => volume.split(':')[1] ?? '')
        .find((target) => file.startsWith(`${target}/`));
      expect([
        variable,
        secret !== undefined ? secrets.includes(secret) : mountedDirectory,
      ]).toEqual([variable, secret !== undefined ? true : expect.any(String)]);
    }
    expect(secrets.filter((secret) => compose.secrets[secret] === undefined)).toEqual([]);
  }
});

test('every variable given to a service is documented, and every port is published on loopback only', () => {
  const documented = readFileSync(`${repositoryRoot}docs/operations.md`, 'utf8');
  for (const [name, each] of Object.entries(compose.services)) {
    if (canopyServices.includes(name as (typeof canopyServices)[number])) {
      const undocumented = Object.keys(each.environment ?? {}).filter(
        (variable) => !documented.includes(`\`${variable}\``),
      );
      expect([name, undocumented]).toEqual([name, []]);
    }
    for (const port of each.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  }
});

describe('the preparation the header describes', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'canopy-compose-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes every file the compose file mounts', async () => {
    const cli = `${repositoryRoot}apps/cli/bin/canopy.js`;
    builtEntryPoint('cli');
    const commands = composeText
      .split('\n')
      .filter((line) => /^#\s+(\S+=\S+\s+)?npx canopy /.test(line))
      .map((line) => line.replace(/^#\s+/, '').replace(/\s+#.*$/, ''));
    expect(commands).toHaveLength(3);
    for (const command of commands) {
      // As a developer runs them, from the repository root; here from a directory of the test's.
      await run(
        '/bin/bash',
        ['--norc', '--noprofile', '-c', command.replace('npx canopy', `node ${cli}`)],
        { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir } },
      );
    }
    const mounted = [
      ...Object.values(compose.secrets).map((secret) => secret.file),
      ...Object.values(compose.services).flatMap((each) =>
        (each.volumes ?? [])
          .map((volume) => volume.split(':')[0] ?? '')
          .filter((source) => source.startsWith('./')),
      ),
    ];
    expect(mounted.length).toBeGreaterThan(6);
    const missing = mounted.filter((file) => !existsSync(path.join(dir, file)));
    expect(missing).toEqual([]);
    // The nats service's health check asks the monitoring port the generated configuration opens.
    const serverConf = await readFile(path.join(dir, 'infra/nats/server.conf'), 'utf8');
    expect(serverConf).toMatch(/^http_port: 8222$/m);
    expect(await readFile(path.join(dir, 'infra/nats/creds/compose-node.creds'), 'utf8')).toMatch(
      /-----BEGIN NATS USER JWT-----/,
    );
  }, 60_000);

  test('those files are ignored by git', async () => {
    const { stdout } = await run(
      'git',
      [
        'check-ignore',
        '--no-index',
        'infra/nats/authority.json',
        'infra/nats/server.conf',
        'infra/nats/creds/gateway.creds',
        'infra/auth/signing-keys.json',
      ],
      { cwd: repositoryRoot },
    );
    expect(stdout.trim().split('\n')).toHaveLength(4);
  });
});
