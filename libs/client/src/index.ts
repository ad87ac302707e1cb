export { CanopyClient, createCanopyClient, dataOf } from './canopy-client.js';
export type {
  CanopyClientOptions,
  IssueTaskOptions,
  RunTaskOptions,
  TaskBody,
  TaskQuery,
  WaitOptions,
} from './canopy-client.js';
export type { TaskEventEntry } from './task-events.js';
export type { AccessToken } from './access-tokens.js';
export {
  CanopyApiError,
  CanopyTaskFailedError,
  CanopyTaskPendingError,
  isApiErrorBody,
} from './canopy-api-error.js';
export type { ApiErrorBody } from './canopy-api-error.js';
export type { FunctionResponse, TaskResultState } from './task-results.js';
export { requirementsText } from './node-requirements.js';
export type { NodeRequirements } from './node-requirements.js';
export type { components, operations, paths } from './generated/canopy-api.js';
