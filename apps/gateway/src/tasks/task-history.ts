import { parseTaskEvent, taskStreamId } from '@canopy/contracts';
import { asContractEvent } from '@canopy/event-store';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import { notFound } from '../http/api-error.js';
import { endsTask, taskHistoryEntry } from './task-history-json.js';
import type { TaskHistoryEntryJson } from './task-history-json.js';

// GET /v1/task/:taskId/events reads the task's stream itself, not a read model: the history is the
// stream, in order, each event under its stream version, right after it is recorded.

export const DEFAULT_HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 1_000;

export class TaskHistory {
  constructor(private readonly store: EventStore) {}

  /** Checks that the account has the task; another account's task is as missing as none (404). */
  async ensureOwned(accountId: string, taskId: string): Promise<void> {
    const [first] = await this.store.readStream(taskStreamId(taskId), {
      fromVersion: 1,
      maxCount: 1,
    });
    const issued = first === undefined ? undefined : parseTaskEvent(asContractEvent(first));
    if (issued?.type !== 'TaskIssued' || issued.data.accountId !== accountId)
      throw notFound(`no task ${taskId}`);
  }

  /** Up to `limit` events from version `from` on, oldest first. Call {@link ensureOwned} first. */
  async page(taskId: string, from: number, limit: number): Promise<TaskHistoryEntryJson[]> {
    const recorded = await this.store.readStream(taskStreamId(taskId), {
      fromVersion: from,
      maxCount: limit,
    });
    return recorded.map(entryOf);
  }

  /** Whether the event at `version` ended the task: a stream resumed after it has nothing to send. */
  endsAt(taskId: string, version: number): Promise<boolean> {
    return endsAt(this.store, taskId, version);
  }
}

/** Whether the event at `version` ended the task: nothing follows it. */
export async function endsAt(store: EventStore, taskId: string, version: number): Promise<boolean> {
  const [event] = await store.readStream(taskStreamId(taskId), {
    fromVersion: version,
    maxCount: 1,
  });
  return event !== undefined && endsTask(entryOf(event).type);
}

export function entryOf(recorded: RecordedEvent): TaskHistoryEntryJson {
  return taskHistoryEntry(recorded.streamVersion, parseTaskEvent(asContractEvent(recorded)));
}
