import type { Migration } from 'kysely';
import * as createEvents from './2026_11_29_23_50_00_create_events.js';
import * as createAppendEvents from './2026_12_05_07_00_00_create_append_events.js';
import * as planEventIdLookupPerCall from './2026_12_10_09_00_00_plan_event_id_lookup_per_call.js';
import * as appendLookupsByIndex from './2026_12_12_09_00_00_append_lookups_by_index.js';
import * as appendEventsJsonPayloads from './2026_12_13_09_00_00_append_events_json_payloads.js';

/** Every migration of the event store schema, by name; names sort in the order they apply. */
export const eventStoreMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_29_23_50_00_create_events': createEvents,
  '2026_12_05_07_00_00_create_append_events': createAppendEvents,
  '2026_12_10_09_00_00_plan_event_id_lookup_per_call': planEventIdLookupPerCall,
  '2026_12_12_09_00_00_append_lookups_by_index': appendLookupsByIndex,
  '2026_12_13_09_00_00_append_events_json_payloads': appendEventsJsonPayloads,
};
