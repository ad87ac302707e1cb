/** Credentials for one node, as handed to its owner once, at registration. */
export interface NodeCredentials {
  /** The nkey user public key the credentials are for; stored, so they can be revoked. */
  readonly publicKey: string;
  /** The `.creds` file text (user JWT and nkey seed). Secret: returned once, never stored or logged. */
  readonly creds: string;
}

/**
 * Issues NATS credentials that let exactly one node talk on its own subjects. Without one (no
 * NATS authority configured) the gateway cannot register nodes and answers 503.
 */
export interface NodeCredentialsIssuer {
  issue(nodeId: string): Promise<NodeCredentials>;
}

/** Injection token of the gateway's NodeCredentialsIssuer; its value is null when there is none. */
export const NODE_CREDENTIALS_ISSUER = Symbol('NodeCredentialsIssuer');
