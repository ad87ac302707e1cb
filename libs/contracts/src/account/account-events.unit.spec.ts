import { ContractViolationError } from '../contract-violation.js';
import { accountEvent, accountStreamId, parseAccountEvent } from './account-events.js';

const accountId = '64057f3c9956fae80d7e0e84';

describe('account events', () => {
  test('a valid ApiKeyIssued parses back to itself', () => {
    const event = accountEvent('ApiKeyIssued', {
      accountId,
      keyId: 'a1b2c3d4e5f6',
      keyHash: 'f'.repeat(64),
      label: null,
      issuedAt: '2026-11-29T10:00:00Z',
    });
    expect(parseAccountEvent(event)).toEqual(event);
  });

  test('a key hash that is not a SHA-256 digest is rejected naming the field', () => {
    const event = accountEvent('ApiKeyIssued', {
      accountId,
      keyId: 'a1b2c3d4e5f6',
      keyHash: 'not-a-hash',
      label: null,
      issuedAt: '2026-11-29T10:00:00Z',
    });
    expect(() => parseAccountEvent(event)).toThrow(ContractViolationError);
    try {
      parseAccountEvent(event);
    } catch (error) {
      expect((error as ContractViolationError).field).toBe('data.keyHash');
    }
  });

  test('an empty account name is rejected', () => {
    const event = accountEvent('AccountCreated', {
      accountId,
      name: '  ',
      createdAt: '2026-11-29T10:00:00Z',
    });
    expect(() => parseAccountEvent(event)).toThrow(/name/);
  });

  test('streams are named after the account', () => {
    expect(accountStreamId(accountId)).toBe(`account-${accountId}`);
  });
});
