import type pg from 'pg';

/** How far the read models are behind the event store. */
export interface ProjectorLag {
  /** Events stored after the projector's checkpoint (counted up to {@link MAX_COUNTED_EVENTS}). */
  readonly events: number;
  /** Age of the oldest of them: how stale the read models are; 0 when none waits. */
  readonly seconds: number;
}

/** A backlog is counted up to this many events, so that measuring a huge one stays cheap. */
export const MAX_COUNTED_EVENTS = 100_000;

/** Measurements closer together than this share one query (a scrape and a probe at once). */
const REUSE_MS = 1_000;

/**
 * Measures the lag on the PostgreSQL event store: the events after the checkpoint's global position,
 * read through the primary key's index (a checkpoint is `"<transaction id>:<global position>"`).
 */
export class PostgresProjectorLag {
  private last: { readonly atMs: number; readonly lag: Promise<ProjectorLag> } | undefined;

  constructor(
    private readonly pool: pg.Pool,
    /** The projector's current checkpoint; null before its first event. */
    private readonly checkpoint: () => string | null,
  ) {}

  measure(): Promise<ProjectorLag> {
    const nowMs = Date.now();
    if (this.last !== undefined && nowMs - this.last.atMs < REUSE_MS) return this.last.lag;
    const lag = this.query(nowMs);
    this.last = { atMs: nowMs, lag };
    lag.catch(() => {
      this.last = undefined;
    });
    return lag;
  }

  private async query(nowMs: number): Promise<ProjectorLag> {
    const after = globalPositionOf(this.checkpoint());
    const { rows } = await this.pool.query<{ events: number; oldest: Date | null }>(
      `SELECT count(*)::int AS events, min(recorded_at) AS oldest
         FROM (SELECT recorded_at FROM event_store.events
                WHERE global_position > $1 ORDER BY global_position LIMIT $2) AS behind`,
      [after, MAX_COUNTED_EVENTS],
    );
    const row = rows[0];
    const oldest = row?.oldest ?? null;
    return {
      events: row?.events ?? 0,
      seconds: oldest === null ? 0 : Math.max(0, (nowMs - oldest.getTime()) / 1000),
    };
  }
}

/** The global position a PostgreSQL checkpoint names; '0' before the first event. */
export function globalPositionOf(checkpoint: string | null): string {
  if (checkpoint === null) return '0';
  const match = /^\d+:(\d+)$/.exec(checkpoint);
  if (match?.[1] === undefined)
    throw new Error(`not a checkpoint of the PostgreSQL event store: ${checkpoint}`);
  return match[1];
}
