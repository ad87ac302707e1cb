import { atHalfTheRate, runClosedLoop, runWarmUp, warmsUp } from './load-shapes.js';

describe('runClosedLoop', () => {
  test('runs every task once with at most `clients` at a time', async () => {
    const ran: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    await runClosedLoop({ tasks: 25, clients: 4 }, async (index) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await Promise.resolve();
      ran.push(index);
      running -= 1;
    });
    expect([...ran].sort((left, right) => left - right)).toEqual(
      Array.from({ length: 25 }, (_, index) => index),
    );
    expect(mostAtOnce).toBe(4);
  });

  test('starts no more clients than tasks', async () => {
    let running = 0;
    let mostAtOnce = 0;
    await runClosedLoop({ tasks: 2, clients: 64 }, async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await Promise.resolve();
      running -= 1;
    });
    expect(mostAtOnce).toBe(2);
  });
});

describe('runWarmUp', () => {
  test('runs at least the tasks asked for when the time is already up', async () => {
    let ran = 0;
    const counted = await runWarmUp({ tasks: 30, seconds: 0, clients: 4 }, async () => {
      await Promise.resolve();
      ran += 1;
    });
    expect(ran).toBe(30);
    expect(counted).toBe(30);
  });

  test('goes on past its tasks until its time is up', async () => {
    const started = performance.now();
    let ran = 0;
    const counted = await runWarmUp({ tasks: 1, seconds: 0.2, clients: 2 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      ran += 1;
    });
    // Every client finishes the task it has in hand once the time is up, none is cut off.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(ran).toBe(counted);
    expect(ran).toBeGreaterThan(2);
  });

  test('keeps at most `clients` tasks in flight', async () => {
    let running = 0;
    let mostAtOnce = 0;
    await runWarmUp({ tasks: 40, seconds: 0, clients: 3 }, async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await Promise.resolve();
      running -= 1;
    });
    expect(mostAtOnce).toBe(3);
  });

  test('runs nothing when both its tasks and its seconds are 0', async () => {
    let ran = 0;
    expect(warmsUp({ tasks: 0, seconds: 0, clients: 64 })).toBe(false);
    expect(
      await runWarmUp({ tasks: 0, seconds: 0, clients: 64 }, async () => {
        ran += 1;
        await Promise.resolve();
      }),
    ).toBe(0);
    expect(ran).toBe(0);
  });
});

describe('atHalfTheRate', () => {
  test('halves the rate to whole tasks per second and keeps the duration', () => {
    expect(atHalfTheRate(1741.4, 20)).toEqual({ ratePerSecond: 871, durationSeconds: 20 });
    expect(atHalfTheRate(1399, 10)).toEqual({ ratePerSecond: 700, durationSeconds: 10 });
  });

  test('never comes to less than one task per second', () => {
    expect(atHalfTheRate(0.4, 10).ratePerSecond).toBe(1);
  });
});
