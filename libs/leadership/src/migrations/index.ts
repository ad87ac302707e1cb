import type { Migration } from 'kysely';
import * as createLeases from './2026_12_05_08_00_00_create_leases.js';

/** Every migration of the leadership schema, by name; names sort in the order they apply. */
export const leadershipMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_05_08_00_00_create_leases': createLeases,
};
