import type { Migration } from 'kysely';
import * as createApiReadModels from './2026_11_29_10_00_00_create_api_read_models.js';
import * as createAnalyticsViews from './2026_11_29_10_01_00_create_analytics_views.js';
import * as createAnalystRole from './2026_11_29_10_02_00_create_analyst_role.js';
import * as registerFunctions from './2026_11_30_10_00_00_register_functions.js';
import * as platformNodes from './2026_11_30_10_01_00_platform_nodes.js';
import * as createAccounts from './2026_11_30_10_02_00_create_accounts.js';
import * as createTaskAttempts from './2026_11_30_10_03_00_create_task_attempts.js';
import * as countProjectedEvents from './2026_11_30_10_04_00_count_projected_events.js';
import * as registerNodes from './2026_11_30_12_00_00_register_nodes.js';
import * as scheduleDetails from './2026_11_30_14_00_00_schedule_details.js';
import * as taskCounters from './2026_11_30_15_00_00_task_counters.js';
import * as tasksHotUpdates from './2026_12_05_10_00_00_tasks_hot_updates.js';
import * as countCancelledTasks from './2026_12_05_12_00_00_count_cancelled_tasks.js';
import * as functionVersions from './2026_12_08_10_00_00_function_versions.js';
import * as taskRetriesAndPriority from './2026_12_09_10_00_00_task_retries_and_priority.js';
import * as functionVersionPolicies from './2026_12_10_10_00_00_function_version_policies.js';
import * as analyticsFunctionVersionPolicies from './2026_12_11_10_00_00_analytics_function_version_policies.js';

/** Listed explicitly, not globbed from disk, so they run the same from src/ and from dist/. Append only. */
export const readModelMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_29_10_00_00_create_api_read_models': createApiReadModels,
  '2026_11_29_10_01_00_create_analytics_views': createAnalyticsViews,
  '2026_11_29_10_02_00_create_analyst_role': createAnalystRole,
  '2026_11_30_10_00_00_register_functions': registerFunctions,
  '2026_11_30_10_01_00_platform_nodes': platformNodes,
  '2026_11_30_10_02_00_create_accounts': createAccounts,
  '2026_11_30_10_03_00_create_task_attempts': createTaskAttempts,
  '2026_11_30_10_04_00_count_projected_events': countProjectedEvents,
  '2026_11_30_12_00_00_register_nodes': registerNodes,
  '2026_11_30_14_00_00_schedule_details': scheduleDetails,
  '2026_11_30_15_00_00_task_counters': taskCounters,
  '2026_12_05_10_00_00_tasks_hot_updates': tasksHotUpdates,
  '2026_12_05_12_00_00_count_cancelled_tasks': countCancelledTasks,
  '2026_12_08_10_00_00_function_versions': functionVersions,
  '2026_12_09_10_00_00_task_retries_and_priority': taskRetriesAndPriority,
  '2026_12_10_10_00_00_function_version_policies': functionVersionPolicies,
  '2026_12_11_10_00_00_analytics_function_version_policies': analyticsFunctionVersionPolicies,
};
