import fc from 'fast-check';

// Arbitraries of hostile HTTP requests for property-based tests of the gateway: malformed ids,
// query strings, dates, headers, content types, invalid UTF-8, deeply nested and oversized JSON.
// Each request targets one documented operation, so every endpoint gets its share of the runs.

/** One operation of the API, as the OpenAPI document describes it. */
export interface Operation {
  readonly method: string;
  /** The path template, e.g. `/v1/task/{id}/result`. */
  readonly path: string;
  readonly queryParameters: readonly string[];
  /** Request headers the operation documents (lower case), e.g. `canopy-priority`. */
  readonly headerParameters: readonly string[];
  readonly hasBody: boolean;
  readonly authenticated: boolean;
}

export interface HostileRequest {
  readonly operation: Operation;
  readonly method: string;
  /** Path and query, already percent-encoded as sent. */
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
  /** What the request is made of, for a failure's report (never the body itself when it is large). */
  readonly description: string;
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: unknown;
        security?: unknown[];
      }
    >
  >;
  readonly security?: unknown[];
}

const httpMethods = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Every operation of an OpenAPI 3 document. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => httpMethods.has(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        queryParameters: (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => parameter.name),
        headerParameters: (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'header')
          .map((parameter) => parameter.name.toLowerCase()),
        hasBody: operation.requestBody !== undefined,
        authenticated: (operation.security ?? document.security ?? []).length > 0,
      })),
  );
}

const encoder = new TextEncoder();

function hexString(constraints: { minLength: number; maxLength: number }): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), ...constraints });
}

/** Bytes that are not UTF-8: lone continuation bytes, overlongs, surrogates, truncated sequences. */
const invalidUtf8 = fc.constantFrom(
  Uint8Array.of(0xff, 0xfe),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xed, 0xa0, 0x80),
  Uint8Array.of(0xe2, 0x82),
  Uint8Array.of(0x80),
  Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80),
);

const percentEncodedInvalidUtf8 = fc.constantFrom('%FF%FE', '%C0%AF', '%ED%A0%80', '%E2%82', '%80');

function percentEncodeAll(text: string): string {
  return Array.from(encoder.encode(text), (byte) => `%${byte.toString(16).padStart(2, '0')}`).join(
    '',
  );
}

/** Path segments standing where an id belongs. */
function idSegment(knownIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...knownIds),
    hexString({ minLength: 0, maxLength: 40 }).map((hex) => hex || '0'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom('..', '%2e%2e%2f', 'list', 'csv', '%00', '-1', '1e400', 'null', '__proto__'),
    percentEncodedInvalidUtf8,
    fc.constant('a'.repeat(5000)),
    fc.string({ minLength: 1, maxLength: 20 }).map(percentEncodeAll),
  );
}

const dates = fc.oneof(
  fc.constantFrom('2025-24-03', '2025-03-24', '0', '-1', '99999999999999999999', 'now', 'NaN'),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.integer().map(String),
);

const queryValue = fc.oneof(
  dates,
  fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent),
  percentEncodedInvalidUtf8,
  fc.constantFrom('true', 'false', '', '[]', '{}', '%', '%%', '%zz', '+'),
  fc.integer({ min: -1_000_000, max: 10_000_000 }).map(String),
  hexString({ minLength: 24, maxLength: 24 }),
  fc.constant('x'.repeat(10_000)),
);

function queryString(operation: Operation): fc.Arbitrary<string> {
  const name = fc.oneof(
    operation.queryParameters.length > 0
      ? fc.constantFrom(...operation.queryParameters)
      : fc.constant('limit'),
    fc.constantFrom('cursor', 'wait', 'from', 'to', 'scheduleId', 'showPlain', 'functionId'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).map(encodeURIComponent),
    percentEncodedInvalidUtf8,
  );
  return fc
    .array(fc.tuple(name, queryValue), { maxLength: 6 })
    .map((pairs) =>
      pairs.length === 0 ? '' : `?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`,
    );
}

