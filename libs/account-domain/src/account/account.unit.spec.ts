import { DeciderSpecification } from '@canopy/decider-testing';
import { ContractViolationError, accountEvent } from '@canopy/contracts';
import { AccountRuleViolation } from './account-rule-violation.js';
import type { AccountRuleCode } from './account-rule-violation.js';
import { MAX_LIVE_API_KEYS, accountDecider, activeApiKey, foldAccount } from './account.js';
import type { AccountCommand } from './account.js';

const given = DeciderSpecification.for(accountDecider);

const accountId = '64057f3c9956fae80d7e0e84';
const keyId = 'a1b2c3d4e5f6';
const secondKeyId = '0a0b0c0d0e0f';
const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const t = (second: number) => new Date(Date.UTC(2026, 10, 29, 10, 0, second)).toISOString();

const created = accountEvent('AccountCreated', { accountId, name: 'Acme', createdAt: t(0) });
const firstKey = accountEvent('ApiKeyIssued', {
  accountId,
  keyId,
  keyHash: hashA,
  label: 'default',
  issuedAt: t(0),
});
const secondKey = accountEvent('ApiKeyIssued', {
  accountId,
  keyId: secondKeyId,
  keyHash: hashB,
  label: null,
  issuedAt: t(5),
});
const firstRevoked = accountEvent('ApiKeyRevoked', { accountId, keyId, revokedAt: t(9) });

const createAccount = (
  overrides: Partial<Extract<AccountCommand, { type: 'CreateAccount' }>['data']> = {},
): AccountCommand => ({
  type: 'CreateAccount',
  data: {
    accountId,
    name: 'Acme',
    keyId,
    keyHash: hashA,
    label: 'default',
    now: t(0),
    ...overrides,
  },
});
const issueKey = (
  overrides: Partial<Extract<AccountCommand, { type: 'IssueApiKey' }>['data']> = {},
): AccountCommand => ({
  type: 'IssueApiKey',
  data: { accountId, keyId: secondKeyId, keyHash: hashB, label: null, now: t(5), ...overrides },
});
const revokeKey = (id = keyId, now = t(9)): AccountCommand => ({
  type: 'RevokeApiKey',
  data: { accountId, keyId: id, now },
});

const violation = (code: AccountRuleCode) => (error: unknown) =>
  error instanceof AccountRuleViolation && error.code === code && error.accountId === accountId;
const contractViolation = (field: string) => (error: unknown) =>
  error instanceof ContractViolationError && error.field === field;

describe('CreateAccount', () => {
  test('creates the account with its first key', () => {
    given([]).when(createAccount()).then([created, firstKey]);
  });

  test('a repeat yields nothing, whenever it is stamped', () => {
    given([created, firstKey])
      .when(createAccount({ now: t(30) }))
      .thenNothing();
  });

  test('the name is stored trimmed, and a repeat with the untrimmed name is still a repeat', () => {
    given([])
      .when(createAccount({ name: '  Acme  ' }))
      .then([created, firstKey]);
    given([created, firstKey])
      .when(createAccount({ name: ' Acme' }))
      .thenNothing();
  });

  test.each([
    ['another name', { name: 'Other' }],
    ['another first key', { keyHash: hashB }],
    ['another label', { label: null }],
  ])('with %s on an existing account is refused', (_name, overrides) => {
    given([created, firstKey])
      .when(createAccount(overrides))
      .thenThrows(Error, violation('ACCOUNT_ALREADY_EXISTS'));
  });

  test.each([
    ['an empty name', { name: ' ' }, 'name'],
    ['a malformed account id', { accountId: 'acme' }, 'accountId'],
    ['a malformed key id', { keyId: 'KEY' }, 'keyId'],
    ['a key hash that is not a digest', { keyHash: 'secret' }, 'keyHash'],
    ['a time that is not UTC ISO 8601', { now: 'yesterday' }, 'createdAt'],
  ])('with %s is refused naming the field', (_name, overrides, field) => {
    given([]).when(createAccount(overrides)).thenThrows(Error, contractViolation(field));
  });
});

