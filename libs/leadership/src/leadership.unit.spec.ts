import { jest } from '@jest/globals';
import { Leadership } from './leadership.js';
import type { LeadershipRole } from './leadership.js';
import type { PostgresLeases } from './postgres-leases.js';

// The leases as the database keeps them, on the same fake clock as the replicas: enough to play
// elections, renewals, deaths, pauses and outages without I/O or real time.
class LeaseTable {
  epoch = 0;
  holder: string | undefined;
  expiresAt = Number.NEGATIVE_INFINITY;
  reachable = true;
  /** Calls that never answer, as during a partition. */
  hanging = false;

  constructor(private readonly clock: () => number) {}

  /** The table as one replica reaches it; once `alive` says no, its calls never arrive. */
  forHolders(alive: () => boolean = () => true): PostgresLeases {
    const answer = <T>(value: () => T): Promise<T> => {
      if (this.hanging || !alive()) return new Promise<T>(() => undefined);
      if (!this.reachable) return Promise.reject(new Error('connection refused'));
      return Promise.resolve(value());
    };
    return {
      acquire: (_name: string, holder: string, ttlMs: number) =>
        answer(() => {
          if (this.expiresAt > this.clock()) return undefined;
          this.epoch += 1;
          this.holder = holder;
          this.expiresAt = this.clock() + ttlMs;
          return this.epoch;
        }),
      renew: (_name: string, holder: string, epoch: number, ttlMs: number) =>
        answer(() => {
          if (this.holder !== holder || this.epoch !== epoch || this.expiresAt <= this.clock())
            return false;
          this.expiresAt = this.clock() + ttlMs;
          return true;
        }),
      release: (_name: string, holder: string, epoch: number) =>
        answer(() => {
          if (this.holder === holder && this.epoch === epoch) this.expiresAt = this.clock();
        }),
      current: () => answer(() => undefined),
    } as unknown as PostgresLeases;
  }
}

const TTL = 3_000;
const quiet = { info: () => undefined, warn: () => undefined };

function replica(
  table: LeaseTable,
  holder: string,
): { leadership: Leadership; roles: LeadershipRole[]; kill(): void } {
  const roles: LeadershipRole[] = [];
  let alive = true;
  const leadership = new Leadership({
    leases: table.forHolders(() => alive),
    name: 'scheduler',
    holder,
    ttlMs: TTL,
    logger: quiet,
    now: () => Date.now(),
    onChange: (role) => roles.push(role),
  });
  return { leadership, roles, kill: () => (alive = false) };
}

async function elapse(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Replica `a` started first and leads; `b` started just after and stands by; a lease has passed. */
async function leaderAndStandby(): Promise<{
  a: ReturnType<typeof replica>;
  b: ReturnType<typeof replica>;
}> {
  const table = new LeaseTable(() => Date.now());
  const a = replica(table, 'a');
  const b = replica(table, 'b');
  a.leadership.start();
  await elapse(10);
  b.leadership.start();
  await elapse(TTL);
  return { a, b };
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('a leadership', () => {
  test('one replica leads, the other stands by, and the leader keeps its lease', async () => {
    const { a, b } = await leaderAndStandby();
    await elapse(9 * TTL);
    expect(a.leadership.epoch).toBe(1);
    expect(b.leadership.epoch).toBeUndefined();
    expect(a.roles).toEqual([{ role: 'leader', epoch: 1 }]);
    expect(b.roles).toEqual([]);
  });

  test('a standby takes over within the lease after the leader dies, under a higher epoch', async () => {
    const { a, b } = await leaderAndStandby();
    // The leader dies: it renews nothing any more.
    a.kill();
    const died = Date.now();
    while (b.leadership.epoch === undefined && Date.now() - died < 3 * TTL) await elapse(50);
    expect(b.leadership.epoch).toBe(2);
    expect(Date.now() - died).toBeLessThanOrEqual(TTL + TTL / 6 + 100);
  });

  test('a leader that stops gives the lease up: a standby leads within a sixth of the lease', async () => {
    const { a, b } = await leaderAndStandby();
    await a.leadership.stop();
    const stopped = Date.now();
    while (b.leadership.epoch === undefined && Date.now() - stopped < TTL) await elapse(10);
    expect(b.leadership.epoch).toBe(2);
    expect(Date.now() - stopped).toBeLessThanOrEqual(TTL / 6 + 20);
    expect(a.roles).toEqual([{ role: 'leader', epoch: 1 }, { role: 'standby' }]);
  });

  test('a leader cut off from the database stops leading before its lease can be taken', async () => {
    const table = new LeaseTable(() => Date.now());
    const a = replica(table, 'a');
    a.leadership.start();
    await elapse(TTL);
    expect(a.leadership.epoch).toBe(1);
    table.hanging = true;
    const cut = Date.now();
    const leaseEnds = table.expiresAt;
    while (a.leadership.epoch !== undefined) await elapse(10);
    // It gave up before the database would let anyone else in.
    expect(Date.now()).toBeLessThan(leaseEnds);
    expect(Date.now() - cut).toBeLessThanOrEqual(TTL);
    expect(a.roles.at(-1)).toEqual({ role: 'standby' });
  });

  test('a leader paused past its lease is not the leader when it resumes; the next one has a higher epoch', async () => {
    const table = new LeaseTable(() => Date.now());
    const a = replica(table, 'a');
    a.leadership.start();
    await elapse(TTL);
    expect(a.leadership.epoch).toBe(1);
    // Paused: none of its timers runs while the clock moves on.
    jest.setSystemTime(Date.now() + 2 * TTL);
    // Resumed: the first question it asks itself is answered from its own clock.
    expect(a.leadership.epoch).toBeUndefined();
    const b = replica(table, 'b');
    b.leadership.start();
    await elapse(TTL);
    const leaders = [a, b].filter(({ leadership }) => leadership.epoch !== undefined);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]?.leadership.epoch).toBe(2);
  });

  test('a database that comes back after an outage gets a leader again', async () => {
    const table = new LeaseTable(() => Date.now());
    const a = replica(table, 'a');
    table.reachable = false;
    a.leadership.start();
    await elapse(2 * TTL);
    expect(a.leadership.epoch).toBeUndefined();
    table.reachable = true;
    await elapse(TTL);
    expect(a.leadership.epoch).toBe(1);
  });

  test('a leader told its appends are fenced stops leading at once, not at its next renewal', async () => {
    const { a } = await leaderAndStandby();
    // A fence for an epoch it no longer holds changes nothing.
    a.leadership.fenced(7);
    expect(a.leadership.epoch).toBe(1);
    a.leadership.fenced(1);
    expect(a.leadership.epoch).toBeUndefined();
    expect(a.roles).toEqual([{ role: 'leader', epoch: 1 }, { role: 'standby' }]);
  });
});
