import type { TaskEvent } from '@canopy/contracts';
import { TaskQueue } from '@canopy/scheduling';

// The quota on an account's unfinished tasks (issued, not yet Finished or Failed). The scheduler's
// task queue already holds exactly those tasks, rebuilt from the event store and kept current from
// every append and the event subscription, so the counts are taken where the queue changes: a task
// is counted when the queue takes it in and uncounted when the queue lets it go, with the queue's own
// handling of duplicates and out-of-order copies.
//
// Limits of the figure: it is this replica's view, so right after a start (before the queue is
// rebuilt) and with several replicas it can lag behind by the tasks not seen yet; the quota is a
// guard against runaway clients, not an accounting boundary.

/** The task queue, counting each account's unfinished tasks as it goes. */
export class AccountCountingTaskQueue extends TaskQueue {
  private readonly accountOfTask = new Map<string, string>();
  private readonly unfinished = new Map<string, number>();

  override apply(event: TaskEvent, streamVersion: number, nowMs: number): void {
    const { taskId } = event.data;
    const before = this.get(taskId) !== undefined;
    super.apply(event, streamVersion, nowMs);
    const after = this.get(taskId) !== undefined;
    if (!before && after && event.type === 'TaskIssued') {
      const { accountId } = event.data;
      this.accountOfTask.set(taskId, accountId);
      this.unfinished.set(accountId, (this.unfinished.get(accountId) ?? 0) + 1);
    } else if (before && !after) {
      const accountId = this.accountOfTask.get(taskId);
      this.accountOfTask.delete(taskId);
      if (accountId === undefined) return;
      const left = (this.unfinished.get(accountId) ?? 0) - 1;
      if (left > 0) this.unfinished.set(accountId, left);
      else this.unfinished.delete(accountId);
    }
  }

  /** The account's tasks issued and not yet finished or failed, as this scheduler knows them. */
  unfinishedTasksOf(accountId: string): number {
    return this.unfinished.get(accountId) ?? 0;
  }
}

/** What AccountQuota needs to know: how many unfinished tasks an account has. */
export interface UnfinishedTaskCounts {
  unfinishedTasksOf(accountId: string): number;
}

/** A place taken for a task about to be issued; released once the outcome is known. */
export interface QuotaReservation {
  release(): void;
}

/**
 * Admits new tasks while an account stays within its limit (0 = no limit). A task admitted but not
 * appended yet holds a reservation, so concurrent requests of one account cannot overshoot together.
 */
export class AccountQuota {
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly counts: UnfinishedTaskCounts,
    readonly maxUnfinishedTasks: number,
  ) {}

  /** A reservation for one more task of the account, or null when that would exceed the limit. */
  reserve(accountId: string): QuotaReservation | null {
    const reserved = this.reserved.get(accountId) ?? 0;
    if (
      this.maxUnfinishedTasks > 0 &&
      this.counts.unfinishedTasksOf(accountId) + reserved >= this.maxUnfinishedTasks
    ) {
      return null;
    }
    this.reserved.set(accountId, reserved + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.reserved.get(accountId) ?? 1) - 1;
        if (left > 0) this.reserved.set(accountId, left);
        else this.reserved.delete(accountId);
      },
    };
  }
}
