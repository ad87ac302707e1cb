import { createHash } from 'node:crypto';

/**
 * The id of the task a schedule issues for a tick: the first 24 hex characters of
 * SHA-256(`<scheduleId>:<tick in unix seconds>`), shaped like every other task id. Whoever fires the
 * tick, however often, names the same task, and a task stream takes only one TaskIssued.
 */
export function scheduledTaskId(scheduleId: string, tick: Date | string): string {
  const seconds = Math.floor(new Date(tick).getTime() / 1000);
  return createHash('sha256').update(`${scheduleId}:${seconds}`).digest('hex').slice(0, 24);
}
