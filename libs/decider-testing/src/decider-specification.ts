import { deepStrictEqual, fail } from 'node:assert/strict';
import { inspect } from 'node:util';

// Given / when / then for a pure decider, without mocks:
//   const given = DeciderSpecification.for(decider);
//   given([issued]).when(assign).then([assigned]);
//   given([issued, finished]).when(assign).thenThrows(TaskRuleViolation, (error) => error.code === 'TASK_TERMINAL');
// The given events, every state and the command are deep-frozen before the decider sees them, so a
// decide or evolve that mutates its input fails the test instead of passing by accident.

export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export type ErrorClass<ErrorType extends Error> = abstract new (...args: never[]) => ErrorType;

export interface DeciderOutcome<Event> {
  /** decide yields exactly these events, in this order. */
  then(expected: readonly Event[]): void;
  /** decide yields no event (an ignored or repeated command). */
  thenNothing(): void;
  /** decide throws an instance of `errorClass` for which `predicate`, when given, holds. */
  thenThrows<ErrorType extends Error>(
    errorClass: ErrorClass<ErrorType>,
    predicate?: (error: ErrorType) => boolean,
  ): void;
}

export type GivenEvents<Command, Event> = (events: readonly Event[]) => {
  when(command: Command): DeciderOutcome<Event>;
};

export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>): GivenEvents<Command, Event> {
    return (events) => ({
      when: (command) => ({
        then: (expected) => {
          const state = stateAfter(decider, events);
          const actual = decider.decide(deepFreeze(command), state);
          // No custom message: node's assertion diff is the most useful report.
          deepStrictEqual(actual, expected);
          // Whatever decide yields must be applicable by evolve.
          actual.reduce(decider.evolve, state);
        },
        thenNothing: () => {
          const actual = decider.decide(deepFreeze(command), stateAfter(decider, events));
          deepStrictEqual(
            actual,
            [],
            `decide was expected to yield nothing, but yielded:\n${show(actual)}`,
          );
        },
        thenThrows: (errorClass, predicate) => {
          const state = stateAfter(decider, events);
          let actual: readonly Event[];
          try {
            actual = decider.decide(deepFreeze(command), state);
          } catch (error) {
            if (!(error instanceof errorClass)) {
              fail(`decide threw ${show(error)}, not an instance of ${errorClass.name}`);
            }
            if (predicate !== undefined && !predicate(error)) {
              fail(`decide threw ${show(error)}, which does not match the expected condition`);
            }
            return;
          }
          fail(`decide was expected to throw ${errorClass.name}, but yielded:\n${show(actual)}`);
        },
      }),
    });
  },
};

// Given events that evolve cannot apply are a mistake in the test, never the expected outcome: build
// the state outside the try of thenThrows.
function stateAfter<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
): State {
  return events.reduce(
    (current, event) => deepFreeze(decider.evolve(current, deepFreeze(event))),
    deepFreeze(decider.initialState()),
  );
}

function deepFreeze<Value>(value: Value): Value {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}

function show(value: unknown): string {
  return inspect(value, { depth: 8, breakLength: 120 });
}
