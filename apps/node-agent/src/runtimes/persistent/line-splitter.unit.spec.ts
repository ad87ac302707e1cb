import { LineSplitter } from './line-splitter.js';

const text = (lines: Buffer[] | 'too-long'): string[] | 'too-long' =>
  lines === 'too-long' ? lines : lines.map((line) => line.toString());

describe('line splitter', () => {
  test('lines end at \\n; a \\r before it and empty lines are dropped', () => {
    const splitter = new LineSplitter(100);
    expect(text(splitter.push(Buffer.from('{"a":1}\n\n{"b":2}\r\n\r\n')))).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  test('a line split across chunks comes out once it is complete', () => {
    const splitter = new LineSplitter(100);
    expect(text(splitter.push(Buffer.from('{"id":')))).toEqual([]);
    expect(text(splitter.push(Buffer.from('"x"')))).toEqual([]);
    expect(text(splitter.push(Buffer.from('}\n{"id"')))).toEqual(['{"id":"x"}']);
    expect(text(splitter.push(Buffer.from(':"y"}\n')))).toEqual(['{"id":"y"}']);
  });

  test('bytes are kept as they are, even a multi-byte character split across chunks', () => {
    const splitter = new LineSplitter(100);
    const euro = Buffer.from('"€"\n');
    expect(splitter.push(euro.subarray(0, 2))).toEqual([]);
    expect(splitter.push(euro.subarray(2))).toEqual([Buffer.from('"€"')]);
  });

  test('a line may be exactly as long as the limit', () => {
    const splitter = new LineSplitter(5);
    expect(text(splitter.push(Buffer.from('12345\n123')))).toEqual(['12345']);
    expect(text(splitter.push(Buffer.from('45\n')))).toEqual(['12345']);
  });

  test('a longer line is refused as soon as it passes the limit, before its end', () => {
    expect(new LineSplitter(5).push(Buffer.from('123456\n'))).toBe('too-long');
    const splitter = new LineSplitter(5);
    expect(splitter.push(Buffer.from('ok\n1234'))).toEqual([Buffer.from('ok')]);
    expect(splitter.push(Buffer.from('56'))).toBe('too-long');
  });
});
