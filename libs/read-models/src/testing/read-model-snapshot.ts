import {
  parseAccountEvent,
  parseFunctionEvent,
  parseNodeEvent,
  parseScheduleEvent,
  parseTaskEvent,
} from '@canopy/contracts';
import { foldFunction, type FunctionVersion } from '@canopy/function-domain';
import { foldSchedule } from '@canopy/schedule-domain';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import { foldTask, taskView } from '@canopy/task-domain';
import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { expectedTaskRow, type ExpectedTaskRow } from './read-model-fold.js';
import {
  foldTaskCounters,
  readTaskCounters,
  type TaskCountersSnapshot,
} from './task-counters-fold.js';

// Everything the projections write, as plain rows, read either from the read models or computed
// by folding the event store's streams independently of the projector. Tests compare the two.

export interface ReadModelSnapshot {
  readonly tasks: readonly (ExpectedTaskRow & { readonly last_stream_version: string })[];
  readonly taskAttempts: readonly {
    readonly task_id: string;
    readonly attempt: number;
    readonly node_id: string;
    readonly assigned_at: Date;
    readonly unassigned_at: Date | null;
    readonly unassign_reason: string | null;
    readonly failed_at: Date | null;
    readonly failed_status: number | null;
    readonly retry_at: Date | null;
  }[];
  readonly taskResults: readonly {
    readonly task_id: string;
    readonly status: number;
    readonly content_type: string | null;
    readonly headers: Record<string, string>;
    readonly body: Buffer;
    readonly finished_at: Date;
  }[];
  readonly functions: readonly Record<string, unknown>[];
  readonly functionVersions: readonly Record<string, unknown>[];
  readonly nodes: readonly Record<string, unknown>[];
  readonly accounts: readonly Record<string, unknown>[];
  readonly apiKeys: readonly Record<string, unknown>[];
  readonly schedules: readonly Record<string, unknown>[];
  /** The metrics counters, api.nodes.running_tasks included. */
  readonly taskCounters: TaskCountersSnapshot;
}

/** The read models as stored (in `schema`, `api` by default), in a stable order. */
export async function readModelSnapshot(
  db: Kysely<ReadModelDatabase>,
  schema = 'api',
): Promise<ReadModelSnapshot> {
  const table = (name: string) => sql.table(`${schema}.${name}`);
  const rows = async <Row>(query: ReturnType<typeof sql<Row>>) => (await query.execute(db)).rows;
  return {
    tasks: await rows(sql`
      SELECT task_id, account_id, function_id, function_version, schedule_id, state, progress, status, node_id, attempt,
             timeout_seconds, cpu_count, mem_size, network_latency, privileged, failure_reason,
             priority, not_before, issued_at, assigned_at, finished_at, last_stream_version::text AS last_stream_version
      FROM ${table('tasks')} ORDER BY task_id`),
    taskAttempts: await rows(sql`
      SELECT task_id, attempt, node_id, assigned_at, unassigned_at, unassign_reason, failed_at,
             failed_status, retry_at
      FROM ${table('task_attempts')} ORDER BY task_id, attempt`),
    taskResults: await rows(sql`
      SELECT task_id, status, content_type, headers, body, finished_at
      FROM ${table('task_results')} ORDER BY task_id`),
    functions: await rows(sql`
      SELECT function_id, account_id, name, description, lang, type, runtime, cpu_count, mem_size,
             network_latency, privileged, timeout_seconds, priority, retry, created_at, version,
             deleted_at,
             last_stream_version::text AS last_stream_version
      FROM ${table('functions')} ORDER BY function_id`),
    functionVersions: await rows(sql`
      SELECT function_id, version, account_id, description, runtime, cpu_count, mem_size,
             network_latency, privileged, timeout_seconds, priority, retry, created_at
      FROM ${table('function_versions')} ORDER BY function_id, version`),
    nodes: await rows(sql`
      SELECT node_id, account_id, hash, description, user_public_key, disabled, registered_at,
             cpu_count, mem_size, network_latency, privileged, slots, available,
             unavailable_reason, agent, last_seen_at, changed_at, created_at,
             last_stream_version::text AS last_stream_version
      FROM ${table('nodes')} ORDER BY node_id`),
    accounts: await rows(sql`
      SELECT account_id, name, created_at, last_stream_version::text AS last_stream_version
      FROM ${table('accounts')} ORDER BY account_id`),
    apiKeys: await rows(sql`
      SELECT account_id, key_id, label, issued_at, revoked_at
      FROM ${table('api_keys')} ORDER BY account_id, key_id`),
    schedules: await rows(sql`
      SELECT schedule_id, account_id, function_id, name, description, cron, time_zone, query,
             content_type, body, start_at, end_at, paused, deleted, deleted_at, active_since,
             last_tick_at, last_task_id, tick_count::text AS tick_count, created_at,
             last_stream_version::text AS last_stream_version
      FROM ${table('schedules')} ORDER BY schedule_id`),
    taskCounters: await readTaskCounters(db, schema),
  };
}

