import { nodeAnnouncementSchema, parseContract } from '@canopy/contracts';
import type { NodeCapabilities } from '@canopy/contracts';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { defaultNodeLogger } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import { resolveRetryPolicy } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';

/** How to build a {@link CanopyNode}. Give either `servers` or `connection`. */
export interface CanopyNodeOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`; the node opens (and later drains) its own connection. */
  readonly servers?: string | readonly string[];
  /**
   * An open connection to use instead of `servers`. The node then leaves it open on stop (it only
   * unsubscribes). Open it with `inboxPrefix: nodeInboxPrefix(nodeId)` so that NATS permissions
   * bound to the node's identity let the replies through.
   */
  readonly connection?: NatsConnection;
  /**
   * The node's NATS credentials: the text of its `.creds` file (user JWT and seed), as issued when
   * the node was registered. Needed when the server requires authentication; only with `servers`.
   * The user's permissions match `nodeId`, so the two must belong together.
   */
  readonly credentials?: string;
  /** The node's identity: 1 to 64 of `A-Z a-z 0-9 _ -`. */
  readonly nodeId: string;
  /** What the node offers; the scheduler matches tasks' requirements against it. */
  readonly capabilities: NodeCapabilities;
  /** How many tasks may run at once (at least 1). */
  readonly slots: number;
  /** Name and version of the node software, e.g. `my-node/1.0`. */
  readonly agent: string;
  /**
   * Extra options for the connection the node opens (credentials, TLS, reconnect policy...).
   * `servers` and `inboxPrefix` are set by the node; reconnecting never gives up unless this says so.
   */
  readonly connectionOptions?: Omit<NodeConnectionOptions, 'servers' | 'inboxPrefix'>;
  /** Structured logger; pino fits. Defaults to a pino logger on stdout. */
  readonly logger?: NodeLogger;
  /** Overrides parts of {@link defaultRetryPolicy}. */
  readonly retry?: Partial<RetryPolicy>;
}

export interface ResolvedNodeOptions {
  readonly target:
    | { readonly kind: 'servers'; readonly servers: string[] }
    | { readonly kind: 'connection'; readonly connection: NatsConnection };
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  readonly agent: string;
  readonly connectionOptions: Omit<NodeConnectionOptions, 'servers' | 'inboxPrefix'>;
  readonly credentials: string | undefined;
  readonly logger: NodeLogger;
  readonly retry: RetryPolicy;
}

// The two blocks of a `.creds` file; the server checks the rest.
const CREDS_FORMAT = /-----BEGIN NATS USER JWT-----[\s\S]+-----BEGIN USER NKEY SEED-----/;

const identitySchema = nodeAnnouncementSchema.pick({
  nodeId: true,
  capabilities: true,
  slots: true,
  agent: true,
});

/**
 * Checks the options once, at construction: a ContractViolationError names a bad identity field,
 * a RangeError a bad retry setting, a TypeError a missing or doubled connection target.
 */
export function resolveNodeOptions(options: CanopyNodeOptions): ResolvedNodeOptions {
  const identity = parseContract(identitySchema, 'node options', {
    nodeId: options.nodeId,
    capabilities: options.capabilities,
    slots: options.slots,
    agent: options.agent,
  });
  const servers =
    options.servers === undefined
      ? undefined
      : typeof options.servers === 'string'
        ? [options.servers]
        : [...options.servers];
  if ((servers === undefined) === (options.connection === undefined)) {
    throw new TypeError('node options: give exactly one of servers and connection');
  }
  if (servers?.length === 0) throw new TypeError('node options: servers must not be empty');
  if (options.credentials !== undefined) {
    if (options.connection !== undefined) {
      throw new TypeError(
        'node options: credentials go with servers; open the connection with them instead',
      );
    }
    if (!CREDS_FORMAT.test(options.credentials)) {
      throw new TypeError(
        'node options: credentials must be the text of a NATS .creds file (user JWT and seed)',
      );
    }
  }
  return {
    ...identity,
    target:
      options.connection === undefined
        ? { kind: 'servers', servers: servers ?? [] }
        : { kind: 'connection', connection: options.connection },
    connectionOptions: options.connectionOptions ?? {},
    credentials: options.credentials,
    logger: options.logger ?? defaultNodeLogger(),
    retry: resolveRetryPolicy(options.retry),
  };
}
