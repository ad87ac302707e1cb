import { formatFacts, formatMiB, formatTable } from './report-tables.js';

describe('formatTable', () => {
  test('aligns the first column left and the others right, under a rule', () => {
    expect(
      formatTable(
        ['stage', 'p50'],
        [
          ['a', '1.0 ms'],
          ['longer stage', '12.5 ms'],
        ],
      ),
    ).toBe(
      [
        'stage             p50',
        '------------  -------',
        'a              1.0 ms',
        'longer stage  12.5 ms',
      ].join('\n'),
    );
  });
});

describe('formatFacts', () => {
  test('lines up the values under a title', () => {
    expect(
      formatFacts('run', [
        ['tasks', '10'],
        ['wall time', '2.0 s'],
      ]),
    ).toBe('run\n  tasks      10\n  wall time  2.0 s');
  });
});

describe('formatMiB', () => {
  test('shows whole MiB, or "-" when unknown', () => {
    expect(formatMiB(52 * 1024 * 1024 + 10)).toBe('52 MiB');
    expect(formatMiB(undefined)).toBe('-');
  });
});
