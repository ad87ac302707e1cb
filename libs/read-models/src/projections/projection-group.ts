import type { RecordedEvent } from '@canopy/event-store';
import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { ProjectionFailedError, type Projection } from './projection.js';
import {
  ProjectionPositionMovedError,
  readProjectionPosition,
  samePosition,
  writeProjectionPosition,
  type ProjectionPosition,
} from './projection-position.js';

/** Projections that one projector runs together, under one checkpoint row named `name`. */
export interface ProjectionGroup {
  readonly name: string;
  readonly projections: readonly Projection[];
}

// Advisory lock keys in the two-int4 space, which never collides with single bigint keys such as
// kysely's migration lock.
const PROJECTOR_LOCK_CLASS = 0x43_61_6e_6f; // "Cano"

/**
 * Takes projector `group`'s lock until the transaction ends. The live projector takes it first
 * thing in every batch, before touching a table, so whoever holds it (a rebuild swapping its
 * tables in) pauses the projector without the projector holding locks on tables meanwhile.
 */
export async function holdProjectorLock(
  trx: Transaction<ReadModelDatabase>,
  group: Pick<ProjectionGroup, 'name'>,
): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${PROJECTOR_LOCK_CLASS}::int4, hashtext(${group.name}))`.execute(
    trx,
  );
}

/**
 * Applies a batch of events to every projection of `group` that handles them and records the new
 * position, all in the caller's transaction (so the effect is exactly once). Checks first that the
 * stored position is `expected`; throws ProjectionPositionMovedError, having written nothing, if
 * not. Returns the position after the batch.
 */
export async function projectBatch(
  trx: Transaction<ReadModelDatabase>,
  group: ProjectionGroup,
  expected: ProjectionPosition,
  events: readonly RecordedEvent[],
): Promise<ProjectionPosition> {
  const stored = await readProjectionPosition(trx, group.name, { forUpdate: true });
  if (!samePosition(stored, expected))
    throw new ProjectionPositionMovedError(group.name, expected, stored);
  const last = events.at(-1);
  if (last === undefined) return stored;

  // Projections write tables of their own, so each may take its share of the batch at once.
  for (const projection of group.projections) {
    const handled = eventsFor(projection, events);
    const [first] = handled;
    if (first === undefined) continue;
    if (projection.applyBatch !== undefined) {
      try {
        await projection.applyBatch(trx, handled);
      } catch (error) {
        if (error instanceof ProjectionFailedError) throw error;
        throw new ProjectionFailedError(projection.name, first, error, handled.length);
      }
      continue;
    }
    for (const event of handled) {
      try {
        await projection.apply(trx, event);
      } catch (error) {
        if (error instanceof ProjectionFailedError) throw error;
        throw new ProjectionFailedError(projection.name, event, error);
      }
    }
  }
  const position = {
    checkpoint: last.checkpoint,
    eventsApplied: stored.eventsApplied + events.length,
    lastEventRecordedAt: last.recordedAt,
  };
  await writeProjectionPosition(trx, group.name, position);
  return position;
}

const handledTypes = new WeakMap<Projection, ReadonlySet<string>>();

function eventsFor(projection: Projection, events: readonly RecordedEvent[]): RecordedEvent[] {
  let types = handledTypes.get(projection);
  if (types === undefined) {
    types = new Set(projection.handles);
    handledTypes.set(projection, types);
  }
  const handled = types;
  return events.filter((event) => handled.has(event.type));
}
