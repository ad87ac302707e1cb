// Which of a function's response headers GET /v1/task/:taskId/result passes on. Nodes already filter
// (see the node agent), but any node may report, so the gateway does not trust them to:
// - hop-by-hop headers (RFC 9110 §7.6.1) and those a Connection header names describe one
//   connection, not the response;
// - content-length, transfer-encoding and content-encoding describe framing the gateway does itself
//   (the stored body is the decoded representation, sent with its own length);
// - set-cookie would plant the function's cookies on Canopy's API origin, for every client of it;
// - content-type travels in the result's own contentType;
// - names or values that are not valid HTTP (a CR or LF could split the response) are dropped.

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
  'date',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function passedResultHeaders(
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  const lowerCased = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (TOKEN.test(name) && typeof value === 'string' && FIELD_VALUE.test(value)) {
      lowerCased.set(name.toLowerCase(), value.trim());
    }
  }
  const namedByConnection = new Set(
    (lowerCased.get('connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const passed: Record<string, string> = {};
  for (const [name, value] of lowerCased) {
    if (!DROPPED.has(name) && !namedByConnection.has(name)) passed[name] = value;
  }
  return passed;
}
