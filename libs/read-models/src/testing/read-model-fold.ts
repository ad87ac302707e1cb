import type { TaskCommand, TaskEvent } from '@canopy/contracts';
import { decide, evolve, initialState, type TaskView } from '@canopy/task-domain';
import type { TaskRowState } from '../schema/tasks-table.js';

// What the read models must hold, computed the independent way: by folding a stream with the task
// domain. Tests compare the projector's rows with these.

/** The events the task domain decides for `commands`, applied one after the other. */
export function decidedTaskEvents(commands: readonly TaskCommand[]): TaskEvent[] {
  const events: TaskEvent[] = [];
  let state = initialState();
  for (const command of commands) {
    const decided = decide(command, state);
    state = decided.reduce(evolve, state);
    events.push(...decided);
  }
  return events;
}

/** The columns of `api.tasks` a task's fold determines, as node-postgres reads them. */
export interface ExpectedTaskRow {
  readonly task_id: string;
  readonly account_id: string;
  readonly function_id: string;
  readonly function_version: number;
  readonly schedule_id: string | null;
  readonly state: TaskRowState;
  readonly progress: number;
  readonly status: number;
  readonly node_id: string | null;
  readonly attempt: number;
  readonly timeout_seconds: number;
  readonly cpu_count: number;
  readonly mem_size: number;
  readonly network_latency: number;
  readonly privileged: boolean;
  readonly failure_reason: string | null;
  readonly priority: number;
  readonly not_before: Date | null;
  readonly issued_at: Date;
  readonly assigned_at: Date | null;
  readonly finished_at: Date | null;
}

const stateOfPhase = {
  Waiting: 'pending',
  Assigned: 'assigned',
  Finished: 'finished',
  Failed: 'failed',
} as const satisfies Record<TaskView['phase'], TaskRowState>;

export function expectedTaskRow(view: TaskView): ExpectedTaskRow {
  return {
    task_id: view.taskId,
    account_id: view.accountId,
    function_id: view.functionId,
    function_version: view.functionVersion,
    schedule_id: view.scheduleId,
    state: stateOfPhase[view.phase],
    progress: view.progress,
    status: view.status,
    node_id: view.nodeId,
    // Attempts are numbered from 1 without gaps, so the latest one's number is their count.
    attempt: view.attempts,
    timeout_seconds: view.timeout,
    cpu_count: view.requirements.cpuCount,
    mem_size: view.requirements.memSize,
    network_latency: view.requirements.networkLatency,
    privileged: view.requirements.privileged,
    failure_reason: view.failure?.reason ?? null,
    priority: view.priority,
    not_before: view.notBefore === null ? null : new Date(view.notBefore),
    issued_at: new Date(view.issuedAt),
    assigned_at: view.assignedAt === null ? null : new Date(view.assignedAt),
    finished_at: view.finishedAt === null ? null : new Date(view.finishedAt),
  };
}
