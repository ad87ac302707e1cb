import { InMemoryEventStore } from './in-memory/in-memory-event-store.js';
import { deterministicEventId, readContractStream, toNewEvents } from './contract-streams.js';

const event = (n: number) => ({ type: 'Counted', data: { n }, metadata: { schemaVersion: 1 } });

describe('contract streams', () => {
  test('event ids are UUIDs that depend only on the name', () => {
    const id = deterministicEventId('task-1:1:x');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId('task-1:1:x')).toBe(id);
    expect(deterministicEventId('task-1:2:x')).not.toBe(id);
  });

  test('appending the same decision twice writes it once', async () => {
    const store = new InMemoryEventStore();
    const decision = toNewEvents('counter-1', 0, [event(1), event(2)]);
    await store.appendToStream('counter-1', decision, { expectedVersion: 0 });
    await store.appendToStream('counter-1', toNewEvents('counter-1', 0, [event(1), event(2)]), {
      expectedVersion: 0,
    });
    const read = await readContractStream(
      store,
      'counter-1',
      (value) => value as ReturnType<typeof event>,
    );
    expect(read.version).toBe(2);
    expect(read.events).toEqual([event(1), event(2)]);
  });

  test('a missing stream reads as no events at version 0', async () => {
    const read = await readContractStream(
      new InMemoryEventStore(),
      'counter-404',
      (value) => value,
    );
    expect(read).toEqual({ events: [], version: 0 });
  });

  test('every event goes through the parser', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('counter-2', toNewEvents('counter-2', 0, [event(1)]), {
      expectedVersion: 'no_stream',
    });
    await expect(
      readContractStream(store, 'counter-2', () => {
        throw new Error('does not match its contract');
      }),
    ).rejects.toThrow('does not match its contract');
  });
});
