import { pause, retryDelayMs } from './retry-delay.js';

describe('retryDelayMs', () => {
  test('doubles from 250 ms and stops growing at 30 s', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures, middle))).toEqual([
      250, 500, 1000, 2000,
    ]);
    expect(retryDelayMs(30, middle)).toBe(30_000);
  });

  test('spreads retries by ±20 %', () => {
    expect(retryDelayMs(1, () => 0)).toBe(200);
    expect(retryDelayMs(1, () => 1)).toBe(300);
  });
});

describe('pause', () => {
  test('ends as soon as its signal aborts', async () => {
    const controller = new AbortController();
    const paused = pause(3_600_000, controller.signal);
    controller.abort();
    await expect(paused).resolves.toBeUndefined();
  });
});
