import { BLIND_WAIT_MS } from './result-waiters.js';
import type { ResultWaiters } from './result-waiters.js';
import type { TaskOutcome, TaskReads } from './task-reads.js';

/**
 * GET /v1/task/:taskId/result: the task's outcome, waited for up to `waitSeconds`. Each round
 * registers for the task's notification before it looks, so a notification published in between is
 * not lost; it ends on an outcome that is not pending, at the deadline, when the client leaves or
 * when the gateway stops. It looks in what this gateway heard first (an outcome a notification
 * carried; a task issued here, waited for once without reading: see result-waiters.ts), and reads
 * the read models and the task's stream otherwise.
 */
export class TaskResults {
  constructor(
    private readonly reads: TaskReads,
    private readonly waiters: ResultWaiters,
    private readonly blindWaitMs = BLIND_WAIT_MS,
  ) {}

  async outcome(
    accountId: string,
    taskId: string,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const deadline = Date.now() + waitSeconds * 1000;
    let waitedBlind = false;
    for (;;) {
      const watch = this.waiters.watch(taskId);
      try {
        const known = this.waiters.known(accountId, taskId);
        if (known !== undefined && known.kind !== 'issued here') return known;
        const remaining = deadline - Date.now();
        const mayWait = remaining > 0 && !signal.aborted && !this.waiters.isClosed;
        if (known?.kind === 'issued here' && mayWait && !waitedBlind) {
          waitedBlind = true;
          await watch.notified(Math.min(remaining, this.blindWaitMs), signal);
          continue;
        }
        const outcome = await this.reads.outcome(accountId, taskId);
        if (outcome.kind !== 'pending' || deadline - Date.now() <= 0 || !mayWait) return outcome;
        await watch.notified(deadline - Date.now(), signal);
      } finally {
        watch.cancel();
      }
    }
  }
}
