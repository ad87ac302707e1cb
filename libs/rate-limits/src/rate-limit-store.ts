import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { migrateRateLimits } from './migrate-rate-limits.js';
import { CountBatcher, type CountOutcome } from './shared-counts.js';

// Fixed-window request counters: a key may make `points` requests per window of `durationSeconds`,
// the window starting at its first request. In PostgreSQL (shared-counts.ts), every process
// counting against the same database shares the counts: N gateways together allow the configured
// rate, not N times it. In memory (rate-limiter-flexible), each process counts on its own.

export interface RateLimitRule {
  /** Names the rule; its counters are kept under `<keyPrefix>:<key>`. */
  readonly keyPrefix: string;
  /** Requests a key may make per window. */
  readonly points: number;
  /** The window's length in seconds (fractions allowed). */
  readonly durationSeconds: number;
}

/** A counted request: whether it may go on, and what its key has left in its window. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Requests the key may still make in its window after this one (0 once refused). */
  readonly remaining: number;
  /** Milliseconds until the key's window ends: when a refused key may try again. */
  readonly resetMs: number;
}

export interface RateLimiter {
  /** Counts one request of `key`; never rejects. */
  consume(key: string): Promise<RateLimitDecision>;
}

export interface RateLimitStore {
  limiter(rule: RateLimitRule): RateLimiter;
  /** Stops purging and ends the store's connections; its limiters must not be used after. */
  close(): Promise<void>;
}

/** Counters in this process's memory only. */
export function memoryRateLimits(): RateLimitStore {
  return {
    limiter: (rule) => new LocalLimiter(memoryLimiter(rule)),
    close: async () => undefined,
  };
}

export interface PostgresRateLimitOptions {
  readonly connectionString: string;
  /**
   * Called when the database could not count a request (unreachable, too slow): that request, and
   * every request of the next `retryAfterErrorMs`, is counted in this process's memory instead, so
   * an outage of the database loosens the limits to per-process ones rather than refusing or
   * failing requests, or making each wait for a database that does not answer.
   */
  readonly onStoreError: (error: unknown) => void;
  /** How long the limiters count in memory after the database failed a count (1 000 ms). */
  readonly retryAfterErrorMs?: number;
  /** Connections of the store's pool (2: one count in flight, and the purge). */
  readonly maxConnections?: number;
  /**
   * How long a count may take in the database (and connecting to it) before memory counts instead
   * (1 000 ms); a server that does not answer at all is given twice that.
   */
  readonly timeoutMs?: number;
  /** Every how many milliseconds rows of ended windows are deleted (60 000). */
  readonly purgeIntervalMs?: number;
}

/**
 * Counters in the `rate_limits` schema of the database, migrated here (safe to run concurrently).
 * One statement in flight at a time carries every count asked for meanwhile. A key over its limit
 * is then refused from memory until its window ends, without asking the database again.
 */
export async function openPostgresRateLimits(
  options: PostgresRateLimitOptions,
): Promise<RateLimitStore> {
  // Migrated over a connection of its own, without the counts' timeouts: a migration may wait for
  // another gateway's, started at the same moment, for longer than a count may take.
  const migrationPool = new pg.Pool({ connectionString: options.connectionString, max: 1 });
  migrationPool.on('error', () => undefined);
  const migrating = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: migrationPool }) });
  try {
    await migrateRateLimits(migrating);
  } finally {
    await migrating.destroy();
  }

  const timeoutMs = options.timeoutMs ?? 1_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 2,
    connectionTimeoutMillis: timeoutMs,
    // The server gives up on a slow count, and the client learns of it before it counts the request
    // in memory (a count the server went on with would count the request twice). The client's own
    // deadline, later, is for a server that does not answer at all.
    statement_timeout: timeoutMs,
    query_timeout: 2 * timeoutMs,
    application_name: 'canopy-rate-limits',
  });
  // A server that drops a connection must not take the process with it: the count in flight fails
  // and is made in memory instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));

  const health = new StoreHealth(options.retryAfterErrorMs ?? 1_000, options.onStoreError);
  const batcher = new CountBatcher(pool);
  const blocked = new BlockedKeys();
  const purge = async (): Promise<void> => {
    try {
      await pool.query('DELETE FROM rate_limits.counters WHERE window_ends_at < now()');
    } catch {
      // Nothing waits for a purge: the next one deletes what this one could not.
    }
  };
  let purging: Promise<void> | undefined;
  const purgeTimer = setInterval(() => {
    blocked.forgetEnded();
    purging ??= purge().finally(() => (purging = undefined));
  }, options.purgeIntervalMs ?? 60_000);
  purgeTimer.unref();

  return {
    limiter: (rule) => new SharedLimiter(rule, batcher, blocked, memoryLimiter(rule), health),
    close: async () => {
      clearInterval(purgeTimer);
      await Promise.all([purging, batcher.settled()]);
      await pool.end();
    },
  };
}

