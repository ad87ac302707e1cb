import { RuleViolation } from '@canopy/contracts';

export const nodeRuleCodes = [
  /** The node id is registered already, by another registration (another key, hash or account). */
  'NODE_ALREADY_REGISTERED',
  /** No registration of the node by this account: it is unknown, or another account's. */
  'NODE_NOT_FOUND',
] as const;

export type NodeRuleCode = (typeof nodeRuleCodes)[number];

/** A command broke a rule of the node registration. Definitive: retrying it fails the same way. */
export class NodeRuleViolation extends RuleViolation<NodeRuleCode> {
  constructor(
    code: NodeRuleCode,
    readonly nodeId: string,
    reason: string,
  ) {
    super(code, reason);
    this.name = 'NodeRuleViolation';
  }
}
