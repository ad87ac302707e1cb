import {
  InvalidIdempotencyKeyError,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  test('a bare value and its quoted form are the same key', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"a \\"b\\" \\\\ c"')).toBe('a "b" \\ c');
    expect(parseIdempotencyKey('order 17, retry')).toBe('order 17, retry');
  });

  test('up to the longest length', () => {
    expect(parseIdempotencyKey('k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH))).toHaveLength(255);
    expect(() => parseIdempotencyKey('k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1))).toThrow(
      InvalidIdempotencyKeyError,
    );
  });

  test.each([
    ['empty', ''],
    ['empty quoted', '""'],
    ['unterminated quote', '"abc'],
    ['text after the closing quote', '"abc"d'],
    ['a bad escape', '"a\\bc"'],
    ['a control character', 'a\tb'],
    ['a non-ASCII character', 'clé'],
    ['a NUL', 'a\u0000b'],
    ['spaces at an end, quoted', '" a"'],
  ])('refuses %s', (_what, value) => {
    expect(() => parseIdempotencyKey(value)).toThrow(InvalidIdempotencyKeyError);
  });
});

describe('requestFingerprint', () => {
  const request = {
    method: 'POST',
    path: '/v1/task/aaaaaaaaaaaaaaaaaaaaaaaa',
    query: 'a=1',
    contentType: 'application/json',
    body: Buffer.from('{"x":1}'),
  };

  test('the same request has the same fingerprint', () => {
    expect(requestFingerprint({ ...request, body: Buffer.from('{"x":1}') })).toBe(
      requestFingerprint(request),
    );
    expect(requestFingerprint(request)).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ['method', { method: 'PUT' }],
    ['path', { path: '/v1/task/bbbbbbbbbbbbbbbbbbbbbbbb' }],
    ['query', { query: 'a=2' }],
    ['content type', { contentType: 'text/plain' }],
    ['no content type', { contentType: null }],
    ['body', { body: Buffer.from('{"x": 1}') }],
    ['parts run together', { path: '/v1/task/aaaaaaaaaaaaaaaaaaaaaaaaa', query: '=1' }],
    ['priority header', { headers: { 'canopy-priority': '9' } }],
  ])('another %s is another request', (_what, change) => {
    expect(requestFingerprint({ ...request, ...change })).not.toBe(requestFingerprint(request));
  });

  test('absent headers leave the fingerprint as it was; their order does not matter', () => {
    expect(requestFingerprint({ ...request, headers: { 'canopy-priority': undefined } })).toBe(
      requestFingerprint(request),
    );
    const both = { 'canopy-priority': '9', 'canopy-not-before': '1900000000' };
    expect(
      requestFingerprint({
        ...request,
        headers: { 'canopy-not-before': '1900000000', 'canopy-priority': '9' },
      }),
    ).toBe(requestFingerprint({ ...request, headers: both }));
  });
});
