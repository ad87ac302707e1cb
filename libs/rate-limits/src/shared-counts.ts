// Counting requests in PostgreSQL, batched the way the event store's group commit batches appends:
// one statement in flight per process; the counts asked for meanwhile go together in the next one.
// At a low rate every count is its own statement; under load a statement carries many, so sharing
// the counts does not cost a round trip per request. Each statement adds a key's counts to its row
// at once (several requests of one key become one increment) and returns the key's total; the
// requests of the batch are then decided in the order they were asked for.

/** One key's share of a statement: how many requests it adds, and its window's length. */
export interface KeyCount {
  readonly key: string;
  readonly requests: number;
  readonly windowSeconds: number;
}

/** A key's row after a statement: its count in the current window, and when that window ends. */
export interface KeyTotal {
  readonly count: number;
  readonly windowEndsInMs: number;
}

// The window starts at a key's first request and ends windowSeconds later, by the database's clock
// (every gateway agrees on it). A row whose window has ended starts a new one. Keys go in sorted
// order, so that two statements locking the same rows lock them in the same order. The time left is
// read on the clock (clock_timestamp()), not at the statement's start (now()): a statement that
// waited for another's lock would otherwise find a window that began after it started, and answer
// more than the window's length.
const COUNT_SQL = `
INSERT INTO rate_limits.counters AS c (key, count, window_ends_at)
SELECT i.key, i.requests, now() + make_interval(secs => i.window_seconds)
FROM unnest($1::text[], $2::int4[], $3::float8[]) AS i(key, requests, window_seconds)
ORDER BY i.key
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN c.window_ends_at <= now() THEN excluded.count ELSE c.count + excluded.count END,
  window_ends_at = CASE
    WHEN c.window_ends_at <= now() THEN excluded.window_ends_at ELSE c.window_ends_at END
RETURNING c.key, c.count,
  extract(epoch FROM c.window_ends_at - clock_timestamp()) * 1000 AS window_ends_in_ms`;

/** What counts are sent through: a `pg` pool or client. */
export interface Queryable {
  query<Row extends object>(text: string, values: unknown[]): Promise<{ rows: Row[] }>;
}

/** Adds the counts (one entry per key) in one statement; the keys' totals by key. */
export async function addCounts(
  database: Queryable,
  counts: readonly KeyCount[],
): Promise<Map<string, KeyTotal>> {
  const result = await database.query<{ key: string; count: number; window_ends_in_ms: string }>(
    COUNT_SQL,
    [
      counts.map((count) => count.key),
      counts.map((count) => count.requests),
      counts.map((count) => count.windowSeconds),
    ],
  );
  return new Map(
    result.rows.map((row) => [
      row.key,
      { count: row.count, windowEndsInMs: Number(row.window_ends_in_ms) },
    ]),
  );
}

/** A request waiting to be counted. */
export interface PendingCount {
  readonly key: string;
  readonly points: number;
  readonly windowSeconds: number;
  readonly decided: (outcome: CountOutcome) => void;
}

/** The request's decision, or why it could not be counted. */
export type CountOutcome =
  | { readonly allowed: boolean; readonly remaining: number; readonly resetMs: number }
  | { readonly failed: unknown };

/**
 * Sends the counts asked for, one statement at a time: the first request of a quiet moment at once,
 * the ones asked for while a statement is in flight together right after it.
 */
export class CountBatcher {
  private pending: PendingCount[] = [];
  private sending: Promise<void> | undefined;

  constructor(private readonly database: Queryable) {}

  count(request: PendingCount): void {
    this.pending.push(request);
    this.sending ??= this.sendAll();
  }

  /** Resolves once nothing is pending or in flight. */
  async settled(): Promise<void> {
    await this.sending;
  }

  private async sendAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.send(batch);
      }
    } finally {
      this.sending = undefined;
    }
  }

  private async send(batch: readonly PendingCount[]): Promise<void> {
    const requestsByKey = new Map<string, KeyCount>();
    for (const { key, windowSeconds } of batch) {
      const known = requestsByKey.get(key);
      requestsByKey.set(key, {
        key,
        windowSeconds: known?.windowSeconds ?? windowSeconds,
        requests: (known?.requests ?? 0) + 1,
      });
    }
    let totals: Map<string, KeyTotal>;
    try {
      totals = await addCounts(this.database, [...requestsByKey.values()]);
    } catch (error) {
      for (const request of batch) request.decided({ failed: error });
      return;
    }
    // The batch's requests of a key got the counts total - requests + 1 ... total, in order.
    const counted = new Map<string, number>();
    for (const request of batch) {
      const total = totals.get(request.key);
      const requests = requestsByKey.get(request.key)?.requests ?? 0;
      if (total === undefined) {
        request.decided({ failed: new Error(`no count came back for ${request.key}`) });
        continue;
      }
      const position = (counted.get(request.key) ?? 0) + 1;
      counted.set(request.key, position);
      const count = total.count - requests + position;
      request.decided({
        allowed: count <= request.points,
        remaining: Math.max(0, request.points - count),
        resetMs: Math.max(0, total.windowEndsInMs),
      });
    }
  }
}
