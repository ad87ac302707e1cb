import { createHash } from 'node:crypto';
import type { EventStore, NewEvent, RecordedEvent } from './port/event-store.js';

// Services store contract events `{ type, data, metadata }` as the port's events of the same type,
// data and metadata, and read them back through the contract's parser, so an event that does not
// match its contract fails loudly instead of being half-read.

/** The shape of every contract event (task, function, account, node). */
export interface ContractEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface StreamRead<Event> {
  readonly events: Event[];
  /** The stream's version: the expected version of the next append. */
  readonly version: number;
}

/** Reads a whole stream and parses every event; a missing stream reads as no events, version 0. */
export async function readContractStream<Event>(
  store: EventStore,
  streamId: string,
  parse: (value: unknown) => Event,
): Promise<StreamRead<Event>> {
  const recorded = await store.readStream(streamId);
  return {
    events: recorded.map((event) => parse(asContractEvent(event))),
    version: recorded.at(-1)?.streamVersion ?? 0,
  };
}

/** The contract event a stored event carries, to be parsed by the contract's parser. */
export function asContractEvent(event: RecordedEvent): ContractEvent {
  return { type: event.type, data: event.data, metadata: event.metadata };
}

/**
 * Contract events as the port's events. Ids derive from the stream, the version each event will
 * take and the event itself, so appending the same decision again is recognised as a repeat.
 */
export function toNewEvents(
  streamId: string,
  expectedVersion: number,
  events: readonly ContractEvent[],
): NewEvent[] {
  return events.map((event, index) => ({
    id: deterministicEventId(`${streamId}:${expectedVersion + index + 1}:${JSON.stringify(event)}`),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  }));
}

/** A UUID (version 8, RFC 9562 "custom") made of the SHA-256 of `name`: same name, same id. */
export function deterministicEventId(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
