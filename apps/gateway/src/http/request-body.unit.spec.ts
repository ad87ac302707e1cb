import { z } from 'zod';
import { ApiError } from './api-error.js';
import {
  JsonBodyPipe,
  bodyBytes,
  breaksDeclaredJson,
  isJsonContentType,
  isJsonDocument,
} from './request-body.js';

describe('request bodies', () => {
  test.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/problem+json', true],
    ['application/vnd.api+json;v=1', true],
    ['text/plain', false],
    ['application/jsonp', false],
    ['application/x-www-form-urlencoded', false],
    [undefined, false],
  ])('%j declares JSON: %s', (contentType, declared) => {
    expect(isJsonContentType(contentType)).toBe(declared);
  });

  test('JSON documents are any JSON value in UTF-8', () => {
    expect(isJsonDocument(Buffer.from('{"age":30}'))).toBe(true);
    expect(isJsonDocument(Buffer.from('42'))).toBe(true);
    expect(isJsonDocument(Buffer.from('{"age":30,}'))).toBe(false);
    expect(isJsonDocument(Buffer.from([0x22, 0xff, 0x22]))).toBe(false);
    expect(isJsonDocument(Buffer.alloc(0))).toBe(false);
  });

  test('a declared JSON body must be JSON; an empty one or another content type is fine', () => {
    expect(breaksDeclaredJson(Buffer.from('{"a":1,}'), 'application/json')).toBe(true);
    expect(breaksDeclaredJson(Buffer.from('{"a":1}'), 'application/json')).toBe(false);
    expect(breaksDeclaredJson(Buffer.alloc(0), 'application/json')).toBe(false);
    expect(breaksDeclaredJson(Buffer.from('{"a":1,}'), 'text/plain')).toBe(false);
    expect(breaksDeclaredJson(Buffer.from('{"a":1,}'), null)).toBe(false);
  });

  describe('a JSON body', () => {
    const schema = z.strictObject({ key: z.string().optional() });

    test('is decoded and parsed with its schema', () => {
      expect(new JsonBodyPipe(schema).transform(Buffer.from('{"key":"x"}'))).toEqual({ key: 'x' });
    });

    test('that is not one JSON object is a 400', () => {
      for (const body of [Buffer.from('[1]'), Buffer.from('null'), Buffer.from('{'), undefined]) {
        expect(() => new JsonBodyPipe(schema).transform(body)).toThrow(
          new ApiError(400, 'INVALID_REQUEST', 'the body must be a JSON object'),
        );
      }
    });

    test('may be left out when optional: it is then {}', () => {
      expect(new JsonBodyPipe(schema, { optional: true }).transform(undefined)).toEqual({});
      expect(() =>
        new JsonBodyPipe(schema, { optional: true }).transform(Buffer.from('[')),
      ).toThrow(ApiError);
    });

    test('that breaks its schema is a 400 naming the field', () => {
      expect(() => new JsonBodyPipe(schema).transform(Buffer.from('{"key":1}'))).toThrow(
        new ApiError(400, 'INVALID_REQUEST', 'key must be a string', { field: 'key' }),
      );
    });
  });

  test('a missing body is empty', () => {
    expect(bodyBytes(undefined)).toHaveLength(0);
    expect(bodyBytes(Buffer.from('x'))).toHaveLength(1);
  });
});
