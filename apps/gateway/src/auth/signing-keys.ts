import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { activeKid, publicJwks } from '@canopy/identity';
import type { PublicSigningJwk, SigningKeySet } from '@canopy/identity';

interface LoadedKeys {
  readonly activeKid: string;
  readonly privateKey: KeyObject;
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly jwks: { readonly keys: readonly PublicSigningJwk[] };
}

/**
 * The key set access tokens are signed and verified with, replaceable while the gateway runs (key
 * rotation): the active key signs, every key of the set verifies and is published.
 */
export class SigningKeys {
  private loaded: LoadedKeys;

  constructor(set: SigningKeySet) {
    this.loaded = load(set);
  }

  /** Takes a new set; throws (keeping the current one) when a key cannot be imported. */
  replace(set: SigningKeySet): void {
    this.loaded = load(set);
  }

  get activeKid(): string {
    return this.loaded.activeKid;
  }

  get kids(): string[] {
    return [...this.loaded.publicKeys.keys()];
  }

  signingKey(): { readonly kid: string; readonly key: KeyObject } {
    return { kid: this.loaded.activeKid, key: this.loaded.privateKey };
  }

  /** The public key of a kid of the set; undefined for any other kid. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.loaded.publicKeys.get(kid);
  }

  /** The JWK Set published at /.well-known/jwks.json. */
  jwks(): { readonly keys: readonly PublicSigningJwk[] } {
    return this.loaded.jwks;
  }
}

function load(set: SigningKeySet): LoadedKeys {
  const kid = activeKid(set);
  const publicKeys = new Map<string, KeyObject>();
  let privateKey: KeyObject | undefined;
  for (const jwk of set.keys) {
    const { kty, crv, x, d } = jwk;
    const key = createPrivateKey({ key: { kty, crv, x, d }, format: 'jwk' });
    // A JWK whose x is not the public half of its d would sign tokens nobody can verify.
    const derived = createPublicKey(key).export({ format: 'jwk' });
    if (derived.x !== x) throw new Error(`key ${jwk.kid}: x is not the public key of d`);
    publicKeys.set(jwk.kid, createPublicKey({ key: { kty, crv, x }, format: 'jwk' }));
    if (jwk.kid === kid) privateKey = key;
  }
  if (privateKey === undefined) throw new Error(`the active key ${kid} is not in the set`);
  return { activeKid: kid, privateKey, publicKeys, jwks: publicJwks(set) };
}
