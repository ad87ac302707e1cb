import { ContractViolationError, RuleViolation } from '@canopy/contracts';
import type { Decider } from '@canopy/contracts';
import { toNewEvents } from '../contract-streams.js';
import { InMemoryEventStore } from '../in-memory/in-memory-event-store.js';
import { ExpectedVersionConflictError } from '../port/errors.js';
import type {
  AppendOptions,
  EventStore,
  NewEvent,
  ReadStreamOptions,
} from '../port/event-store.js';
import { CommandHandler } from './command-handler.js';
import { RecentStreamStates } from './stream-state-cache.js';

// A lamp with a counter, enough to exercise every path of the handler: switching is idempotent,
// counting is refused while the lamp is off.
type LampEvent =
  | { type: 'SwitchedOn'; data: Record<string, never>; metadata: Record<string, unknown> }
  | { type: 'SwitchedOff'; data: Record<string, never>; metadata: Record<string, unknown> }
  | { type: 'Counted'; data: { by: number }; metadata: Record<string, unknown> };
type LampCommand = { type: 'SwitchOn' } | { type: 'SwitchOff' } | { type: 'Count'; by: number };
interface Lamp {
  on: boolean;
  count: number;
}

class LampRuleViolation extends RuleViolation<'LAMP_OFF'> {}

const lamp: Decider<LampCommand, LampEvent, Lamp> = {
  initialState: () => ({ on: false, count: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'SwitchedOn':
        return { ...state, on: true };
      case 'SwitchedOff':
        return { ...state, on: false };
      case 'Counted':
        return { ...state, count: state.count + event.data.by };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'SwitchOn':
        return state.on ? [] : [event('SwitchedOn')];
      case 'SwitchOff':
        return state.on ? [event('SwitchedOff')] : [];
      case 'Count':
        if (!state.on) throw new LampRuleViolation('LAMP_OFF', 'the lamp is off');
        return [{ type: 'Counted', data: { by: command.by }, metadata: {} }];
    }
  },
};

function event(type: 'SwitchedOn' | 'SwitchedOff'): LampEvent {
  return { type, data: {}, metadata: {} };
}

function parseLampEvent(value: unknown): LampEvent {
  const candidate = value as LampEvent;
  if (!['SwitchedOn', 'SwitchedOff', 'Counted'].includes(candidate.type)) {
    throw new ContractViolationError('lamp event', 'type', 'is unknown');
  }
  return candidate;
}

/** The in-memory store, counting reads and appends, optionally letting a rival write first. */
class ObservedStore extends InMemoryEventStore {
  reads: { streamId: string; fromVersion: number }[] = [];
  appends = 0;
  /** Appended by "another process" right before each of our appends, while it returns events. */
  rival: (() => LampEvent[]) | undefined;

  override async readStream(streamId: string, options?: ReadStreamOptions) {
    this.reads.push({ streamId, fromVersion: options?.fromVersion ?? 1 });
    return super.readStream(streamId, options);
  }

  override async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ) {
    this.appends += 1;
    const rivalEvents = this.rival?.() ?? [];
    if (rivalEvents.length > 0) await writeAsAnotherProcess(this, streamId, rivalEvents);
    return super.appendToStream(streamId, events, options);
  }
}

async function writeAsAnotherProcess(
  store: EventStore,
  streamId: string,
  events: LampEvent[],
): Promise<void> {
  const version = (await InMemoryEventStore.prototype.readStream.call(store, streamId)).length;
  await InMemoryEventStore.prototype.appendToStream.call(
    store,
    streamId,
    toNewEvents(
      streamId,
      version,
      events.map((e) => ({ ...e, metadata: { rival: version } })),
    ),
    { expectedVersion: version },
  );
}

const streamId = 'lamp-1';

function handlerOn(store: EventStore, extra: { cache?: RecentStreamStates<Lamp> } = {}) {
  const appended: number[] = [];
  const handler = new CommandHandler({
    store,
    decider: lamp,
    parseEvent: parseLampEvent,
    onAppended: (_stream, events) => appended.push(...events.map((e) => e.streamVersion)),
    ...extra,
  });
  return { handler, appended };
}

