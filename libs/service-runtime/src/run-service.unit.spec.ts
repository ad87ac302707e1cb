import { pino, type LevelWithSilent } from 'pino';
import { z } from 'zod';
import { ConfigurationError, commonConfigSchema, positiveInt } from './service-config.js';
import { ServiceExitCode, runService, type RunningService } from './run-service.js';
import type { RunningTracing, TracingPlan } from '@canopy/observability';
import type { ServiceProcess, StopSignal } from './service-process.js';
import type { ServiceLogger, ServiceLoggerOptions } from './service-logger.js';

const schema = commonConfigSchema.safeExtend({ PORT: positiveInt().default(3000) });

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string };
}

/** A process that records what the service did to it; signals and crashes are sent by the test. */
class FakeProcess implements ServiceProcess {
  readonly stderr: string[] = [];
  readonly logs: LogLine[] = [];
  readonly exits: number[] = [];
  loggerLevel: LevelWithSilent | undefined;
  loggerOptions: ServiceLoggerOptions | undefined;
  readonly tracing: { service: string; plan: TracingPlan; shutdowns: number }[] = [];
  readonly databaseConnectionNames: string[] = [];
  private readonly signalListeners = new Map<StopSignal, (signal: StopSignal) => void>();
  private crashListener: ((error: unknown) => void) | undefined;
  private resolveExit!: (code: number) => void;
  /** The first exit code the service asked for. */
  readonly exited = new Promise<number>((resolve) => (this.resolveExit = resolve));

  constructor(
    readonly env: Readonly<Record<string, string | undefined>> = {},
    readonly args: readonly string[] = [],
  ) {}

  writeError(text: string): void {
    this.stderr.push(text);
  }

  exit(code: number): void {
    this.exits.push(code);
    this.resolveExit(code);
  }

  onceSignal(signal: StopSignal, listener: (signal: StopSignal) => void): void {
    this.signalListeners.set(signal, listener);
  }

  onCrash(listener: (error: unknown) => void): void {
    this.crashListener = listener;
  }

  createLogger(
    service: string,
    level: LevelWithSilent,
    options: ServiceLoggerOptions,
  ): ServiceLogger {
    this.loggerLevel = level;
    this.loggerOptions = options;
    return pino(
      { level, base: { service } },
      { write: (line: string) => this.logs.push(JSON.parse(line) as LogLine) },
    );
  }

  startTracing(service: string, plan: TracingPlan): RunningTracing {
    const started = { service, plan, shutdowns: 0 };
    this.tracing.push(started);
    return {
      enabled: plan.enabled,
      shutdown: async () => {
        started.shutdowns += 1;
      },
    };
  }

  nameDatabaseConnections(applicationName: string): void {
    this.databaseConnectionNames.push(applicationName);
  }

  signal(signal: StopSignal): void {
    const listener = this.signalListeners.get(signal);
    this.signalListeners.delete(signal);
    listener?.(signal);
  }

  crash(error: unknown): void {
    this.crashListener?.(error);
  }

  get fatalLines(): LogLine[] {
    return this.logs.filter((line) => line.level === 60);
  }
}

function service(stop: () => Promise<void> = async () => undefined): RunningService {
  return { stop };
}

/** A start function that records its calls and resolves with `outcome`. */
function recordingStart<Config>(outcome: RunningService | undefined) {
  const calls: { config: Config; args: readonly string[] }[] = [];
  const start = async (config: Config, _logger: ServiceLogger, args: readonly string[]) => {
    calls.push({ config, args });
    return outcome;
  };
  return { start, calls };
}

