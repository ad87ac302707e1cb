import {
  parseContract,
  parseScheduleEvent,
  sameJson,
  scheduleCreatedDataSchema,
  scheduleChangedDataSchema,
  scheduleEvent,
} from '@canopy/contracts';
import type { Aggregate, ScheduleDefinition, ScheduleEvent, TaskRequest } from '@canopy/contracts';
import { ScheduleRuleViolation } from './schedule-rule-violation.js';
import { InvalidTickRule, canonicalTimeZone, cronOf, isTick } from './schedule-ticks.js';
import type { TickProgress, TickRule } from './schedule-ticks.js';

// The schedule aggregate, stream `schedule-<scheduleId>`: a cron expression in a time zone that
// issues a task of one function at each tick. Created, changed, paused, resumed, deleted; each
// fired tick is recorded (ScheduleTicked) so that no tick is fired twice and none before the last.

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// ScheduleEvent is the contract type from @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

export interface Schedule extends TickProgress {
  readonly scheduleId: string;
  readonly accountId: string;
  readonly functionId: string;
  readonly definition: ScheduleDefinition;
  readonly paused: boolean;
  readonly lastTaskId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ScheduleState =
  | { readonly phase: 'None' }
  | { readonly phase: 'Active'; readonly schedule: Schedule }
  | { readonly phase: 'Deleted'; readonly schedule: Schedule; readonly deletedAt: string };

export function initialState(): ScheduleState {
  return { phase: 'None' };
}

/** The cron, zone and window of a schedule's definition. */
export function tickRuleOf(definition: ScheduleDefinition): TickRule {
  const { cron, timeZone, startAt, endAt } = definition;
  return { cron, timeZone, startAt, endAt };
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

export function evolve(state: ScheduleState, event: ScheduleEvent): ScheduleState {
  switch (event.type) {
    case 'ScheduleCreated': {
      if (state.phase !== 'None') return state;
      const { scheduleId, accountId, functionId, createdAt, ...definition } = event.data;
      return {
        phase: 'Active',
        schedule: {
          scheduleId,
          accountId,
          functionId,
          definition,
          paused: false,
          since: createdAt,
          lastTick: null,
          lastTaskId: null,
          createdAt,
          updatedAt: createdAt,
        },
      };
    }
    case 'ScheduleChanged': {
      if (state.phase !== 'Active') return state;
      const { scheduleId: _id, changedAt, ...definition } = event.data;
      const { schedule } = state;
      // A new cron or zone starts afresh: ticks of the new rule from before the change are not missed ones.
      const ruleChanged =
        definition.cron !== schedule.definition.cron ||
        definition.timeZone !== schedule.definition.timeZone;
      return {
        phase: 'Active',
        schedule: {
          ...schedule,
          definition,
          since: ruleChanged ? changedAt : schedule.since,
          updatedAt: changedAt,
        },
      };
    }
    case 'SchedulePaused':
      if (state.phase !== 'Active') return state;
      return {
        phase: 'Active',
        schedule: { ...state.schedule, paused: true, updatedAt: event.data.pausedAt },
      };
    case 'ScheduleResumed':
      if (state.phase !== 'Active') return state;
      // Ticks that fell while paused are not missed ones: firing resumes with the next tick.
      return {
        phase: 'Active',
        schedule: {
          ...state.schedule,
          paused: false,
          since: event.data.resumedAt,
          updatedAt: event.data.resumedAt,
        },
      };
    case 'ScheduleDeleted':
      if (state.phase !== 'Active') return state;
      return { phase: 'Deleted', schedule: state.schedule, deletedAt: event.data.deletedAt };
    case 'ScheduleTicked':
      if (state.phase === 'None') return state;
      return {
        ...state,
        schedule: { ...state.schedule, lastTick: event.data.tick, lastTaskId: event.data.taskId },
      };
    default:
      return unknownEvent(event);
  }
}

/** Folds a schedule's stream, oldest event first. */
export function foldSchedule(events: readonly ScheduleEvent[]): ScheduleState {
  return events.reduce(evolve, initialState());
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// Every command carries its time (`now`); commands on behalf of an account carry it, and another
// account's schedule is treated exactly as a missing one. Idempotency: repeating a command that
// already took effect yields [].

export interface CreateSchedule {
  readonly type: 'CreateSchedule';
  readonly data: ScheduleDefinition & {
    readonly scheduleId: string;
    readonly accountId: string;
    readonly functionId: string;
    readonly now: string;
  };
}

/** Fields left out stay as they are; `paused` pauses or resumes in the same step. */
export interface ChangeSchedule {
  readonly type: 'ChangeSchedule';
  readonly data: {
    readonly scheduleId: string;
    readonly accountId: string;
    readonly changes: Partial<
      Omit<ScheduleDefinition, 'request'> & TaskRequest & { readonly paused: boolean }
    >;
    readonly now: string;
  };
}

export interface PauseSchedule {
  readonly type: 'PauseSchedule';
  readonly data: { readonly scheduleId: string; readonly accountId: string; readonly now: string };
}

export interface ResumeSchedule {
  readonly type: 'ResumeSchedule';
  readonly data: { readonly scheduleId: string; readonly accountId: string; readonly now: string };
}

export interface DeleteSchedule {
  readonly type: 'DeleteSchedule';
  readonly data: { readonly scheduleId: string; readonly accountId: string; readonly now: string };
}

/** Records that the task `taskId` was issued for the tick due at `tick`. */
export interface FireTick {
  readonly type: 'FireTick';
  readonly data: {
    readonly scheduleId: string;
    readonly tick: string;
    readonly taskId: string;
    readonly now: string;
  };
}

export type ScheduleCommand =
  CreateSchedule | ChangeSchedule | PauseSchedule | ResumeSchedule | DeleteSchedule | FireTick;

// ─── Decide ──────────────────────────────────────────────────────────────────────────────────────

/**
 * @throws ScheduleRuleViolation when the command breaks a rule of the schedule (an invalid cron,
 *   zone or window names its field).
 * @throws ContractViolationError when another part of the definition breaks the contract.
 */
export function decide(command: ScheduleCommand, state: ScheduleState): ScheduleEvent[] {
  switch (command.type) {
    case 'CreateSchedule':
      return createSchedule(command, state);
    case 'ChangeSchedule':
      return changeSchedule(command, state);
    case 'PauseSchedule':
      return changeSchedule(asChange(command, { paused: true }), state);
    case 'ResumeSchedule':
      return changeSchedule(asChange(command, { paused: false }), state);
    case 'DeleteSchedule': {
      if (state.phase === 'Deleted' && state.schedule.accountId === command.data.accountId)
        return [];
      const schedule = activeSchedule(state, command.data.scheduleId, command.data.accountId);
      return [
        scheduleEvent('ScheduleDeleted', {
          scheduleId: schedule.scheduleId,
          deletedAt: command.data.now,
        }),
      ];
    }
    case 'FireTick':
      return fireTick(command, state);
    default:
      return unknownCommand(command);
  }
}

// decide, evolve and initialState as one value, for given/when/then tests and the aggregate below.
export const scheduleDecider = { decide, evolve, initialState };

/** The decider and the parser of the stream's events: what a command handler takes. */
export const scheduleAggregate: Aggregate<ScheduleCommand, ScheduleEvent, ScheduleState> = {
  decider: scheduleDecider,
  parseEvent: parseScheduleEvent,
};

function createSchedule({ data }: CreateSchedule, state: ScheduleState): ScheduleEvent[] {
  const { now, ...fields } = data;
  const created = parseContract(scheduleCreatedDataSchema, 'CreateSchedule command', {
    ...fields,
    ...validRule(data.scheduleId, fields),
    createdAt: now,
  });
  if (state.phase === 'None') return [scheduleEvent('ScheduleCreated', created)];
  const { createdAt: _now, ...requested } = created;
  const { schedule } = state;
  const known = {
    scheduleId: schedule.scheduleId,
    accountId: schedule.accountId,
    functionId: schedule.functionId,
    ...schedule.definition,
  };
  if (sameJson(known, requested)) return [];
  throw new ScheduleRuleViolation(
    'SCHEDULE_ALREADY_CREATED',
    data.scheduleId,
    'the schedule was already created with another definition',
  );
}

function changeSchedule({ data }: ChangeSchedule, state: ScheduleState): ScheduleEvent[] {
  const schedule = activeSchedule(state, data.scheduleId, data.accountId);
  const { paused, query, contentType, body, ...definitionChanges } = data.changes;
  const current = schedule.definition;
  const merged = {
    ...current,
    ...definitionChanges,
    request: {
      query: query ?? current.request.query,
      contentType: contentType === undefined ? current.request.contentType : contentType,
      body: body ?? current.request.body,
    },
  };
  const events: ScheduleEvent[] = [];
  const changed = parseContract(scheduleChangedDataSchema, 'ChangeSchedule command', {
    ...merged,
    ...validRule(schedule.scheduleId, merged),
    scheduleId: schedule.scheduleId,
    changedAt: data.now,
  });
  const { scheduleId: _id, changedAt: _at, ...definition } = changed;
  if (!sameJson(definition, current)) events.push(scheduleEvent('ScheduleChanged', changed));
  if (paused === true && !schedule.paused) {
    events.push(
      scheduleEvent('SchedulePaused', { scheduleId: schedule.scheduleId, pausedAt: data.now }),
    );
  }
  if (paused === false && schedule.paused) {
    events.push(
      scheduleEvent('ScheduleResumed', { scheduleId: schedule.scheduleId, resumedAt: data.now }),
    );
  }
  return events;
}

function fireTick({ data }: FireTick, state: ScheduleState): ScheduleEvent[] {
  if (state.phase !== 'Active') {
    throw new ScheduleRuleViolation(
      'SCHEDULE_NOT_FOUND',
      data.scheduleId,
      state.phase === 'Deleted' ? 'the schedule was deleted' : 'no such schedule',
    );
  }
  const { schedule } = state;
  const tickMs = Date.parse(data.tick);
  // Not later than the last fired tick: this one, or an earlier one, was fired already.
  if (schedule.lastTick !== null && tickMs <= Date.parse(schedule.lastTick)) return [];
  if (schedule.paused) {
    throw new ScheduleRuleViolation('SCHEDULE_PAUSED', data.scheduleId, 'the schedule is paused');
  }
  const fireable =
    tickMs > Date.parse(schedule.since) &&
    tickMs <= Date.parse(data.now) &&
    isTick(tickRuleOf(schedule.definition), tickMs);
  if (!fireable) {
    throw new ScheduleRuleViolation(
      'TICK_NOT_FIREABLE',
      data.scheduleId,
      `${data.tick} is not a due tick of the schedule within its window`,
    );
  }
  return [
    scheduleEvent('ScheduleTicked', {
      scheduleId: schedule.scheduleId,
      tick: new Date(tickMs).toISOString(),
      taskId: data.taskId,
      firedAt: data.now,
    }),
  ];
}

/** The schedule, when it exists in the account and is not deleted. */
function activeSchedule(state: ScheduleState, scheduleId: string, accountId: string): Schedule {
  if (state.phase === 'Active' && state.schedule.accountId === accountId) return state.schedule;
  throw new ScheduleRuleViolation('SCHEDULE_NOT_FOUND', scheduleId, `no schedule ${scheduleId}`);
}

/** The cron and the zone (canonical) once both are checked, and a window that is not empty. */
function validRule(
  scheduleId: string,
  definition: {
    readonly cron: string;
    readonly timeZone: string;
    readonly startAt: string | null;
    readonly endAt: string | null;
  },
): { readonly cron: string; readonly timeZone: string } {
  // Values of the wrong type are left to the contract's parser, which names them.
  if (typeof definition.cron !== 'string' || typeof definition.timeZone !== 'string') {
    return { cron: definition.cron, timeZone: definition.timeZone };
  }
  const cron = definition.cron.trim();
  let timeZone: string;
  try {
    timeZone = canonicalTimeZone(definition.timeZone);
    cronOf(cron, timeZone);
  } catch (error) {
    if (!(error instanceof InvalidTickRule)) throw error;
    const code = error.field === 'cron' ? 'INVALID_CRON' : 'INVALID_TIME_ZONE';
    throw new ScheduleRuleViolation(code, scheduleId, error.message, error.field);
  }
  const { startAt, endAt } = definition;
  if (
    typeof startAt === 'string' &&
    typeof endAt === 'string' &&
    Date.parse(endAt) <= Date.parse(startAt)
  ) {
    throw new ScheduleRuleViolation(
      'INVALID_SCHEDULE_WINDOW',
      scheduleId,
      'endAt must be after startAt',
      'endAt',
    );
  }
  return { cron, timeZone };
}

function asChange(
  command: PauseSchedule | ResumeSchedule,
  changes: { readonly paused: boolean },
): ChangeSchedule {
  return { type: 'ChangeSchedule', data: { ...command.data, changes } };
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled schedule event ${JSON.stringify(event)}`);
}

function unknownCommand(command: never): never {
  throw new Error(`Unhandled schedule command ${JSON.stringify(command)}`);
}
