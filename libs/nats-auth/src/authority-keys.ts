import { fromSeed, type KeyPair } from '@nats-io/jwt';

/** The seeds of a NATS authority (see `NatsAuthoritySecrets`). */
export interface AuthoritySeeds {
  readonly operatorSeed: string;
  readonly systemAccountSeed: string;
  readonly accountSeed: string;
  /** Signs user JWTs, so the account's identity key is needed only to change the account. */
  readonly accountSigningKeySeed: string;
}

export interface AuthorityKeys {
  readonly operator: KeyPair;
  readonly systemAccount: KeyPair;
  readonly account: KeyPair;
  readonly accountSigningKey: KeyPair;
}

/** The key pairs of an authority (each call decodes fresh ones). */
export function authorityKeys(seeds: AuthoritySeeds): AuthorityKeys {
  return {
    operator: keyPair(seeds.operatorSeed),
    systemAccount: keyPair(seeds.systemAccountSeed),
    account: keyPair(seeds.accountSeed),
    accountSigningKey: keyPair(seeds.accountSigningKeySeed),
  };
}

/** Public keys of an authority, for server configuration and logs (none of them is secret). */
export function authorityPublicKeys(seeds: AuthoritySeeds): {
  operator: string;
  systemAccount: string;
  account: string;
  accountSigningKey: string;
} {
  const keys = authorityKeys(seeds);
  return {
    operator: keys.operator.getPublicKey(),
    systemAccount: keys.systemAccount.getPublicKey(),
    account: keys.account.getPublicKey(),
    accountSigningKey: keys.accountSigningKey.getPublicKey(),
  };
}

export function keyPair(seed: string): KeyPair {
  return fromSeed(new TextEncoder().encode(seed));
}

export function seedText(key: KeyPair): string {
  return new TextDecoder().decode(key.getSeed());
}
