export { IndexedHeap } from './collections/indexed-heap.js';
export * from './matching/node-matcher.js';
export { IndexedMatcher } from './matching/indexed-matcher.js';
export { FullScanMatcher } from './matching/full-scan-matcher.js';
export {
  NodeRegistry,
  type AnnounceOutcome,
  type DepartedNode,
  type NodeAnnouncementFacts,
  type NodeHeartbeatFacts,
  type NodeRegistryOptions,
  type RegisteredNode,
  type RegistryCapacity,
} from './nodes/node-registry.js';
export {
  TaskQueue,
  type DueDeadline,
  type Offer,
  type QueuedTaskPhase,
  type QueuedTaskView,
  type TaskEnding,
  type TaskQueueOptions,
} from './queue/task-queue.js';
export {
  isIssuedBy,
  issueTaskCommand,
  type FunctionToIssue,
  type IssuePolicy,
} from './issuing/issue-task-command.js';
