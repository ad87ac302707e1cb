import {
  accountCreatedDataSchema,
  accountEvent,
  apiKeyIssuedDataSchema,
  apiKeyRevokedDataSchema,
  parseAccountEvent,
  parseContract,
} from '@canopy/contracts';
import type { AccountEvent, Aggregate } from '@canopy/contracts';
import { AccountRuleViolation } from './account-rule-violation.js';

// The account aggregate, stream `account-<accountId>`: who may call the API, with which keys.
// Keys arrive already generated and hashed (keyId, keyHash): the domain makes no random values and
// computes no digests, so it stays a pure function of its inputs.

/**
 * Keys an account may hold at once, revoked ones not counted: enough for one key per client or
 * environment, few enough that a leaked access token cannot mint keys without bound.
 */
export const MAX_LIVE_API_KEYS = 20;

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// AccountEvent (AccountCreated, ApiKeyIssued, ApiKeyRevoked) is the contract type from @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

export interface ApiKeyState {
  readonly keyId: string;
  /** Lower-case hex SHA-256 of the key's secret part. */
  readonly keyHash: string;
  readonly label: string | null;
  readonly issuedAt: string;
  readonly revokedAt: string | null;
}

export type AccountState =
  | { readonly phase: 'NotCreated' }
  | {
      readonly phase: 'Open';
      readonly accountId: string;
      readonly name: string;
      readonly createdAt: string;
      /** In the order they were issued; the first is the key the account was created with. */
      readonly keys: readonly ApiKeyState[];
    };

type OpenAccount = Extract<AccountState, { phase: 'Open' }>;

export function initialState(): AccountState {
  return { phase: 'NotCreated' };
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

/** Applies one stored event; events are facts, so one that cannot apply leaves the state unchanged. */
export function evolve(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountCreated': {
      if (state.phase !== 'NotCreated') return state;
      const { accountId, name, createdAt } = event.data;
      return { phase: 'Open', accountId, name, createdAt, keys: [] };
    }
    case 'ApiKeyIssued': {
      if (state.phase !== 'Open') return state;
      const { keyId, keyHash, label, issuedAt } = event.data;
      if (state.keys.some((key) => key.keyId === keyId)) return state;
      return {
        ...state,
        keys: [...state.keys, { keyId, keyHash, label, issuedAt, revokedAt: null }],
      };
    }
    case 'ApiKeyRevoked': {
      if (state.phase !== 'Open') return state;
      const { keyId, revokedAt } = event.data;
      return {
        ...state,
        keys: state.keys.map((key) =>
          key.keyId === keyId && key.revokedAt === null ? { ...key, revokedAt } : key,
        ),
      };
    }
    default:
      return unknownEvent(event);
  }
}

/** Folds an account's stream, oldest event first. */
export function foldAccount(events: readonly AccountEvent[]): AccountState {
  return events.reduce(evolve, initialState());
}

/** The key with this id if the account has it and it is not revoked; null otherwise. */
export function activeApiKey(state: AccountState, keyId: string): ApiKeyState | null {
  if (state.phase !== 'Open') return null;
  return state.keys.find((key) => key.keyId === keyId && key.revokedAt === null) ?? null;
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// Every time (`now`) and id arrives in the command. Idempotency: a command that repeats one already
// applied yields [] (times are not compared, a retry is stamped anew):
//   CreateAccount - the same account id, name and first key (id, hash, label);
//   IssueApiKey   - the same key id with the same hash and label, revoked since or not (also when the
//                   account is at MAX_LIVE_API_KEYS: idempotence comes first);
//   RevokeApiKey  - a key already revoked (never a second ApiKeyRevoked).

export interface CreateAccount {
  readonly type: 'CreateAccount';
  readonly data: {
    readonly accountId: string;
    readonly name: string;
    /** The account's first API key. */
    readonly keyId: string;
    readonly keyHash: string;
    readonly label: string | null;
    readonly now: string;
  };
}

export interface IssueApiKey {
  readonly type: 'IssueApiKey';
  readonly data: {
    readonly accountId: string;
    readonly keyId: string;
    readonly keyHash: string;
    readonly label: string | null;
    readonly now: string;
  };
}

export interface RevokeApiKey {
  readonly type: 'RevokeApiKey';
  readonly data: { readonly accountId: string; readonly keyId: string; readonly now: string };
}

export type AccountCommand = CreateAccount | IssueApiKey | RevokeApiKey;

// ─── Decide ──────────────────────────────────────────────────────────────────────────────────────

/**
 * @throws ContractViolationError when a command value breaks the events' schema (naming the field).
 * @throws AccountRuleViolation when the command breaks a rule of the account.
 */
export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'CreateAccount':
      return createAccount(command, state);
    case 'IssueApiKey':
      return issueApiKey(command, open(state, command.data.accountId));
    case 'RevokeApiKey':
      return revokeApiKey(command, open(state, command.data.accountId));
    default:
      return unknownCommand(command);
  }
}