describe('IssueApiKey', () => {
  test('adds a key', () => {
    given([created, firstKey]).when(issueKey()).then([secondKey]);
  });

  test('a repeat yields nothing, also after the key was revoked', () => {
    given([created, firstKey, secondKey])
      .when(issueKey({ now: t(40) }))
      .thenNothing();
    given([created, firstKey, firstRevoked])
      .when(issueKey({ keyId, keyHash: hashA, label: 'default' }))
      .thenNothing();
  });

  test('reusing a key id with another secret is refused', () => {
    given([created, firstKey])
      .when(issueKey({ keyId, keyHash: hashB }))
      .thenThrows(Error, violation('API_KEY_ID_TAKEN'));
  });

  test('needs an existing account', () => {
    given([]).when(issueKey()).thenThrows(Error, violation('ACCOUNT_NOT_FOUND'));
  });

  describe(`at most ${MAX_LIVE_API_KEYS} keys that are not revoked`, () => {
    const keyIdOf = (index: number) => index.toString(16).padStart(12, '0');
    const issued = (index: number) =>
      accountEvent('ApiKeyIssued', {
        accountId,
        keyId: keyIdOf(index),
        keyHash: hashB,
        label: `key ${index}`,
        issuedAt: t(1),
      });
    // The first key plus MAX - 1 more: the account is full.
    const full = [
      created,
      firstKey,
      ...Array.from({ length: MAX_LIVE_API_KEYS - 1 }, (_, index) => issued(index + 1)),
    ];
    const oneMore = issueKey({ keyId: keyIdOf(999), keyHash: hashA, label: 'one more' });

    test('one more is refused', () => {
      given(full).when(oneMore).thenThrows(Error, violation('TOO_MANY_API_KEYS'));
    });

    test('a repeat of a key already issued still yields nothing', () => {
      given(full)
        .when(issueKey({ keyId: keyIdOf(3), keyHash: hashB, label: 'key 3', now: t(30) }))
        .thenNothing();
    });

    test('revoking one makes room', () => {
      given([...full, firstRevoked])
        .when(oneMore)
        .then([
          accountEvent('ApiKeyIssued', {
            accountId,
            keyId: keyIdOf(999),
            keyHash: hashA,
            label: 'one more',
            issuedAt: t(5),
          }),
        ]);
    });
  });

  test('refuses a command for another account', () => {
    const otherAccount = '64057f3c9956fae80d7e0e85';
    given([created, firstKey])
      .when(issueKey({ accountId: otherAccount }))
      .thenThrows(
        Error,
        (error) => error instanceof AccountRuleViolation && error.code === 'WRONG_ACCOUNT',
      );
  });
});

describe('RevokeApiKey', () => {
  test('revokes a key', () => {
    given([created, firstKey]).when(revokeKey()).then([firstRevoked]);
  });

  test('a revoked key is never revoked twice', () => {
    given([created, firstKey, firstRevoked])
      .when(revokeKey(keyId, t(50)))
      .thenNothing();
  });

  test('an unknown key is refused', () => {
    given([created, firstKey])
      .when(revokeKey(secondKeyId))
      .thenThrows(Error, violation('API_KEY_NOT_FOUND'));
  });

  test('needs an existing account', () => {
    given([]).when(revokeKey()).thenThrows(Error, violation('ACCOUNT_NOT_FOUND'));
  });
});

describe('the folded account', () => {
  test('knows its active keys', () => {
    const state = foldAccount([created, firstKey, secondKey, firstRevoked]);
    expect(activeApiKey(state, keyId)).toBeNull();
    expect(activeApiKey(state, secondKeyId)).toEqual({
      keyId: secondKeyId,
      keyHash: hashB,
      label: null,
      issuedAt: t(5),
      revokedAt: null,
    });
    expect(activeApiKey(state, 'ffffffffffff')).toBeNull();
  });

  test('an account never created has no key', () => {
    expect(activeApiKey(foldAccount([]), keyId)).toBeNull();
  });

  test('an event that cannot apply changes nothing', () => {
    const state = foldAccount([created, firstKey]);
    expect(foldAccount([created, firstKey, created])).toEqual(state);
    expect(
      foldAccount([created, firstKey, { ...firstKey, data: { ...firstKey.data, keyHash: hashB } }]),
    ).toEqual(state);
    expect(foldAccount([firstKey])).toEqual({ phase: 'NotCreated' });
  });
});