/** What the read models must hold: each stream of `streamIds` read from `store` and folded. */
export async function foldedReadModels(
  store: EventStore,
  streamIds: readonly string[],
): Promise<ReadModelSnapshot> {
  const snapshot = {
    tasks: [] as ReadModelSnapshot['tasks'][number][],
    taskAttempts: [] as ReadModelSnapshot['taskAttempts'][number][],
    taskResults: [] as ReadModelSnapshot['taskResults'][number][],
    functions: [] as Record<string, unknown>[],
    functionVersions: [] as Record<string, unknown>[],
    nodes: [] as Record<string, unknown>[],
    accounts: [] as Record<string, unknown>[],
    apiKeys: [] as Record<string, unknown>[],
    schedules: [] as Record<string, unknown>[],
  };
  for (const streamId of streamIds) {
    const events = await store.readStream(streamId);
    if (events.length === 0) continue;
    const version = String(events.length);
    const [category] = streamId.split('-');
    switch (category) {
      case 'task':
        foldTaskStream(events, version, snapshot);
        break;
      case 'function':
        foldFunctionStream(events, version, snapshot);
        break;
      case 'node':
        snapshot.nodes.push(foldNodeStream(events, version));
        break;
      case 'account':
        foldAccountStream(events, version, snapshot);
        break;
      case 'schedule': {
        const row = foldScheduleStream(events, version);
        if (row !== undefined) snapshot.schedules.push(row);
        break;
      }
      default:
        throw new Error(`no fold for stream ${streamId}`);
    }
  }
  const by =
    <Row>(key: (row: Row) => string) =>
    (left: Row, right: Row) =>
      key(left) < key(right) ? -1 : key(left) > key(right) ? 1 : 0;
  const text = (value: unknown) => String(value);
  snapshot.tasks.sort(by((row) => row.task_id));
  snapshot.taskAttempts.sort(by((row) => `${row.task_id}:${String(row.attempt).padStart(6, '0')}`));
  snapshot.taskResults.sort(by((row) => row.task_id));
  snapshot.functions.sort(by((row) => text(row['function_id'])));
  snapshot.functionVersions.sort(
    by((row) => `${text(row['function_id'])}:${String(row['version']).padStart(6, '0')}`),
  );
  snapshot.nodes.sort(by((row) => text(row['node_id'])));
  snapshot.accounts.sort(by((row) => text(row['account_id'])));
  snapshot.apiKeys.sort(by((row) => `${text(row['account_id'])}:${text(row['key_id'])}`));
  snapshot.schedules.sort(by((row) => text(row['schedule_id'])));
  const nodeIds = snapshot.nodes.map((row) => text(row['node_id']));
  return { ...snapshot, taskCounters: foldTaskCounters(snapshot.tasks, nodeIds) };
}

function asContract(recorded: RecordedEvent): unknown {
  return { type: recorded.type, data: recorded.data, metadata: recorded.metadata };
}

