import type { CancelTaskService } from './cancelling/cancel-task-service.js';
import type { IssueTaskService } from './issuing/issue-task-service.js';
import type { LeaderHandOff } from './issuing/leader-hand-off.js';
import type { NodeReports } from './nodes/node-reports.js';
import type { InFlightWork } from './transport/in-flight-work.js';

/** What the NATS controllers delegate to: built outside Nest, handed in as one value. */
export interface SchedulerHandlers {
  readonly issuing: IssueTaskService;
  readonly handOff: LeaderHandOff;
  readonly cancelling: CancelTaskService;
  readonly nodes: NodeReports;
  readonly work: InFlightWork;
}

export const SCHEDULER_HANDLERS = 'SchedulerHandlers';
