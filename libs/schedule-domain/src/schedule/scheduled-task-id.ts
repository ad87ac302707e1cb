import { createHash } from 'node:crypto';

/**
 * The id of the task a schedule issues for a tick: the first 24 hex characters of
 * SHA-256(`<scheduleId>:<tick in unix seconds>`), shaped like every other task id. Whoever fires the
 * tick, however often, names the same task, and a task stream takes only one TaskIssued.
 */
export function scheduledTaskId(scheduleId: string, tick: Date | string): string {
  return createHash('sha256').update(tickName(scheduleId, tick)).digest('hex').slice(0, 24);
}

/**
 * What started the task of a tick, as its events' `correlationId` and its TaskIssued's
 * `causationId` say: `schedule:<scheduleId>:<tick in unix seconds>`, where an HTTP-issued task has
 * the id of its request.
 */
export function scheduleTickCorrelationId(scheduleId: string, tick: Date | string): string {
  return `schedule:${tickName(scheduleId, tick)}`;
}

function tickName(scheduleId: string, tick: Date | string): string {
  return `${scheduleId}:${Math.floor(new Date(tick).getTime() / 1000)}`;
}
