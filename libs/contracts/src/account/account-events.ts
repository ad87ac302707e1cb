import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, utcTimeSchema } from '../identifiers.js';
import { contractSchema, currentMetadata } from '../task/task-payloads.js';

// The account aggregate, stream `account-<accountId>`. API keys are stored as SHA-256 hashes only:
// a key is 256 random bits, so a fast hash is enough (nothing to brute-force), and the plain key is
// shown once to whoever created it.

/** Identifies one API key within its account (12 lower-case hex characters). */
export const apiKeyIdSchema = z
  .string()
  .regex(/^[0-9a-f]{12}$/, 'must be 12 lower-case hexadecimal characters');

/** Lower-case hex SHA-256 of the key's secret part. */
export const keyHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256 digest');

export const accountNameSchema = z.string().trim().min(1).max(200);

export const accountCreatedDataSchema = z.object({
  accountId: accountIdSchema,
  name: accountNameSchema,
  createdAt: utcTimeSchema,
});

export const apiKeyIssuedDataSchema = z.object({
  accountId: accountIdSchema,
  keyId: apiKeyIdSchema,
  keyHash: keyHashSchema,
  label: z.string().max(200).nullable(),
  issuedAt: utcTimeSchema,
});

export const apiKeyRevokedDataSchema = z.object({
  accountId: accountIdSchema,
  keyId: apiKeyIdSchema,
  revokedAt: utcTimeSchema,
});

export const accountEventSchema = z.discriminatedUnion('type', [
  contractSchema('AccountCreated', accountCreatedDataSchema),
  contractSchema('ApiKeyIssued', apiKeyIssuedDataSchema),
  contractSchema('ApiKeyRevoked', apiKeyRevokedDataSchema),
]);
export type AccountEvent = z.infer<typeof accountEventSchema>;
export type AccountEventType = AccountEvent['type'];
export type AccountCreated = Extract<AccountEvent, { type: 'AccountCreated' }>;
export type ApiKeyIssued = Extract<AccountEvent, { type: 'ApiKeyIssued' }>;
export type ApiKeyRevoked = Extract<AccountEvent, { type: 'ApiKeyRevoked' }>;

export const accountEventTypes = [
  'AccountCreated',
  'ApiKeyIssued',
  'ApiKeyRevoked',
] as const satisfies readonly AccountEventType[];

export function parseAccountEvent(value: unknown): AccountEvent {
  return parseContract(accountEventSchema, 'account event', value);
}

export function accountEvent<T extends AccountEventType>(
  type: T,
  data: Extract<AccountEvent, { type: T }>['data'],
): Extract<AccountEvent, { type: T }> {
  return { type, data, metadata: currentMetadata() } as Extract<AccountEvent, { type: T }>;
}

/** Stream of one account. */
export function accountStreamId(accountId: string): string {
  return `account-${accountId}`;
}
