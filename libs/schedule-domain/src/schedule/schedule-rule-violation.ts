import { RuleViolation } from '@canopy/contracts';

export const scheduleRuleCodes = [
  /** The cron expression does not parse (5 fields, or 6 with seconds first). */
  'INVALID_CRON',
  /** The time zone is not an IANA zone this runtime knows. */
  'INVALID_TIME_ZONE',
  /** endAt is not after startAt. */
  'INVALID_SCHEDULE_WINDOW',
  /** No such schedule in the caller's account, or it was deleted. */
  'SCHEDULE_NOT_FOUND',
  /** A CreateSchedule that differs from the one that created the schedule. */
  'SCHEDULE_ALREADY_CREATED',
  /** FireTick for a schedule that is paused. */
  'SCHEDULE_PAUSED',
  /** FireTick for a time that is not a tick of the cron, is outside the window, or not due yet. */
  'TICK_NOT_FIREABLE',
] as const;

export type ScheduleRuleCode = (typeof scheduleRuleCodes)[number];

/** A command broke a rule of the schedule. Definitive: retrying the same command fails the same way. */
export class ScheduleRuleViolation extends RuleViolation<ScheduleRuleCode> {
  constructor(
    code: ScheduleRuleCode,
    readonly scheduleId: string,
    reason: string,
    /** The command field at fault, for the invalid-definition codes (`cron`, `timeZone`, `endAt`). */
    field?: string,
  ) {
    super(code, reason, field);
    this.name = 'ScheduleRuleViolation';
  }
}
