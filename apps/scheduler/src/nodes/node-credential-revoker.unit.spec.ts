import { eventually } from '@canopy/async-testing';
import { ConstantBackoff } from 'cockatiel';
import type { IBackoff } from 'cockatiel';
import { pino } from 'pino';
import { RevocationPublisher, revocationRetryBackoff } from './node-credential-revoker.js';
import type { NodeCredentialRevoker } from './node-credential-revoker.js';

const logger = pino({ level: 'silent' });

/** A revoker whose calls the test settles one by one. */
function scriptedRevoker() {
  const calls: { revoked: ReadonlyMap<string, number>; settle: (error?: Error) => void }[] = [];
  const revoker: NodeCredentialRevoker = {
    apply: (revoked) =>
      new Promise<void>((resolve, reject) => {
        calls.push({
          revoked,
          settle: (error) => (error === undefined ? resolve() : reject(error)),
        });
      }),
  };
  const call = (n: number) =>
    eventually(() => {
      const found = calls[n - 1];
      if (found === undefined)
        throw new Error(`${calls.length} calls so far, waiting for call ${n}`);
      return found;
    });
  return { revoker, calls, call };
}

describe('RevocationPublisher', () => {
  test('retries a failed call with the newest set until it succeeds', async () => {
    const { revoker, calls, call } = scriptedRevoker();
    const publisher = new RevocationPublisher(revoker, logger, new ConstantBackoff(0));
    const first = new Map([['UA', 100]]);
    const second = new Map([
      ['UA', 100],
      ['UB', 200],
    ]);

    publisher.publish(first);
    (await call(1)).settle(new Error('NATS is away'));
    publisher.publish(second);
    const retried = await call(2);
    retried.settle(new Error('still away'));
    (await call(3)).settle();
    await publisher.stop();

    expect(calls.map((made) => [...made.revoked.keys()])).toEqual([
      ['UA'],
      ['UA', 'UB'],
      ['UA', 'UB'],
    ]);
  });

  test('applies a set published during a call once that call is done, and nothing twice', async () => {
    const { revoker, calls, call } = scriptedRevoker();
    const publisher = new RevocationPublisher(revoker, logger, new ConstantBackoff(0));

    publisher.publish(new Map([['UA', 1]]));
    const running = await call(1);
    publisher.publish(new Map([['UB', 2]]));
    running.settle();
    (await call(2)).settle();
    await publisher.stop();

    expect(calls.map((made) => [...made.revoked.keys()])).toEqual([['UA'], ['UB']]);
  });

  test('stops at once while it waits to call again', async () => {
    const { revoker, calls, call } = scriptedRevoker();
    // An hour: only an aborted wait lets stop() return within the test's time.
    const publisher = new RevocationPublisher(revoker, logger, new ConstantBackoff(3_600_000));

    publisher.publish(new Map([['UA', 1]]));
    (await call(1)).settle(new Error('NATS is away'));
    await publisher.stop();

    expect(calls).toHaveLength(1);
  });
});

describe('revocationRetryBackoff', () => {
  const waits: number[] = [];
  let backoff: IBackoff<unknown> | undefined;
  for (let failure = 0; failure < 20; failure += 1) {
    backoff = (backoff ?? revocationRetryBackoff).next(undefined);
    waits.push(backoff.duration);
  }

  test('starts at half a second', () => {
    expect(waits[0]).toBe(500);
  });

  test('grows with every failure until it reaches its cap', () => {
    for (let index = 1; index < waits.length; index += 1) {
      const previous = waits[index - 1] as number;
      expect(waits[index]).toBe(previous === 30_000 ? 30_000 : Math.min(30_000, previous * 2));
    }
  });

  test('never waits more than 30 s, however long the failures last', () => {
    expect(Math.max(...waits)).toBe(30_000);
    expect(waits.at(-1)).toBe(30_000);
  });
});