function foldTaskStream(
  events: readonly RecordedEvent[],
  version: string,
  snapshot: {
    tasks: ReadModelSnapshot['tasks'][number][];
    taskAttempts: ReadModelSnapshot['taskAttempts'][number][];
    taskResults: ReadModelSnapshot['taskResults'][number][];
  },
): void {
  const state = foldTask(events.map((recorded) => parseTaskEvent(asContract(recorded))));
  const view = taskView(state);
  if (state.phase === 'NotIssued' || view === null) return;
  snapshot.tasks.push({ ...expectedTaskRow(view), last_stream_version: version });
  for (const attempt of state.attempts) {
    snapshot.taskAttempts.push({
      task_id: view.taskId,
      attempt: attempt.attempt,
      node_id: attempt.nodeId,
      assigned_at: new Date(attempt.assignedAt),
      unassigned_at: attempt.unassigned === null ? null : new Date(attempt.unassigned.at),
      unassign_reason: attempt.unassigned?.reason ?? null,
      failed_at: attempt.failed === null ? null : new Date(attempt.failed.at),
      failed_status: attempt.failed?.status ?? null,
      retry_at: attempt.failed === null ? null : new Date(attempt.failed.retryAt),
    });
  }
  if (view.response !== null && view.finishedAt !== null) {
    snapshot.taskResults.push({
      task_id: view.taskId,
      status: view.response.status,
      content_type: view.response.contentType,
      headers: view.response.headers,
      body: Buffer.from(view.response.body, 'base64'),
      finished_at: new Date(view.finishedAt),
    });
  }
}

function foldFunctionStream(
  events: readonly RecordedEvent[],
  version: string,
  snapshot: { functions: Record<string, unknown>[]; functionVersions: Record<string, unknown>[] },
): void {
  const state = foldFunction(events.map((recorded) => parseFunctionEvent(asContract(recorded))));
  if (state.phase === 'NotRegistered') return;
  const capabilityColumns = (fn: FunctionVersion) => ({
    cpu_count: fn.capabilities.cpuCount,
    mem_size: fn.capabilities.memSize,
    network_latency: fn.capabilities.networkLatency,
    privileged: fn.capabilities.privileged,
    timeout_seconds: fn.capabilities.timeout,
  });
  const policyColumns = (fn: FunctionVersion) => ({
    priority: fn.priority ?? 5,
    retry: fn.retry ?? null,
  });
  for (const fn of state.versions) {
    snapshot.functionVersions.push({
      function_id: fn.functionId,
      version: fn.version,
      account_id: fn.accountId,
      description: fn.description,
      runtime: fn.runtime,
      ...capabilityColumns(fn),
      ...policyColumns(fn),
      created_at: new Date(fn.versionCreatedAt),
    });
  }
  const current = state.versions.at(-1);
  if (current === undefined) return;
  snapshot.functions.push({
    function_id: current.functionId,
    account_id: current.accountId,
    name: current.name,
    description: current.description,
    lang: current.lang,
    type: current.type,
    runtime: current.runtime,
    ...capabilityColumns(current),
    ...policyColumns(current),
    created_at: new Date(current.registeredAt),
    version: current.version,
    deleted_at: state.phase === 'Deleted' ? new Date(state.deletedAt) : null,
    last_stream_version: version,
  });
}

