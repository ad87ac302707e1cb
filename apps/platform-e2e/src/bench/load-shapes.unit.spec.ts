import { runClosedLoop } from './load-shapes.js';

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
