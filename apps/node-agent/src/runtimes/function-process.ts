import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { TaskResult } from '@canopy/node-sdk';
import { PLAIN_TEXT } from './function-limits.js';
import type { ProcessGroups } from './process-groups.js';

// Killing the process group (a negative pid) also stops whatever the function started itself, and
// so releases the pipes it inherited; Windows has no process groups.
const USE_PROCESS_GROUP = process.platform !== 'win32';

export interface FunctionProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** An open file descriptor, a pipe the agent writes to, or nothing (/dev/null). */
  readonly stdin: number | 'pipe' | 'ignore';
  readonly processGroups: ProcessGroups;
}

/**
 * Starts a function's process without a shell, leading a process group of its own that is
 * registered with `processGroups` until the process has ended (its 'close'). stdout and stderr are
 * pipes. Throws when Node refuses the options; a command that cannot be run is an 'error' event.
 */
export function spawnFunctionProcess(options: FunctionProcessOptions): ChildProcess {
  const child = spawn(options.command, options.args, {
    env: options.env,
    stdio: [options.stdin, 'pipe', 'pipe'],
    detached: USE_PROCESS_GROUP,
    windowsHide: true,
  });
  const { pid } = child;
  if (USE_PROCESS_GROUP && pid !== undefined) {
    // Registered in the same synchronous step as the spawn: nothing can run in between.
    options.processGroups.add(pid);
    child.once('close', () => options.processGroups.remove(pid));
  }
  return child;
}

/** Sends a signal to the function's whole process group. */
export function signalFunctionProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The group may outlive its leader (a background child holding stdout open), so it is
    // signalled even after the function's own process has exited.
    if (USE_PROCESS_GROUP) process.kill(-child.pid, signal);
    else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  } catch {
    // Already gone.
  }
}

/**
 * Stops a function process: SIGTERM to its group at once, SIGKILL after the grace. Returns the
 * SIGKILL timer, to be cleared once the process has ended.
 */
export function terminateFunctionProcess(child: ChildProcess, graceMs: number): NodeJS.Timeout {
  signalFunctionProcess(child, 'SIGTERM');
  return setTimeout(() => signalFunctionProcess(child, 'SIGKILL'), graceMs);
}

/** How a process that ended without answering is reported: the tail of its stderr, or how it ended. */
export function exitFailure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: Buffer,
): TaskResult {
  if (stderrTail.length > 0) {
    return { status: 500, contentType: PLAIN_TEXT, headers: {}, body: stderrTail };
  }
  const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
  return failure(`The function ${how} and wrote nothing to stderr.`);
}

export function couldNotStart(command: string, error: unknown): TaskResult {
  return failure(`The function's command "${command}" could not be started (${errorCode(error)}).`);
}

export function failure(message: string): TaskResult {
  return { status: 500, contentType: PLAIN_TEXT, headers: {}, body: message };
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
