import { functionStreamId, parseFunctionEvent } from '@canopy/contracts';
import type { FunctionEvent, FunctionRegisteredData } from '@canopy/contracts';
import { CommandHandler, RecentStreamStates, asContractEvent } from '@canopy/event-store';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import { definitionFor, functionDecider } from '@canopy/function-domain';
import type { FunctionCommand, FunctionState } from '@canopy/function-domain';
import type { ServiceLogger } from '@canopy/service-runtime';
import { StreamFollower } from '../transport/stream-follower.js';

const DEFAULT_CAPACITY = 10_000;

export interface FunctionDefinitionsOptions {
  readonly store: EventStore;
  readonly logger: ServiceLogger;
  /** Wait before subscribing again after the subscription failed. */
  readonly retryMs: number;
  /** How many functions are remembered; default 10 000. */
  readonly capacity?: number;
}

/**
 * Function definitions as the scheduler needs them (a task takes its requirements and timeout from
 * its function, an assignment carries its runtime): from memory, read from the function's stream
 * when not remembered. A bounded, least-recently-used memory of folded function streams, kept
 * current by following every `function-` stream, so a change made through any gateway reaches it.
 * Only a function found is trusted from memory: one not found is read again, since it may have been
 * registered a moment ago.
 */
export class FunctionDefinitions {
  private readonly states: RecentStreamStates<FunctionState>;
  private readonly functions: CommandHandler<FunctionCommand, FunctionEvent, FunctionState>;
  private readonly follower: StreamFollower;

  constructor(options: FunctionDefinitionsOptions) {
    this.states = new RecentStreamStates(options.capacity ?? DEFAULT_CAPACITY);
    this.functions = new CommandHandler({
      store: options.store,
      decider: functionDecider,
      parseEvent: parseFunctionEvent,
      cache: this.states,
    });
    this.follower = new StreamFollower({
      store: options.store,
      streamPrefix: 'function-',
      kind: 'function',
      logger: options.logger,
      apply: (recorded) => this.observed(recorded),
      retryMs: options.retryMs,
    });
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** The account's function; undefined when it has none by this id. */
  async get(functionId: string, accountId: string): Promise<FunctionRegisteredData | undefined> {
    const known = this.states.get(functionStreamId(functionId));
    const remembered = known === undefined ? undefined : definitionFor(known.state, accountId);
    if (remembered !== undefined) return remembered;
    const { state } = await this.functions.current(functionStreamId(functionId));
    return definitionFor(state, accountId);
  }

  // Only functions already remembered are followed: the others are read when first needed.
  private observed(recorded: RecordedEvent): void {
    const known = this.states.get(recorded.streamId);
    if (known === undefined || recorded.streamVersion <= known.version) return;
    if (recorded.streamVersion !== known.version + 1) {
      this.states.delete(recorded.streamId);
      return;
    }
    const event = parseFunctionEvent(asContractEvent(recorded));
    this.states.set(recorded.streamId, {
      state: functionDecider.evolve(known.state, event),
      version: recorded.streamVersion,
    });
  }
}