function nestedJson(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Request bodies: garbage, almost-right JSON, deep nesting, oversized documents, invalid UTF-8. */
const body: fc.Arbitrary<{ bytes: Uint8Array; label: string }> = fc.oneof(
  fc.json({ maxDepth: 4 }).map((text) => ({ bytes: encoder.encode(text), label: 'json' })),
  fc
    .dictionary(
      fc.constantFrom(
        'name',
        'description',
        'functionId',
        'cron',
        'timeZone',
        'key',
        'capabilities',
        'runtime',
        '__proto__',
        'constructor',
      ),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' })),
    )
    .map((value) => ({ bytes: encoder.encode(JSON.stringify(value)), label: 'object' })),
  fc
    .integer({ min: 1_000, max: 200_000 })
    .map((depth) => ({ bytes: encoder.encode(nestedJson(depth)), label: `nested ${depth}` })),
  fc.integer({ min: 1, max: 12 }).map((megabytes) => ({
    bytes: encoder.encode(JSON.stringify({ name: 'x'.repeat(megabytes * 1024 * 1024) })),
    label: `${megabytes} MiB`,
  })),
  fc
    .tuple(fc.string({ maxLength: 20 }), invalidUtf8, fc.string({ maxLength: 20 }))
    .map(([before, bad, after]) => ({
      bytes: new Uint8Array([
        ...encoder.encode(`{"name":"${before}`),
        ...bad,
        ...encoder.encode(`${after}"}`),
      ]),
      label: 'invalid utf-8 in json',
    })),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({ bytes, label: 'random bytes' })),
  // Batches: arrays of hostile task requests, some too long.
  fc
    .array(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record(
          {
            query: fc.oneof(fc.string(), fc.constant('?a=1 #x')),
            contentType: fc.oneof(fc.constant(null), fc.string({ maxLength: 30 })),
            body: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })),
            bodyEncoding: fc.constantFrom('utf8', 'base64', 'hex', ''),
          },
          { requiredKeys: [] },
        ),
      ),
      { maxLength: 1100 },
    )
    .map((entries) => ({ bytes: encoder.encode(JSON.stringify(entries)), label: 'batch' })),
  fc
    .constantFrom(
      '',
      '{',
      '{"a":1}{"b":2}',
      'null',
      '1e400',
      '"\\ud800"',
      '{"a":NaN}',
      '[]',
      '[{}]',
    )
    .map((text) => ({ bytes: encoder.encode(text), label: 'edge json' })),
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'application/octet-stream',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    '',
    ';;;',
    'application/json; charset=',
    '*/*',
  ),
  fc.string({ maxLength: 30 }).filter((value) => /^[\x20-\x7e]*$/.test(value)),
);

const headerValue = fc.string({ maxLength: 60 }).filter((value) => /^[\x20-\x7e]*$/.test(value));

/** Hostile requests against one of the operations; most carry a valid token, to get past the guard. */
export function hostileRequest(
  operations: readonly Operation[],
  context: { readonly token: string; readonly knownIds: readonly string[] },
): fc.Arbitrary<HostileRequest> {
  return fc.constantFrom(...operations).chain((operation) =>
    fc
      .record({
        segments: fc.array(idSegment(context.knownIds), { minLength: 4, maxLength: 4 }),
        query: queryString(operation),
        body: fc.option(body, { freq: operation.hasBody ? 5 : 1 }),
        contentType: fc.option(contentType, { freq: 4 }),
        authorization: fc.oneof(
          { weight: 8, arbitrary: fc.constant(`Bearer ${context.token}`) },
          {
            weight: 1,
            arbitrary: fc.oneof(
              headerValue,
              headerValue.map((value) => `Bearer ${value}`),
              fc.constant(`Bearer ${context.token}x`),
              fc.constant(`Basic ${Buffer.from('a:b').toString('base64')}`),
            ),
          },
        ),
        extraHeaders: fc.dictionary(
          fc.constantFrom(
            'accept',
            'accept-encoding',
            'x-forwarded-for',
            'if-none-match',
            'range',
            'idempotency-key',
            // The operation's own documented headers (Canopy-Priority, ...), more often.
            ...operation.headerParameters,
            ...operation.headerParameters,
          ),
          fc.oneof(
            headerValue,
            fc.integer({ min: -1, max: 12 }).map(String),
            fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map(String),
          ),
          { maxKeys: 3 },
        ),
      })
      .map(({ segments, query, body: content, contentType: type, authorization, extraHeaders }) => {
        let index = 0;
        const path = operation.path.replace(/\{[^}]+\}/g, () => segments[index++ % 4] ?? 'x');
        const headers: Record<string, string> = { ...extraHeaders, authorization };
        if (type !== null) headers['content-type'] = type;
        const description = [
          `${operation.method} ${path.slice(0, 200)}${query.slice(0, 200)}`,
          `headers ${JSON.stringify({ ...headers, authorization: authorization.slice(0, 20) })}`,
          content === null ? 'no body' : `body ${content.label} (${content.bytes.length} bytes)`,
        ].join('; ');
        return {
          operation,
          method: operation.method,
          target: `${path}${query}`,
          headers,
          body: content?.bytes,
          description,
          // A counterexample is reported by its description, not by megabytes of body bytes.
          [fc.toStringMethod]: () => description,
        };
      }),
  );
}
