import { TASK_NOTIFICATION_PATTERN, decodeJson, parseTaskNotification } from '@canopy/contracts';
import type { TaskNotification } from '@canopy/contracts';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { finishedOutcome } from './task-reads.js';
import type { TaskOutcome } from './task-reads.js';

// Wakes GET /v1/task/:taskId/result?wait=N requests. One subscription per gateway to every task's
// notification subject; each notification wakes the requests waiting for that task. A waiter
// registers before its caller reads, so a notification published between the read and the wait is
// not missed. Notifications are only hints: a waiter also wakes at its deadline and reads once more,
// so a lost notification costs latency, never a wrong answer.
//
// Two memories spare the reads of the common case, a client that issues a task and asks for its
// result from the same gateway:
// - the outcomes the scheduler's notifications carried (recorded in the event store before they
//   were sent), kept for a while within a bound of entries and bytes: a request for one of them is
//   answered from memory, for the account the notification named only;
// - the tasks this gateway issued and has heard no outcome of: a request for one of them waits for
//   the notification without reading first (the task was pending a moment ago), for at most
//   BLIND_WAIT_MS, after which it reads as any other would.

/** Outcomes remembered at most (the oldest are forgotten first). */
export const REMEMBERED_OUTCOMES = 20_000;
/** Response bytes (base64) the remembered outcomes hold at most together. */
export const REMEMBERED_OUTCOME_BYTES = 32 * 1024 * 1024;
/** Tasks issued here whose outcome is awaited, remembered at most. */
export const REMEMBERED_ISSUED = 100_000;
/** The longest a request for a task issued here waits for its notification before it reads. */
export const BLIND_WAIT_MS = 1_000;

/** What this gateway knows of a task without reading: its outcome, or that it was issued here. */
export type KnownOutcome =
  Extract<TaskOutcome, { kind: 'finished' | 'failed' }> | { readonly kind: 'issued here' };

export interface TaskWatch {
  /** Resolves on the task's notification, after `timeoutMs`, on `signal`, or when the gateway stops. */
  notified(timeoutMs: number, signal: AbortSignal): Promise<void>;
  cancel(): void;
}

