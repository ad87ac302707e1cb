import {
  functionEventTypes,
  parseFunctionEvent,
  type FunctionEventType,
  type RuntimeSpec,
} from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';
import { columnNames, excludedColumns, unnestRows, type RowSetColumns } from './unnest-rows.js';

const name = 'functions';

interface FunctionRowSet {
  readonly function_id: string;
  readonly account_id: string;
  readonly name: string;
  readonly description: string | null;
  readonly lang: string;
  readonly type: string;
  readonly runtime: RuntimeSpec;
  readonly cpu_count: number;
  readonly mem_size: number;
  readonly network_latency: number;
  readonly privileged: boolean;
  readonly timeout_seconds: number;
  readonly created_at: string;
  readonly updated_at: string;
  readonly last_stream_version: number;
}

const functionColumns: RowSetColumns<FunctionRowSet> = {
  function_id: 'text',
  account_id: 'text',
  name: 'text',
  description: 'text',
  lang: 'text',
  type: 'text',
  runtime: 'jsonb',
  cpu_count: 'int4',
  mem_size: 'int4',
  network_latency: 'int4',
  privileged: 'bool',
  timeout_seconds: 'int4',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  last_stream_version: 'int8',
};

/**
 * FunctionRegistered → `api.functions`, the function as registered. A row is the latest
 * registration of its stream: a batch keeps each function's last one and upserts them (one
 * statement), replacing only rows at a lower stream version.
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
  const latest = new Map<string, FunctionRowSet>();
  for (const stored of recorded) {
    const event = parseRecordedEvent(name, stored, parseFunctionEvent);
    switch (event.type) {
      case 'FunctionRegistered': {
        const { data } = event;
        const known = latest.get(data.functionId);
        if (known !== undefined && known.last_stream_version >= stored.streamVersion) break;
        latest.set(data.functionId, {
          function_id: data.functionId,
          account_id: data.accountId,
          name: data.name,
          description: data.description,
          lang: data.lang,
          type: data.type,
          runtime: data.runtime,
          cpu_count: data.capabilities.cpuCount,
          mem_size: data.capabilities.memSize,
          network_latency: data.capabilities.networkLatency,
          privileged: data.capabilities.privileged,
          timeout_seconds: data.capabilities.timeout,
          created_at: data.registeredAt,
          updated_at: data.registeredAt,
          last_stream_version: stored.streamVersion,
        });
        break;
      }
      default:
        return unknownEvent(event.type);
    }
  }
  if (latest.size === 0) return;
  await trx
    .insertInto('api.functions')
    .columns(columnNames(functionColumns))
    .expression(unnestRows(functionColumns, [...latest.values()]))
    .onConflict((conflict) =>
      conflict
        .column('function_id')
        .doUpdateSet(excludedColumns(functionColumns, 'function_id'))
        .whereRef('api.functions.last_stream_version', '<', 'excluded.last_stream_version'),
    )
    .execute();
}

function unknownEvent(type: never): never {
  throw new Error(`Unhandled function event ${String(type)}`);
}
