import { eventually } from './eventually.js';

describe('eventually', () => {
  test('resolves with what the check returns once it stops throwing', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error(`not yet (${calls})`);
        return { calls };
      },
      15_000,
      1,
    );
    expect(value).toEqual({ calls: 3 });
  });

  test('asks again while a condition is false, and waits for asynchronous checks', async () => {
    let calls = 0;
    const value = await eventually(
      async () => {
        calls += 1;
        return calls >= 3;
      },
      15_000,
      1,
    );
    expect(value).toBe(true);
    expect(calls).toBe(3);
  });

  test('holds at once for a check that returns nothing', async () => {
    let calls = 0;
    await eventually(() => {
      calls += 1;
    });
    expect(calls).toBe(1);
  });

  test('past its deadline, rejects with the last failure', async () => {
    const thrown: Error[] = [];
    const failure = await eventually(
      () => {
        const error = new Error(`still wrong after ${thrown.length + 1} calls`);
        thrown.push(error);
        throw error;
      },
      20,
      1,
    ).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    const last = thrown.at(-1);
    expect((failure as Error).message).toContain(`last failure: ${last?.message}`);
    expect((failure as Error).cause).toBe(last);
  });

  test('past its deadline, says a condition stayed false', async () => {
    await expect(eventually(() => false, 0)).rejects.toThrow(
      'did not hold within 0 ms (1 call); last failure: the condition was still false',
    );
  });
});
