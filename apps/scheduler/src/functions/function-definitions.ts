import { ContractViolationError, functionStreamId, parseFunctionEvent } from '@canopy/contracts';
import type { FunctionEvent } from '@canopy/contracts';
import { readContractStream } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';

const DEFAULT_CAPACITY = 10_000;

/**
 * Function streams as the scheduler needs them: read fresh when a task is issued, and from memory
 * when one of its tasks is offered to a node (the assignment carries the function's runtime). A
 * bounded, least-recently-used cache: the whole catalogue need not fit.
 */
export class FunctionCatalog {
  private readonly cache = new Map<string, readonly FunctionEvent[]>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** The function's stream, read from the event store (and remembered). Empty when it does not exist. */
  async read(functionId: string): Promise<readonly FunctionEvent[]> {
    const history = await readContractStream(
      this.store,
      functionStreamId(functionId),
      parseFunctionEvent,
    ).then(
      (read) => read.events,
      (error: unknown) => {
        if (!(error instanceof ContractViolationError)) throw error;
        // A stored function we cannot read is our defect, not the caller's bad request.
        throw new Error(`function ${functionId} holds an unreadable event: ${error.message}`);
      },
    );
    if (history.length > 0) this.remember(functionId, history);
    return history;
  }

  /** The function's stream from memory, or read when it is not there. */
  async get(functionId: string): Promise<readonly FunctionEvent[]> {
    const cached = this.cache.get(functionId);
    if (cached === undefined) return this.read(functionId);
    this.remember(functionId, cached);
    return cached;
  }

  private remember(functionId: string, history: readonly FunctionEvent[]): void {
    this.cache.delete(functionId);
    this.cache.set(functionId, history);
    if (this.cache.size <= this.capacity) return;
    for (const oldest of this.cache.keys()) {
      this.cache.delete(oldest);
      break;
    }
  }
}
