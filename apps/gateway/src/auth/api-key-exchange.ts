import { activeApiKey, foldAccount } from '@canopy/account-domain';
import type { EventStore } from '@canopy/event-store';
import { unauthorized } from '../http/api-error.js';
import { readAccountStream } from '../events/streams.js';
import type { AccessTokens, IssuedToken } from './access-tokens.js';
import { parseApiKey, secretMatches } from '@canopy/identity';

/**
 * POST /v1/auth/apiKey: an API key for an access token. The key is checked against the account's
 * stream, not a read model, so a key works the moment it is issued and stops the moment it is
 * revoked. Every failure answers the same 401, so a caller learns nothing about which part was wrong.
 */
export class ApiKeyExchange {
  constructor(
    private readonly store: EventStore,
    private readonly tokens: AccessTokens,
  ) {}

  async exchange(key: unknown): Promise<IssuedToken> {
    const parsed = typeof key === 'string' ? parseApiKey(key) : null;
    if (parsed === null) throw invalidKey();
    const { events } = await readAccountStream(this.store, parsed.accountId);
    const stored = activeApiKey(foldAccount(events), parsed.keyId);
    if (stored === null || !secretMatches(parsed.secret, stored.keyHash)) throw invalidKey();
    return this.tokens.issue({ accountId: parsed.accountId, keyId: parsed.keyId });
  }
}

function invalidKey() {
  return unauthorized('the API key is not valid');
}
