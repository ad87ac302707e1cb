import { summarizeLatencies } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';

// Where a task's time goes: the points a task passes, from the client's POST to the client holding
// its result, and the stages between them. Every time is wall-clock milliseconds since the epoch,
// read on one machine (the client's clock, the services' clocks and PostgreSQL's are the same).

/** What the client saw of one task. */
export interface ClientTaskTimes {
  /** The POST left the client. */
  readonly postSent: number;
  /** The 201 (with the task id) arrived. */
  readonly createdReceived: number;
  /** The result (not a 202) arrived. */
  readonly resultReceived: number;
}

/** What the event store and the read models recorded of one task. */
export interface RecordedTaskTimes {
  /** TaskIssued's `issuedAt`: the gateway took the request. */
  readonly issuedAt: number;
  /** `recorded_at` of the TaskIssued row (the appending transaction's start). */
  readonly issuedRecorded: number;
  /**
   * TaskAssigned's `assignedAt` (of the attempt that finished): the leader decided the assignment,
   * before recording it and offering it to the node. A task assigned as it was issued has it before
   * its TaskIssued is recorded, in the same append.
   */
  readonly assignedAt: number;
  readonly assignedRecorded: number;
  /** TaskFinished's `finishedAt`: the scheduler took the node's result. */
  readonly finishedAt: number;
  readonly finishedRecorded: number;
  /** The projector's transaction that wrote the finished task into the read models. */
  readonly projected: number;
}

export type TaskTimeline = ClientTaskTimes & RecordedTaskTimes;

export type TaskPoint = keyof TaskTimeline;

export interface TaskStage {
  readonly from: TaskPoint;
  readonly to: TaskPoint;
  readonly label: string;
  /** Runs beside the path to the result rather than on it. */
  readonly aside?: boolean;
}

/** The stages in the order a task meets them; the last one is the whole way. */
export const taskStages: readonly TaskStage[] = [
  { from: 'postSent', to: 'issuedAt', label: 'POST sent -> gateway took it (issuedAt)' },
  { from: 'issuedAt', to: 'issuedRecorded', label: 'issuedAt -> TaskIssued recorded' },
  {
    from: 'issuedRecorded',
    to: 'createdReceived',
    label: 'TaskIssued recorded -> 201 at the client',
    aside: true,
  },
  {
    from: 'issuedRecorded',
    to: 'assignedAt',
    label: 'TaskIssued recorded -> assignment decided (assignedAt)',
  },
  { from: 'assignedAt', to: 'assignedRecorded', label: 'assignedAt -> TaskAssigned recorded' },
  {
    from: 'assignedRecorded',
    to: 'finishedAt',
    label: 'TaskAssigned recorded -> offered, run, result taken (finishedAt)',
  },
  { from: 'finishedAt', to: 'finishedRecorded', label: 'finishedAt -> TaskFinished recorded' },
  { from: 'finishedRecorded', to: 'projected', label: 'TaskFinished recorded -> projected' },
  { from: 'projected', to: 'resultReceived', label: 'projected -> result at the client' },
  { from: 'postSent', to: 'resultReceived', label: 'total: POST sent -> result at the client' },
];

export interface StageFigures {
  readonly stage: TaskStage;
  readonly latency: LatencySummary;
}

/** Percentiles of every stage over the tasks known to both the client and the stores. */
export function stageBreakdown(timelines: readonly TaskTimeline[]): StageFigures[] {
  return taskStages.map((stage) => ({
    stage,
    latency: summarizeLatencies(timelines.map((task) => task[stage.to] - task[stage.from])),
  }));
}

/**
 * How many tasks had the attempt that finished recorded in the append that issued them (one
 * transaction, so one `recorded_at`): their issue-to-assignment stage is negative.
 */
export function assignedWithIssue(timelines: readonly TaskTimeline[]): number {
  return timelines.filter((task) => task.assignedRecorded === task.issuedRecorded).length;
}

/** Timelines of the tasks both sides know, in the client's order. */
export function joinTimelines(
  client: ReadonlyMap<string, ClientTaskTimes>,
  recorded: ReadonlyMap<string, RecordedTaskTimes>,
): TaskTimeline[] {
  const timelines: TaskTimeline[] = [];
  for (const [taskId, seen] of client) {
    const stored = recorded.get(taskId);
    if (stored !== undefined) timelines.push({ ...seen, ...stored });
  }
  return timelines;
}