// decide, evolve and initialState as one value, for given/when/then tests and the aggregate below.
export const accountDecider = { decide, evolve, initialState };

/** The decider and the parser of the stream's events: what a command handler takes. */
export const accountAggregate: Aggregate<AccountCommand, AccountEvent, AccountState> = {
  decider: accountDecider,
  parseEvent: parseAccountEvent,
};

function createAccount({ data }: CreateAccount, state: AccountState): AccountEvent[] {
  const created = parseContract(accountCreatedDataSchema, 'CreateAccount command', {
    accountId: data.accountId,
    name: data.name,
    createdAt: data.now,
  });
  const key = parseContract(apiKeyIssuedDataSchema, 'CreateAccount command', {
    accountId: data.accountId,
    keyId: data.keyId,
    keyHash: data.keyHash,
    label: data.label,
    issuedAt: data.now,
  });
  if (state.phase === 'NotCreated') {
    return [accountEvent('AccountCreated', created), accountEvent('ApiKeyIssued', key)];
  }
  const [firstKey] = state.keys;
  const isRepeat =
    state.accountId === created.accountId &&
    state.name === created.name &&
    firstKey !== undefined &&
    sameKey(firstKey, key);
  if (isRepeat) return [];
  throw new AccountRuleViolation(
    'ACCOUNT_ALREADY_EXISTS',
    data.accountId,
    'the account already exists with other data',
  );
}

function issueApiKey({ data }: IssueApiKey, state: OpenAccount): AccountEvent[] {
  const key = parseContract(apiKeyIssuedDataSchema, 'IssueApiKey command', {
    accountId: data.accountId,
    keyId: data.keyId,
    keyHash: data.keyHash,
    label: data.label,
    issuedAt: data.now,
  });
  const known = state.keys.find((existing) => existing.keyId === key.keyId);
  if (known !== undefined && sameKey(known, key)) return [];
  if (known === undefined) {
    const live = state.keys.filter((existing) => existing.revokedAt === null).length;
    if (live >= MAX_LIVE_API_KEYS) {
      throw new AccountRuleViolation(
        'TOO_MANY_API_KEYS',
        data.accountId,
        `the account already holds ${MAX_LIVE_API_KEYS} keys; revoke one first`,
      );
    }
    return [accountEvent('ApiKeyIssued', key)];
  }
  throw new AccountRuleViolation(
    'API_KEY_ID_TAKEN',
    data.accountId,
    `key ${key.keyId} was already issued with another secret or label`,
  );
}

function revokeApiKey({ data }: RevokeApiKey, state: OpenAccount): AccountEvent[] {
  const revoked = parseContract(apiKeyRevokedDataSchema, 'RevokeApiKey command', {
    accountId: data.accountId,
    keyId: data.keyId,
    revokedAt: data.now,
  });
  const known = state.keys.find((existing) => existing.keyId === revoked.keyId);
  if (known === undefined) {
    throw new AccountRuleViolation(
      'API_KEY_NOT_FOUND',
      data.accountId,
      `the account has no key ${revoked.keyId}`,
    );
  }
  if (known.revokedAt !== null) return [];
  return [accountEvent('ApiKeyRevoked', revoked)];
}

function open(state: AccountState, accountId: string): OpenAccount {
  if (state.phase === 'NotCreated') {
    throw new AccountRuleViolation('ACCOUNT_NOT_FOUND', accountId, 'no such account');
  }
  if (state.accountId !== accountId) {
    throw new AccountRuleViolation(
      'WRONG_ACCOUNT',
      accountId,
      `this state belongs to account ${state.accountId}`,
    );
  }
  return state;
}

function sameKey(
  known: Pick<ApiKeyState, 'keyId' | 'keyHash' | 'label'>,
  key: Pick<ApiKeyState, 'keyId' | 'keyHash' | 'label'>,
): boolean {
  return known.keyId === key.keyId && known.keyHash === key.keyHash && known.label === key.label;
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled account event ${JSON.stringify(event)}`);
}

function unknownCommand(command: never): never {
  throw new Error(`Unhandled account command ${JSON.stringify(command)}`);
}