export class ResultWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly outcomes = new Map<string, RememberedOutcome>();
  private outcomeBytes = 0;
  /** Task id → account, for the tasks issued here whose outcome has not been heard of. */
  private readonly issuedHere = new Map<string, string>();
  private subscription: Subscription | null = null;
  private closed = false;

  constructor(
    private readonly nats: NatsConnection,
    private readonly logger: ServiceLogger,
  ) {}

  start(): void {
    this.subscription = this.nats.subscribe(TASK_NOTIFICATION_PATTERN, {
      callback: (error, message) => {
        if (error !== null) {
          this.logger.warn({ err: error }, 'task notification subscription error');
          return;
        }
        try {
          const notification = parseTaskNotification(decodeJson(message.data, 'task notification'));
          this.heard(notification);
        } catch (failure) {
          this.logger.warn(
            {
              subject: message.subject,
              reason: failure instanceof Error ? failure.message : String(failure),
            },
            'ignoring a malformed task notification',
          );
        }
      },
    });
  }

  /**
   * Registers for the task's next notification. Register before reading the task, then wait; cancel
   * when done (a cancelled watch resolves at once).
   */
  watch(taskId: string): TaskWatch {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    if (this.closed) wake();
    else this.add(taskId, wake);
    const cancel = () => {
      this.remove(taskId, wake);
      wake();
    };
    return {
      cancel,
      notified: async (timeoutMs, signal) => {
        const timer = setTimeout(cancel, timeoutMs);
        signal.addEventListener('abort', cancel, { once: true });
        try {
          await woken;
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', cancel);
        }
      },
    };
  }

  /** The task was issued here a moment ago (not a repeat): its outcome is awaited. */
  issued(taskId: string, accountId: string): void {
    if (this.closed || this.outcomes.has(taskId)) return;
    this.issuedHere.set(taskId, accountId);
    if (this.issuedHere.size > REMEMBERED_ISSUED) this.issuedHere.delete(firstKey(this.issuedHere));
  }

  /** Issuing the task failed: nothing is awaited for it. */
  notIssued(taskId: string): void {
    this.issuedHere.delete(taskId);
  }

  /**
   * What is known of the account's task without reading: an outcome a notification carried, that it
   * was issued here and no outcome has been heard of, or nothing.
   */
  known(accountId: string, taskId: string): KnownOutcome | undefined {
    const remembered = this.outcomes.get(taskId);
    if (remembered !== undefined) {
      return remembered.accountId === accountId ? outcomeOf(remembered.notification) : undefined;
    }
    return this.issuedHere.get(taskId) === accountId ? { kind: 'issued here' } : undefined;
  }

  /** After close(), watches resolve at once: callers must stop waiting. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** How many requests wait, for tests and metrics. */
  get waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** Wakes every waiter (they answer with what they have) and unsubscribes. */
  close(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
    const all = [...this.waiters.values()].flatMap((set) => [...set]);
    this.waiters.clear();
    this.outcomes.clear();
    this.outcomeBytes = 0;
    this.issuedHere.clear();
    for (const wake of all) wake();
  }

  private heard(notification: TaskNotification): void {
    const { taskId } = notification;
    this.issuedHere.delete(taskId);
    const { accountId } = notification;
    if (outcomeOf(notification) !== undefined && accountId !== undefined && !this.closed) {
      this.remember(taskId, {
        accountId,
        notification,
        bytes: notification.response?.body.length ?? 0,
      });
    }
    this.wake(taskId);
  }

  private remember(taskId: string, remembered: RememberedOutcome): void {
    if (this.outcomes.has(taskId) || remembered.bytes > REMEMBERED_OUTCOME_BYTES) return;
    this.outcomes.set(taskId, remembered);
    this.outcomeBytes += remembered.bytes;
    while (
      this.outcomes.size > REMEMBERED_OUTCOMES ||
      this.outcomeBytes > REMEMBERED_OUTCOME_BYTES
    ) {
      const oldest = firstKey(this.outcomes);
      this.outcomeBytes -= this.outcomes.get(oldest)?.bytes ?? 0;
      this.outcomes.delete(oldest);
    }
  }

  private wake(taskId: string): void {
    const set = this.waiters.get(taskId);
    if (set === undefined) return;
    this.waiters.delete(taskId);
    for (const wake of set) wake();
  }

  private add(taskId: string, wake: () => void): void {
    const set = this.waiters.get(taskId) ?? new Set();
    set.add(wake);
    this.waiters.set(taskId, set);
  }

  private remove(taskId: string, wake: () => void): void {
    const set = this.waiters.get(taskId);
    if (set === undefined) return;
    set.delete(wake);
    if (set.size === 0) this.waiters.delete(taskId);
  }
}

/**
 * An outcome kept as the notification carried it, its body still in base64 (a string): a small
 * Buffer decoded from it would be a slice of Node's shared 8 KiB pool and keep a whole slab alive.
 */
interface RememberedOutcome {
  readonly accountId: string;
  readonly notification: TaskNotification;
  /** The response body's base64 characters. */
  readonly bytes: number;
}

/** The outcome a scheduler's notification carried, as a result request serves it. */
function outcomeOf(
  notification: TaskNotification,
): Extract<TaskOutcome, { kind: 'finished' | 'failed' }> | undefined {
  const { response, failure } = notification;
  if (notification.state === 'FINISHED' && response !== undefined) {
    return finishedOutcome(response);
  }
  if (notification.state === 'FAILED' && failure !== undefined) {
    return { kind: 'failed', reason: failure.reason, status: failure.status };
  }
  return undefined;
}

function firstKey<Key>(map: ReadonlyMap<Key, unknown>): Key {
  const { value } = map.keys().next();
  return value as Key;
}
