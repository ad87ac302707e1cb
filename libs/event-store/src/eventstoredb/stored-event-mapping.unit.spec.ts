import type { DriverRecordedEvent } from './stored-event-mapping.js';
import {
  isSystemEvent,
  normaliseEventId,
  toEventData,
  toRecordedEvent,
} from './stored-event-mapping.js';

const eventId = '1f0c4a5e-8a2b-4c4e-9d41-6f3b2a7c9e10';

describe('toEventData', () => {
  test('sends a JSON event with our id, type, data and metadata', () => {
    const data = toEventData({
      id: eventId,
      type: 'TaskIssued',
      data: { account: 'acme', request: { body: 'aGk=' } },
      metadata: { correlationId: 'c-1', schemaVersion: 1 },
    });
    expect(data).toEqual({
      id: eventId,
      contentType: 'application/json',
      type: 'TaskIssued',
      data: { account: 'acme', request: { body: 'aGk=' } },
      metadata: { correlationId: 'c-1', schemaVersion: 1 },
    });
  });

  test('sends no metadata when the event has none', () => {
    expect(toEventData({ id: eventId, type: 'TaskAssigned', data: {} }).metadata).toBeUndefined();
  });

  test('lower-cases the id, as EventStoreDB will read it back', () => {
    expect(toEventData({ id: eventId.toUpperCase(), type: 'T', data: {} }).id).toBe(eventId);
  });

  test('refuses ids EventStoreDB cannot store', () => {
    expect(() => toEventData({ id: 'task-1-event-1', type: 'T', data: {} })).toThrow(TypeError);
  });

  test('refuses an event without data', () => {
    expect(() => toEventData({ id: eventId, type: 'T', data: undefined })).toThrow(/has no data/);
  });
});

describe('normaliseEventId', () => {
  test('accepts UUIDs in any case', () => {
    expect(normaliseEventId('ABCDEF01-2345-6789-ABCD-EF0123456789')).toBe(
      'abcdef01-2345-6789-abcd-ef0123456789',
    );
  });

  test.each(['', 'abcdef01234567890abcdef0123456789', '{abcdef01-2345-6789-abcd-ef0123456789}'])(
    'rejects %p',
    (id) => {
      expect(() => normaliseEventId(id)).toThrow(TypeError);
    },
  );
});

describe('toRecordedEvent', () => {
  const recorded: DriverRecordedEvent = {
    id: eventId,
    streamId: 'task-64057f3c9956fae80d7e0e84',
    revision: 2n,
    type: 'TaskProgressed',
    data: { progress: 40 },
    metadata: { correlationId: 'c-1' },
    created: new Date('2025-03-24T10:00:00.000Z'),
    position: { commit: 9_007_199_254_740_993n, prepare: 9_007_199_254_740_993n },
  };

  test('maps revision to a 1-based version and the $all position to position and checkpoint', () => {
    expect(toRecordedEvent(recorded)).toEqual({
      id: eventId,
      type: 'TaskProgressed',
      data: { progress: 40 },
      metadata: { correlationId: 'c-1' },
      streamId: 'task-64057f3c9956fae80d7e0e84',
      streamVersion: 3,
      globalPosition: 9_007_199_254_740_993n,
      checkpoint: '9007199254740993/9007199254740993',
      recordedAt: new Date('2025-03-24T10:00:00.000Z'),
    });
  });

  test.each([
    ['none', undefined],
    ['bytes', new Uint8Array([1, 2])],
    ['an array', [1, 2]],
    ['a string', 'text'],
  ])('reads metadata that is %s as empty', (_, metadata) => {
    expect(toRecordedEvent({ ...recorded, metadata }).metadata).toEqual({});
  });

  test('refuses an event without its position (servers before 22.6)', () => {
    expect(() => toRecordedEvent({ ...recorded, position: undefined })).toThrow(/22\.6/);
  });
});

describe('isSystemEvent', () => {
  test.each([
    [{ streamId: '$settings', type: 'update' }, true],
    [{ streamId: '$$task-1', type: '$metadata' }, true],
    [{ streamId: '$ce-task', type: '$>' }, true],
    [{ streamId: 'task-1', type: '$streamDeleted' }, true],
    [{ streamId: 'task-1', type: 'TaskIssued' }, false],
    [{ streamId: 'node-$1', type: 'NodeSeen' }, false],
  ])('%p is a system event: %p', (event, expected) => {
    expect(isSystemEvent(event)).toBe(expected);
  });
});
