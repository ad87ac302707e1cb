// Which headers of a function's response travel to Canopy's clients. Nodes filter what they report
// and the gateway filters again what it serves (any node may report), with this one rule.

/**
 * Headers a function's response may not pass on to Canopy's clients:
 * - hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the response;
 * - content-length and content-encoding describe bytes the node has already decoded and the
 *   gateway will frame again;
 * - set-cookie would plant the function's cookies on Canopy's own API domain;
 * - content-type travels in the response's own contentType field.
 */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
  'set-cookie',
  'content-type',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values may hold visible ASCII, spaces, tabs and obs-text, never CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface PassedHeaders {
  /** Lower-case names; repeated names joined with ", ". */
  readonly headers: Record<string, string>;
  /** The content-type header, if one was given. */
  readonly contentType: string | null;
}

/**
 * Keeps the headers that are safe to pass on (see above), dropping also those a `Connection`
 * header names and any name or value that is not valid HTTP (which could split a response).
 */
export function passOnHeaders(
  entries: Iterable<readonly [string, string]>,
  options: { readonly alsoDrop?: readonly string[] } = {},
): PassedHeaders {
  const alsoDropped = new Set(options.alsoDrop?.map((name) => name.toLowerCase()));
  const all = new Map<string, string>();
  for (const [rawName, rawValue] of entries) {
    const name = rawName.toLowerCase();
    const value = rawValue.trim();
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) continue;
    const previous = all.get(name);
    all.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  const namedByConnection = new Set(
    (all.get('connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of all) {
    if (!DROPPED.has(name) && !alsoDropped.has(name) && !namedByConnection.has(name)) {
      headers[name] = value;
    }
  }
  const contentType = all.get('content-type');
  return {
    headers,
    contentType: contentType === undefined || contentType === '' ? null : contentType,
  };
}