describe('the command handler', () => {
  test('decides against the stream and appends at the version read', async () => {
    const store = new ObservedStore();
    const { handler, appended } = handlerOn(store);
    const first = await handler.handle(streamId, { type: 'SwitchOn' });
    expect(first).toMatchObject({ events: [{ type: 'SwitchedOn' }], version: 1 });
    expect(first.after).toEqual({ on: true, count: 0 });

    const second = await handler.handle(streamId, [
      { type: 'Count', by: 2 },
      { type: 'Count', by: 3 },
    ]);
    expect(second.before).toEqual({ on: true, count: 0 });
    expect(second.after).toEqual({ on: true, count: 5 });
    expect(second.version).toBe(3);
    expect(appended).toEqual([1, 2, 3]);
    expect((await store.readStream(streamId)).map((e) => e.type)).toEqual([
      'SwitchedOn',
      'Counted',
      'Counted',
    ]);
  });

  test('adds metadata to every event, or to each event what a function gives for it', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' }, { metadata: { cause: 'all' } });
    await handler.handle(streamId, [{ type: 'Count', by: 1 }, { type: 'SwitchOff' }], {
      metadata: (event) => (event.type === 'Counted' ? { cause: 'counting' } : undefined),
    });
    expect(
      (await store.readStream(streamId)).map(({ type, metadata }) => [type, metadata]),
    ).toEqual([
      ['SwitchedOn', { cause: 'all' }],
      ['Counted', { cause: 'counting' }],
      ['SwitchedOff', {}],
    ]);
  });

  test('a repeated command appends nothing; a builder may find nothing to do', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' });
    const repeat = await handler.handle(streamId, { type: 'SwitchOn' });
    expect(repeat.events).toEqual([]);
    expect(repeat.version).toBe(1);
    const nothing = await handler.handle(streamId, (state) =>
      state.on ? undefined : { type: 'SwitchOn' },
    );
    expect(nothing.events).toEqual([]);
    expect(store.appends).toBe(1);
  });

  test('a rule violation travels up unchanged and nothing is appended', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await expect(handler.handle(streamId, { type: 'Count', by: 1 })).rejects.toBeInstanceOf(
      LampRuleViolation,
    );
    expect(store.appends).toBe(0);
  });

  test('after another process wrote in between, it catches up and decides again', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' });
    let rivalWrites = 1;
    store.rival = () =>
      rivalWrites-- > 0 ? [{ type: 'Counted', data: { by: 10 }, metadata: {} }] : [];
    const decision = await handler.handle(streamId, { type: 'Count', by: 1 });
    expect(decision.before).toEqual({ on: true, count: 10 });
    expect(decision.after).toEqual({ on: true, count: 11 });
    expect(decision.version).toBe(3);
    // Caught up from the version it knew, not from the start.
    expect(store.reads.at(-1)).toEqual({ streamId, fromVersion: 2 });
  });

  test('the builder sees the state it decides on in every round', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' });
    let rivalWrites = 1;
    store.rival = () => (rivalWrites-- > 0 ? [event('SwitchedOff')] : []);
    const decision = await handler.handle(streamId, (state) =>
      state.on ? { type: 'Count', by: 1 } : undefined,
    );
    expect(decision.events).toEqual([]);
    expect(decision.after).toEqual({ on: false, count: 0 });
  });

  test('gives up after the configured number of conflicting rounds', async () => {
    const store = new ObservedStore();
    const handler = new CommandHandler({
      store,
      decider: lamp,
      parseEvent: parseLampEvent,
      conflictRetries: 2,
    });
    await handler.handle(streamId, { type: 'SwitchOn' });
    store.appends = 0;
    store.rival = () => [{ type: 'Counted', data: { by: 1 }, metadata: {} }];
    await expect(handler.handle(streamId, { type: 'Count', by: 1 })).rejects.toBeInstanceOf(
      ExpectedVersionConflictError,
    );
    expect(store.appends).toBe(3);
  });

  test('commands on one stream run one after another: no self-inflicted conflict', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' });
    store.appends = 0;
    const counts = Array.from({ length: 20 }, (_, index) =>
      handler.handle(streamId, { type: 'Count', by: index + 1 }),
    );
    const decisions = await Promise.all(counts);
    expect(decisions.at(-1)?.after.count).toBe(210);
    expect(store.appends).toBe(20);
  });

  test('a state the caller knows is completed with the events after it', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, [{ type: 'SwitchOn' }, { type: 'Count', by: 4 }]);
    const decision = await handler.handle(
      streamId,
      { type: 'Count', by: 1 },
      { known: { state: { on: true, count: 0 }, version: 1 } },
    );
    expect(decision.before).toEqual({ on: true, count: 4 });
    expect(store.reads.at(-1)).toEqual({ streamId, fromVersion: 2 });
  });

  test('an unreadable stored event is a defect naming the stream, not a contract violation', async () => {
    const store = new ObservedStore();
    await store.appendToStream(
      streamId,
      toNewEvents(streamId, 0, [{ type: 'Exploded', data: {}, metadata: {} }]),
      { expectedVersion: 'no_stream' },
    );
    const { handler } = handlerOn(store);
    const failure = handler.handle(streamId, { type: 'SwitchOn' });
    await expect(failure).rejects.toThrow(/lamp-1 holds an unreadable event at version 1/);
    await expect(failure).rejects.not.toBeInstanceOf(ContractViolationError);
  });
});

