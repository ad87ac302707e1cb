import { accountAggregate } from '@canopy/account-domain';
import type { AccountCommand, AccountState } from '@canopy/account-domain';
import type {
  AccountEvent,
  FunctionEvent,
  NodeEvent,
  ScheduleEvent,
  TaskCommand,
  TaskEvent,
} from '@canopy/contracts';
import { CommandHandler } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { functionAggregate } from '@canopy/function-domain';
import type { FunctionCommand, FunctionState } from '@canopy/function-domain';
import { nodeAggregate } from '@canopy/node-domain';
import type { NodeCommand, NodeState } from '@canopy/node-domain';
import { scheduleAggregate } from '@canopy/schedule-domain';
import type { ScheduleCommand, ScheduleState } from '@canopy/schedule-domain';
import { taskAggregate } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';

/**
 * The aggregates the gateway changes, or reads from their streams where the read models may lag:
 * each through the event store's command handler with its decider. The gateway keeps no state
 * between requests (replicas may serve any of them), so nothing is cached.
 */
export interface Aggregates {
  readonly accounts: CommandHandler<AccountCommand, AccountEvent, AccountState>;
  readonly functions: CommandHandler<FunctionCommand, FunctionEvent, FunctionState>;
  readonly nodes: CommandHandler<NodeCommand, NodeEvent, NodeState>;
  readonly schedules: CommandHandler<ScheduleCommand, ScheduleEvent, ScheduleState>;
  readonly tasks: CommandHandler<TaskCommand, TaskEvent, TaskState>;
}

export function aggregatesOn(store: EventStore): Aggregates {
  return {
    accounts: new CommandHandler({ store, ...accountAggregate }),
    functions: new CommandHandler({ store, ...functionAggregate }),
    nodes: new CommandHandler({ store, ...nodeAggregate }),
    schedules: new CommandHandler({ store, ...scheduleAggregate }),
    tasks: new CommandHandler({ store, ...taskAggregate }),
  };
}
