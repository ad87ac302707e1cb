import { ContractViolationError } from '@canopy/contracts';
import { testRunningTask } from '@canopy/node-sdk/testing';
import {
  cancelLine,
  invocationLine,
  isWellFormedProgress,
  isWellFormedResponse,
  progressMessageSchema,
  readFunctionMessage,
  responseMessageSchema,
} from './persistent-framing.js';

const ID = '65f1c0ffee0123456789abcd:2';
const line = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function refusal(bytes: Buffer): string {
  try {
    readFunctionMessage(bytes, [ID]);
  } catch (error) {
    if (error instanceof ContractViolationError) return error.message;
    throw error;
  }
  throw new Error('the line was accepted');
}

describe('persistent function framing', () => {
  test('an invocation is one JSON line with the task and the body in base64', () => {
    const { task } = testRunningTask({
      taskId: '65f1c0ffee0123456789abcd',
      attempt: 2,
      functionId: '65f1c0ffee0123456789ffff',
      request: { query: 'a=1&b=%20', contentType: null, body: Buffer.from([0, 255, 10]) },
    });
    const written = invocationLine(task);
    expect(written.endsWith('\n')).toBe(true);
    expect(written.indexOf('\n')).toBe(written.length - 1);
    expect(JSON.parse(written)).toEqual({
      id: ID,
      taskId: '65f1c0ffee0123456789abcd',
      attempt: 2,
      functionId: '65f1c0ffee0123456789ffff',
      query: 'a=1&b=%20',
      contentType: null,
      body: 'AP8K',
    });
  });

  test('a progress line', () => {
    expect(readFunctionMessage(line({ id: ID, progress: 42.5 }), [ID])).toEqual({
      kind: 'progress',
      id: ID,
      percent: 42.5,
    });
  });

  test('a cancel line names the invocation to stop', () => {
    const written = cancelLine(ID);
    expect(written.indexOf('\n')).toBe(written.length - 1);
    expect(JSON.parse(written)).toEqual({ id: ID, cancel: true });
  });

  test('with several invocations in progress, a line may name any of them, and no other', () => {
    const other = '65f1c0ffee0123456789abcd:3';
    expect(readFunctionMessage(line({ id: other, progress: 7 }), [ID, other])).toEqual({
      kind: 'progress',
      id: other,
      percent: 7,
    });
    expect(readFunctionMessage(line({ id: ID }), [ID, other])).toMatchObject({ id: ID });
    expect(() => readFunctionMessage(line({ id: 'x:1' }), [ID, other])).toThrow(
      'Invalid function message: id must name an invocation in progress, not "x:1"',
    );
  });

  test('a response with everything', () => {
    const message = readFunctionMessage(
      line({
        id: ID,
        status: 201,
        contentType: 'application/json',
        headers: { 'X-Job': '9', Connection: 'close', 'Set-Cookie': 'a=b' },
        body: Buffer.from('{"ok":true}').toString('base64'),
      }),
      [ID],
    );
    expect(message).toEqual({
      kind: 'response',
      id: ID,
      result: {
        status: 201,
        contentType: 'application/json',
        headers: { 'x-job': '9' },
        body: Buffer.from('{"ok":true}'),
      },
    });
  });

  test('a response of only its id is a 200 with no content type and an empty body', () => {
    expect(readFunctionMessage(line({ id: ID }), [ID])).toEqual({
      kind: 'response',
      id: ID,
      result: { status: 200, contentType: null, headers: {}, body: Buffer.alloc(0) },
    });
  });

  test('without contentType, the content-type header gives it', () => {
    const message = readFunctionMessage(
      line({ id: ID, headers: { 'Content-Type': 'image/png' }, contentType: null }),
      [ID],
    );
    expect(message).toMatchObject({ result: { contentType: 'image/png', headers: {} } });
  });

  test.each([
    [Buffer.from('hello'), 'Invalid function message: must be a UTF-8 JSON document'],
    [Buffer.from([0x7b, 0xff, 0x7d]), 'Invalid function message: must be a UTF-8 JSON document'],
    [line([ID]), 'Invalid function message: must be an object'],
    [line('text'), 'Invalid function message: must be an object'],
    [line({ status: 200 }), 'Invalid function message: id is required'],
    [
      line({ id: 'another:1' }),
      `Invalid function message: id must be "${ID}", the invocation in progress`,
    ],
    [
      line({ id: 'another:1', progress: 5 }),
      `Invalid function message: id must be "${ID}", the invocation in progress`,
    ],
    [line({ id: ID, progress: 101 }), 'Invalid function message: progress must be at most 100'],
    [line({ id: ID, progress: '5' }), 'Invalid function message: progress must be a number'],
    [
      line({ id: ID, progress: 5, status: 200 }),
      'Invalid function message: Unrecognized key: "status"',
    ],
    [line({ id: ID, status: 700 }), 'Invalid function message: status must be at most 599'],
    [line({ id: ID, status: 200.5 }), 'Invalid function message: status must be an integer'],
    [
      line({ id: ID, contentType: '' }),
      'Invalid function message: contentType must have at least 1 characters',
    ],
    [line({ id: ID, headers: { a: 1 } }), 'Invalid function message: headers.a must be a string'],
    [
      line({ id: ID, body: 'not base64!' }),
      'Invalid function message: body must be base64 (RFC 4648, padded)',
    ],
    [line({ id: ID, stauts: 200 }), 'Invalid function message: Unrecognized key: "stauts"'],
  ])('%s is refused: %s', (bytes, message) => {
    expect(refusal(bytes)).toBe(message);
  });

  // Lines are read by quick checks first and by the schemas only when those do not accept them: what
  // the checks accept, the schemas must accept too, as the same value.
  describe('quick checks', () => {
    const parsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

    test.each<Record<string, unknown>>([
      { id: ID, progress: 0 },
      { id: ID, progress: 100 },
      { id: ID, progress: 42.5 },
      { id: '', progress: 1e-9 },
    ])('progress %j: accepted as the schema accepts it', (message) => {
      const value = parsed(message);
      expect(isWellFormedProgress(value)).toBe(true);
      expect(progressMessageSchema.parse(value)).toEqual(value);
    });

    test.each<Record<string, unknown>>([
      { id: ID },
      { id: ID, status: 200, contentType: null, headers: {}, body: '' },
      { id: ID, status: 100 },
      { id: ID, status: 599, contentType: 'a' },
      { id: ID, contentType: 'application/json', headers: { 'X-Job': '9', 'content-type': 'x' } },
      { id: ID, headers: { constructor: 'x', toString: 'y', '0': 'z' } },
      { id: ID, body: 'AP8K' },
      { id: ID, body: 'aGk=' },
      { id: ID, body: 'aA==' },
      { id: ID, status: 201, body: Buffer.from('{"ok":true}').toString('base64') },
    ])('response %j: accepted as the schema accepts it', (message) => {
      const value = parsed(message);
      expect(isWellFormedResponse(value)).toBe(true);
      expect(responseMessageSchema.parse(value)).toEqual(value);
    });

    test.each<[string, unknown]>([
      ['a line that is not an object', [ID]],
      ['null', null],
      ['an unknown key', { id: ID, progress: 5, status: 200 }],
      ['no id', { progress: 5 }],
      ['an id that is not a string', { id: 5, progress: 5 }],
      ['progress as text', { id: ID, progress: '5' }],
      ['progress below 0', { id: ID, progress: -1 }],
      ['progress above 100', { id: ID, progress: 100.5 }],
    ])('progress with %s is left to the schema', (_, message) => {
      expect(isWellFormedProgress(parsed(message))).toBe(false);
    });

    test.each<[string, unknown]>([
      ['a line that is not an object', 'text'],
      ['an unknown key', { id: ID, stauts: 200 }],
      ['no id', { status: 200 }],
      ['a status as text', { id: ID, status: '200' }],
      ['a fractional status', { id: ID, status: 200.5 }],
      ['a status below 100', { id: ID, status: 99 }],
      ['a status above 599', { id: ID, status: 600 }],
      ['an empty content type', { id: ID, contentType: '' }],
      ['a content type that is not text', { id: ID, contentType: 5 }],
      ['headers as a list', { id: ID, headers: [['a', 'b']] }],
      ['headers as null', { id: ID, headers: null }],
      ['a header that is not text', { id: ID, headers: { a: 1 } }],
      ['a body that is not base64', { id: ID, body: 'not base64!' }],
      ['a body without its padding', { id: ID, body: 'aGk' }],
      ['a body with a space', { id: ID, body: 'aG k' }],
      ['a body that is not text', { id: ID, body: 5 }],
    ])('a response with %s is left to the schema', (_, message) => {
      expect(isWellFormedResponse(parsed(message))).toBe(false);
    });

    test('a "__proto__" member is left to the schema, which reads it its own way', () => {
      const topLevel = JSON.parse(`{"id":"${ID}","__proto__":{"status":500}}`) as unknown;
      expect(isWellFormedResponse(topLevel)).toBe(false);
      expect(refusal(Buffer.from(JSON.stringify(topLevel)))).toBe(
        'Invalid function message: Unrecognized key: "__proto__"',
      );
      const header = JSON.parse(`{"id":"${ID}","headers":{"__proto__":"x","a":"b"}}`) as unknown;
      expect(isWellFormedResponse(header)).toBe(false);
      const line = Buffer.from(`{"id":"${ID}","headers":{"__proto__":"x","x-a":"b"}}`);
      expect(readFunctionMessage(line, [ID])).toEqual({
        kind: 'response',
        id: ID,
        result: { status: 200, contentType: null, headers: { 'x-a': 'b' }, body: Buffer.alloc(0) },
      });
    });
  });
});
