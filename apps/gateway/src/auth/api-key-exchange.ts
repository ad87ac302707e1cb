import { activeApiKey } from '@canopy/account-domain';
import { accountStreamId } from '@canopy/contracts';
import type { Aggregates } from '../events/aggregates.js';
import { unauthorized } from '../http/api-error.js';
import type { AccessTokens, IssuedToken } from './access-tokens.js';
import { parseApiKey, secretMatches } from '@canopy/identity';

/**
 * POST /v1/auth/apiKey: an API key for an access token. The key is checked against the account's
 * stream, not a read model, so a key works the moment it is issued and stops the moment it is
 * revoked. Every failure answers the same 401, so a caller learns nothing about which part was wrong.
 */
export class ApiKeyExchange {
  constructor(
    private readonly accounts: Aggregates['accounts'],
    private readonly tokens: AccessTokens,
  ) {}

  async exchange(key: unknown): Promise<IssuedToken> {
    const parsed = typeof key === 'string' ? parseApiKey(key) : null;
    if (parsed === null) throw invalidKey();
    const { state } = await this.accounts.current(accountStreamId(parsed.accountId));
    const stored = activeApiKey(state, parsed.keyId);
    if (stored === null || !secretMatches(parsed.secret, stored.keyHash)) throw invalidKey();
    return this.tokens.issue({ accountId: parsed.accountId, keyId: parsed.keyId });
  }
}

function invalidKey() {
  return unauthorized('the API key is not valid');
}
