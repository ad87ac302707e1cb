import {
  AccountRuleViolation,
  MAX_LIVE_API_KEYS,
  decide,
  foldAccount,
} from '@canopy/account-domain';
import type { AccountCommand, AccountState } from '@canopy/account-domain';
import { accountStreamId } from '@canopy/contracts';
import { EventIdConflictError, ExpectedVersionConflictError } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { generateApiKey } from '@canopy/identity';
import { ApiError } from '../http/api-error.js';
import { newEvents, readAccountStream } from '../events/streams.js';
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

const ROUNDS = 3;
const KEY_ID = /^[0-9a-f]{12}$/;

export class ApiKeys {
  constructor(
    private readonly store: EventStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(accountId: string): Promise<ApiKeyJson[]> {
    const state = foldAccount((await readAccountStream(this.store, accountId)).events);
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
    await this.decideAndAppend(accountId, {
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
    if (!KEY_ID.test(keyId)) throw keyNotFound(keyId);
    await this.decideAndAppend(accountId, {
      type: 'RevokeApiKey',
      data: { accountId, keyId, now: this.now().toISOString() },
    });
  }

  private async decideAndAppend(accountId: string, command: AccountCommand): Promise<void> {
    const streamId = accountStreamId(accountId);
    for (let round = 1; ; round += 1) {
      const { events: history, version } = await readAccountStream(this.store, accountId);
      const events = decideOrExplain(command, foldAccount(history));
      if (events.length === 0) return;
      try {
        await this.store.appendToStream(streamId, newEvents(streamId, version, events), {
          expectedVersion: version === 0 ? 'no_stream' : version,
        });
        return;
      } catch (error) {
        const conflict =
          error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError;
        if (!conflict || round >= ROUNDS) throw error;
      }
    }
  }
}

function decideOrExplain(command: AccountCommand, state: AccountState) {
  try {
    return decide(command, state);
  } catch (error) {
    if (!(error instanceof AccountRuleViolation)) throw error;
    switch (error.code) {
      case 'API_KEY_NOT_FOUND':
        throw keyNotFound(command.data.keyId);
      case 'TOO_MANY_API_KEYS':
        throw new ApiError(
          409,
          'TOO_MANY_API_KEYS',
          `the account already holds ${MAX_LIVE_API_KEYS} API keys; revoke one first`,
        );
      case 'ACCOUNT_NOT_FOUND':
      case 'WRONG_ACCOUNT':
      case 'ACCOUNT_ALREADY_EXISTS':
      case 'API_KEY_ID_TAKEN':
        // A verified token names an existing account, and key ids are random: none of these can
        // follow from a request, so they are defects (500), not answers.
        throw error;
      default: {
        const unknown: never = error.code;
        throw new Error(`unhandled account rule ${String(unknown)}`);
      }
    }
  }
}

function keyNotFound(keyId: string): ApiError {
  return new ApiError(404, 'API_KEY_NOT_FOUND', `no API key ${keyId} in this account`);
}
