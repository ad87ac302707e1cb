export { CanopyNode } from './canopy-node.js';
export type { NodePhase, StopOptions } from './canopy-node.js';
export type { CanopyNodeOptions } from './node-options.js';
export { TaskAbortedError } from './task-run.js';
export type { RunningTask, TaskAbort, TaskHandler, TaskInvocation } from './task-run.js';
export type { TaskResult } from './function-response.js';
export type { NodeLogger } from './node-logger.js';
export { defaultRetryPolicy } from './retry-policy.js';
export type { RetryPolicy } from './retry-policy.js';
