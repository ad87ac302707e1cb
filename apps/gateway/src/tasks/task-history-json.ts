import { DEFAULT_TASK_PRIORITY } from '@canopy/contracts';
import type { TaskEvent } from '@canopy/contracts';
import { unixSeconds } from './task-json.js';

// One event of a task's history as the API shows it: what a client may see, never the request or
// the response (bodies, query, headers), which its own reads give. `node` is the node's id, as
// `GET /v1/task/:taskId` shows it (an id derived from a hash: it names no account's node).

export type TaskHistoryData =
  | {
      readonly functionId: string;
      readonly scheduleId: string | null;
      readonly timeout: number;
      readonly maxAttempts: number;
      readonly capabilities: {
        readonly cpuCount: number;
        readonly memSize: number;
        readonly networkLatency: number;
        readonly privileged: boolean;
      };
      readonly priority: number;
      /** Unix seconds; null: no delay. */
      readonly notBefore: string | null;
    }
  | { readonly node: string; readonly attempt: number }
  | {
      readonly node: string;
      readonly attempt: number;
      readonly status: number;
      /** Unix seconds: when the task is due again. */
      readonly retryAt: string;
    }
  | { readonly node: string; readonly attempt: number; readonly reason: string }
  | { readonly attempt: number; readonly progress: number }
  | { readonly attempt: number; readonly status: number }
  | { readonly reason: string; readonly status: number; readonly message: string };

export interface TaskHistoryEntryJson {
  /** The event's version in the task's stream: 1, 2, 3... with no gaps. */
  readonly version: number;
  readonly type: TaskEvent['type'];
  /** When it happened, unix seconds. */
  readonly at: string;
  readonly data: TaskHistoryData;
}

export function taskHistoryEntry(version: number, event: TaskEvent): TaskHistoryEntryJson {
  const entry = (at: string, data: TaskHistoryData): TaskHistoryEntryJson => ({
    version,
    type: event.type,
    at: unixSeconds(at),
    data,
  });
  switch (event.type) {
    case 'TaskIssued': {
      const { functionId, scheduleId, timeout, maxAttempts, requirements, issuedAt } = event.data;
      const { cpuCount, memSize, networkLatency, privileged } = requirements;
      return entry(issuedAt, {
        functionId,
        scheduleId,
        timeout,
        maxAttempts,
        capabilities: { cpuCount, memSize, networkLatency, privileged },
        priority: event.data.priority ?? DEFAULT_TASK_PRIORITY,
        notBefore: event.data.notBefore === undefined ? null : unixSeconds(event.data.notBefore),
      });
    }
    case 'TaskAssigned':
      return entry(event.data.assignedAt, {
        node: event.data.nodeId,
        attempt: event.data.attempt,
      });
    case 'TaskUnassigned':
      return entry(event.data.at, {
        node: event.data.nodeId,
        attempt: event.data.attempt,
        reason: event.data.reason,
      });
    case 'TaskProgressed':
      return entry(event.data.at, { attempt: event.data.attempt, progress: event.data.progress });
    case 'TaskAttemptFailed':
      // The status only: a failed attempt's body is not recorded.
      return entry(event.data.at, {
        node: event.data.nodeId,
        attempt: event.data.attempt,
        status: event.data.status,
        retryAt: unixSeconds(event.data.retryAt),
      });
    case 'TaskFinished':
      return entry(event.data.finishedAt, {
        attempt: event.data.attempt,
        status: event.data.response.status,
      });
    case 'TaskFailed':
      return entry(event.data.at, {
        reason: event.data.reason,
        status: event.data.status,
        message: event.data.message,
      });
    default:
      return unknownEvent(event);
  }
}

/** Whether the event ends the task: nothing follows it. */
export function endsTask(type: TaskEvent['type']): boolean {
  return type === 'TaskFinished' || type === 'TaskFailed';
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled task event ${JSON.stringify(event)}`);
}
