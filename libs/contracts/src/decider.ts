/**
 * An aggregate's rules as one value: `decide(command, state)` says which events a command yields
 * (or throws the aggregate's rule violation), `evolve(state, event)` applies one stored event, and
 * `initialState()` is the state of a stream that holds nothing. Pure: no I/O, no clock, no random
 * ids; times and ids arrive in the command.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/**
 * An aggregate as a command handler changes it: its decider, and the contract's parser of the events
 * its stream stores (which throws a ContractViolationError on a bad one).
 */
export interface Aggregate<Command, Event, State> {
  readonly decider: Decider<Command, Event, State>;
  readonly parseEvent: (value: unknown) => Event;
}

/**
 * Base of every aggregate's rule violation (TaskRuleViolation, NodeRuleViolation, ...). Always
 * definitive: the same command against the same state fails the same way, so it is never retried.
 * Services let it travel up unchanged; the HTTP and NATS edges translate `code` into their answers.
 */
export abstract class RuleViolation<Code extends string = string> extends Error {
  constructor(
    /** UPPER_SNAKE_CASE, one of the aggregate's documented codes. */
    readonly code: Code,
    /** What broke the rule, in words a client may read: never another account's data. */
    readonly reason: string,
    /** The command field at fault, when one is. */
    readonly field?: string,
  ) {
    super(`${code}: ${reason}`);
  }
}
