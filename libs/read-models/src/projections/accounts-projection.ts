import { accountEventTypes, parseAccountEvent, type AccountEventType } from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';
import { anyOf, columnNames, unnestRows, type RowSetColumns } from './unnest-rows.js';

const name = 'accounts';

type Trx = Transaction<ReadModelDatabase>;

/**
 * AccountCreated / ApiKeyIssued / ApiKeyRevoked → `api.accounts` and `api.api_keys` (never the key
 * hash). The account row's `last_stream_version` covers its keys too: they live in its stream.
 *
 * A batch reads the versions of its accounts (one SELECT), skips the events at or below them, and
 * writes what the rest add with one statement per kind of change: new accounts, new keys,
 * revocations (the first one of a key stands), and the accounts' new versions.
 */
export const accountsProjection: Projection<AccountEventType> = {
  name,
  handles: accountEventTypes,
  apply: (trx, event) => applyAccountEvents(trx, [event]),
  applyBatch: applyAccountEvents,
};

interface AccountRowSet {
  readonly account_id: string;
  readonly name: string;
  readonly created_at: string;
  readonly last_stream_version: number;
}

interface ApiKeyRowSet {
  readonly account_id: string;
  readonly key_id: string;
  readonly label: string | null;
  readonly issued_at: string;
  readonly revoked_at: string | null;
}

interface RevocationRowSet {
  readonly account_id: string;
  readonly key_id: string;
  readonly revoked_at: string;
}

interface AccountVersionRowSet {
  readonly account_id: string;
  readonly last_stream_version: number;
}

const accountColumns: RowSetColumns<AccountRowSet> = {
  account_id: 'text',
  name: 'text',
  created_at: 'timestamptz',
  last_stream_version: 'int8',
};
const apiKeyColumns: RowSetColumns<ApiKeyRowSet> = {
  account_id: 'text',
  key_id: 'text',
  label: 'text',
  issued_at: 'timestamptz',
  revoked_at: 'timestamptz',
};
// Keys compared with char(n) columns are sent as bpchar, so that the comparison uses their index.
const revocationColumns: RowSetColumns<RevocationRowSet> = {
  account_id: 'bpchar',
  key_id: 'bpchar',
  revoked_at: 'timestamptz',
};
const versionColumns: RowSetColumns<AccountVersionRowSet> = {
  account_id: 'bpchar',
  last_stream_version: 'int8',
};

async function applyAccountEvents(trx: Trx, recorded: readonly RecordedEvent[]): Promise<void> {
  const events = recorded.map((event) => ({
    version: event.streamVersion,
    event: parseRecordedEvent(name, event, parseAccountEvent),
  }));
  // The version of each account that has a row (stored, or created by this batch).
  const versions = await loadVersions(trx, [
    ...new Set(events.map(({ event }) => event.data.accountId)),
  ]);
  const created = new Map<string, AccountRowSet>();
  const keys = new Map<string, ApiKeyRowSet>();
  const revocations = new Map<string, RevocationRowSet>();
  const changed = new Set<string>();

  for (const { version, event } of events) {
    const { accountId } = event.data;
    const known = versions.get(accountId);
    if (known !== undefined && version <= known) continue;
    switch (event.type) {
      case 'AccountCreated': {
        // An account with a row already keeps it, and its version.
        if (known !== undefined) continue;
        const { name: accountName, createdAt } = event.data;
        created.set(accountId, {
          account_id: accountId,
          name: accountName,
          created_at: createdAt,
          last_stream_version: version,
        });
        versions.set(accountId, version);
        continue;
      }
      case 'ApiKeyIssued': {
        const { keyId, label, issuedAt } = event.data;
        const key = `${accountId} ${keyId}`;
        if (!keys.has(key)) {
          keys.set(key, {
            account_id: accountId,
            key_id: keyId,
            label,
            issued_at: issuedAt,
            revoked_at: null,
          });
        }
        break;
      }
      case 'ApiKeyRevoked': {
        const { keyId, revokedAt } = event.data;
        const key = `${accountId} ${keyId}`;
        const issued = keys.get(key);
        if (issued !== undefined && issued.revoked_at === null)
          keys.set(key, { ...issued, revoked_at: revokedAt });
        // Also for a key issued before the batch; the update keeps an earlier revocation.
        if (!revocations.has(key))
          revocations.set(key, { account_id: accountId, key_id: keyId, revoked_at: revokedAt });
        break;
      }
      default:
        return unknownEvent(event);
    }
    if (known !== undefined) {
      versions.set(accountId, version);
      changed.add(accountId);
    }
  }

  // An account created by the batch is inserted at the version its last event left it.
  await insertAccounts(
    trx,
    [...created.values()].map((account) => ({
      ...account,
      last_stream_version: versions.get(account.account_id) ?? account.last_stream_version,
    })),
  );
  await insertApiKeys(trx, [...keys.values()]);
  await revokeApiKeys(trx, [...revocations.values()]);
  await updateVersions(
    trx,
    [...changed]
      .filter((accountId) => !created.has(accountId))
      .map((accountId) => ({
        account_id: accountId,
        last_stream_version: versions.get(accountId) ?? 0,
      })),
  );
}

async function loadVersions(trx: Trx, accountIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom('api.accounts')
    .select(['account_id', 'last_stream_version'])
    .where('account_id', '=', anyOf(accountIds, 'bpchar'))
    .execute();
  return new Map(rows.map((row) => [row.account_id, Number(row.last_stream_version)]));
}

async function insertAccounts(trx: Trx, accounts: readonly AccountRowSet[]): Promise<void> {
  if (accounts.length === 0) return;
  await trx
    .insertInto('api.accounts')
    .columns(columnNames(accountColumns))
    .expression(unnestRows(accountColumns, accounts))
    .onConflict((conflict) => conflict.column('account_id').doNothing())
    .execute();
}

async function insertApiKeys(trx: Trx, keys: readonly ApiKeyRowSet[]): Promise<void> {
  if (keys.length === 0) return;
  await trx
    .insertInto('api.api_keys')
    .columns(columnNames(apiKeyColumns))
    .expression(unnestRows(apiKeyColumns, keys))
    .onConflict((conflict) => conflict.columns(['account_id', 'key_id']).doNothing())
    .execute();
}

async function revokeApiKeys(trx: Trx, revocations: readonly RevocationRowSet[]): Promise<void> {
  if (revocations.length === 0) return;
  await trx
    .updateTable('api.api_keys')
    .from(sql<RevocationRowSet>`(${unnestRows(revocationColumns, revocations)})`.as('r'))
    .set((update) => ({ revoked_at: update.ref('r.revoked_at') }))
    .whereRef('api.api_keys.account_id', '=', 'r.account_id')
    .whereRef('api.api_keys.key_id', '=', 'r.key_id')
    .where('api.api_keys.revoked_at', 'is', null)
    .execute();
}

async function updateVersions(trx: Trx, versions: readonly AccountVersionRowSet[]): Promise<void> {
  if (versions.length === 0) return;
  await trx
    .updateTable('api.accounts')
    .from(sql<AccountVersionRowSet>`(${unnestRows(versionColumns, versions)})`.as('v'))
    .set((update) => ({
      last_stream_version: update.ref('v.last_stream_version'),
      updated_at: sql`now()`,
    }))
    .whereRef('api.accounts.account_id', '=', 'v.account_id')
    .whereRef('api.accounts.last_stream_version', '<', 'v.last_stream_version')
    .execute();
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled account event ${JSON.stringify(event)}`);
}
