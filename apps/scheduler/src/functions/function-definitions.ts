import { functionStreamId, parseFunctionEvent } from '@canopy/contracts';
import type { FunctionEvent } from '@canopy/contracts';
import { CommandHandler, RecentStreamStates, asContractEvent } from '@canopy/event-store';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import {
  definitionFor,
  functionAggregate,
  functionDecider,
  versionToRun,
} from '@canopy/function-domain';
import type { FunctionCommand, FunctionState, FunctionVersion } from '@canopy/function-domain';
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
 * Function definitions as the scheduler needs them, by version: a new task takes the current version
 * (and its requirements and timeout), an assignment carries the runtime of the version its task was
 * issued against. From memory, read from the function's stream when not remembered. A bounded,
 * least-recently-used memory of folded function streams, kept current by following every `function-`
 * stream, so a change or deletion made through any gateway reaches it; the gateway that made it also
 * tells the leader before it answers ({@link catchUp}), so that a task issued after the answer is
 * issued against the change. Only a function found is trusted from memory: one not found, or without
 * the version asked for, is read again, since it may have been registered or changed a moment ago.
 */
export class FunctionDefinitions {
  private readonly states: RecentStreamStates<FunctionState>;
  private readonly functions: CommandHandler<FunctionCommand, FunctionEvent, FunctionState>;
  private readonly follower: StreamFollower;

  constructor(options: FunctionDefinitionsOptions) {
    this.states = new RecentStreamStates(options.capacity ?? DEFAULT_CAPACITY);
    this.functions = new CommandHandler({
      store: options.store,
      ...functionAggregate,
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

  /** The current version of the account's function; undefined when it has none by this id (or deleted it). */
  current(functionId: string, accountId: string): Promise<FunctionVersion | undefined> {
    return this.find(functionId, (state) => definitionFor(state, accountId));
  }

  /**
   * A version of the account's function, for a task issued against it: also when the function has
   * changed or been deleted since. Undefined when there is no such version.
   */
  version(
    functionId: string,
    accountId: string,
    version: number,
  ): Promise<FunctionVersion | undefined> {
    return this.find(functionId, (state) => versionToRun(state, accountId, version));
  }

  /**
   * Remembers the function at `version` of its stream or later, reading what its subscription has
   * not delivered yet: a change just recorded (LEADER_FUNCTION_CHANGED_SUBJECT). The version
   * remembered afterwards (0: the function has no stream). A function not remembered is read too:
   * an issue may be reading it from before the change, and what that read brings back then cannot
   * replace the later version (the memory never goes back).
   */
  async catchUp(functionId: string, version: number): Promise<number> {
    const streamId = functionStreamId(functionId);
    const known = this.states.get(streamId);
    if (known !== undefined && known.version >= version) return known.version;
    return (await this.functions.current(streamId)).version;
  }

  private async find(
    functionId: string,
    pick: (state: FunctionState) => FunctionVersion | undefined,
  ): Promise<FunctionVersion | undefined> {
    const known = this.states.get(functionStreamId(functionId));
    const remembered = known === undefined ? undefined : pick(known.state);
    if (remembered !== undefined) return remembered;
    const { state } = await this.functions.current(functionStreamId(functionId));
    return pick(state);
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
