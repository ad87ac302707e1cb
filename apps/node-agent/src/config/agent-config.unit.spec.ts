import type { AgentConfig, ConfigReading } from './agent-config.js';
import { createNatsAuthority, issueNodeCredentials } from '@canopy/nats-auth';
import { DEFAULT_NATS_URL, readAgentConfig, redactUrl } from './agent-config.js';

const files: Record<string, string> = {};
const machine = {
  cpuCount: 8,
  memSize: 16_000,
  tempDir: '/tmp',
  randomNodeId: () => 'node-0badcafe',
  readFile: (file: string) => {
    const content = files[file];
    if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return content;
  },
};

function config(args: string[], env: Record<string, string> = {}): AgentConfig {
  const reading = readAgentConfig(args, env, machine);
  if (reading.kind !== 'run')
    throw new Error(`expected a configuration, got ${JSON.stringify(reading)}`);
  return reading.config;
}

function problem(args: string[], env: Record<string, string> = {}): string {
  const reading: ConfigReading = readAgentConfig(args, env, machine);
  if (reading.kind !== 'invalid') throw new Error(`expected a problem, got ${reading.kind}`);
  return reading.problem;
}

describe('agent configuration', () => {
  test('defaults come from the machine', () => {
    expect(config([])).toEqual({
      natsServers: [DEFAULT_NATS_URL],
      nodeId: 'node-0badcafe',
      capabilities: { cpuCount: 8, memSize: 16_000, networkLatency: 0, privileged: false },
      slots: 8,
      persistentIdleSeconds: 300,
      logLevel: 'info',
      inheritedEnv: {},
      tempDir: '/tmp',
      tracing: { enabled: false },
    });
  });

  test('tracing follows the OTEL_* variables, as the services read them', () => {
    expect(config([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      enabled: true,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
    });
    expect(
      config([], { OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toEqual({ enabled: false });
    expect(problem([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(
      /^OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json/,
    );
  });

  test('every flag', () => {
    expect(
      config([
        '--nats-url',
        'nats://a:4222, tls://b:4443',
        '--node-id=edge_7',
        '--cpu-count',
        '4',
        '--mem-size',
        '2048',
        '--network-latency',
        '25',
        '--privileged',
        '--slots',
        '2',
        '--persistent-idle',
        '30',
        '--log-level',
        'debug',
      ]),
    ).toMatchObject({
      natsServers: ['nats://a:4222', 'tls://b:4443'],
      nodeId: 'edge_7',
      capabilities: { cpuCount: 4, memSize: 2048, networkLatency: 25, privileged: true },
      slots: 2,
      persistentIdleSeconds: 30,
      logLevel: 'debug',
    });
  });

  test('slots default to the cpu count given', () => {
    expect(config(['--cpu-count', '3']).slots).toBe(3);
  });

  test('environment variables apply, and flags win over them', () => {
    const env = { NATS_URL: 'nats://env:4222', CANOPY_NODE_ID: 'from-env', LOG_LEVEL: 'warn' };
    expect(config([], env)).toMatchObject({
      natsServers: ['nats://env:4222'],
      nodeId: 'from-env',
      logLevel: 'warn',
    });
    expect(config(['--nats-url', 'nats://flag:4222', '--node-id', 'from-flag'], env)).toMatchObject(
      {
        natsServers: ['nats://flag:4222'],
        nodeId: 'from-flag',
      },
    );
    expect(config([], { NATS_URL: '', CANOPY_NODE_ID: ' ' })).toMatchObject({
      natsServers: [DEFAULT_NATS_URL],
      nodeId: 'node-0badcafe',
    });
  });

  test('function processes inherit only a few variables of the environment', () => {
    const env = {
      PATH: '/bin',
      HOME: '/root',
      NATS_URL: 'nats://u:secret@h:4222',
      AWS_SECRET: 'x',
    };
    expect(config([], env).inheritedEnv).toEqual({ PATH: '/bin', HOME: '/root' });
  });

  test('--help and -h ask for the usage, whatever else is given', () => {
    for (const args of [['--help'], ['-h'], ['--slots', '0', '--help']]) {
      const reading = readAgentConfig(args, {}, machine);
      expect(reading.kind).toBe('help');
      if (reading.kind === 'help') expect(reading.usage).toContain('--network-latency <ms>');
    }
  });

  test.each([
    [['--slots', '0'], '--slots must be a whole number of at least 1, got "0"'],
    [['--persistent-idle', '0'], '--persistent-idle must be a whole number of at least 1, got "0"'],
    [['--cpu-count', 'many'], '--cpu-count must be a whole number of at least 1, got "many"'],
    [['--mem-size', '1.5'], '--mem-size must be a whole number of at least 1, got "1.5"'],
    [['--network-latency=-3'], '--network-latency must be a whole number of at least 0, got "-3"'],
    [['--slots', '99999999999999999999'], '--slots must be a whole number of at least 1'],
    [['--node-id', 'a.b'], '--node-id / CANOPY_NODE_ID must be 1 to 64 characters'],
    [['--nats-url', 'http://x:4222'], '--nats-url / NATS_URL must be nats:// or tls:// URLs'],
    [['--nats-url', 'nats://a:1,'], '--nats-url / NATS_URL must be nats:// or tls:// URLs'],
    [['--log-level', 'loud'], '--log-level / LOG_LEVEL must be one of fatal, error, warn'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--slots'], "Option '--slots <value>' argument missing"],
    [['extra'], 'Unexpected argument'],
    [['--privileged=yes'], "Option '--privileged' does not take an argument"],
  ])('%j is refused: %s', (args, message) => {
    expect(problem(args)).toContain(message);
  });

  test('a bad environment variable is refused too', () => {
    expect(problem([], { CANOPY_NODE_ID: 'no spaces' })).toContain('--node-id / CANOPY_NODE_ID');
  });

  test('a refused URL does not echo its password', () => {
    expect(problem(['--nats-url', 'http://user:hunter2@x:4222'])).not.toContain('hunter2');
  });
});

describe('NATS credentials', () => {
  let creds: string;

  beforeAll(async () => {
    creds = (await issueNodeCredentials(await createNatsAuthority(), 'edge-7')).creds;
    files['/etc/canopy/edge-7.creds'] = creds;
    files['/etc/canopy/not-creds.txt'] = 'hello';
  });

  test('--nats-creds reads the file, and the node id comes from it', () => {
    expect(config(['--nats-creds', '/etc/canopy/edge-7.creds'])).toMatchObject({
      natsCredentials: { file: '/etc/canopy/edge-7.creds', creds },
      nodeId: 'edge-7',
    });
  });

  test('NATS_CREDS does the same, and a matching --node-id is accepted', () => {
    expect(
      config(['--node-id', 'edge-7'], { NATS_CREDS: '/etc/canopy/edge-7.creds' }),
    ).toMatchObject({ natsCredentials: { creds }, nodeId: 'edge-7' });
  });

  test('without credentials there are none', () => {
    expect(config([]).natsCredentials).toBeUndefined();
  });

  test.each([
    [
      ['--nats-creds', '/etc/canopy/edge-7.creds', '--node-id', 'other'],
      '"other" is not the node of /etc/canopy/edge-7.creds ("edge-7")',
    ],
    [
      ['--nats-creds', '/nowhere.creds'],
      '--nats-creds / NATS_CREDS: cannot read /nowhere.creds (ENOENT)',
    ],
    [
      ['--nats-creds', '/etc/canopy/not-creds.txt'],
      '/etc/canopy/not-creds.txt does not hold NATS user credentials',
    ],
  ])('%j is refused: %s', (args, message) => {
    expect(problem(args)).toContain(message);
  });
});

describe('redactUrl', () => {
  test('hides the password only', () => {
    expect(redactUrl('nats://user:secret@host:4222')).toBe('nats://user:***@host:4222');
    expect(redactUrl('nats://host:4222')).toBe('nats://host:4222');
    expect(redactUrl('::')).toBe('(unparsable URL)');
  });
});
