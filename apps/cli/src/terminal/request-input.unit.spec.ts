import { Readable } from 'node:stream';
import { Command } from '@commander-js/extra-typings';
import {
  guessedContentType,
  nextCursor,
  notBeforeOption,
  priorityOption,
  queryString,
  readTaskBatch,
  taskRequestOf,
  withTaskRequest,
} from './request-input.js';

describe('command-line input', () => {
  test('--query pairs become one URL-encoded query string; a pair without a name is refused', () => {
    expect(queryString(['a=1', 'city=New York', 'empty=', 'eq=a=b'])).toBe(
      'a=1&city=New+York&empty=&eq=a%3Db',
    );
    expect(queryString([])).toBe('');
    expect(() => queryString(['novalue'])).toThrow('--query takes name=value');
    expect(() => queryString(['=1'])).toThrow('--query takes name=value');
  });

  test('a body without --content-type is JSON when it parses, else text, else bytes', () => {
    expect(guessedContentType(Buffer.from('{"a":1}'))).toBe('application/json');
    expect(guessedContentType(Buffer.from('hello'))).toBe('text/plain; charset=utf-8');
    expect(guessedContentType(Buffer.from([0xff, 0xfe, 0x00]))).toBe('application/octet-stream');
  });

  test("a task's request: --query repeated, --data with its content type given or guessed", async () => {
    const options = (...args: string[]) =>
      withTaskRequest(new Command('run'), 'the task').parse(args, { from: 'user' }).opts();
    const stdin = Readable.from([]);
    expect(await taskRequestOf(options(), stdin)).toEqual({ query: '' });
    expect(await taskRequestOf(options('-q', 'a=1', '--query', 'b=2'), stdin)).toEqual({
      query: 'a=1&b=2',
    });
    expect(await taskRequestOf(options('-d', '{"a":1}'), stdin)).toEqual({
      query: '',
      body: Buffer.from('{"a":1}'),
      contentType: 'application/json',
    });
    expect(
      await taskRequestOf(options('--data', 'a,b', '--content-type', 'text/csv'), stdin),
    ).toEqual({ query: '', body: Buffer.from('a,b'), contentType: 'text/csv' });
    expect(await taskRequestOf(options('-d', '-'), Readable.from(['from stdin']))).toEqual({
      query: '',
      body: Buffer.from('from stdin'),
      contentType: 'text/plain; charset=utf-8',
    });
    await expect(taskRequestOf(options('-q', 'novalue'), stdin)).rejects.toThrow(
      '--query takes name=value',
    );
  });

  test("the next page's cursor is read from the Link header", () => {
    expect(nextCursor('</v1/task/list?limit=2&cursor=abc%3D>; rel="next"')).toBe('abc=');
    expect(nextCursor(null)).toBeUndefined();
    expect(nextCursor('</v1/task/list>; rel="prev"')).toBeUndefined();
  });

  test('--priority is 0 to 9; --not-before is unix seconds, a time from now or an ISO time', () => {
    expect(priorityOption('9')).toBe(9);
    expect(() => priorityOption('10')).toThrow('--priority takes 0 to 9');
    const now = 1_767_225_600_000;
    expect(notBeforeOption('1767225660', now)).toBe(1_767_225_660);
    expect(notBeforeOption('90s', now)).toBe(1_767_225_690);
    expect(notBeforeOption('10m', now)).toBe(1_767_226_200);
    expect(notBeforeOption('2h', now)).toBe(1_767_232_800);
    expect(notBeforeOption('2026-01-01T00:01:00Z', now)).toBe(1_767_225_660);
    expect(() => notBeforeOption('tomorrow', now)).toThrow('--not-before takes');
  });

  test('a batch is a JSON array or one JSON object per line', async () => {
    const stdin = (text: string) => Readable.from([text]);
    expect(await readTaskBatch('-', stdin('[{"body":{"a":1}},{"query":"n=2"}]'))).toEqual([
      { body: { a: 1 } },
      { query: 'n=2' },
    ]);
    expect(await readTaskBatch('-', stdin('{"body":"x"}\n\n{"body":"y"}\n'))).toEqual([
      { body: 'x' },
      { body: 'y' },
    ]);
    await expect(readTaskBatch('-', stdin('{"body":"x"}\nnope\n'))).rejects.toThrow('line 2');
    await expect(readTaskBatch('-', stdin('[1]'))).rejects.toThrow(
      'request 1 is not a JSON object',
    );
    await expect(readTaskBatch('-', stdin('[]'))).rejects.toThrow('holds no task request');
  });
});
