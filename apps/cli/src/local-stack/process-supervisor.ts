import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServiceLogger } from '@canopy/service-runtime';

/** One service of the stack, run as its own Node process from its built entry point. */
export interface ServiceProcess {
  /** Name in logs, e.g. `gateway`. */
  readonly name: string;
  /** Folder of the app under `apps/`, e.g. `gateway`. */
  readonly app: string;
  readonly args?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const stopGraceMs = 15_000;

/** Where an app's built entry point is, from this module's place in `apps/cli/{src,dist}/local-stack/`. */
export function appEntryPoint(app: string): string {
  return fileURLToPath(new URL(`../../../${app}/dist/main.js`, import.meta.url));
}

/**
 * Runs the stack's processes and stops them together: on `stop()`, or when any of them exits on
 * its own (then `exited` resolves with that service's name, so the caller can stop the rest).
 */
export class ProcessSupervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private reportExit: (name: string) => void = () => undefined;
  /** Resolves when a service exits without being asked to. */
  readonly exited = new Promise<string>((resolve) => {
    this.reportExit = resolve;
  });

  constructor(private readonly logger: ServiceLogger) {}

  start(service: ServiceProcess): void {
    const child = spawn(process.execPath, [appEntryPoint(service.app), ...(service.args ?? [])], {
      env: { ...process.env, ...service.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.set(service.name, child);
    child.once('exit', (code, signal) => {
      this.children.delete(service.name);
      if (this.stopping) return;
      this.logger.error({ service: service.name, code, signal }, 'service exited unexpectedly');
      this.reportExit(service.name);
    });
  }

  /**
   * Stops the processes in the reverse order of their start (a node agent says goodbye while the
   * scheduler still listens): SIGTERM, then SIGKILL if one is still running after the grace period.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const [name, child] of [...this.children.entries()].reverse()) {
      await stopChild(name, child, this.logger);
    }
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
