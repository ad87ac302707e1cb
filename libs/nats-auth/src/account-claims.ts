import { encodeAccount } from '@nats-io/jwt';
import { authorityKeys, type AuthoritySeeds } from './authority-keys.js';

// Account JWTs decoded by the server treat a missing limit as 0 (no connections, no subscriptions),
// so every limit is spelled out; -1 means unlimited.
const connectionLimits = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
// Non-zero storage limits are what enables JetStream for an account.
const jetStreamLimits = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

/**
 * The CANOPY account's JWT, signed by the operator, listing `revocations` (user public key → unix
 * seconds: user JWTs issued at or before that time are refused and their connections closed).
 */
export function encodeCanopyAccount(
  seeds: AuthoritySeeds,
  revocations: Readonly<Record<string, number>>,
): Promise<string> {
  const keys = authorityKeys(seeds);
  return encodeAccount(
    'CANOPY',
    keys.account,
    {
      signing_keys: [keys.accountSigningKey.getPublicKey()],
      limits: { ...connectionLimits, ...jetStreamLimits },
      revocations: { ...revocations },
    },
    { signer: keys.operator },
  );
}

/** The system account's JWT, signed by the operator. */
export function encodeSystemAccount(seeds: AuthoritySeeds): Promise<string> {
  const keys = authorityKeys(seeds);
  return encodeAccount(
    'SYS',
    keys.systemAccount,
    { limits: connectionLimits },
    { signer: keys.operator },
  );
}
