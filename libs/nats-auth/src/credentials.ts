import {
  CANCEL_TASK_AGAIN_SUBJECT,
  CANCEL_TASK_SUBJECT,
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  LEADER_FUNCTION_CHANGED_SUBJECT,
  LEADER_ISSUE_TASK_BATCH_SUBJECT,
  LEADER_ISSUE_TASK_SUBJECT,
  TASK_EVENT_NOTICE_PATTERN,
  TASK_NOTIFICATION_PATTERN,
  nodePermissions,
} from '@canopy/contracts';
import { createUser, encodeUser, fmtCreds, type Permissions } from '@nats-io/jwt';
import type { NatsAuthoritySecrets } from './authority.js';
import { authorityKeys } from './authority-keys.js';

/** A user's `.creds` text (user JWT and seed) and the user's public key (what a revocation names). */
export interface IssuedCredentials {
  readonly publicKey: string;
  readonly creds: string;
}

/** Subject permissions of a NATS user, in the shape of `nodePermissions` from the contracts. */
export interface SubjectPermissions {
  readonly publish: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
  /** May publish to the reply subject of each request it received (once, within two minutes). */
  readonly allowResponses: boolean;
}

export const platformServices = ['gateway', 'scheduler', 'projector', 'cli'] as const;
/** A platform process that connects to NATS with a user of its own. */
export type PlatformService = (typeof platformServices)[number];

// Platform services use the client's default inbox prefix (`_INBOX.`); nodes use their own
// (`_INBOX_<nodeId>.`), so no node can read another's replies, nor the platform's.
const DEFAULT_INBOX = '_INBOX.>';
const EVERYTHING = '>';

/**
 * What each platform service may do on NATS: exactly the subjects its code uses (see
 * `libs/contracts/src/nats/subjects.ts`), so a leaked service credential cannot impersonate a node
 * or another service.
 */
export function servicePermissions(service: PlatformService): SubjectPermissions {
  switch (service) {
    case 'gateway':
      // Requests IssueTask, IssueTaskBatch and CancelTask (of the queue group, then of every replica
      // when asking again); tells the leading scheduler of a function's
      // change; hears task notifications and event notices.
      return {
        publish: {
          allow: [
            ISSUE_TASK_SUBJECT,
            ISSUE_TASK_BATCH_SUBJECT,
            CANCEL_TASK_SUBJECT,
            ISSUE_TASK_AGAIN_SUBJECT,
            ISSUE_TASK_BATCH_AGAIN_SUBJECT,
            CANCEL_TASK_AGAIN_SUBJECT,
            LEADER_FUNCTION_CHANGED_SUBJECT,
          ],
        },
        subscribe: { allow: [TASK_NOTIFICATION_PATTERN, TASK_EVENT_NOTICE_PATTERN, DEFAULT_INBOX] },
        allowResponses: false,
      };
    case 'scheduler':
      // Serves commands (queue group) and every node's reports; offers assignments, sends
      // cancellations, announces recorded task outcomes and appends; answers each request once; a
      // standby hands issue requests on to the leader.
      return {
        publish: {
          allow: [
            LEADER_ISSUE_TASK_SUBJECT,
            LEADER_ISSUE_TASK_BATCH_SUBJECT,
            'canopy.assign.*',
            'canopy.cancel.*',
            TASK_NOTIFICATION_PATTERN,
            TASK_EVENT_NOTICE_PATTERN,
          ],
        },
        subscribe: { allow: ['canopy.cmd.>', 'canopy.node.*.>', DEFAULT_INBOX] },
        allowResponses: true,
      };
    case 'projector':
      // Only announces projected task outcomes.
      return {
        publish: { allow: ['canopy.notify.>'] },
        subscribe: { deny: [EVERYTHING] },
        allowResponses: false,
      };
    case 'cli':
      // Operator tooling: may issue a task (the same request the gateway makes) and read its replies.
      return {
        publish: { allow: [ISSUE_TASK_SUBJECT] },
        subscribe: { allow: [DEFAULT_INBOX] },
        allowResponses: false,
      };
    default: {
      const unknown: never = service;
      throw new Error(`unknown platform service ${String(unknown)}`);
    }
  }
}

