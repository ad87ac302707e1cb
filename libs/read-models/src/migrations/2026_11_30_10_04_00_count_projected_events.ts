/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// Checkpoints are opaque to everyone but the event store adapter, so they cannot be compared. Every
// subscription from the start delivers the same events in the same order, so the number of events
// a projector has consumed is a position anyone can compare: the rebuild uses it to catch up with
// the live projector, and operators read the lag from it. Events no projection handles count too.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.projection_checkpoints')
    .addColumn('events_applied', 'bigint', (column) =>
      column
        .notNull()
        .defaultTo(0)
        .check(sql`events_applied >= 0`),
    )
    .addColumn('last_event_recorded_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api.projection_checkpoints')
    .dropColumn('events_applied')
    .dropColumn('last_event_recorded_at')
    .execute();
}
