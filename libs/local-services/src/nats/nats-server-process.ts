import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { LocalServicesLogger } from '../local-services-logger.js';
import { describeError } from '../error-description.js';
import { probeNats } from './probe-nats.js';

export const NATS_SERVER_EXECUTABLE = 'nats-server';
// Debian installs nats-server into /usr/sbin, which is not on a normal user's PATH.
const DEBIAN_NATS_SERVER = '/usr/sbin/nats-server';

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS = 10_000;
const REMEMBERED_LOG_LINES = 30;

export interface NatsServerProcessOptions {
  readonly executable: string;
  readonly port: number;
  readonly storeDir: string;
  readonly logger: LocalServicesLogger;
  /**
   * A configuration file to start the server with (`-c`); it must enable JetStream itself. The
   * address and port flags still win over the file's.
   */
  readonly configFile?: string | undefined;
}

export interface NatsServerProcess {
  readonly url: string;
  /** Sends the server a signal as it is, e.g. SIGKILL or SIGSTOP (fault injection). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the server process has exited, however. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

export class NatsServerNotFoundError extends Error {
  constructor(tried: readonly string[]) {
    super(
      `nats-server was not found (tried ${tried.join(', ')}). Install it (Debian/Ubuntu: apt-get install nats-server; ` +
        'elsewhere: https://docs.nats.io/running-a-nats-service/introduction/installation), put it on PATH, or set NATS_URL.',
    );
    this.name = 'NatsServerNotFoundError';
  }
}

/**
 * Spawns `nats-server -js` on 127.0.0.1:`port` with JetStream storage in `storeDir` (or with the
 * given configuration file) and waits until it answers.
 */
export async function startNatsServer(
  options: NatsServerProcessOptions,
): Promise<NatsServerProcess> {
  await mkdir(options.storeDir, { recursive: true });
  const candidates =
    options.executable === NATS_SERVER_EXECUTABLE
      ? [NATS_SERVER_EXECUTABLE, DEBIAN_NATS_SERVER]
      : [options.executable];
  for (const executable of candidates) {
    const started = await spawnAndWait(executable, options);
    if (started !== 'not found') return started;
  }
  throw new NatsServerNotFoundError(candidates);
}

async function spawnAndWait(
  executable: string,
  options: NatsServerProcessOptions,
): Promise<NatsServerProcess | 'not found'> {
  const url = `nats://127.0.0.1:${options.port}`;
  const address = ['-a', '127.0.0.1', '-p', String(options.port)];
  const child = spawn(
    executable,
    options.configFile === undefined
      ? ['-js', ...address, '-sd', options.storeDir]
      : ['-c', options.configFile, ...address],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const recentLog: string[] = [];
  const remember = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      recentLog.push(line);
      options.logger.debug(`nats-server: ${line}`);
    }
    recentLog.splice(0, Math.max(0, recentLog.length - REMEMBERED_LOG_LINES));
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) =>
      resolve((error as { code?: unknown }).code === 'ENOENT' ? 'not found' : describeError(error)),
    );
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
  });
  let outcome = 'timed out';
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const next = await Promise.race([
      exited,
      probeNats(url, 1_000).then((probe) => (probe.answers ? 'ready' : undefined)),
    ]);
    if (next !== undefined) {
      outcome = next;
      break;
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, READY_POLL_MS))]);
  }
  if (outcome === 'not found') return 'not found';
  if (outcome !== 'ready') {
    await stopChild(child);
    throw new Error(
      `nats-server (${executable}) did not start on 127.0.0.1:${options.port}: ${outcome}\n${recentLog.join('\n')}`,
    );
  }

  // If this process exits without calling stop(), the server must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    url,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited: exited.then(() => undefined),
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stubborn = new Promise<'stubborn'>((resolve) => {
    timer = setTimeout(() => resolve('stubborn'), STOP_TIMEOUT_MS);
  });
  if ((await Promise.race([exit, stubborn])) === 'stubborn') {
    child.kill('SIGKILL');
    await exit;
  }
  clearTimeout(timer);
}
