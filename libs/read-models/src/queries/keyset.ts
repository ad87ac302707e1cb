// Keyset pagination, newest first: a page ends at a key (time, id) and the next page starts after
// it. The key carries the database's own microsecond timestamp (a JavaScript Date has only
// milliseconds), so no row is skipped or repeated between pages whatever the column's precision.

/** Where a page ended: the (time, id) of its last row, e.g. (issued_at, task_id). */
export interface KeysetKey {
  /** UTC with microseconds, e.g. `2024-06-22T21:05:48.123456Z`. */
  readonly time: string;
  /** 24 lower-case hex characters. */
  readonly id: string;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID = /^[0-9a-f]{24}$/;

/** An opaque, URL-safe cursor for the page after `key`. */
export function encodeKeysetCursor(key: KeysetKey): string {
  return Buffer.from(`${key.time}/${key.id}`, 'utf8').toString('base64url');
}

/** The key an {@link encodeKeysetCursor} cursor holds, or null when the text is not such a cursor. */
export function decodeKeysetCursor(cursor: string): KeysetKey | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const [time, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('/');
  if (time === undefined || id === undefined || rest.length > 0) return null;
  if (!TIME.test(time) || !ID.test(id) || Number.isNaN(Date.parse(time))) return null;
  return { time, id };
}
