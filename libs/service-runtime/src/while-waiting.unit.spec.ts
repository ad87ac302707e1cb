import { jest } from '@jest/globals';
import { recordingLogger } from './testing/recording-logger.js';
import { sayWhileWaiting } from './while-waiting.js';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly waitedSeconds: number;
}

const recordingInfo = () => recordingLogger<Line>({ level: 'info', base: null });

/** A promise and the functions that settle it. */
function pending<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('sayWhileWaiting', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('warns every interval while the work is pending, then resolves with it and stops', async () => {
    const { logger, lines } = recordingInfo();
    const work = pending<string>();
    const waiting = sayWhileWaiting(work.promise, logger, 'NATS at nats://127.0.0.1:4222', 5_000);

    await jest.advanceTimersByTimeAsync(4_999);
    expect(lines).toEqual([]);
    await jest.advanceTimersByTimeAsync(10_001);
    expect(lines.map(({ level, msg, waitedSeconds }) => ({ level, msg, waitedSeconds }))).toEqual([
      { level: 40, msg: 'still waiting for NATS at nats://127.0.0.1:4222', waitedSeconds: 5 },
      { level: 40, msg: 'still waiting for NATS at nats://127.0.0.1:4222', waitedSeconds: 10 },
      { level: 40, msg: 'still waiting for NATS at nats://127.0.0.1:4222', waitedSeconds: 15 },
    ]);

    work.resolve('connected');
    await expect(waiting).resolves.toBe('connected');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('rejects as the work does, and says nothing when it settles in time', async () => {
    const { logger, lines } = recordingInfo();
    const work = pending<string>();
    const waiting = sayWhileWaiting(work.promise, logger, 'NATS', 5_000);
    work.reject(new Error('Authorization Violation'));
    await expect(waiting).rejects.toThrow('Authorization Violation');
    expect(jest.getTimerCount()).toBe(0);
    expect(lines).toEqual([]);
  });
});
