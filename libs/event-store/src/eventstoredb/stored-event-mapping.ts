import { jsonEvent } from '@eventstore/db-client';
import type { EventData, JSONType, Position } from '@eventstore/db-client';
import type { EventMetadata, NewEvent, RecordedEvent } from '../port/event-store.js';
import { checkpointOfPosition } from './all-position-checkpoint.js';
import { streamVersionOfRevision } from './stream-revision.js';

/** The fields of the client's recorded event that we read (it has more, typed per content type). */
export interface DriverRecordedEvent {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly created: Date;
  readonly position?: Position | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * EventStoreDB only takes UUIDs as event ids and hands them back in lower case, so ids are
 * lower-cased on the way in: what is read back (and compared for idempotency) is what was sent.
 */
export function normaliseEventId(id: string): string {
  if (!UUID.test(id)) throw new TypeError(`event id ${JSON.stringify(id)} is not a UUID`);
  return id.toLowerCase();
}

export function toEventData(event: NewEvent): EventData {
  // JSON.stringify(undefined) is no JSON: the client would fail deep inside with a Buffer error.
  if (event.data === undefined) {
    throw new TypeError(`event ${event.id} of type ${event.type} has no data`);
  }
  return jsonEvent({
    id: normaliseEventId(event.id),
    type: event.type,
    data: event.data as JSONType,
    ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
  });
}

export function toRecordedEvent(event: DriverRecordedEvent): RecordedEvent {
  // Servers before 22.6 leave stream reads without positions; this adapter needs them.
  if (event.position === undefined) {
    throw new Error(
      `EventStoreDB returned event ${event.id} of ${event.streamId} without its position (server 22.6 or later is required)`,
    );
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: metadataOf(event.metadata),
    streamId: event.streamId,
    streamVersion: streamVersionOfRevision(event.revision),
    globalPosition: event.position.commit,
    checkpoint: checkpointOfPosition(event.position),
    recordedAt: event.created,
  };
}

/** Streams and event types of EventStoreDB itself ($settings, $metadata, links `$>`...) start with `$`. */
export function isSystemEvent(event: Pick<DriverRecordedEvent, 'streamId' | 'type'>): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

function metadataOf(metadata: unknown): EventMetadata {
  // We only write JSON objects; events written by other tools may carry none, or bytes.
  if (typeof metadata !== 'object' || metadata === null) return {};
  if (Array.isArray(metadata) || metadata instanceof Uint8Array) return {};
  return metadata as EventMetadata;
}
