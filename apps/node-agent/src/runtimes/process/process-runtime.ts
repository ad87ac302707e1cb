import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { ContractViolationError } from '@canopy/contracts';
import type { ProcessRuntimeSpec } from '@canopy/contracts';
import type { RunningTask, TaskResult } from '@canopy/node-sdk';
import { PLAIN_TEXT } from '../function-limits.js';
import type { FunctionLimits } from '../function-limits.js';
import { readProcessEnvelope } from './process-envelope.js';
import { StderrReader } from './stderr-reader.js';

export interface ProcessRuntimeSettings {
  readonly limits: FunctionLimits;
  /** Variables of the agent's own environment that every function process gets (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
}

// Killing the process group (a negative pid) also stops whatever the function started itself, and
// so releases the pipes it inherited; Windows has no process groups.
const USE_PROCESS_GROUP = process.platform !== 'win32';

/**
 * Runs one invocation as a child process (no shell): the request body on stdin, the task on
 * CANOPY_* variables, the response on stdout; stderr lines `::progress <n>` report progress. The
 * process is stopped (SIGTERM, then SIGKILL after the grace) when the task's signal aborts.
 */
export function runProcess(
  spec: ProcessRuntimeSpec,
  task: RunningTask,
  settings: ProcessRuntimeSettings,
): Promise<TaskResult> {
  const { limits } = settings;
  const env = {
    ...settings.inheritedEnv,
    ...spec.env,
    CANOPY_TASK_ID: task.taskId,
    CANOPY_ATTEMPT: String(task.attempt),
    CANOPY_FUNCTION_ID: task.functionId,
    CANOPY_QUERY: task.request.query,
    CANOPY_CONTENT_TYPE: task.request.contentType ?? '',
    CANOPY_METHOD: 'POST',
  };
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args ?? [], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: USE_PROCESS_GROUP,
      windowsHide: true,
    });
  } catch (error) {
    return Promise.resolve(couldNotStart(spec.command, error));
  }
  return new Promise<TaskResult>((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflow = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const stderr = new StderrReader(limits.stderrTailBytes, (percent) => task.progress(percent));

    const signalProcess = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        // The group may outlive its leader (a background child holding stdout open), so it is
        // signalled even after the function's own process has exited.
        if (USE_PROCESS_GROUP) process.kill(-child.pid, signal);
        else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const stop = (): void => {
      if (killTimer !== undefined) return;
      signalProcess('SIGTERM');
      killTimer = setTimeout(() => signalProcess('SIGKILL'), limits.killGraceMs);
    };
    const finish = (result: TaskResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      task.signal.removeEventListener('abort', stop);
      resolve(result);
    };

    task.signal.addEventListener('abort', stop, { once: true });
    if (task.signal.aborted) stop();

    child.on('error', (error) => {
      // Only a failed spawn leaves no pid; other errors (a failed kill) are followed by 'close'.
      if (child.pid === undefined) finish(couldNotStart(spec.command, error));
    });
    child.stdin?.on('error', () => {
      // The function need not read its input: EPIPE is its choice, not a failure.
    });
    child.stdin?.end(task.request.body);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdoutOverflow) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxResponseBytes) {
        stdoutOverflow = true;
        stdout.length = 0;
        stop();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr?.on('end', () => stderr.end());

    child.on('close', (code, signal) => {
      if (stdoutOverflow) {
        finish(
          failure(
            `The function wrote more than ${limits.maxResponseBytes} bytes to stdout, the most a response may have.`,
          ),
        );
      } else if (task.signal.aborted) {
        // The node reports the abort its own way; this result is not used.
        finish(failure('The function was stopped.'));
      } else if (code !== 0) {
        finish(exitFailure(code, signal, stderr.tailBytes()));
      } else if (spec.envelope === true) {
        finish(fromEnvelope(Buffer.concat(stdout)));
      } else {
        finish({ status: 200, contentType: PLAIN_TEXT, headers: {}, body: Buffer.concat(stdout) });
      }
    });
  });
}

function fromEnvelope(stdout: Buffer): TaskResult {
  try {
    return readProcessEnvelope(stdout);
  } catch (error) {
    if (!(error instanceof ContractViolationError)) throw error;
    return failure(`The function's stdout is not a valid envelope. ${error.message}.`);
  }
}

function exitFailure(code: number | null, signal: NodeJS.Signals | null, tail: Buffer): TaskResult {
  if (tail.length > 0) return { status: 500, contentType: PLAIN_TEXT, headers: {}, body: tail };
  const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
  return failure(`The function ${how} and wrote nothing to stderr.`);
}

function couldNotStart(command: string, error: unknown): TaskResult {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : 'unknown error';
  return failure(`The function's command "${command}" could not be started (${reason}).`);
}

function failure(message: string): TaskResult {
  return { status: 500, contentType: PLAIN_TEXT, headers: {}, body: message };
}
