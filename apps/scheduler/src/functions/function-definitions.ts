import { functionStreamId, parseFunctionEvent } from '@canopy/contracts';
import type { FunctionEvent, FunctionRegisteredData } from '@canopy/contracts';
import { CommandHandler, RecentStreamStates } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { definitionFor, functionDecider } from '@canopy/function-domain';
import type { FunctionCommand, FunctionState } from '@canopy/function-domain';

const DEFAULT_CAPACITY = 10_000;

/**
 * Function definitions as the scheduler needs them: read fresh when a task is issued, and from memory
 * when one of its tasks is offered to a node (the assignment carries the function's runtime). A
 * bounded, least-recently-used cache of folded function streams: the whole catalogue need not fit.
 */
export class FunctionDefinitions {
  private readonly states: RecentStreamStates<FunctionState>;
  private readonly functions: CommandHandler<FunctionCommand, FunctionEvent, FunctionState>;

  constructor(store: EventStore, capacity = DEFAULT_CAPACITY) {
    this.states = new RecentStreamStates(capacity);
    this.functions = new CommandHandler({
      store,
      decider: functionDecider,
      parseEvent: parseFunctionEvent,
      cache: this.states,
    });
  }

  /** The account's function, read from the event store; undefined when it has none by this id. */
  async read(functionId: string, accountId: string): Promise<FunctionRegisteredData | undefined> {
    const { state } = await this.functions.current(functionStreamId(functionId));
    return definitionFor(state, accountId);
  }

  /** The account's function from memory, or read when it is not there. */
  async get(functionId: string, accountId: string): Promise<FunctionRegisteredData | undefined> {
    const known = this.states.get(functionStreamId(functionId));
    if (known === undefined) return this.read(functionId, accountId);
    return definitionFor(known.state, accountId);
  }
}
