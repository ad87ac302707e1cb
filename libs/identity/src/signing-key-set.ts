import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

// The key set that signs access tokens: Ed25519 private keys as JWKs (RFC 8037), each with a `kid`,
// and the kid of the one key that signs new tokens. Every key in the set verifies and is published
// at /.well-known/jwks.json, which is what makes rotation possible without downtime: a new key is
// added (published, not signing), becomes active once every verifier has fetched it, and the old one
// is removed once the last token it signed has expired.
//
//   { "active": "<kid>", "keys": [{ "kid", "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
//                                   "x", "d", "createdAt" }] }

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

export const signingJwkSchema = z.object({
  kid: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -'),
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  alg: z.literal('EdDSA').optional(),
  /** Public key, 32 bytes. */
  x: base64url.length(43),
  /** Private key, 32 bytes. */
  d: base64url.length(43),
  createdAt: z.iso.datetime().optional(),
});
export type SigningJwk = z.infer<typeof signingJwkSchema>;

export const signingKeySetSchema = z
  .object({
    /** The kid of the key that signs; optional when the set holds exactly one key. */
    active: z.string().optional(),
    keys: z.array(signingJwkSchema).min(1, 'must hold at least one key'),
  })
  .superRefine((set, context) => {
    const kids = set.keys.map((key) => key.kid);
    const duplicate = kids.find((kid, index) => kids.indexOf(kid) !== index);
    if (duplicate !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['keys'],
        message: `kid ${duplicate} appears twice`,
      });
    }
    if (set.active === undefined && set.keys.length > 1) {
      context.addIssue({
        code: 'custom',
        path: ['active'],
        message: 'is required when the set holds more than one key',
      });
    }
    if (set.active !== undefined && !kids.includes(set.active)) {
      context.addIssue({ code: 'custom', path: ['active'], message: `names no key of the set` });
    }
  });
export type SigningKeySet = z.infer<typeof signingKeySetSchema>;

/** A JWK as published: the public half only. */
export interface PublicSigningJwk {
  readonly kid: string;
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly alg: 'EdDSA';
  readonly use: 'sig';
  readonly x: string;
}

/** The key set a JSON text holds; throws an Error naming the first problem (never a key's value). */
export function parseSigningKeySet(text: string): SigningKeySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the signing key set is not JSON');
  }
  const parsed = signingKeySetSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')} `;
  throw new Error(`invalid signing key set: ${where}${issue?.message ?? 'is invalid'}`);
}

/** The kid that signs new tokens. */
export function activeKid(set: SigningKeySet): string {
  const active = set.active ?? set.keys[0]?.kid;
  if (active === undefined) throw new Error('the signing key set is empty');
  return active;
}

/** A fresh Ed25519 key. The kid is the creation day plus random hex, so listings read in order. */
export function generateSigningKey(now: Date = new Date()): SigningJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return signingJwkSchema.parse({
    kid: `${day}-${randomBytes(4).toString('hex')}`,
    kty: 'OKP',
    crv: 'Ed25519',
    alg: 'EdDSA',
    x: jwk.x,
    d: jwk.d,
    createdAt: now.toISOString(),
  });
}

/** A set of one new key, active. */
export function newSigningKeySet(now: Date = new Date()): SigningKeySet {
  const key = generateSigningKey(now);
  return { active: key.kid, keys: [key] };
}

/** Rotation, step 1: the set with a new key that is published but does not sign yet. */
export function addSigningKey(set: SigningKeySet, key: SigningJwk): SigningKeySet {
  if (set.keys.some((existing) => existing.kid === key.kid))
    throw new Error(`the set already holds key ${key.kid}`);
  return { active: activeKid(set), keys: [...set.keys, key] };
}

/** Rotation, step 2: the key signs new tokens from now on. */
export function activateSigningKey(set: SigningKeySet, kid: string): SigningKeySet {
  if (!set.keys.some((key) => key.kid === kid)) throw new Error(`the set holds no key ${kid}`);
  return { active: kid, keys: set.keys };
}

/** Rotation, step 3: the key is removed, so tokens it signed stop verifying. Never the active key. */
export function retireSigningKey(set: SigningKeySet, kid: string): SigningKeySet {
  if (!set.keys.some((key) => key.kid === kid)) throw new Error(`the set holds no key ${kid}`);
  if (activeKid(set) === kid)
    throw new Error(`key ${kid} is the active key; activate another first`);
  return { active: activeKid(set), keys: set.keys.filter((key) => key.kid !== kid) };
}

/** The JWK Set to publish: every key's public half. */
export function publicJwks(set: SigningKeySet): { keys: PublicSigningJwk[] } {
  return {
    keys: set.keys.map(({ kid, x }) => ({
      kid,
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
      x,
    })),
  };
}
