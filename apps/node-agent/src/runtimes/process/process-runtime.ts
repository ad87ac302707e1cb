import type { ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { ContractViolationError } from '@canopy/contracts';
import type { ProcessRuntimeSpec } from '@canopy/contracts';
import type { RunningTask, TaskResult } from '@canopy/node-sdk';
import { PLAIN_TEXT } from '../function-limits.js';
import type { FunctionLimits } from '../function-limits.js';
import {
  couldNotStart,
  errorCode,
  exitFailure,
  failure,
  spawnFunctionProcess,
  terminateFunctionProcess,
} from '../function-process.js';
import type { ProcessGroups } from '../process-groups.js';
import { openBodyFile } from './body-file.js';
import { readProcessEnvelope } from './process-envelope.js';
import { StderrReader } from './stderr-reader.js';

export interface ProcessRuntimeSettings {
  readonly limits: FunctionLimits;
  /** Variables of the agent's own environment that every function process gets (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  /** Where a request body waits, unlinked, to be the process's stdin. */
  readonly tempDir: string;
  /** Where each process's group is registered while it runs, so that it dies with the agent. */
  readonly processGroups: ProcessGroups;
}

/**
 * Runs one invocation as a child process (no shell): the request body on stdin (a file, or
 * /dev/null when it is empty), the task on CANOPY_* variables, the response on stdout; stderr
 * lines `::progress <n>` report progress. The process is stopped (SIGTERM, then SIGKILL after the
 * grace) when the task's signal aborts.
 */
export async function runProcess(
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
    // W3C trace context, as OpenTelemetry's environment carrier names it: the function's own spans
    // join the task's trace.
    ...(task.traceContext === undefined
      ? {}
      : {
          TRACEPARENT: task.traceContext.traceparent,
          ...(task.traceContext.tracestate === undefined
            ? {}
            : { TRACESTATE: task.traceContext.tracestate }),
        }),
  };
  // The body reaches stdin as a file, not through a pipe Node would make (see body-file.ts).
  let bodyFile: FileHandle | undefined;
  try {
    if (task.request.body.length > 0) {
      bodyFile = await openBodyFile(task.request.body, settings.tempDir);
    }
  } catch (error) {
    return failure(`The request body could not be handed to the function (${errorCode(error)}).`);
  }
  if (task.signal.aborted) {
    await bodyFile?.close();
    return failure('The function was stopped.');
  }
  let child: ChildProcess;
  try {
    child = spawnFunctionProcess({
      command: spec.command,
      args: spec.args ?? [],
      env,
      stdin: bodyFile?.fd ?? 'ignore',
      processGroups: settings.processGroups,
    });
  } catch (error) {
    await bodyFile?.close();
    return couldNotStart(spec.command, error);
  }
  // Listened to before anything is awaited: Node drains and closes the pipes of a child that has
  // exited, so a child that ended during an await would end unheard.
  const result = resultOf(spec, task, child, limits);
  // The child has its own descriptor of the body by now (spawn returns once it has started).
  await bodyFile?.close();
  return result;
}

function resultOf(
  spec: ProcessRuntimeSpec,
  task: RunningTask,
  child: ChildProcess,
  limits: FunctionLimits,
): Promise<TaskResult> {
  return new Promise<TaskResult>((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflow = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const stderr = new StderrReader(limits.stderrTailBytes, (percent) => task.progress(percent));

    const stop = (): void => {
      killTimer ??= terminateFunctionProcess(child, limits.killGraceMs);
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
