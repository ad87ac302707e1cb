import { DeciderSpecification } from '@canopy/decider-testing';
import { ContractViolationError, scheduleEvent } from '@canopy/contracts';
import { ScheduleRuleViolation } from './schedule-rule-violation.js';
import { foldSchedule, scheduleDecider } from './schedule.js';
import type { ChangeSchedule, CreateSchedule, FireTick } from './schedule.js';

const given = DeciderSpecification.for(scheduleDecider);

const scheduleId = '6677391a241c7178b29e4a4a';
const accountId = '64057f3c9956fae80d7e0e84';
const otherAccountId = '64057f3c9956fae80d7e0e85';
const functionId = '6405848581b16f7a07cd4c48';
const taskId = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const createdAt = '2026-11-30T10:00:00.000Z';

type Definition = CreateSchedule['data'];
const create = (overrides: Partial<Definition> = {}): CreateSchedule => ({
  type: 'CreateSchedule',
  data: {
    scheduleId,
    accountId,
    functionId,
    name: 'every minute',
    description: '',
    cron: '* * * * *',
    timeZone: 'Europe/Berlin',
    request: { query: 'a=1', contentType: 'application/json', body: 'e30=' },
    startAt: null,
    endAt: null,
    now: createdAt,
    ...overrides,
  },
});
const { now: _now, ...createdData } = create().data;
const created = scheduleEvent('ScheduleCreated', { ...createdData, createdAt });
const { scheduleId: _s, accountId: _a, functionId: _f, ...definition } = createdData;

const change = (
  changes: ChangeSchedule['data']['changes'],
  overrides: Partial<ChangeSchedule['data']> = {},
): ChangeSchedule => ({
  type: 'ChangeSchedule',
  data: { scheduleId, accountId, changes, now: '2026-11-30T10:30:00.000Z', ...overrides },
});
const paused = scheduleEvent('SchedulePaused', {
  scheduleId,
  pausedAt: '2026-11-30T10:30:00.000Z',
});
const deleted = scheduleEvent('ScheduleDeleted', {
  scheduleId,
  deletedAt: '2026-11-30T11:00:00.000Z',
});
const fire = (tick: string, now = tick): FireTick => ({
  type: 'FireTick',
  data: { scheduleId, tick, taskId, now },
});
const ticked = (tick: string, firedAt = tick) =>
  scheduleEvent('ScheduleTicked', { scheduleId, tick, taskId, firedAt });

const isRule = (code: string, field?: string) => (error: Error) =>
  error instanceof ScheduleRuleViolation &&
  error.code === code &&
  (field === undefined || error.field === field);

describe('CreateSchedule', () => {
  test('creates the schedule', () => {
    given([]).when(create()).then([created]);
  });

  test('a repeat yields nothing, whenever it is stamped', () => {
    given([created])
      .when(create({ now: '2026-11-30T12:00:00.000Z' }))
      .thenNothing();
  });

  test('another definition under the same id is refused', () => {
    given([created])
      .when(create({ cron: '*/5 * * * *' }))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_ALREADY_CREATED'));
  });

  test('a 6-field cron (seconds first) is accepted', () => {
    given([])
      .when(create({ cron: '* * * * * *' }))
      .then([scheduleEvent('ScheduleCreated', { ...createdData, cron: '* * * * * *', createdAt })]);
  });

  test('the zone is stored under its canonical name', () => {
    given([])
      .when(create({ timeZone: 'utc' }))
      .then([scheduleEvent('ScheduleCreated', { ...createdData, timeZone: 'UTC', createdAt })]);
  });

  test.each([
    ['61 * * * *', 'a minute out of range'],
    ['* * * *', 'four fields'],
    ['* * * * * * *', 'seven fields (years are not accepted)'],
    ['every minute', 'words'],
  ])('a cron with %s (%s) is refused naming cron', (cron) => {
    given([])
      .when(create({ cron }))
      .thenThrows(ScheduleRuleViolation, isRule('INVALID_CRON', 'cron'));
  });

  test('an unknown zone is refused naming timeZone', () => {
    given([])
      .when(create({ timeZone: 'Mars/Olympus_Mons' }))
      .thenThrows(ScheduleRuleViolation, isRule('INVALID_TIME_ZONE', 'timeZone'));
  });

  test('an end not after the start is refused naming endAt', () => {
    given([])
      .when(create({ startAt: '2026-12-01T00:00:00Z', endAt: '2026-12-01T00:00:00Z' }))
      .thenThrows(ScheduleRuleViolation, isRule('INVALID_SCHEDULE_WINDOW', 'endAt'));
  });

  test.each([
    [
      'a query starting with "?"',
      { request: { ...definition.request, query: '?a=1' } },
      'request.query',
    ],
    [
      'a body that is not base64',
      { request: { ...definition.request, body: '%%%' } },
      'request.body',
    ],
    ['a malformed function id', { functionId: 'nope' }, 'functionId'],
    ['a start that is not a UTC time', { startAt: 'tomorrow' }, 'startAt'],
  ])('%s is refused naming the field', (_name, overrides, field) => {
    given([])
      .when(create(overrides as Partial<Definition>))
      .thenThrows(ContractViolationError, (error) => error.field === field);
  });
});

