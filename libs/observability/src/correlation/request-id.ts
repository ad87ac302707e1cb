import { randomUUID } from 'node:crypto';

/** The HTTP header a request id is read from and answered in. */
export const REQUEST_ID_HTTP_HEADER = 'x-request-id';

/** At most this long: a client's id is logged and stored with events, so it must stay small. */
export const MAX_REQUEST_ID_LENGTH = 128;

// Letters, digits and the punctuation found in common ids (UUIDs, ULIDs, "host/1234-5", base64):
// nothing that could break a log line, a header or a query.
const requestIdPattern = /^[\w.:@/+=-]+$/;

/**
 * The request id a client (or a proxy before us) sent, when it is a sane one: a single value of 1 to
 * {@link MAX_REQUEST_ID_LENGTH} letters, digits or `_ . : @ / + = -`. Anything else (missing, empty,
 * repeated, too long, other characters) is undefined, and the request gets an id of its own.
 */
export function acceptRequestId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return undefined;
  return requestIdPattern.test(value) ? value : undefined;
}

/** A new request id (a random UUID). */
export function newRequestId(): string {
  return randomUUID();
}
