export {
  decide,
  evolve,
  foldNode,
  initialState,
  isDisabled,
  nodeAggregate,
  nodeDecider,
} from './node/node.js';
export type {
  AnnounceNode,
  DescribeNode,
  DisableNode,
  EnableNode,
  LeaveNode,
  LoseNode,
  NodeCommand,
  NodeOwnerCommand,
  NodePresence,
  NodePresenceCommand,
  NodeRegistration,
  NodeState,
  RegisterNode,
} from './node/node.js';
export { registeredNodeId } from './node/node-id.js';
export { NodeRuleViolation, nodeRuleCodes } from './node/node-rule-violation.js';
export type { NodeRuleCode } from './node/node-rule-violation.js';
