import { accountStreamId } from '@canopy/contracts';
import { generateApiKey } from '@canopy/identity';
import type { Aggregates } from '../events/aggregates.js';
import { ApiError } from '../http/api-error.js';
import { unixSeconds } from '../tasks/task-json.js';
import type { CreateApiKeyBody } from './auth-api-schemas.js';

// /v1/auth/keys: the caller's account lists, creates and revokes its API keys. The account's stream
// is the source (a handful of events per account), so a new key works and a revoked one stops being
// exchangeable at once. A key's secret is in the answer to its creation only; nothing else ever
// shows it or its hash.

/** Key names (ApiKeyIssued.label) the API accepts. */
export const MAX_KEY_NAME_LENGTH = 100;

export interface ApiKeyJson {
  readonly id: string;
  readonly name: string | null;
  /** Unix seconds as a string, like every time of the API. */
  readonly createdAt: string;
  /** Null while the key is live. */
  readonly revokedAt: string | null;
}

export interface CreatedApiKeyJson {
  readonly id: string;
  readonly name: string | null;
  /** The whole key, shown this once. */
  readonly key: string;
  readonly createdAt: string;
}

const KEY_ID = /^[0-9a-f]{12}$/;

export class ApiKeys {
  constructor(
    private readonly accounts: Aggregates['accounts'],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(accountId: string): Promise<ApiKeyJson[]> {
    const { state } = await this.accounts.current(accountStreamId(accountId));
    if (state.phase !== 'Open') return [];
    return state.keys.map((key) => ({
      id: key.keyId,
      name: key.label,
      createdAt: unixSeconds(key.issuedAt),
      revokedAt: key.revokedAt === null ? null : unixSeconds(key.revokedAt),
    }));
  }

  async create(accountId: string, { name }: CreateApiKeyBody): Promise<CreatedApiKeyJson> {
    const generated = generateApiKey(accountId);
    const now = this.now().toISOString();
    await this.accounts.handle(accountStreamId(accountId), {
      type: 'IssueApiKey',
      data: {
        accountId,
        keyId: generated.keyId,
        keyHash: generated.keyHash,
        label: name,
        now,
      },
    });
    return { id: generated.keyId, name, key: generated.key, createdAt: unixSeconds(now) };
  }

  /** Revokes the key; revoking one already revoked changes nothing. */
  async revoke(accountId: string, keyId: string): Promise<void> {
    // A path segment that cannot be a key id names no key: 404 like any other unknown key.
    if (!KEY_ID.test(keyId)) {
      throw new ApiError(404, 'API_KEY_NOT_FOUND', `the account has no key ${keyId}`);
    }
    await this.accounts.handle(accountStreamId(accountId), {
      type: 'RevokeApiKey',
      data: { accountId, keyId, now: this.now().toISOString() },
    });
  }
}
