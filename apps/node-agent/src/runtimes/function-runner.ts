import { ContractViolationError, parseRuntimeSpec } from '@canopy/contracts';
import type { RuntimeSpec } from '@canopy/contracts';
import type { TaskHandler } from '@canopy/node-sdk';
import { PLAIN_TEXT } from './function-limits.js';
import type { FunctionLimits } from './function-limits.js';
import { forwardHttp } from './http/http-runtime.js';
import type { ProcessGroups } from './process-groups.js';
import { runProcess } from './process/process-runtime.js';

export interface FunctionRunnerSettings {
  readonly limits: FunctionLimits;
  /** Variables of the agent's own environment that every function process gets (PATH, HOME...). */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  /** Where request bodies wait, unlinked, to be a per-invocation process's stdin. */
  readonly tempDir: string;
  /** Where function processes are registered while they run, so that they die with the agent. */
  readonly processGroups: ProcessGroups;
}

/** The agent's task handler: reads the task's runtime spec and runs it with the matching runtime. */
export function functionRunner(settings: FunctionRunnerSettings): TaskHandler {
  return async (task) => {
    let spec: RuntimeSpec;
    try {
      spec = parseRuntimeSpec(task.runtime);
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      return {
        status: 500,
        contentType: PLAIN_TEXT,
        body: `The function's runtime spec cannot be run by this node. ${error.message}.`,
      };
    }
    switch (spec.kind) {
      case 'process':
        return runProcess(spec, task, settings);
      case 'http':
        return forwardHttp(spec, task, settings);
      default: {
        const unknown: never = spec;
        throw new Error(`unknown runtime ${JSON.stringify(unknown)}`);
      }
    }
  };
}
