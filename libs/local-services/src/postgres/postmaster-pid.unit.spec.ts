import { parsePostmasterPid } from './postmaster-pid.js';

describe('parsePostmasterPid', () => {
  test('reads the process id from line 1 and the port from line 4', () => {
    const text = [
      '4242',
      '/work/main/.data/postgres',
      '1764460000',
      '5433',
      '',
      '127.0.0.1',
      '  1234567     98304',
      'ready   ',
      '',
    ].join('\n');
    expect(parsePostmasterPid(text)).toEqual({ pid: 4242, port: 5433 });
  });

  test('rejects a truncated or garbled file', () => {
    expect(parsePostmasterPid('4242\n/data\n')).toBeUndefined();
    expect(parsePostmasterPid('')).toBeUndefined();
    expect(parsePostmasterPid('x\ny\nz\n99999\n')).toBeUndefined();
  });
});
