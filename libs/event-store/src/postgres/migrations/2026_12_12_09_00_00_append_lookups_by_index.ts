import { sql, type Kysely } from 'kysely';
import { up as createAppendEvents } from './2026_12_05_07_00_00_create_append_events.js';
import { up as planEventIdLookupPerCall } from './2026_12_10_09_00_00_plan_event_id_lookup_per_call.js';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// event_store.append_events exactly as 2026_12_05_07_00_00_create_append_events made it (see there
// for what it does and why), every statement's plan cached per connection, and no sequential scan
// of the events table in any of those plans: the function runs with enable_seqscan off.
//
// 2026_12_10_09_00_00_plan_event_id_lookup_per_call planned the event-id look-up anew for each call
// (EXECUTE), because its cached generic plan, made while the table was small, was a sequential scan,
// kept for the connection's life when the table's statistics never change (autovacuum off).
// Planning it costs about 0.15 ms of server time per call, a fifth of a small group commit. With
// sequential scans disabled, the cached plan of the look-up is an index scan whatever the table held
// when it was made, and so is the stream-version look-up's. No statement of the function needs a
// sequential scan: the others read the call's arrays.
//
// The function is dropped and created again, in the migration's transaction: sessions calling it
// meanwhile use the old one, and their prepared calls are planned again against the new one.

const signature = sql.raw(
  'event_store.append_events(text[], int8[], int4[], uuid[], text[], text[], text[])',
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION ${signature}`.execute(db);
  await createAppendEvents(db);
  await sql`ALTER FUNCTION ${signature} SET enable_seqscan = off`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  // CREATE OR REPLACE sets the function's settings to its own: plan_cache_mode alone.
  await planEventIdLookupPerCall(db);
}
