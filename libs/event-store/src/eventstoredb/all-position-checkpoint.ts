import type { Position } from '@eventstore/db-client';
import type { Checkpoint } from '../port/event-store.js';

// A checkpoint is the $all position of the last delivered event, written "<commit>/<prepare>" in
// decimal so that bigints survive JSON, databases and logs without losing precision.

// Positions travel as uint64 in EventStoreDB's gRPC protocol.
const LARGEST_POSITION = 2n ** 64n - 1n;
const CHECKPOINT_FORMAT = /^(0|[1-9][0-9]*)\/(0|[1-9][0-9]*)$/;

export function checkpointOfPosition(position: Position): Checkpoint {
  assertStorePosition(position);
  return `${position.commit.toString(10)}/${position.prepare.toString(10)}`;
}

/** @throws RangeError when the text is not a checkpoint this adapter issued. */
export function positionOfCheckpoint(checkpoint: Checkpoint): Position {
  const parts = CHECKPOINT_FORMAT.exec(checkpoint);
  if (parts === null) {
    throw new RangeError(
      `not an EventStoreDB checkpoint: ${JSON.stringify(checkpoint)} (expected "<commit>/<prepare>")`,
    );
  }
  const position = { commit: BigInt(parts[1] ?? ''), prepare: BigInt(parts[2] ?? '') };
  assertStorePosition(position, checkpoint);
  return position;
}

function assertStorePosition(position: Position, text?: string): void {
  const { commit, prepare } = position;
  const shown = text === undefined ? `${commit}/${prepare}` : JSON.stringify(text);
  if (prepare < 0n || commit > LARGEST_POSITION) {
    throw new RangeError(`EventStoreDB position ${shown} is out of range`);
  }
  // A record is prepared before (or when) it is committed, never after.
  if (prepare > commit) {
    throw new RangeError(`EventStoreDB position ${shown} has its prepare after its commit`);
  }
}
