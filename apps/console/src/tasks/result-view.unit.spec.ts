import { expect, test } from '@jest/globals';
import { resultFileName, resultView } from './result-view.js';

const bytes = (text: string) => new TextEncoder().encode(text);

test('JSON is shown pretty-printed, text as it is, anything else is offered as a download', () => {
  expect(resultView('application/json', bytes('{"a":[1,2]}'))).toEqual({
    kind: 'json',
    text: '{\n  "a": [\n    1,\n    2\n  ]\n}',
  });
  expect(resultView('application/problem+json; charset=utf-8', bytes('{"x":1}')).kind).toBe('json');
  expect(resultView('application/json', bytes('not json'))).toEqual({
    kind: 'text',
    text: 'not json',
  });
  expect(resultView('text/plain; charset=utf-8', bytes('Hello'))).toEqual({
    kind: 'text',
    text: 'Hello',
  });
  expect(resultView(null, bytes('no type, but text'))).toEqual({
    kind: 'text',
    text: 'no type, but text',
  });
  expect(resultView('image/png', bytes('PNG'))).toEqual({ kind: 'binary', size: 3 });
  expect(resultView(null, new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ kind: 'binary', size: 3 });
  expect(resultView('text/plain', new Uint8Array([0xc3, 0x28]))).toEqual({
    kind: 'binary',
    size: 2,
  });
});

test('a downloaded body is named after its task and content type', () => {
  expect(resultFileName('abc', 'application/octet-stream')).toBe('task-abc.bin');
  expect(resultFileName('abc', 'image/png')).toBe('task-abc.png');
  expect(resultFileName('abc', 'application/vnd.api+json')).toBe('task-abc.json');
  expect(resultFileName('abc', null)).toBe('task-abc.bin');
});
