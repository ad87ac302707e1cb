import { InMemoryEventStore } from '../in-memory/in-memory-event-store.js';
import { observedEventStore, type AppendObserver } from './observed-event-store.js';

function recordingObserver() {
  const appended: number[] = [];
  const failed: string[] = [];
  const observer: AppendObserver = {
    appended: (events) => appended.push(events),
    appendFailed: (kind) => failed.push(kind),
  };
  return { observer, appended, failed };
}

const event = (id: string) => ({ id, type: 'Something', data: {} });

describe('observedEventStore', () => {
  it('reports each append with the number of events it wrote', async () => {
    const { observer, appended, failed } = recordingObserver();
    const store = observedEventStore(new InMemoryEventStore(), observer);
    await store.appendToStream(
      'thing-1',
      [
        event('7a7c9a4e-0000-4000-8000-000000000001'),
        event('7a7c9a4e-0000-4000-8000-000000000002'),
      ],
      { expectedVersion: 'no_stream' },
    );
    await store.appendToStream('thing-2', [event('7a7c9a4e-0000-4000-8000-000000000003')], {
      expectedVersion: 'no_stream',
    });
    expect(appended).toEqual([2, 1]);
    expect(failed).toEqual([]);
    expect(await store.readStream('thing-1')).toHaveLength(2);
  });

  it('reports a failed append by kind and passes the error on', async () => {
    const { observer, failed } = recordingObserver();
    const store = observedEventStore(new InMemoryEventStore(), observer);
    await store.appendToStream('thing-1', [event('7a7c9a4e-0000-4000-8000-000000000001')], {
      expectedVersion: 'no_stream',
    });
    await expect(
      store.appendToStream('thing-1', [event('7a7c9a4e-0000-4000-8000-000000000002')], {
        expectedVersion: 'no_stream',
      }),
    ).rejects.toThrow();
    expect(failed).toEqual(['conflict']);
  });
});
