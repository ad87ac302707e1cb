import { AssertionError } from 'node:assert';
import { DeciderSpecification } from './decider-specification.js';
import type { Decider } from './decider-specification.js';

// A counter that may not go above a limit: small enough to see every outcome.
type CounterEvent = { type: 'Added'; amount: number };
type CounterCommand = { type: 'Add'; amount: number };
type CounterState = { total: number };

class LimitExceeded extends Error {
  constructor(readonly total: number) {
    super(`limit exceeded at ${total}`);
  }
}

const counter: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.amount }),
  decide: (command, state) => {
    if (command.amount === 0) return [];
    if (state.total + command.amount > 10) throw new LimitExceeded(state.total + command.amount);
    return [{ type: 'Added', amount: command.amount }];
  },
};

const given = DeciderSpecification.for(counter);
const added = (amount: number): CounterEvent => ({ type: 'Added', amount });
const add = (amount: number): CounterCommand => ({ type: 'Add', amount });

describe('DeciderSpecification', () => {
  test('then passes when decide yields exactly the expected events', () => {
    given([added(4)])
      .when(add(3))
      .then([added(3)]);
  });

  test.each([
    ['other events', [added(4)]],
    ['more events', [added(3), added(3)]],
    ['no events', []],
  ])('then fails when decide yields %s', (_case, expected) => {
    expect(() =>
      given([added(4)])
        .when(add(3))
        .then(expected),
    ).toThrow(AssertionError);
  });

  test('then fails when decide throws', () => {
    expect(() =>
      given([added(9)])
        .when(add(3))
        .then([added(3)]),
    ).toThrow(LimitExceeded);
  });

  test('thenNothing passes on no events and fails on some', () => {
    given([added(4)])
      .when(add(0))
      .thenNothing();
    expect(() =>
      given([added(4)])
        .when(add(1))
        .thenNothing(),
    ).toThrow(AssertionError);
  });

  test('thenThrows passes on an error of the class that satisfies the predicate', () => {
    given([added(9)])
      .when(add(3))
      .thenThrows(LimitExceeded);
    given([added(9)])
      .when(add(3))
      .thenThrows(LimitExceeded, (error) => error.total === 12);
    given([added(9)])
      .when(add(3))
      .thenThrows(Error);
  });

  test('thenThrows fails when nothing is thrown, or something else', () => {
    expect(() => given([]).when(add(3)).thenThrows(LimitExceeded)).toThrow(
      /expected to throw LimitExceeded/,
    );
    expect(() =>
      given([added(9)])
        .when(add(3))
        .thenThrows(TypeError),
    ).toThrow(/not an instance of TypeError/);
    expect(() =>
      given([added(9)])
        .when(add(3))
        .thenThrows(LimitExceeded, (error) => error.total === 11),
    ).toThrow(/does not match the expected condition/);
  });

  test('a decider that mutates its state fails instead of passing by accident', () => {
    const mutating: Decider<CounterCommand, CounterEvent, CounterState> = {
      ...counter,
      decide: (command, state) => {
        state.total += command.amount;
        return [added(command.amount)];
      },
    };
    expect(() =>
      DeciderSpecification.for(mutating)([added(1)])
        .when(add(1))
        .then([added(1)]),
    ).toThrow(TypeError);
  });

  test('an evolve that mutates its state fails too', () => {
    const mutating: Decider<CounterCommand, CounterEvent, CounterState> = {
      ...counter,
      evolve: (state, event) => {
        state.total += event.amount;
        return state;
      },
    };
    expect(() =>
      DeciderSpecification.for(mutating)([added(1)])
        .when(add(0))
        .thenNothing(),
    ).toThrow(TypeError);
  });

  test('a mistake in the given events is not taken for the expected error', () => {
    const fragile: Decider<CounterCommand, CounterEvent, CounterState> = {
      ...counter,
      evolve: () => {
        throw new LimitExceeded(99);
      },
    };
    expect(() =>
      DeciderSpecification.for(fragile)([added(1)])
        .when(add(1))
        .thenThrows(LimitExceeded),
    ).toThrow(LimitExceeded);
  });
});
