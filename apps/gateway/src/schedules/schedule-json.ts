import { nextTickAfter, tickRuleOf } from '@canopy/schedule-domain';
import type { Schedule } from '@canopy/schedule-domain';
import { unixSeconds } from '../tasks/task-json.js';

// A schedule as the API shows it. Times are unix seconds as strings, like the task API's; null when
// there is none. `body` is the text every task receives.

export interface ScheduleJson {
  readonly id: string;
  readonly functionId: string;
  readonly cron: string;
  readonly timeZone: string;
  readonly query: string;
  readonly body: string;
  readonly contentType: string | null;
  readonly startAt: string | null;
  readonly endAt: string | null;
  readonly name: string;
  readonly description: string;
  readonly paused: boolean;
  /** The next tick that will fire (null when paused or when no tick is left in the window). */
  readonly nextTickAt: string | null;
  /** Due time of the last tick fired, and the task it issued. */
  readonly lastTickAt: string | null;
  readonly lastTaskId: string | null;
  readonly createdAt: string;
}

export function scheduleJson(schedule: Schedule, now: Date): ScheduleJson {
  const { definition } = schedule;
  return {
    id: schedule.scheduleId,
    functionId: schedule.functionId,
    cron: definition.cron,
    timeZone: definition.timeZone,
    query: definition.request.query,
    body: Buffer.from(definition.request.body, 'base64').toString('utf8'),
    contentType: definition.request.contentType,
    startAt: optionalSeconds(definition.startAt),
    endAt: optionalSeconds(definition.endAt),
    name: definition.name,
    description: definition.description,
    paused: schedule.paused,
    nextTickAt: schedule.paused ? null : optionalSeconds(nextTick(schedule, now)),
    lastTickAt: optionalSeconds(schedule.lastTick),
    lastTaskId: schedule.lastTaskId,
    createdAt: unixSeconds(schedule.createdAt),
  };
}

// The first tick after the last one fired, or after now when it is due already (it is being fired).
function nextTick(schedule: Schedule, now: Date): string | null {
  const after = Math.max(
    Date.parse(schedule.since),
    schedule.lastTick === null ? Number.NEGATIVE_INFINITY : Date.parse(schedule.lastTick),
    now.getTime() - 1000,
  );
  return nextTickAfter(tickRuleOf(schedule.definition), after)?.toISOString() ?? null;
}

function optionalSeconds(time: string | null): string | null {
  return time === null ? null : unixSeconds(time);
}
