import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServiceLogger } from '@canopy/service-runtime';
import { ExponentialBackoff } from 'cockatiel';
import type { IBackoff } from 'cockatiel';

/** One service of the stack, run as its own Node process from its built entry point. */
export interface ServiceProcess {
  /** Name in logs, e.g. `gateway`. */
  readonly name: string;
  /** Folder of the app under `apps/`, e.g. `gateway`. */
  readonly app: string;
  readonly args?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The script to run instead of the app's built entry point (tests). */
  readonly entryPoint?: string;
}

export interface SupervisionPolicy {
  /** First wait before restarting a service that died; it doubles with every death in a row. */
  readonly initialRestartDelayMs: number;
  readonly maxRestartDelayMs: number;
  /** A service that dies this many times within `crashLoopWindowMs` is not restarted again. */
  readonly crashLoopDeaths: number;
  readonly crashLoopWindowMs: number;
  /** Up this long, a service counts as healthy again: the next death waits the first delay. */
  readonly healthyAfterMs: number;
}

export const defaultSupervisionPolicy: SupervisionPolicy = {
  initialRestartDelayMs: 500,
  maxRestartDelayMs: 10_000,
  crashLoopDeaths: 5,
  crashLoopWindowMs: 60_000,
  healthyAfterMs: 30_000,
};

const stopGraceMs = 15_000;

/** Where an app's built entry point is, from this module's place in `apps/cli/{src,dist}/local-stack/`. */
export function appEntryPoint(app: string): string {
  return fileURLToPath(new URL(`../../../${app}/dist/main.js`, import.meta.url));
}

interface Supervised {
  readonly service: ServiceProcess;
  child: ChildProcess | undefined;
  startedAtMs: number;
  /** When it died lately, for the crash-loop rule. */
  deaths: number[];
  backoff: IBackoff<unknown> | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs the stack's processes. A service that dies is started again after a backoff, with a log line
 * saying how it died; one that keeps dying (a crash loop) is given up on, and `gaveUp` resolves
 * with its name so the caller can stop the rest and say so. `stop()` stops every process in the
 * reverse order of their start.
 */
export class ProcessSupervisor {
  private readonly services = new Map<string, Supervised>();
  private stopping = false;
  private reportGaveUp: (name: string) => void = () => undefined;
  /** Resolves when a service kept dying and is not started again. */
  readonly gaveUp = new Promise<string>((resolve) => {
    this.reportGaveUp = resolve;
  });

  constructor(
    private readonly logger: ServiceLogger,
    private readonly policy: SupervisionPolicy = defaultSupervisionPolicy,
  ) {}

  start(service: ServiceProcess): void {
    const supervised: Supervised = {
      service,
      child: undefined,
      startedAtMs: 0,
      deaths: [],
      backoff: undefined,
      restartTimer: undefined,
    };
    this.services.set(service.name, supervised);
    this.run(supervised);
  }

  /** The process id of a running service (tests, diagnostics). */
  pidOf(name: string): number | undefined {
    return this.services.get(name)?.child?.pid;
  }

  /**
   * Stops the processes in the reverse order of their start (a node agent says goodbye while the
   * scheduler still listens): SIGTERM, then SIGKILL if one is still running after the grace period.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const supervised of [...this.services.values()].reverse()) {
      clearTimeout(supervised.restartTimer);
      const { child } = supervised;
      if (child !== undefined) await stopChild(supervised.service.name, child, this.logger);
    }
  }

  private run(supervised: Supervised): void {
    const { service } = supervised;
    const child = spawn(
      process.execPath,
      [service.entryPoint ?? appEntryPoint(service.app), ...(service.args ?? [])],
      { env: { ...process.env, ...service.env }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    supervised.child = child;
    supervised.startedAtMs = performance.now();
    child.once('exit', (code, signal) => {
      if (supervised.child === child) supervised.child = undefined;
      if (!this.stopping) this.died(supervised, code, signal);
    });
  }

  private died(supervised: Supervised, code: number | null, signal: NodeJS.Signals | null): void {
    const { service } = supervised;
    const nowMs = performance.now();
    const { policy } = this;
    if (nowMs - supervised.startedAtMs >= policy.healthyAfterMs) supervised.backoff = undefined;
    supervised.deaths = [
      ...supervised.deaths.filter((at) => nowMs - at < policy.crashLoopWindowMs),
      nowMs,
    ];
    const how = signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;
    if (supervised.deaths.length >= policy.crashLoopDeaths) {
      this.logger.error(
        {
          service: service.name,
          code,
          signal,
          deaths: supervised.deaths.length,
          withinSeconds: Math.round(policy.crashLoopWindowMs / 1000),
        },
        `${service.name} ${how} and keeps dying: it is not started again (its own log says why)`,
      );
      this.reportGaveUp(service.name);
      return;
    }
    supervised.backoff = (
      supervised.backoff ??
      new ExponentialBackoff({
        initialDelay: policy.initialRestartDelayMs,
        maxDelay: policy.maxRestartDelayMs,
      })
    ).next(undefined);
    const delayMs = supervised.backoff.duration;
    this.logger.warn(
      { service: service.name, code, signal, restartInMs: Math.round(delayMs) },
      `${service.name} ${how}; starting it again`,
    );
    supervised.restartTimer = setTimeout(() => {
      if (!this.stopping) this.run(supervised);
    }, delayMs);
  }
}

async function stopChild(name: string, child: ChildProcess, logger: ServiceLogger): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    logger.warn({ service: name }, 'did not stop in time, killing it');
    child.kill('SIGKILL');
  }, stopGraceMs);
  await exited;
  clearTimeout(timer);
}