/**
 * Credentials of a node: a CANOPY account user named after the node whose permissions are exactly
 * `nodePermissions(nodeId)`. The node must connect with `inboxPrefix: nodeInboxPrefix(nodeId)`.
 * Each call creates a new user key. Rejects with a ContractViolationError for an invalid node id.
 */
export async function issueNodeCredentials(
  authority: NatsAuthoritySecrets,
  nodeId: string,
): Promise<IssuedCredentials> {
  return issueAccountUser(authority, nodeId, nodePermissions(nodeId));
}

/** `issueNodeCredentials` bound to an authority, in the shape the gateway's node registration takes. */
export function nodeCredentialsIssuer(authority: NatsAuthoritySecrets): {
  issue(nodeId: string): Promise<IssuedCredentials>;
} {
  return { issue: (nodeId) => issueNodeCredentials(authority, nodeId) };
}

/** Credentials of a platform service, limited to {@link servicePermissions}. */
export async function issueServiceCredentials(
  authority: NatsAuthoritySecrets,
  service: PlatformService,
): Promise<IssuedCredentials> {
  if (!platformServices.includes(service)) {
    throw new TypeError(`unknown platform service "${String(service)}"`);
  }
  return issueAccountUser(authority, `canopy-${service}`, servicePermissions(service));
}

/**
 * Credentials of a system account user: it can update account JWTs (revocations) and read the
 * server's monitoring subjects, and nothing of the CANOPY account.
 */
export async function issueSystemCredentials(
  authority: NatsAuthoritySecrets,
): Promise<IssuedCredentials> {
  const { systemAccount } = authorityKeys(authority);
  const user = createUser();
  const jwt = await encodeUser('canopy-system', user, systemAccount);
  return { publicKey: user.getPublicKey(), creds: new TextDecoder().decode(fmtCreds(jwt, user)) };
}

async function issueAccountUser(
  authority: NatsAuthoritySecrets,
  name: string,
  permissions: SubjectPermissions,
): Promise<IssuedCredentials> {
  const { account, accountSigningKey } = authorityKeys(authority);
  const user = createUser();
  const jwt = await encodeUser(name, user, account, jwtPermissions(permissions), {
    signer: accountSigningKey,
  });
  return { publicKey: user.getPublicKey(), creds: new TextDecoder().decode(fmtCreds(jwt, user)) };
}

function jwtPermissions(permissions: SubjectPermissions): Permissions {
  return {
    pub: {
      ...(permissions.publish.allow === undefined ? {} : { allow: [...permissions.publish.allow] }),
      ...(permissions.publish.deny === undefined ? {} : { deny: [...permissions.publish.deny] }),
    },
    sub: {
      ...(permissions.subscribe.allow === undefined
        ? {}
        : { allow: [...permissions.subscribe.allow] }),
      ...(permissions.subscribe.deny === undefined
        ? {}
        : { deny: [...permissions.subscribe.deny] }),
    },
    // 0 lets the server apply its defaults: one reply per request, within two minutes.
    ...(permissions.allowResponses ? { resp: { max: 1, ttl: 0 } } : {}),
  };
}

/** What a `.creds` text says about its user, read without checking signatures. */
export interface CredentialsIdentity {
  /** The user JWT's `name` claim: the node id for node credentials. */
  readonly name: string;
  readonly publicKey: string;
}

/** Reads the user JWT of a `.creds` text; throws a clear error when it holds none. */
export function describeCredentials(creds: string): CredentialsIdentity {
  const jwt =
    /-----BEGIN NATS USER JWT-----\s*([\w-]+\.[\w-]+\.[\w-]+)\s*-+END NATS USER JWT-+/.exec(
      creds,
    )?.[1];
  const claims = jwt === undefined ? undefined : decodeClaims(jwt);
  if (claims === undefined) {
    throw new Error('not NATS credentials: no "BEGIN NATS USER JWT" block with a readable JWT');
  }
  return claims;
}

function decodeClaims(jwt: string): CredentialsIdentity | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as {
      name?: unknown;
      sub?: unknown;
    };
    if (typeof payload.name !== 'string' || typeof payload.sub !== 'string') return undefined;
    return { name: payload.name, publicKey: payload.sub };
  } catch {
    return undefined;
  }
}