describe('ChangeSchedule', () => {
  test('records the whole definition after the change', () => {
    given([created])
      .when(change({ cron: '*/5 * * * *', body: 'e30K' }))
      .then([
        scheduleEvent('ScheduleChanged', {
          ...definition,
          cron: '*/5 * * * *',
          request: { ...definition.request, body: 'e30K' },
          scheduleId,
          changedAt: '2026-11-30T10:30:00.000Z',
        }),
      ]);
  });

  test('pausing alone records SchedulePaused; a repeat yields nothing', () => {
    given([created])
      .when(change({ paused: true }))
      .then([paused]);
    given([created, paused])
      .when(change({ paused: true }))
      .thenNothing();
  });

  test('resuming a paused schedule records ScheduleResumed', () => {
    given([created, paused])
      .when({
        type: 'ResumeSchedule',
        data: { scheduleId, accountId, now: '2026-11-30T10:40:00.000Z' },
      })
      .then([
        scheduleEvent('ScheduleResumed', { scheduleId, resumedAt: '2026-11-30T10:40:00.000Z' }),
      ]);
  });

  test('a change to the same values yields nothing', () => {
    given([created])
      .when(change({ name: 'every minute', paused: false }))
      .thenNothing();
  });

  test('an invalid cron is refused naming cron', () => {
    given([created])
      .when(change({ cron: 'nope' }))
      .thenThrows(ScheduleRuleViolation, isRule('INVALID_CRON', 'cron'));
  });

  test("another account's schedule is not found", () => {
    given([created])
      .when(change({ paused: true }, { accountId: otherAccountId }))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
  });
});

describe('DeleteSchedule', () => {
  const remove = (account = accountId) =>
    ({
      type: 'DeleteSchedule',
      data: { scheduleId, accountId: account, now: '2026-11-30T11:00:00.000Z' },
    }) as const;

  test('deletes; a repeat yields nothing', () => {
    given([created]).when(remove()).then([deleted]);
    given([created, deleted]).when(remove()).thenNothing();
  });

  test('a missing or another account’s schedule is not found', () => {
    given([]).when(remove()).thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
    given([created])
      .when(remove(otherAccountId))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
    given([created, deleted])
      .when(remove(otherAccountId))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
  });

  test('nothing is accepted after deletion', () => {
    given([created, deleted])
      .when(change({ paused: true }))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
    given([created, deleted])
      .when(fire('2026-11-30T11:01:00.000Z'))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_NOT_FOUND'));
  });
});

