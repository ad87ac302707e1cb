import { createHash } from 'node:crypto';

// The Idempotency-Key request header (draft-ietf-httpapi-idempotency-key-header): a client's name for
// one request, so that sending it again cannot create a second resource. The draft makes the value
// a Structured Field string ("..."); most clients (Stripe's habit) send it bare. Both are accepted:
// `"abc"` and `abc` are the same key.

/** The longest key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Why a header value is not a key; `undefined` from {@link parseIdempotencyKey} means it is one. */
export class InvalidIdempotencyKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIdempotencyKeyError';
  }
}

// Printable ASCII: visible characters and the space (not at either end, where HTTP trims).
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The key a header value names. Throws InvalidIdempotencyKeyError for an empty value, one longer
 * than {@link MAX_IDEMPOTENCY_KEY_LENGTH}, one with characters other than printable ASCII, or a
 * badly quoted string.
 */
export function parseIdempotencyKey(value: string): string {
  const key = value.startsWith('"') ? unquote(value) : value;
  if (key.length === 0) throw new InvalidIdempotencyKeyError('the Idempotency-Key is empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidIdempotencyKeyError(
      `an Idempotency-Key has at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
    );
  }
  if (!PRINTABLE.test(key) || key.trim() !== key) {
    throw new InvalidIdempotencyKeyError(
      'an Idempotency-Key is printable ASCII, without spaces at either end',
    );
  }
  return key;
}

// RFC 8941 sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE.
function unquote(value: string): string {
  let key = '';
  for (let index = 1; index < value.length; index += 1) {
    const char = value[index] as string;
    if (char === '"') {
      if (index !== value.length - 1) break;
      return key;
    }
    if (char === '\\') {
      const next = value[index + 1];
      if (next !== '"' && next !== '\\') break;
      key += next;
      index += 1;
    } else {
      key += char;
    }
  }
  throw new InvalidIdempotencyKeyError('the Idempotency-Key is a badly quoted string');
}

/** What makes two requests "the same request" for a key. */
export interface RequestIdentity {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  readonly contentType: string | null;
  readonly body: Uint8Array;
  /**
   * Headers that change what the request creates (a task's priority or delay), by lower-case name;
   * those absent are left out, so a request without any has the fingerprint it always had.
   */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/**
 * SHA-256 (hex) over the method, path, query, content type, the body's own SHA-256 and the headers
 * that change what is created, each part
 * length-prefixed so that no two different requests can run together into the same text. Bytes as
 * they came: the same JSON with other spacing is another request.
 */
export function requestFingerprint(request: RequestIdentity): string {
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const hash = createHash('sha256');
  for (const part of [
    request.method.toUpperCase(),
    request.path,
    request.query,
    request.contentType ?? '',
    bodyHash,
    ...Object.entries(request.headers ?? {})
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}: ${value}`),
  ]) {
    hash
      .update(`${Buffer.byteLength(part)}:`)
      .update(part)
      .update('\n');
  }
  return hash.digest('hex');
}
