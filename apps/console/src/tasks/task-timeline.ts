import type { TaskHistoryEntry } from '../api/api-types.js';

// A task's history (GET /v1/task/:id/events) as the task page shows it: one step per event, runs of
// progress reports folded into one step, and the attempts (which node ran it, how each ended).

export interface TimelineStep {
  /** The stream version of the step's first event: a stable key. */
  readonly version: number;
  readonly type: TaskHistoryEntry['type'];
  /** Unix seconds, as the API writes them. */
  readonly at: string;
  readonly title: string;
  readonly detail: string;
}

export type AttemptOutcome = 'running' | 'finished' | 'failed' | 'retried' | 'unassigned';

export interface Attempt {
  readonly attempt: number;
  readonly node: string;
  /** Unix seconds. */
  readonly assignedAt: string;
  readonly outcome: AttemptOutcome;
  readonly detail: string;
  readonly progress: number;
}

export interface TaskTimeline {
  readonly steps: readonly TimelineStep[];
  readonly attempts: readonly Attempt[];
  /** The history holds the terminal event: nothing follows. */
  readonly ended: boolean;
}

export function taskTimeline(entries: readonly TaskHistoryEntry[]): TaskTimeline {
  const steps: TimelineStep[] = [];
  const attempts = new Map<number, Attempt>();
  const update = (attempt: number, change: Partial<Attempt>) => {
    const current = attempts.get(attempt);
    if (current !== undefined) attempts.set(attempt, { ...current, ...change });
  };
  let ended = false;
  for (const entry of [...entries].sort((a, b) => a.version - b.version)) {
    const step = (title: string, detail: string) =>
      steps.push({ version: entry.version, type: entry.type, at: entry.at, title, detail });
    switch (entry.type) {
      case 'TaskIssued': {
        const { data } = entry;
        step(
          'Issued',
          [
            data.scheduleId === null ? undefined : `by schedule ${data.scheduleId}`,
            `timeout ${data.timeout} s`,
            `up to ${data.maxAttempts} attempt${data.maxAttempts === 1 ? '' : 's'}`,
            `priority ${data.priority}`,
            data.notBefore === null ? undefined : `not before ${isoTime(data.notBefore)}`,
          ]
            .filter((part) => part !== undefined)
            .join(', '),
        );
        break;
      }
      case 'TaskAssigned':
        attempts.set(entry.data.attempt, {
          attempt: entry.data.attempt,
          node: entry.data.node,
          assignedAt: entry.at,
          outcome: 'running',
          detail: '',
          progress: 0,
        });
        step('Assigned', `attempt ${entry.data.attempt} on node ${entry.data.node}`);
        break;
      case 'TaskUnassigned':
        update(entry.data.attempt, { outcome: 'unassigned', detail: entry.data.reason });
        step(
          'Unassigned',
          `attempt ${entry.data.attempt} left node ${entry.data.node}: ${entry.data.reason}`,
        );
        break;
      case 'TaskProgressed': {
        update(entry.data.attempt, { progress: entry.data.progress });
        const previous = steps.at(-1);
        const detail = `${entry.data.progress}%`;
        if (previous?.type === 'TaskProgressed') {
          steps[steps.length - 1] = { ...previous, at: entry.at, detail };
        } else {
          step('Progress', detail);
        }
        break;
      }
      case 'TaskAttemptFailed':
        update(entry.data.attempt, {
          outcome: 'retried',
          detail: `answered ${entry.data.status}; retried at ${isoTime(entry.data.retryAt)}`,
        });
        step(
          'Attempt failed',
          `attempt ${entry.data.attempt} answered ${entry.data.status}; due again at ${isoTime(entry.data.retryAt)}`,
        );
        break;
      case 'TaskFinished':
        update(entry.data.attempt, {
          outcome: 'finished',
          detail: `answered ${entry.data.status}`,
          progress: 100,
        });
        step('Finished', `the function answered ${entry.data.status}`);
        ended = true;
        break;
      case 'TaskFailed':
        for (const attempt of attempts.values()) {
          if (attempt.outcome === 'running')
            update(attempt.attempt, { outcome: 'failed', detail: entry.data.reason });
        }
        step('Failed', `${entry.data.reason} (${entry.data.status}): ${entry.data.message}`);
        ended = true;
        break;
      default:
        unknownEntry(entry);
    }
  }
  return {
    steps,
    attempts: [...attempts.values()].sort((a, b) => a.attempt - b.attempt),
    ended,
  };
}

/** Unix seconds as the API writes them → `2026-12-09 10:00:00Z`; `-` for none. */
export function isoTime(unixSeconds: string | number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined || unixSeconds === '') return '-';
  const date = new Date(Number(unixSeconds) * 1000);
  if (Number.isNaN(date.getTime())) return String(unixSeconds);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** How long ago a unix time was, for people: `just now`, `12 s ago`, `3 min ago`, `2 h ago`. */
export function timeAgo(unixSeconds: string | null | undefined, nowMs: number): string {
  if (unixSeconds === null || unixSeconds === undefined || unixSeconds === '') return 'never';
  const seconds = Math.max(0, Math.round(nowMs / 1000 - Number(unixSeconds)));
  if (seconds < 2) return 'just now';
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

/** A task's status as people read it: 0 is "pending"; a platform failure names itself. */
export function statusText(status: number): string {
  return status === 0 ? 'pending' : String(status);
}

function unknownEntry(entry: never): never {
  throw new Error(`Unhandled task history entry ${JSON.stringify(entry)}`);
}