function foldNodeStream(
  events: readonly RecordedEvent[],
  version: string,
): Record<string, unknown> {
  let node: Record<string, unknown> = {
    account_id: null,
    hash: null,
    description: null,
    user_public_key: null,
    disabled: false,
    registered_at: null,
    cpu_count: null,
    mem_size: null,
    network_latency: null,
    privileged: null,
    slots: null,
    available: false,
    unavailable_reason: null,
    agent: null,
    last_seen_at: null,
    changed_at: null,
  };
  for (const event of events.map((recorded) => parseNodeEvent(asContract(recorded)))) {
    switch (event.type) {
      case 'NodeAnnounced': {
        const { nodeId, capabilities, slots, agent, at } = event.data;
        node = {
          ...node,
          node_id: nodeId,
          cpu_count: capabilities.cpuCount,
          mem_size: capabilities.memSize,
          network_latency: capabilities.networkLatency,
          privileged: capabilities.privileged,
          slots,
          available: node['disabled'] !== true,
          unavailable_reason: null,
          agent,
          last_seen_at: new Date(at),
          changed_at: new Date(at),
          created_at: node['created_at'] ?? new Date(at),
        };
        break;
      }
      case 'NodeLeft':
        node = {
          ...node,
          available: false,
          unavailable_reason: 'LEFT',
          last_seen_at: new Date(event.data.at),
          changed_at: new Date(event.data.at),
        };
        break;
      case 'NodeLost':
        node = {
          ...node,
          available: false,
          unavailable_reason: 'LOST',
          last_seen_at: new Date(event.data.lastSeenAt),
          changed_at: new Date(event.data.at),
        };
        break;
      case 'NodeRegistered': {
        if (node['account_id'] !== null) break;
        const { nodeId, accountId, hash, description, userPublicKey, at } = event.data;
        node = {
          ...node,
          node_id: nodeId,
          account_id: accountId,
          hash,
          description,
          user_public_key: userPublicKey,
          registered_at: new Date(at),
          created_at: new Date(at),
        };
        break;
      }
      case 'NodeDisabled':
        node = { ...node, disabled: true, available: false };
        break;
      case 'NodeEnabled':
        node = { ...node, disabled: false };
        break;
      case 'NodeDescribed':
        node = { ...node, description: event.data.description };
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown node event ${JSON.stringify(unknown)}`);
      }
    }
  }
  return { ...node, last_stream_version: version };
}

function foldAccountStream(
  events: readonly RecordedEvent[],
  version: string,
  snapshot: { accounts: Record<string, unknown>[]; apiKeys: Record<string, unknown>[] },
): void {
  const keys = new Map<string, Record<string, unknown>>();
  for (const event of events.map((recorded) => parseAccountEvent(asContract(recorded)))) {
    switch (event.type) {
      case 'AccountCreated':
        snapshot.accounts.push({
          account_id: event.data.accountId,
          name: event.data.name,
          created_at: new Date(event.data.createdAt),
          last_stream_version: version,
        });
        break;
      case 'ApiKeyIssued':
        keys.set(event.data.keyId, {
          account_id: event.data.accountId,
          key_id: event.data.keyId,
          label: event.data.label,
          issued_at: new Date(event.data.issuedAt),
          revoked_at: null,
        });
        break;
      case 'ApiKeyRevoked': {
        const key = keys.get(event.data.keyId);
        if (key !== undefined && key['revoked_at'] === null)
          keys.set(event.data.keyId, { ...key, revoked_at: new Date(event.data.revokedAt) });
        break;
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown account event ${JSON.stringify(unknown)}`);
      }
    }
  }
  snapshot.apiKeys.push(...keys.values());
}

function foldScheduleStream(
  events: readonly RecordedEvent[],
  version: string,
): Record<string, unknown> | undefined {
  const history = events.map((recorded) => parseScheduleEvent(asContract(recorded)));
  const state = foldSchedule(history);
  if (state.phase === 'None') return undefined;
  const { schedule } = state;
  const { definition } = schedule;
  const time = (value: string | null) => (value === null ? null : new Date(value));
  return {
    schedule_id: schedule.scheduleId,
    account_id: schedule.accountId,
    function_id: schedule.functionId,
    name: definition.name,
    description: definition.description,
    cron: definition.cron,
    time_zone: definition.timeZone,
    query: definition.request.query,
    content_type: definition.request.contentType,
    body: Buffer.from(definition.request.body, 'base64'),
    start_at: time(definition.startAt),
    end_at: time(definition.endAt),
    paused: schedule.paused,
    deleted: state.phase === 'Deleted',
    deleted_at: state.phase === 'Deleted' ? new Date(state.deletedAt) : null,
    active_since: new Date(schedule.since),
    last_tick_at: time(schedule.lastTick),
    last_task_id: schedule.lastTaskId,
    tick_count: String(history.filter((event) => event.type === 'ScheduleTicked').length),
    created_at: new Date(schedule.createdAt),
    last_stream_version: version,
  };
}