describe('runService', () => {
  test('a bad configuration exits 2 and names every bad variable on stderr, without starting', async () => {
    const host = new FakeProcess({
      PORT: '-1',
      LOG_LEVEL: 'loud',
      EVENT_STORE: 'eventstoredb',
      NATS_URL: 'nats://a:4222,',
    });
    const { start, calls } = recordingStart(service());

    await runService('gateway', schema, start, host);

    expect(host.exits).toEqual([ServiceExitCode.badConfiguration]);
    expect(calls).toEqual([]);
    const stderr = host.stderr.join('');
    expect(stderr).toMatch(/^gateway: invalid configuration:/);
    for (const variable of ['PORT', 'LOG_LEVEL', 'EVENTSTORE_URL', 'NATS_URL']) {
      expect(stderr).toMatch(new RegExp(`^  - ${variable}: `, 'm'));
    }
    expect(host.logs).toEqual([]);
  });

  test('starts with the configuration, a logger at LOG_LEVEL and the arguments', async () => {
    const host = new FakeProcess({ PORT: '8080', LOG_LEVEL: 'debug', SECRET: 'x' }, ['rebuild']);
    const { start, calls } = recordingStart(service());

    await runService('projector', schema, start, host);

    expect(calls).toHaveLength(1);
    const [{ config, args }] = calls as [(typeof calls)[number]];
    expect(config).toMatchObject({ PORT: 8080, LOG_LEVEL: 'debug', EVENT_STORE: 'postgres' });
    expect(config).not.toHaveProperty('SECRET');
    expect(args).toEqual(['rebuild']);
    expect(host.loggerLevel).toBe('debug');
    expect(host.databaseConnectionNames).toEqual(['canopy-projector']);
    expect(host.exits).toEqual([]);
  });

  test('a failed start exits 1 and is logged as fatal', async () => {
    const host = new FakeProcess();

    await runService('scheduler', schema, () => Promise.reject(new Error('no NATS')), host);

    expect(host.exits).toEqual([ServiceExitCode.failed]);
    expect(host.fatalLines).toEqual([
      expect.objectContaining({
        msg: 'scheduler failed',
        err: expect.objectContaining({ message: 'no NATS' }),
      }),
    ]);
    expect(host.stderr).toEqual([]);
  });

  test('a ConfigurationError from start (its arguments) exits 2 with the problem on stderr', async () => {
    const host = new FakeProcess({}, ['rebuld']);

    await runService(
      'projector',
      schema,
      async () => {
        throw new ConfigurationError(['command: "rebuld" is unknown']);
      },
      host,
    );

    expect(host.exits).toEqual([ServiceExitCode.badConfiguration]);
    expect(host.stderr.join('')).toContain('  - command: "rebuld" is unknown');
    expect(host.fatalLines).toEqual([]);
  });

  test('a one-shot command that finished exits 0', async () => {
    const host = new FakeProcess();

    await runService('projector', schema, async () => undefined, host);

    expect(host.exits).toEqual([ServiceExitCode.done]);
  });

  test.each<StopSignal>(['SIGTERM', 'SIGINT'])(
    '%s stops the service, then exits 0',
    async (signal) => {
      const host = new FakeProcess();
      let stops = 0;
      const stop = async () => {
        stops += 1;
      };
      await runService('gateway', schema, async () => service(stop), host);
      expect(stops).toBe(0);

      host.signal(signal);

      expect(await host.exited).toBe(ServiceExitCode.done);
      expect(stops).toBe(1);
    },
  );

  test('a stop that fails exits 1', async () => {
    const host = new FakeProcess();
    await runService(
      'gateway',
      schema,
      async () => service(() => Promise.reject(new Error('stuck'))),
      host,
    );

    host.signal('SIGTERM');

    expect(await host.exited).toBe(ServiceExitCode.failed);
  });

  test('a second signal while stopping exits 1 at once', async () => {
    const host = new FakeProcess();
    await runService(
      'gateway',
      schema,
      async () => service(() => new Promise(() => undefined)),
      host,
    );

    host.signal('SIGTERM');
    host.signal('SIGINT');

    expect(await host.exited).toBe(ServiceExitCode.failed);
  });

  test('a crash after the start exits 1 and is logged as fatal', async () => {
    const host = new FakeProcess();
    await runService('scheduler', schema, async () => service(), host);

    host.crash(new Error('boom'));

    expect(host.exits).toEqual([ServiceExitCode.failed]);
    expect(host.fatalLines).toEqual([
      expect.objectContaining({
        msg: 'scheduler crashed',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  test('a schema of its own, without the common variables but with LOG_LEVEL, works too', async () => {
    const host = new FakeProcess({ NAME: 'x' });
    const own = z.object({
      NAME: z.string(),
      LOG_LEVEL: z.enum(['info', 'debug']).default('info'),
    });
    const { start, calls } = recordingStart(undefined);

    await runService('tool', own, start, host);

    expect(calls).toEqual([{ config: { NAME: 'x', LOG_LEVEL: 'info' }, args: [] }]);
    expect(host.exits).toEqual([ServiceExitCode.done]);
  });

  test('tracing is off unless the OTEL_* variables ask for it', async () => {
    const host = new FakeProcess();
    await runService('gateway', schema, async () => service(), host);
    expect(host.tracing).toEqual([{ service: 'gateway', plan: { enabled: false }, shutdowns: 0 }]);
    expect(host.loggerOptions).toEqual({ traceIds: false });
  });

  test('with an OTLP endpoint it starts before the service, logs trace ids, and is flushed at stop', async () => {
    const host = new FakeProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    let tracingWhenStarted: number | undefined;
    await runService(
      'scheduler',
      schema,
      async () => {
        tracingWhenStarted = host.tracing.length;
        return service();
      },
      host,
    );
    expect(tracingWhenStarted).toBe(1);
    expect(host.tracing[0]).toMatchObject({
      service: 'scheduler',
      plan: { enabled: true, exporters: ['otlp'], protocol: 'http/json' },
      shutdowns: 0,
    });
    expect(host.loggerOptions).toEqual({ traceIds: true });
    host.signal('SIGTERM');
    expect(await host.exited).toBe(ServiceExitCode.done);
    expect(host.tracing[0]?.shutdowns).toBe(1);
  });

  test('invalid OTEL_* variables exit 2, named with the service’s own problems', async () => {
    const host = new FakeProcess({ PORT: '-1', OTEL_TRACES_EXPORTER: 'jaeger' });
    const { start, calls } = recordingStart(service());
    await runService('gateway', schema, start, host);
    expect(host.exits).toEqual([ServiceExitCode.badConfiguration]);
    expect(calls).toEqual([]);
    expect(host.tracing).toEqual([]);
    const stderr = host.stderr.join('');
    expect(stderr).toMatch(/^ {2}- PORT: /m);
    expect(stderr).toMatch(/^ {2}- OTEL_TRACES_EXPORTER: must be "none" or/m);
  });
});
