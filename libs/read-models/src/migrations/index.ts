import type { Migration } from 'kysely';
import * as createApiReadModels from './2026_11_29_10_00_00_create_api_read_models.js';
import * as createAnalyticsViews from './2026_11_29_10_01_00_create_analytics_views.js';
import * as createAnalystRole from './2026_11_29_10_02_00_create_analyst_role.js';

/** Listed explicitly, not globbed from disk, so they run the same from src/ and from dist/. Append only. */
export const readModelMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_29_10_00_00_create_api_read_models': createApiReadModels,
  '2026_11_29_10_01_00_create_analytics_views': createAnalyticsViews,
  '2026_11_29_10_02_00_create_analyst_role': createAnalystRole,
};
