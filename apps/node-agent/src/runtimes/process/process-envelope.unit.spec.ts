import { ContractViolationError } from '@canopy/contracts';
import { readProcessEnvelope } from './process-envelope.js';

const envelope = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function refusal(stdout: Buffer): string {
  try {
    readProcessEnvelope(stdout);
  } catch (error) {
    if (error instanceof ContractViolationError) return error.message;
    throw error;
  }
  throw new Error('the envelope was accepted');
}

describe('process envelope', () => {
  test('a UTF-8 body with status, content type and headers', () => {
    const result = readProcessEnvelope(
      envelope({
        status: 201,
        contentType: 'application/json',
        headers: { 'X-Id': '7', Connection: 'close' },
        body: '{"ok":true}',
      }),
    );
    expect(result).toEqual({
      status: 201,
      contentType: 'application/json',
      headers: { 'x-id': '7' },
      body: Buffer.from('{"ok":true}'),
    });
  });

  test('a base64 body is decoded; content type may come from the headers', () => {
    const result = readProcessEnvelope(
      envelope({
        status: 200,
        headers: { 'Content-Type': 'image/png' },
        body: Buffer.from([137, 80, 78, 71]).toString('base64'),
        bodyEncoding: 'base64',
      }),
    );
    expect(result).toMatchObject({ contentType: 'image/png', headers: {} });
    expect(result.body).toEqual(Buffer.from([137, 80, 78, 71]));
  });

  test('only the status and body are required', () => {
    expect(readProcessEnvelope(envelope({ status: 404, body: '' }))).toEqual({
      status: 404,
      contentType: null,
      headers: {},
      body: Buffer.alloc(0),
    });
  });

  test.each([
    [Buffer.from('not json'), 'Invalid process envelope: must be a UTF-8 JSON document'],
    [envelope({ body: 'x' }), 'Invalid process envelope: status is required'],
    [envelope({ status: 700, body: '' }), 'Invalid process envelope: status must be at most 599'],
    [envelope({ status: 200 }), 'Invalid process envelope: body is required'],
    [
      envelope({ status: 200, body: '', headers: { a: 1 } }),
      'Invalid process envelope: headers.a must be a string',
    ],
    [
      envelope({ status: 200, body: '%%%', bodyEncoding: 'base64' }),
      'Invalid process envelope: body must be base64 (RFC 4648, padded) when bodyEncoding is "base64"',
    ],
    [
      envelope({ status: 200, body: '', bodyEncoding: 'hex' }),
      'Invalid process envelope: bodyEncoding must be "utf8" or "base64"',
    ],
    [
      envelope({ status: 200, body: '', stauts: 1 }),
      'Invalid process envelope: Unrecognized key: "stauts"',
    ],
  ])('%s is refused: %s', (stdout, message) => {
    expect(refusal(stdout)).toBe(message);
  });
});
