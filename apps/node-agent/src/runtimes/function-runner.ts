import type { NodeLogger, RunningTask, TaskHandler, TaskResult } from '@canopy/node-sdk';
import { PLAIN_TEXT } from './function-limits.js';
import type { FunctionLimits } from './function-limits.js';
import { forwardHttp } from './http/http-runtime.js';
import { PersistentRuntime } from './persistent/persistent-runtime.js';
import type { ProcessGroups } from './process-groups.js';
import { runProcess } from './process/process-runtime.js';
import { RuntimeSpecCache } from './runtime-spec-cache.js';

export interface FunctionRunnerSettings {
  readonly limits: FunctionLimits;
  /** Variables of the agent's own environment that every function process gets (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  /** Where request bodies wait, unlinked, to be a per-invocation process's stdin. */
  readonly tempDir: string;
  /** Where function processes are registered while they run, so that they die with the agent. */
  readonly processGroups: ProcessGroups;
  /** The node's slots: the most persistent function processes kept at once. */
  readonly slots: number;
  /** How long a persistent function process may wait for an invocation before it is retired. */
  readonly persistentIdleMs: number;
  readonly logger: NodeLogger;
}

/**
 * The agent's task handler: reads each task's runtime spec (once per function and spec) and runs it
 * with the matching runtime.
 */
export class FunctionRunner {
  private readonly persistent: PersistentRuntime;
  private readonly specs = new RuntimeSpecCache();

  constructor(private readonly settings: FunctionRunnerSettings) {
    this.persistent = new PersistentRuntime({
      limits: settings.limits,
      inheritedEnv: settings.inheritedEnv,
      processGroups: settings.processGroups,
      maxProcesses: settings.slots,
      idleMs: settings.persistentIdleMs,
      logger: settings.logger,
    });
  }

  readonly run: TaskHandler = async (task: RunningTask): Promise<TaskResult> => {
    const reading = this.specs.read(task.functionId, task.runtime);
    if (reading.kind === 'invalid') {
      return {
        status: 500,
        contentType: PLAIN_TEXT,
        body: `The function's runtime spec cannot be run by this node. ${reading.error.message}.`,
      };
    }
    const { spec } = reading;
    switch (spec.kind) {
      case 'process':
        return runProcess(spec, task, this.settings);
      case 'persistent':
        return this.persistent.run(spec, task);
      case 'http':
        return forwardHttp(spec, task, this.settings);
      default: {
        const unknown: never = spec;
        throw new Error(`unknown runtime ${JSON.stringify(unknown)}`);
      }
    }
  };

  /** Stops the persistent functions' processes; call it once the node has stopped. */
  close(): Promise<void> {
    return this.persistent.close();
  }
}