describe('FireTick', () => {
  test('records a due tick with its task and the time it was fired', () => {
    given([created])
      .when(fire('2026-11-30T10:01:00.000Z', '2026-11-30T10:01:00.250Z'))
      .then([ticked('2026-11-30T10:01:00.000Z', '2026-11-30T10:01:00.250Z')]);
  });

  test('a late tick keeps its own due time', () => {
    given([created])
      .when(fire('2026-11-30T10:01:00.000Z', '2026-11-30T13:00:00.000Z'))
      .then([ticked('2026-11-30T10:01:00.000Z', '2026-11-30T13:00:00.000Z')]);
  });

  test('the same tick again, or an earlier one, yields nothing', () => {
    const first = ticked('2026-11-30T10:02:00.000Z');
    given([created, first]).when(fire('2026-11-30T10:02:00.000Z')).thenNothing();
    given([created, first]).when(fire('2026-11-30T10:01:00.000Z')).thenNothing();
  });

  test('a later tick than the last fired one is recorded', () => {
    given([created, ticked('2026-11-30T10:02:00.000Z')])
      .when(fire('2026-11-30T10:05:00.000Z'))
      .then([ticked('2026-11-30T10:05:00.000Z')]);
  });

  test.each([
    ['not a tick of the cron', '2026-11-30T10:01:30.000Z', '2026-11-30T10:02:00.000Z'],
    ['not due yet', '2026-11-30T10:05:00.000Z', '2026-11-30T10:04:59.999Z'],
    ['from before the schedule existed', '2026-11-30T09:59:00.000Z', '2026-11-30T10:05:00.000Z'],
  ])('a time %s is refused', (_name, tick, now) => {
    given([created])
      .when(fire(tick, now))
      .thenThrows(ScheduleRuleViolation, isRule('TICK_NOT_FIREABLE'));
  });

  test('ticks outside the start/end window are refused', () => {
    const windowed = scheduleEvent('ScheduleCreated', {
      ...createdData,
      startAt: '2026-11-30T10:10:00.000Z',
      endAt: '2026-11-30T10:20:00.000Z',
      createdAt,
    });
    given([windowed])
      .when(fire('2026-11-30T10:10:00.000Z'))
      .then([ticked('2026-11-30T10:10:00.000Z')]);
    given([windowed])
      .when(fire('2026-11-30T10:20:00.000Z'))
      .then([ticked('2026-11-30T10:20:00.000Z')]);
    given([windowed])
      .when(fire('2026-11-30T10:09:00.000Z'))
      .thenThrows(ScheduleRuleViolation, isRule('TICK_NOT_FIREABLE'));
    given([windowed])
      .when(fire('2026-11-30T10:21:00.000Z'))
      .thenThrows(ScheduleRuleViolation, isRule('TICK_NOT_FIREABLE'));
  });

  test('a paused schedule fires nothing', () => {
    given([created, paused])
      .when(fire('2026-11-30T10:31:00.000Z'))
      .thenThrows(ScheduleRuleViolation, isRule('SCHEDULE_PAUSED'));
  });

  test('ticks that fell while paused cannot be fired after resuming', () => {
    const resumed = scheduleEvent('ScheduleResumed', {
      scheduleId,
      resumedAt: '2026-11-30T10:40:30.000Z',
    });
    given([created, paused, resumed])
      .when(fire('2026-11-30T10:40:00.000Z', '2026-11-30T10:41:00.000Z'))
      .thenThrows(ScheduleRuleViolation, isRule('TICK_NOT_FIREABLE'));
    given([created, paused, resumed])
      .when(fire('2026-11-30T10:41:00.000Z'))
      .then([ticked('2026-11-30T10:41:00.000Z')]);
  });
});

describe('the folded schedule', () => {
  test('holds the definition, the pause and the last tick', () => {
    const state = foldSchedule([created, ticked('2026-11-30T10:01:00.000Z'), paused]);
    expect(state).toMatchObject({
      phase: 'Active',
      schedule: {
        scheduleId,
        accountId,
        functionId,
        definition,
        paused: true,
        since: createdAt,
        lastTick: '2026-11-30T10:01:00.000Z',
        lastTaskId: taskId,
      },
    });
  });

  test('a deleted schedule stays deleted', () => {
    expect(foldSchedule([created, deleted, paused])).toMatchObject({ phase: 'Deleted' });
  });
});
