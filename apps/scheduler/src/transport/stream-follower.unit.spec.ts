import { randomUUID } from 'node:crypto';
import { InMemoryEventStore } from '@canopy/event-store';
import type { RecordedEvent } from '@canopy/event-store';
import { createServiceLogger } from '@canopy/service-runtime';
import { StreamFollower } from './stream-follower.js';

const logger = createServiceLogger('stream-follower-test', 'silent');

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 5_000;
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('gave up waiting'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function append(store: InMemoryEventStore, streamId: string, type: string): Promise<void> {
  await store.appendToStream(streamId, [{ id: randomUUID(), type, data: {} }], {
    expectedVersion: 'any',
  });
}

describe('StreamFollower', () => {
  test('folds the history of the prefix, then live events; an unreadable event is skipped, not retried', async () => {
    const store = new InMemoryEventStore();
    await append(store, 'task-1', 'Good');
    await append(store, 'task-1', 'Unreadable');
    await append(store, 'other-1', 'Good');
    const applied: string[] = [];
    let caughtUp = 0;
    let batches = 0;
    const follower = new StreamFollower({
      store,
      streamPrefix: 'task-',
      kind: 'test',
      logger,
      apply: (recorded: RecordedEvent) => {
        if (recorded.type === 'Unreadable') throw new Error('cannot read it');
        applied.push(`${recorded.streamId}@${recorded.streamVersion}`);
      },
      afterBatch: () => (batches += 1),
      onCaughtUp: () => (caughtUp += 1),
      retryMs: 10,
    });
    follower.start();
    await until(() => follower.caughtUp);
    // Caught up once the history was applied, not later.
    expect(applied).toEqual(['task-1@1']);
    await append(store, 'task-2', 'Good');
    await until(() => applied.length === 2);
    await follower.stop();

    expect(applied).toEqual(['task-1@1', 'task-2@1']);
    expect(caughtUp).toBe(1);
    expect(batches).toBeGreaterThanOrEqual(2);
  });

  test('after a resync it is current again once what was stored by then is applied, each event once', async () => {
    const store = new InMemoryEventStore();
    await append(store, 'task-1', 'Good');
    const applied: string[] = [];
    let currentAgain = 0;
    const follower = new StreamFollower({
      store,
      streamPrefix: 'task-',
      kind: 'test',
      logger,
      apply: (recorded: RecordedEvent) =>
        applied.push(`${recorded.streamId}@${recorded.streamVersion}`),
      onCurrent: () => (currentAgain += 1),
      retryMs: 10_000,
    });
    expect(follower.current).toBe(false);
    follower.start();
    await until(() => follower.current);
    expect(currentAgain).toBe(0);

    await append(store, 'task-2', 'Good');
    await append(store, 'task-3', 'Good');
    follower.resync();
    expect(follower.current).toBe(false);
    await until(() => follower.current);
    expect(applied.slice(0, 3)).toEqual(['task-1@1', 'task-2@1', 'task-3@1']);
    // Two resyncs in a row: current again once, after the second.
    follower.resync();
    follower.resync();
    expect(follower.current).toBe(false);
    await until(() => follower.current);
    await append(store, 'task-4', 'Good');
    await until(() => applied.length === 4);
    await follower.stop();

    expect(applied).toEqual(['task-1@1', 'task-2@1', 'task-3@1', 'task-4@1']);
    expect(currentAgain).toBe(2);
    expect(follower.caughtUp).toBe(true);
  });
});
