import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionBehaviour } from '@canopy/service-runtime';
import type { NatsAuthoritySecrets } from './authority.js';
import { authorityPublicKeys } from './authority-keys.js';
import { encodeCanopyAccount } from './account-claims.js';
import { credentialsAuthenticator } from './connection-credentials.js';
import { issueSystemCredentials } from './credentials.js';

/** The server refused or failed an account update; `code` is the server's (for example 500). */
export class NatsAccountUpdateError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'NatsAccountUpdateError';
  }
}

export interface NodeCredentialRevocationsOptions {
  /** A connection authenticated as a system account user (see `issueSystemCredentials`). */
  readonly connection: NatsConnection;
  readonly authority: NatsAuthoritySecrets;
  /** How long to wait for the server's answer to one update. Default 5000 ms. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const USER_PUBLIC_KEY = /^U[A-Z2-7]{55}$/;

/**
 * Publishes the set of revoked node credentials to the NATS servers: an operator-signed CANOPY
 * account JWT whose `revocations` list the given user public keys. Servers close the connections
 * of a revoked user at once and refuse its credentials from then on (a user JWT issued at or before
 * the revocation time); a key left out of a later set works again. Each call replaces the whole
 * set, so callers pass every currently revoked key. Calls are applied in order.
 */
export class NodeCredentialRevocations {
  private readonly connection: NatsConnection;
  private readonly authority: NatsAuthoritySecrets;
  private readonly timeoutMs: number;
  private readonly updateSubject: string;
  private last: Promise<unknown> = Promise.resolve();

  constructor(options: NodeCredentialRevocationsOptions) {
    this.connection = options.connection;
    this.authority = options.authority;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.updateSubject = `$SYS.REQ.ACCOUNT.${authorityPublicKeys(options.authority).account}.CLAIMS.UPDATE`;
  }

  /**
   * Makes `revoked` (user public key → unix seconds of the revocation) the set of revoked
   * credentials; resolves once the server has accepted it. Throws a TypeError for a key that is not
   * a user public key, a {@link NatsAccountUpdateError} when the server refuses the update, and the
   * client's error when no server answers in time.
   */
  apply(revoked: ReadonlyMap<string, number> | Readonly<Record<string, number>>): Promise<void> {
    let revocations: Record<string, number>;
    try {
      revocations = checkedRevocations(revoked);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const next = this.last.catch(() => undefined).then(() => this.publish(revocations));
    this.last = next;
    return next;
  }

  private async publish(revocations: Record<string, number>): Promise<void> {
    const jwt = await encodeCanopyAccount(this.authority, revocations);
    const reply = await this.connection.request(this.updateSubject, jwt, {
      timeout: this.timeoutMs,
    });
    let answer: { data?: { code?: unknown }; error?: { code?: unknown; description?: unknown } };
    try {
      answer = reply.json();
    } catch {
      throw new NatsAccountUpdateError(
        `the NATS server answered the account update with "${reply.string()}"`,
      );
    }
    if (answer.error !== undefined) {
      const code = typeof answer.error.code === 'number' ? answer.error.code : undefined;
      throw new NatsAccountUpdateError(
        `the NATS server refused the account update: ${String(answer.error.description ?? 'no reason given')}`,
        code,
      );
    }
    if (answer.data?.code !== 200) {
      throw new NatsAccountUpdateError(
        `the NATS server answered the account update with ${reply.string()}`,
      );
    }
  }
}

function checkedRevocations(
  revoked: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): Record<string, number> {
  const entries = revoked instanceof Map ? [...revoked.entries()] : Object.entries(revoked);
  for (const [publicKey, at] of entries) {
    if (!USER_PUBLIC_KEY.test(publicKey)) {
      throw new TypeError(`revocation: "${publicKey}" is not a NATS user public key`);
    }
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new TypeError(`revocation of ${publicKey}: time must be whole unix seconds, got ${at}`);
    }
  }
  return Object.fromEntries(entries);
}

/** A {@link NodeCredentialRevocations} with a system account connection of its own. */
export interface OpenedNodeCredentialRevocations {
  readonly revocations: NodeCredentialRevocations;
  /** Drains and closes the system account connection. */
  close(): Promise<void>;
}

/**
 * Connects to `servers` as a new system account user of the authority and returns revocations that
 * use that connection (it reconnects forever, like the services' own).
 */
export async function openNodeCredentialRevocations(options: {
  readonly servers: string | readonly string[];
  readonly authority: NatsAuthoritySecrets;
  readonly name?: string;
  readonly timeoutMs?: number;
}): Promise<OpenedNodeCredentialRevocations> {
  const { creds } = await issueSystemCredentials(options.authority);
  const connection = await connect({
    servers:
      typeof options.servers === 'string'
        ? options.servers.split(',').map((server) => server.trim())
        : [...options.servers],
    name: options.name ?? 'canopy-revocations',
    ...natsConnectionBehaviour,
    authenticator: credentialsAuthenticator(creds),
  });
  return {
    revocations: new NodeCredentialRevocations({
      connection,
      authority: options.authority,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    }),
    close: () => connection.drain(),
  };
}