describe('the command handler with remembered states', () => {
  test('decides from memory without reading the stream', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store, { cache: new RecentStreamStates(10) });
    await handler.handle(streamId, { type: 'SwitchOn' });
    const readsBefore = store.reads.length;
    await handler.handle(streamId, { type: 'Count', by: 1 });
    await handler.handle(streamId, { type: 'Count', by: 1 });
    expect(store.reads.length).toBe(readsBefore);
    expect((await handler.current(streamId)).state).toEqual({ on: true, count: 2 });
  });

  test('a remembered state that is behind conflicts, catches up and decides right', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store, { cache: new RecentStreamStates(10) });
    await handler.handle(streamId, { type: 'SwitchOn' });
    await writeAsAnotherProcess(store, streamId, [
      { type: 'Counted', data: { by: 7 }, metadata: {} },
    ]);
    const decision = await handler.handle(streamId, { type: 'Count', by: 1 });
    expect(decision.after).toEqual({ on: true, count: 8 });
    expect(decision.version).toBe(3);
  });

  test('nothing to do on a remembered state is checked against the stream first', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store, { cache: new RecentStreamStates(10) });
    await handler.handle(streamId, { type: 'SwitchOn' });
    await writeAsAnotherProcess(store, streamId, [event('SwitchedOff')]);
    // Remembered: on. In the store: off. Switching on must not be judged a repeat.
    const decision = await handler.handle(streamId, { type: 'SwitchOn' });
    expect(decision.events).toEqual([{ type: 'SwitchedOn', data: {}, metadata: {} }]);
    expect(decision.version).toBe(3);
  });

  test('a refusal on a remembered state is checked against the stream first', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store, { cache: new RecentStreamStates(10) });
    await handler.handle(streamId, [{ type: 'SwitchOn' }, { type: 'SwitchOff' }]);
    await writeAsAnotherProcess(store, streamId, [event('SwitchedOn')]);
    const decision = await handler.handle(streamId, { type: 'Count', by: 1 });
    expect(decision.after).toEqual({ on: true, count: 1 });
  });
});

describe('a presumed state', () => {
  test('a new stream is created without reading it first', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    const decision = await handler.handle(
      streamId,
      { type: 'SwitchOn' },
      { presumed: { state: lamp.initialState(), version: 0 } },
    );
    expect(decision.version).toBe(1);
    expect(store.reads).toEqual([]);
  });

  test('a wrong guess conflicts, catches up and decides on the real stream', async () => {
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, [{ type: 'SwitchOn' }, { type: 'Count', by: 2 }]);
    const presumed = { presumed: { state: lamp.initialState(), version: 0 } };
    const count = await handler.handle(streamId, { type: 'Count', by: 1 }, presumed);
    expect(count.before).toEqual({ on: true, count: 2 });
    expect(count.after).toEqual({ on: true, count: 3 });
    expect(count.version).toBe(3);
  });

  test('a guess that repeats a recorded decision is not written twice', async () => {
    // The store recognises the same events at the same versions as a retry (their ids derive from
    // the stream, the version and the event), so the command counts as done: it was.
    const store = new ObservedStore();
    const { handler } = handlerOn(store);
    await handler.handle(streamId, { type: 'SwitchOn' });
    const presumed = { presumed: { state: lamp.initialState(), version: 0 } };
    await handler.handle(streamId, { type: 'SwitchOn' }, presumed);
    expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['SwitchedOn']);
  });
});

describe('remembered stream states', () => {
  test('keep the most recently used within their capacity', () => {
    const states = new RecentStreamStates<number>(2);
    states.set('a', { state: 1, version: 1 });
    states.set('b', { state: 2, version: 1 });
    states.get('a');
    states.set('c', { state: 3, version: 1 });
    expect(states.get('b')).toBeUndefined();
    expect(states.get('a')).toEqual({ state: 1, version: 1 });
    expect(states.size).toBe(2);
  });

  test('never go back to an older version', () => {
    const states = new RecentStreamStates<number>(2);
    states.set('a', { state: 5, version: 5 });
    states.set('a', { state: 3, version: 3 });
    expect(states.get('a')).toEqual({ state: 5, version: 5 });
    states.delete('a');
    expect(states.get('a')).toBeUndefined();
  });

  test('need a positive capacity', () => {
    expect(() => new RecentStreamStates(0)).toThrow(RangeError);
  });
});
