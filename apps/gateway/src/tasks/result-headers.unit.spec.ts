import { passedResultHeaders } from './result-headers.js';

describe('result headers', () => {
  test('pass on end-to-end headers, lower-cased', () => {
    expect(
      passedResultHeaders({ 'X-Duration-Ms': '12', 'cache-control': 'no-store', etag: '"abc"' }),
    ).toEqual({ 'x-duration-ms': '12', 'cache-control': 'no-store', etag: '"abc"' });
  });

  test('drop framing, hop-by-hop, cookie and content-type headers', () => {
    expect(
      passedResultHeaders({
        'content-length': '10',
        'transfer-encoding': 'chunked',
        'content-encoding': 'gzip',
        connection: 'close, x-hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        upgrade: 'websocket',
        'set-cookie': 'session=1',
        'content-type': 'text/html',
        date: 'Sat, 22 Jun 2024 21:05:48 GMT',
        'x-kept': 'yes',
      }),
    ).toEqual({ 'x-kept': 'yes' });
  });

  test('drop names and values that are not valid HTTP', () => {
    expect(
      passedResultHeaders({
        'x-split': 'a\r\nset-cookie: evil=1',
        'bad name': 'x',
        'x-nul': 'a\0b',
        'x-ok': 'fine',
      }),
    ).toEqual({ 'x-ok': 'fine' });
  });
});