function memoryLimiter(rule: RateLimitRule): RateLimiterMemory {
  return new RateLimiterMemory({
    keyPrefix: rule.keyPrefix,
    points: rule.points,
    duration: rule.durationSeconds,
  });
}

class LocalLimiter implements RateLimiter {
  constructor(private readonly counters: RateLimiterMemory) {}

  consume(key: string): Promise<RateLimitDecision> {
    return decide(this.counters, key);
  }
}

/** Whether the database is worth asking: not within `retryAfterErrorMs` of its last failed count. */
class StoreHealth {
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly retryAfterErrorMs: number,
    private readonly onStoreError: (error: unknown) => void,
  ) {}

  get usable(): boolean {
    return Date.now() - this.failedAt >= this.retryAfterErrorMs;
  }

  failed(error: unknown): void {
    this.failedAt = Date.now();
    this.onStoreError(error);
  }
}

/** Keys refused until their window ends, so that their requests are refused without a count. */
class BlockedKeys {
  private readonly until = new Map<string, number>();

  /** Milliseconds until the key's window ends, or 0 when it is not blocked. */
  remainingMs(key: string): number {
    const until = this.until.get(key);
    if (until === undefined) return 0;
    const remaining = until - Date.now();
    if (remaining <= 0) this.until.delete(key);
    return Math.max(0, remaining);
  }

  block(key: string, forMs: number): void {
    this.until.set(key, Date.now() + forMs);
  }

  forgetEnded(): void {
    const now = Date.now();
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
  }
}

class SharedLimiter implements RateLimiter {
  constructor(
    private readonly rule: RateLimitRule,
    private readonly batcher: CountBatcher,
    private readonly blocked: BlockedKeys,
    private readonly local: RateLimiterMemory,
    private readonly health: StoreHealth,
  ) {}

  async consume(key: string): Promise<RateLimitDecision> {
    const storedKey = `${this.rule.keyPrefix}:${key}`;
    const blockedForMs = this.blocked.remainingMs(storedKey);
    if (blockedForMs > 0) return { allowed: false, remaining: 0, resetMs: blockedForMs };
    if (this.health.usable) {
      const outcome = await new Promise<CountOutcome>((decided) =>
        this.batcher.count({
          key: storedKey,
          points: this.rule.points,
          windowSeconds: this.rule.durationSeconds,
          decided,
        }),
      );
      if (!('failed' in outcome)) {
        if (!outcome.allowed) this.blocked.block(storedKey, outcome.resetMs);
        return outcome;
      }
      this.health.failed(outcome.failed);
    }
    return decide(this.local, key);
  }
}

/** The limiter's verdict; rejects only when the limiter could not count (its store failed). */
async function decide(counters: RateLimiterMemory, key: string): Promise<RateLimitDecision> {
  try {
    const counted = await counters.consume(key, 1);
    return { allowed: true, remaining: counted.remainingPoints, resetMs: counted.msBeforeNext };
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { allowed: false, remaining: 0, resetMs: rejection.msBeforeNext };
  }
}
