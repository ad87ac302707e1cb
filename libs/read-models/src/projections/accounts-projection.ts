import { accountEventTypes, parseAccountEvent, type AccountEventType } from '@canopy/contracts';
import { parseRecordedEvent, type Projection } from './projection.js';

const name = 'accounts';

/**
 * AccountCreated / ApiKeyIssued / ApiKeyRevoked → `api.accounts` and `api.api_keys` (never the key
 * hash). The account row's `last_stream_version` covers its keys too: they live in its stream.
 */
export const accountsProjection: Projection<AccountEventType> = {
  name,
  handles: accountEventTypes,
  async apply(trx, recorded) {
    const event = parseRecordedEvent(name, recorded, parseAccountEvent);
    const version = recorded.streamVersion;
    const { accountId } = event.data;
    const account = await trx
      .selectFrom('api.accounts')
      .select('last_stream_version')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (account !== undefined && version <= Number(account.last_stream_version)) return;

    switch (event.type) {
      case 'AccountCreated': {
        const { name: accountName, createdAt } = event.data;
        await trx
          .insertInto('api.accounts')
          .values({
            account_id: accountId,
            name: accountName,
            created_at: createdAt,
            last_stream_version: version,
          })
          .onConflict((conflict) => conflict.column('account_id').doNothing())
          .execute();
        return;
      }
      case 'ApiKeyIssued': {
        const { keyId, label, issuedAt } = event.data;
        await trx
          .insertInto('api.api_keys')
          .values({ account_id: accountId, key_id: keyId, label, issued_at: issuedAt })
          .onConflict((conflict) => conflict.columns(['account_id', 'key_id']).doNothing())
          .execute();
        break;
      }
      case 'ApiKeyRevoked': {
        const { keyId, revokedAt } = event.data;
        await trx
          .updateTable('api.api_keys')
          .set({ revoked_at: revokedAt })
          .where('account_id', '=', accountId)
          .where('key_id', '=', keyId)
          .where('revoked_at', 'is', null)
          .execute();
        break;
      }
      default:
        return unknownEvent(event);
    }
    await trx
      .updateTable('api.accounts')
      .set((update) => ({ last_stream_version: version, updated_at: update.fn('now', []) }))
      .where('account_id', '=', accountId)
      .execute();
  },
};

function unknownEvent(event: never): never {
  throw new Error(`Unhandled account event ${JSON.stringify(event)}`);
}
