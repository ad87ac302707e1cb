import {
  DEFAULT_TASK_PRIORITY,
  FIRST_FUNCTION_VERSION,
  functionEventTypes,
  parseFunctionEvent,
  type FunctionCapabilities,
  type FunctionEventType,
  type RetryPolicy,
  type RuntimeSpec,
} from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';
import { columnNames, excludedColumns, unnestRows, type RowSetColumns } from './unnest-rows.js';

const name = 'functions';

/** What a version of a function runs and asks of a node: columns of both tables. */
interface ExecutionColumns {
  readonly runtime: RuntimeSpec;
  readonly cpu_count: number;
  readonly mem_size: number;
  readonly network_latency: number;
  readonly privileged: boolean;
  readonly timeout_seconds: number;
}

const executionColumns: RowSetColumns<ExecutionColumns> = {
  runtime: 'jsonb',
  cpu_count: 'int4',
  mem_size: 'int4',
  network_latency: 'int4',
  privileged: 'bool',
  timeout_seconds: 'int4',
};

/** How a version's tasks are queued and retried: columns of both tables. */
interface PolicyColumns {
  readonly priority: number;
  readonly retry: RetryPolicy | null;
}

const policyColumns: RowSetColumns<PolicyColumns> = {
  priority: 'int2',
  retry: 'jsonb',
};

interface FunctionRowSet extends ExecutionColumns, PolicyColumns {
  readonly function_id: string;
  readonly account_id: string;
  readonly name: string;
  readonly description: string | null;
  readonly lang: string;
  readonly type: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
  readonly last_stream_version: number;
}

const functionColumns: RowSetColumns<FunctionRowSet> = {
  function_id: 'text',
  account_id: 'text',
  name: 'text',
  description: 'text',
  lang: 'text',
  type: 'text',
  ...executionColumns,
  ...policyColumns,
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  version: 'int4',
  last_stream_version: 'int8',
};

interface FunctionVersionRowSet extends ExecutionColumns, PolicyColumns {
  readonly function_id: string;
  readonly version: number;
  readonly account_id: string;
  readonly description: string;
  readonly created_at: string;
}

const functionVersionColumns: RowSetColumns<FunctionVersionRowSet> = {
  function_id: 'text',
  version: 'int4',
  account_id: 'text',
  description: 'text',
  ...executionColumns,
  ...policyColumns,
  created_at: 'timestamptz',
};

/** What the changes and deletion of a function in a batch set on its row, at the last one's version. */
type FunctionRowChange = Partial<
  Pick<FunctionRowSet, 'description' | 'version' | 'priority' | 'retry'> & ExecutionColumns
> & {
  readonly updated_at: string;
  readonly deleted_at?: string;
  readonly last_stream_version: number;
};

/**
 * FunctionRegistered, FunctionChanged, FunctionDeleted → `api.functions`, a function at its current
 * version (deleted ones keep their row, with `deleted_at`), and `api.function_versions`, every
 * version. A batch upserts the registrations it holds (one statement), inserts the versions (one
 * statement, a version already there kept), then sets each changed function's row to where its last
 * event in the batch left it, only where the row is at a lower stream version. Functions change
 * rarely: one statement per changed function.
 */
export const functionsProjection: Projection<FunctionEventType> = {
  name,
  handles: functionEventTypes,
  apply: (trx, event) => applyFunctionEvents(trx, [event]),
  applyBatch: applyFunctionEvents,
};

