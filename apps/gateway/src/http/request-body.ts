import { ApiError } from './api-error.js';

// Every request body reaches the handlers as raw bytes (one catch-all content-type parser, see
// gateway.ts): a task's body is passed on to its function byte for byte, and the gateway's own JSON
// endpoints decode theirs here.

/** The request's body bytes; empty when it has none. */
export function bodyBytes(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** Whether a content type declares JSON: application/json or a +json suffix type, parameters ignored. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType === 'application/json' ||
    /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType)
  );
}

/** Whether the bytes are one JSON document in UTF-8. */
export function isJsonDocument(bytes: Buffer): boolean {
  return decodeJsonDocument(bytes) !== NOT_JSON;
}

const NOT_JSON = Symbol('not JSON');

function decodeJsonDocument(bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** The JSON object a gateway endpoint expects as its body; a 400 for anything else. */
export function jsonObjectBody(body: unknown): Record<string, unknown> {
  const value = decodeJsonDocument(bodyBytes(body));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_REQUEST', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
