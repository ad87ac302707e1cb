import { StderrReader, progressOf } from './stderr-reader.js';

function read(
  chunks: (string | Buffer)[],
  tailBytes = 1_000,
): { progress: number[]; tail: string } {
  const progress: number[] = [];
  const reader = new StderrReader(tailBytes, (percent) => progress.push(percent));
  for (const chunk of chunks) reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  reader.end();
  return { progress, tail: reader.tailBytes().toString() };
}

describe('stderr of a function process', () => {
  test('progress lines are reported and left out of the tail', () => {
    expect(read(['starting\n::progress 10\nhalf way\n::progress 55.5\r\ndone\n'])).toEqual({
      progress: [10, 55.5],
      tail: 'starting\nhalf way\ndone\n',
    });
  });

  test('lines split across chunks, and a last line without a newline, still count', () => {
    expect(read(['::prog', 'ress 4', '0\nwarn', 'ing', '\n::progress 90'])).toEqual({
      progress: [40, 90],
      tail: 'warning\n',
    });
  });

  test('lines that only look like progress are kept as text', () => {
    const lines = [
      '::progress',
      '::progress 101',
      '::progress -1',
      ' ::progress 5',
      '::progress 5 %',
      'x::progress 5',
    ];
    expect(read([lines.map((line) => `${line}\n`).join('')])).toEqual({
      progress: [],
      tail: lines.map((line) => `${line}\n`).join(''),
    });
  });

  test('only the last bytes are kept', () => {
    const lines = Array.from({ length: 100 }, (_, index) => `line ${index}\n`).join('');
    const { tail } = read([lines.slice(0, 300), lines.slice(300)], 16);
    expect(tail).toBe(lines.slice(-16));
  });

  test('a very long line goes to the tail without waiting for its end', () => {
    const reader = new StderrReader(10_000, () => undefined);
    reader.push(Buffer.from('x'.repeat(1_000)));
    expect(reader.tailBytes().length).toBe(1_000);
    reader.push(Buffer.from('y\n::progress 3\n'));
    expect(reader.tailBytes().toString()).toBe(`${'x'.repeat(1_000)}y\n`);
  });

  test('a zero-byte tail keeps nothing and still reports progress', () => {
    expect(read(['oops\n::progress 7\n'], 0)).toEqual({ progress: [7], tail: '' });
  });
});

describe('progressOf', () => {
  test.each([
    ['::progress 0', 0],
    ['::progress 100', 100],
    ['::progress\t42\n', 42],
    ['::progress 100.5', undefined],
    ['::progress 1000', undefined],
    ['progress 5', undefined],
  ])('%j → %p', (line, percent) => {
    expect(progressOf(line)).toBe(percent);
  });
});
