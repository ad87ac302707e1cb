import { TASK_NOTIFICATION_PATTERN, decodeJson, parseTaskNotification } from '@canopy/contracts';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

// Wakes GET /v1/task/:taskId/result?wait=N requests. One subscription per gateway to every task's
// notification subject; each notification wakes the requests waiting for that task, which then read
// the read models again. A waiter registers before its caller reads, so a notification published
// between the read and the wait is not missed. Notifications are only hints: a waiter also wakes at
// its deadline and reads once more, so a lost notification costs latency, never a wrong answer.

export interface TaskWatch {
  /** Resolves on the task's notification, after `timeoutMs`, on `signal`, or when the gateway stops. */
  notified(timeoutMs: number, signal: AbortSignal): Promise<void>;
  cancel(): void;
}

export class ResultWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
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
          const { taskId } = parseTaskNotification(decodeJson(message.data, 'task notification'));
          this.wake(taskId);
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
    for (const wake of all) wake();
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
