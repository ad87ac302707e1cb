import { jest } from '@jest/globals';
import { Wakeup } from './wakeup.js';

describe('Wakeup', () => {
  const never = new AbortController().signal;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Starts a wait with no timeout and reports whether it has returned. */
  function waiting(wakeup: Wakeup): () => boolean {
    let returned = false;
    void wakeup.wait(undefined, never).then(() => {
      returned = true;
    });
    return () => returned;
  }

  test('a wake before the wait makes the wait return at once', async () => {
    const wakeup = new Wakeup();
    wakeup.wake();
    const returned = waiting(wakeup);
    await jest.advanceTimersByTimeAsync(0);
    expect(returned()).toBe(true);
  });

  test('wakeWithin wakes once its delay has passed, not before', async () => {
    const wakeup = new Wakeup();
    const returned = waiting(wakeup);
    wakeup.wakeWithin(50);
    await jest.advanceTimersByTimeAsync(49);
    expect(returned()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(returned()).toBe(true);
  });

  test('many wakeWithin calls share one timer, counted from the first', async () => {
    const wakeup = new Wakeup();
    const returned = waiting(wakeup);
    wakeup.wakeWithin(50);
    await jest.advanceTimersByTimeAsync(30);
    wakeup.wakeWithin(50);
    wakeup.wakeWithin(50);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(returned()).toBe(true);
  });

  test('a wake while a delayed one is pending wakes at once and drops the timer', async () => {
    const wakeup = new Wakeup();
    const returned = waiting(wakeup);
    wakeup.wakeWithin(50);
    wakeup.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(returned()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('wakeWithin(0) wakes at once', async () => {
    const wakeup = new Wakeup();
    const returned = waiting(wakeup);
    wakeup.wakeWithin(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(returned()).toBe(true);
  });

  test('a delayed wake that fired while nobody waited is remembered by the next wait', async () => {
    const wakeup = new Wakeup();
    wakeup.wakeWithin(10);
    await jest.advanceTimersByTimeAsync(10);
    const returned = waiting(wakeup);
    await jest.advanceTimersByTimeAsync(0);
    expect(returned()).toBe(true);
  });
});
