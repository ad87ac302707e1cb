export {
  decide,
  evolve,
  foldSchedule,
  initialState,
  scheduleAggregate,
  scheduleDecider,
  tickRuleOf,
} from './schedule/schedule.js';
export type {
  ChangeSchedule,
  CreateSchedule,
  DeleteSchedule,
  FireTick,
  PauseSchedule,
  ResumeSchedule,
  Schedule,
  ScheduleCommand,
  ScheduleState,
} from './schedule/schedule.js';
export { ScheduleRuleViolation, scheduleRuleCodes } from './schedule/schedule-rule-violation.js';
export type { ScheduleRuleCode } from './schedule/schedule-rule-violation.js';
export {
  InvalidTickRule,
  canonicalTimeZone,
  cronOf,
  isTick,
  latestTickAtOrBefore,
  nextTickAfter,
  planTick,
} from './schedule/schedule-ticks.js';
export type { TickPlan, TickProgress, TickRule } from './schedule/schedule-ticks.js';
export { scheduleTickCorrelationId, scheduledTaskId } from './schedule/scheduled-task-id.js';
