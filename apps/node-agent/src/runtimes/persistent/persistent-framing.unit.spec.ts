import { ContractViolationError } from '@canopy/contracts';
import { testRunningTask } from '@canopy/node-sdk/testing';
import { invocationLine, readFunctionMessage } from './persistent-framing.js';

const ID = '65f1c0ffee0123456789abcd:2';
const line = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function refusal(bytes: Buffer): string {
  try {
    readFunctionMessage(bytes, ID);
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
    expect(readFunctionMessage(line({ id: ID, progress: 42.5 }), ID)).toEqual({
      kind: 'progress',
      percent: 42.5,
    });
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
      ID,
    );
    expect(message).toEqual({
      kind: 'response',
      result: {
        status: 201,
        contentType: 'application/json',
        headers: { 'x-job': '9' },
        body: Buffer.from('{"ok":true}'),
      },
    });
  });

  test('a response of only its id is a 200 with no content type and an empty body', () => {
    expect(readFunctionMessage(line({ id: ID }), ID)).toEqual({
      kind: 'response',
      result: { status: 200, contentType: null, headers: {}, body: Buffer.alloc(0) },
    });
  });

  test('without contentType, the content-type header gives it', () => {
    const message = readFunctionMessage(
      line({ id: ID, headers: { 'Content-Type': 'image/png' }, contentType: null }),
      ID,
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
});
