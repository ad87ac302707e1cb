import { passOnHeaders } from './response-headers.js';

describe('headers passed on from a function', () => {
  test('keep end-to-end headers, lower-cased', () => {
    expect(
      passOnHeaders([
        ['X-Trace', 'abc'],
        ['Cache-Control', 'no-store'],
        ['Location', '/next'],
      ]),
    ).toEqual({
      headers: { 'x-trace': 'abc', 'cache-control': 'no-store', location: '/next' },
      contentType: null,
    });
  });

  test('drop hop-by-hop headers, framing, cookies and those the Connection header names', () => {
    const passed = passOnHeaders([
      ['Connection', 'close, X-Private'],
      ['Keep-Alive', 'timeout=5'],
      ['Transfer-Encoding', 'chunked'],
      ['Content-Length', '12'],
      ['Content-Encoding', 'gzip'],
      ['Set-Cookie', 'session=1'],
      ['Upgrade', 'h2c'],
      ['X-Private', 'hop'],
      ['X-Public', 'end'],
    ]);
    expect(passed.headers).toEqual({ 'x-public': 'end' });
  });

  test('content type moves to its own field', () => {
    expect(passOnHeaders([['Content-Type', 'application/json']])).toEqual({
      headers: {},
      contentType: 'application/json',
    });
  });

  test('repeated names are joined', () => {
    expect(
      passOnHeaders([
        ['Vary', 'a'],
        ['vary', 'b'],
      ]).headers,
    ).toEqual({ vary: 'a, b' });
  });

  test('names or values that could split a response are dropped', () => {
    expect(
      passOnHeaders([
        ['X-Bad', 'a\r\nSet-Cookie: x=1'],
        ['Bad Name', 'v'],
        ['', 'v'],
        ['X-Good', ' v '],
      ]).headers,
    ).toEqual({ 'x-good': 'v' });
  });
});
