import {
  InvalidTickRule,
  cronOf,
  isTick,
  latestTickAtOrBefore,
  nextTickAfter,
  planTick,
} from './schedule-ticks.js';
import type { TickRule } from './schedule-ticks.js';
import { scheduleTickCorrelationId, scheduledTaskId } from './scheduled-task-id.js';

const at = (iso: string) => Date.parse(iso);
const rule = (cron: string, timeZone = 'UTC', window: Partial<TickRule> = {}): TickRule => ({
  cron,
  timeZone,
  startAt: null,
  endAt: null,
  ...window,
});
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('nextTickAfter', () => {
  test('every second (6 fields): the next whole second, strictly after', () => {
    const everySecond = rule('* * * * * *');
    expect(iso(nextTickAfter(everySecond, at('2026-11-30T10:00:00.000Z')))).toBe(
      '2026-11-30T10:00:01.000Z',
    );
    expect(iso(nextTickAfter(everySecond, at('2026-11-30T10:00:00.999Z')))).toBe(
      '2026-11-30T10:00:01.000Z',
    );
  });

  test('a daily local time in Europe/Berlin follows the DST change', () => {
    const daily = rule('0 9 * * *', 'Europe/Berlin');
    // CEST (UTC+2) until 2026-10-25 03:00 local, CET (UTC+1) after.
    expect(iso(nextTickAfter(daily, at('2026-10-24T08:00:00Z')))).toBe('2026-10-25T08:00:00.000Z');
    expect(iso(nextTickAfter(daily, at('2026-10-25T08:00:00Z')))).toBe('2026-10-26T08:00:00.000Z');
    expect(iso(nextTickAfter(daily, at('2026-03-28T09:00:00Z')))).toBe('2026-03-29T07:00:00.000Z');
  });

  test('a time skipped by the spring-forward gap fires at the first valid time after it', () => {
    const twoThirty = rule('30 2 * * *', 'Europe/Berlin');
    // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00 local = 01:00Z).
    expect(iso(nextTickAfter(twoThirty, at('2026-03-28T12:00:00Z')))).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    expect(iso(nextTickAfter(twoThirty, at('2026-03-29T01:00:00Z')))).toBe(
      '2026-03-30T00:30:00.000Z',
    );
  });

  test('an hourly cron ticks at both 02:00 when the clocks fall back', () => {
    const hourly = rule('0 * * * *', 'Europe/Berlin');
    const ticks: string[] = [];
    let after = at('2026-10-24T23:30:00Z');
    for (let index = 0; index < 3; index += 1) {
      const next = nextTickAfter(hourly, after);
      if (next === null) throw new Error('no tick');
      ticks.push(next.toISOString());
      after = next.getTime();
    }
    expect(ticks).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  test('respects the window, both bounds inclusive', () => {
    const windowed = rule('*/10 * * * *', 'UTC', {
      startAt: '2026-11-30T10:20:00.000Z',
      endAt: '2026-11-30T10:40:00.000Z',
    });
    expect(iso(nextTickAfter(windowed, at('2026-11-30T09:00:00Z')))).toBe(
      '2026-11-30T10:20:00.000Z',
    );
    expect(iso(nextTickAfter(windowed, at('2026-11-30T10:35:00Z')))).toBe(
      '2026-11-30T10:40:00.000Z',
    );
    expect(nextTickAfter(windowed, at('2026-11-30T10:40:00Z'))).toBeNull();
  });
});

describe('latestTickAtOrBefore and isTick', () => {
  test('the tick at the instant itself counts', () => {
    const everyMinute = rule('* * * * *');
    expect(iso(latestTickAtOrBefore(everyMinute, at('2026-11-30T10:05:00.000Z')))).toBe(
      '2026-11-30T10:05:00.000Z',
    );
    expect(iso(latestTickAtOrBefore(everyMinute, at('2026-11-30T10:05:59.999Z')))).toBe(
      '2026-11-30T10:05:00.000Z',
    );
    expect(isTick(everyMinute, at('2026-11-30T10:05:00.000Z'))).toBe(true);
    expect(isTick(everyMinute, at('2026-11-30T10:05:01.000Z'))).toBe(false);
  });

  test('clipped to the window', () => {
    const windowed = rule('* * * * *', 'UTC', {
      startAt: '2026-11-30T10:00:00.000Z',
      endAt: '2026-11-30T10:10:00.000Z',
    });
    expect(iso(latestTickAtOrBefore(windowed, at('2026-11-30T12:00:00Z')))).toBe(
      '2026-11-30T10:10:00.000Z',
    );
    expect(latestTickAtOrBefore(windowed, at('2026-11-30T09:59:00Z'))).toBeNull();
  });
});

describe('planTick, the missed-tick policy', () => {
  const everyMinute = rule('* * * * *');
  const since = '2026-11-30T10:00:30.000Z';
  const grace = 10_000;

  test('waits for the first tick after creation', () => {
    expect(
      planTick(everyMinute, { since, lastTick: null }, at('2026-11-30T10:00:40Z'), grace),
    ).toEqual({
      kind: 'wait',
      until: new Date('2026-11-30T10:01:00.000Z'),
    });
  });

  test('fires a due tick; never one before it is due', () => {
    expect(
      planTick(everyMinute, { since, lastTick: null }, at('2026-11-30T10:01:00.000Z'), grace),
    ).toEqual({ kind: 'fire', tick: new Date('2026-11-30T10:01:00.000Z') });
    expect(
      planTick(everyMinute, { since, lastTick: null }, at('2026-11-30T10:00:59.999Z'), grace),
    ).toMatchObject({ kind: 'wait' });
  });

  test('a tick a little late (within the grace) is still fired in turn', () => {
    const lastTick = '2026-11-30T10:05:00.000Z';
    expect(planTick(everyMinute, { since, lastTick }, at('2026-11-30T10:06:09Z'), grace)).toEqual({
      kind: 'fire',
      tick: new Date('2026-11-30T10:06:00.000Z'),
    });
  });

  test('of ticks missed beyond the grace, only the latest is fired', () => {
    const lastTick = '2026-11-30T10:05:00.000Z';
    expect(planTick(everyMinute, { since, lastTick }, at('2026-11-30T10:42:30Z'), grace)).toEqual({
      kind: 'fire',
      tick: new Date('2026-11-30T10:42:00.000Z'),
    });
    // 10:42:00 is only 5 s overdue at 10:42:05: not missed; 10:41:00 is the latest missed one.
    expect(planTick(everyMinute, { since, lastTick }, at('2026-11-30T10:42:05Z'), grace)).toEqual({
      kind: 'fire',
      tick: new Date('2026-11-30T10:41:00.000Z'),
    });
    // Then the next one is waited for: the skipped ones stay skipped.
    expect(
      planTick(
        everyMinute,
        { since, lastTick: '2026-11-30T10:42:00.000Z' },
        at('2026-11-30T10:42:31Z'),
        grace,
      ),
    ).toEqual({ kind: 'wait', until: new Date('2026-11-30T10:43:00.000Z') });
  });

  test('ticks not missed yet, after the latest missed one, follow in turn', () => {
    const everySecond = rule('* * * * * *');
    const started = '2026-11-30T10:00:00.500Z';
    const now = at('2026-11-30T10:01:00.400Z');
    // Overdue by more than 10 s: 10:00:01 … 10:00:50; the latest of them fires.
    expect(planTick(everySecond, { since: started, lastTick: null }, now, grace)).toEqual({
      kind: 'fire',
      tick: new Date('2026-11-30T10:00:50.000Z'),
    });
    expect(
      planTick(everySecond, { since: started, lastTick: '2026-11-30T10:00:50.000Z' }, now, grace),
    ).toEqual({ kind: 'fire', tick: new Date('2026-11-30T10:00:51.000Z') });
  });

  test('the latest missed tick is the latest within the window', () => {
    const windowed = rule('* * * * *', 'UTC', { endAt: '2026-11-30T10:20:00.000Z' });
    expect(
      planTick(
        windowed,
        { since, lastTick: '2026-11-30T10:05:00.000Z' },
        at('2026-11-30T12:00:00Z'),
        grace,
      ),
    ).toEqual({ kind: 'fire', tick: new Date('2026-11-30T10:20:00.000Z') });
    expect(
      planTick(
        windowed,
        { since, lastTick: '2026-11-30T10:20:00.000Z' },
        at('2026-11-30T12:00:00Z'),
        grace,
      ),
    ).toEqual({ kind: 'none' });
  });

  test('every second: consecutive ticks while on time', () => {
    const everySecond = rule('* * * * * *');
    const started = '2026-11-30T10:00:00.500Z';
    let lastTick: string | null = null;
    const fired: string[] = [];
    for (const now of ['10:00:01.002', '10:00:02.010', '10:00:03.500', '10:00:04.001']) {
      const plan = planTick(
        everySecond,
        { since: started, lastTick },
        at(`2026-11-30T${now}Z`),
        1000,
      );
      if (plan.kind !== 'fire') throw new Error(`expected a tick at ${now}`);
      lastTick = plan.tick.toISOString();
      fired.push(lastTick);
    }
    expect(fired).toEqual([
      '2026-11-30T10:00:01.000Z',
      '2026-11-30T10:00:02.000Z',
      '2026-11-30T10:00:03.000Z',
      '2026-11-30T10:00:04.000Z',
    ]);
  });
});

describe('cronOf', () => {
  test('names the field at fault', () => {
    expect(() => cronOf('61 * * * *', 'UTC')).toThrow(
      expect.objectContaining({ field: 'cron' }) as Error,
    );
    expect(() => cronOf('* * * * *', 'Nowhere/Else')).toThrow(InvalidTickRule);
    expect(() => cronOf('* * * * *', 'Nowhere/Else')).toThrow(
      expect.objectContaining({ field: 'timeZone' }) as Error,
    );
  });
});

describe('scheduledTaskId', () => {
  test('is the first 24 hex characters of sha256("<scheduleId>:<unix seconds>")', () => {
    // printf '6677391a241c7178b29e4a4a:1780000000' | sha256sum
    const id = scheduledTaskId('6677391a241c7178b29e4a4a', new Date(1_780_000_000_000));
    expect(id).toBe('a88bc6da15cb354c9114ff4b');
    expect(scheduledTaskId('6677391a241c7178b29e4a4a', '2026-05-28T20:26:40.000Z')).toBe(id);
    expect(scheduledTaskId('6677391a241c7178b29e4a4a', new Date(1_780_000_001_000))).not.toBe(id);
  });
});

test('a tick is named in its task events as schedule:<scheduleId>:<unix seconds>', () => {
  expect(scheduleTickCorrelationId('6677391a241c7178b29e4a4a', '2026-05-28T20:26:40.000Z')).toBe(
    'schedule:6677391a241c7178b29e4a4a:1780000000',
  );
});