async function applyFunctionEvents(
  trx: Transaction<ReadModelDatabase>,
  recorded: readonly RecordedEvent[],
): Promise<void> {
  const registered = new Map<string, FunctionRowSet>();
  const versions: FunctionVersionRowSet[] = [];
  const changes = new Map<string, FunctionRowChange>();
  /** Each function's policy as of the last of its events read so far. */
  const policies = new Map<string, PolicyColumns>();
  for (const stored of recorded) {
    const event = parseRecordedEvent(name, stored, parseFunctionEvent);
    switch (event.type) {
      case 'FunctionRegistered': {
        const { data } = event;
        const known = registered.get(data.functionId);
        if (known !== undefined && known.last_stream_version >= stored.streamVersion) break;
        const execution = executionOf(data);
        const policy = {
          priority: data.priority ?? DEFAULT_TASK_PRIORITY,
          retry: data.retry ?? null,
        };
        policies.set(data.functionId, policy);
        const row: FunctionRowSet = {
          function_id: data.functionId,
          account_id: data.accountId,
          name: data.name,
          description: data.description,
          lang: data.lang,
          type: data.type,
          ...execution,
          ...policy,
          created_at: data.registeredAt,
          updated_at: data.registeredAt,
          version: FIRST_FUNCTION_VERSION,
          last_stream_version: stored.streamVersion,
        };
        registered.set(data.functionId, row);
        versions.push(
          versionRow(data, FIRST_FUNCTION_VERSION, { ...execution, ...policy }, data.registeredAt),
        );
        break;
      }
      case 'FunctionChanged': {
        const { data } = event;
        const execution = executionOf(data);
        // Absent in changes recorded before a change could set them: the version before stands.
        const previous =
          data.priority === undefined || data.retry === undefined
            ? (policies.get(data.functionId) ?? (await projectedPolicy(trx, data.functionId)))
            : undefined;
        const policy = {
          priority:
            data.priority === undefined
              ? (previous?.priority ?? DEFAULT_TASK_PRIORITY)
              : (data.priority ?? DEFAULT_TASK_PRIORITY),
          retry: data.retry === undefined ? (previous?.retry ?? null) : data.retry,
        };
        policies.set(data.functionId, policy);
        changes.set(data.functionId, {
          ...changes.get(data.functionId),
          description: data.description,
          ...execution,
          ...policy,
          version: data.version,
          updated_at: data.changedAt,
          last_stream_version: stored.streamVersion,
        });
        versions.push(versionRow(data, data.version, { ...execution, ...policy }, data.changedAt));
        break;
      }
      case 'FunctionDeleted': {
        const { data } = event;
        changes.set(data.functionId, {
          ...changes.get(data.functionId),
          deleted_at: data.deletedAt,
          updated_at: data.deletedAt,
          last_stream_version: stored.streamVersion,
        });
        break;
      }
      default:
        return unknownEvent(event);
    }
  }
  if (registered.size > 0) {
    await trx
      .insertInto('api.functions')
      .columns(columnNames(functionColumns))
      .expression(unnestRows(functionColumns, [...registered.values()]))
      .onConflict((conflict) =>
        conflict
          .column('function_id')
          .doUpdateSet(excludedColumns(functionColumns, 'function_id'))
          .whereRef('api.functions.last_stream_version', '<', 'excluded.last_stream_version'),
      )
      .execute();
  }
  if (versions.length > 0) {
    await trx
      .insertInto('api.function_versions')
      .columns(columnNames(functionVersionColumns))
      .expression(unnestRows(functionVersionColumns, versions))
      .onConflict((conflict) => conflict.columns(['function_id', 'version']).doNothing())
      .execute();
  }
  for (const [functionId, change] of changes) {
    await trx
      .updateTable('api.functions')
      .set(change)
      .where('function_id', '=', functionId)
      .where('last_stream_version', '<', String(change.last_stream_version))
      .execute();
  }
}

function executionOf(version: {
  readonly runtime: RuntimeSpec;
  readonly capabilities: FunctionCapabilities;
}): ExecutionColumns {
  const { capabilities } = version;
  return {
    runtime: version.runtime,
    cpu_count: capabilities.cpuCount,
    mem_size: capabilities.memSize,
    network_latency: capabilities.networkLatency,
    privileged: capabilities.privileged,
    timeout_seconds: capabilities.timeout,
  };
}

function versionRow(
  fn: { readonly functionId: string; readonly accountId: string; readonly description: string },
  version: number,
  columns: ExecutionColumns & PolicyColumns,
  createdAt: string,
): FunctionVersionRowSet {
  return {
    function_id: fn.functionId,
    version,
    account_id: fn.accountId,
    description: fn.description,
    ...columns,
    created_at: createdAt,
  };
}

/** The policy of the function's row as earlier batches left it; undefined when it has none. */
async function projectedPolicy(
  trx: Transaction<ReadModelDatabase>,
  functionId: string,
): Promise<PolicyColumns | undefined> {
  return trx
    .selectFrom('api.functions')
    .select(['priority', 'retry'])
    .where('function_id', '=', functionId)
    .executeTakeFirst();
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled function event ${JSON.stringify(event)}`);
}
