import { ApiError } from './api-error.js';
import { bodyBytes, isJsonContentType, isJsonDocument, jsonObjectBody } from './request-body.js';

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

  test('a JSON object body is decoded; anything else is a 400', () => {
    expect(jsonObjectBody(Buffer.from('{"key":"x"}'))).toEqual({ key: 'x' });
    for (const body of [Buffer.from('[1]'), Buffer.from('null'), Buffer.from('{'), undefined]) {
      expect(() => jsonObjectBody(body)).toThrow(ApiError);
    }
  });

  test('a missing body is empty', () => {
    expect(bodyBytes(undefined)).toHaveLength(0);
    expect(bodyBytes(Buffer.from('x'))).toHaveLength(1);
  });
});
