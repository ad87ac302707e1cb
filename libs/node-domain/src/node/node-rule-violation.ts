export const nodeRuleCodes = [
  /** The node id is registered already, by another registration (another key, hash or account). */
  'NODE_ALREADY_REGISTERED',
  /** No registration of the node by this account: it is unknown, or another account's. */
  'NODE_NOT_FOUND',
] as const;

export type NodeRuleCode = (typeof nodeRuleCodes)[number];

/** A command broke a rule of the node registration. Definitive: retrying it fails the same way. */
export class NodeRuleViolation extends Error {
  constructor(
    readonly code: NodeRuleCode,
    readonly nodeId: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'NodeRuleViolation';
  }
}
