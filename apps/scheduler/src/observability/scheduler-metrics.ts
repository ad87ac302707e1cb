import { taskFailureReasons, unassignReasons } from '@canopy/contracts';
import type { TaskEvent, TaskRequirements } from '@canopy/contracts';
import type { AppendedEvent } from '@canopy/event-store';
import type { NodeRegistry, TaskQueue } from '@canopy/scheduling';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How an offer to a node ended. */
export type OfferOutcome = 'accepted' | 'rejected' | 'unreachable' | 'timed_out';

/**
 * The class of a task's requirements, for the queue depth: the most demanding thing it asks for.
 * Few values by construction (a label must not grow with the data).
 */
export type RequirementClass = 'privileged' | 'low_latency' | 'sized' | 'any';

export function requirementClassOf(requirements: TaskRequirements): RequirementClass {
  if (requirements.privileged) return 'privileged';
  if (requirements.networkLatency > 0) return 'low_latency';
  if (requirements.cpuCount > 0 || requirements.memSize > 0) return 'sized';
  return 'any';
}

const requirementClasses: readonly RequirementClass[] = [
  'privileged',
  'low_latency',
  'sized',
  'any',
];

// Seconds, from a few milliseconds (a node waiting) to the default pending deadline and beyond.
const waitBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const runBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export interface SchedulerMetricsSources {
  readonly queue: TaskQueue;
  readonly registry: NodeRegistry;
  readonly isLeader: () => boolean;
}

/**
 * The scheduler's metrics. Task counters count the events this replica recorded (each event is
 * recorded by exactly one replica, so they add up over replicas); the queue, node and slot gauges
 * are this replica's view, read at each scrape; the leader's is the one that matches.
 */
export class SchedulerMetrics {
  private readonly issued: Counter<'origin'>;
  private readonly assigned: Counter;
  private readonly unassigned: Counter<'reason'>;
  private readonly attemptsFailed: Counter;
  private readonly finished: Counter;
  private readonly failed: Counter<'reason'>;
  private readonly waitSeconds: Histogram;
  private readonly runSeconds: Histogram;
  private readonly completionSeconds: Histogram;
  private readonly offers: Counter<'outcome'>;

  constructor(registry: Registry, sources: SchedulerMetricsSources) {
    const registers = [registry];
    this.issued = new Counter({
      name: 'canopy_tasks_issued_total',
      help: 'Tasks recorded as issued (TaskIssued), by origin: api (POST /v1/task) or schedule.',
      labelNames: ['origin'],
      registers,
    });
    this.assigned = new Counter({
      name: 'canopy_tasks_assigned_total',
      help:
        'Attempts recorded as assigned to a node (TaskAssigned), by how: in the append that issued ' +
        'the task (issue), or by a matching pass (pass).',
      labelNames: ['way'],
      registers,
    });
    this.unassigned = new Counter({
      name: 'canopy_tasks_unassigned_total',
      help: 'Attempts taken back from their node (TaskUnassigned), by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.attemptsFailed = new Counter({
      name: 'canopy_tasks_attempts_failed_total',
      help: 'Attempts whose function answered with a status its retry policy retries (TaskAttemptFailed): the task runs again after the backoff.',
      registers,
    });
    this.finished = new Counter({
      name: 'canopy_tasks_finished_total',
      help: "Tasks that ended with their function's response (TaskFinished).",
      registers,
    });
    this.failed = new Counter({
      name: 'canopy_tasks_failed_total',
      help: 'Tasks the platform gave up on (TaskFailed), by reason.',
      labelNames: ['reason'],
      registers,
    });
    // Every series exists from the start, at 0, so that rates and alerts see the first increase.
    for (const origin of ['api', 'schedule']) this.issued.inc({ origin }, 0);
    for (const reason of taskFailureReasons) this.failed.inc({ reason }, 0);
    for (const reason of unassignReasons) this.unassigned.inc({ reason }, 0);
    this.waitSeconds = new Histogram({
      name: 'canopy_task_assignment_wait_seconds',
      help: 'From a task being issued to its first assignment to a node.',
      buckets: waitBuckets,
      registers,
    });
    this.runSeconds = new Histogram({
      name: 'canopy_task_run_seconds',
      help: 'From the assignment of the attempt that finished a task to its TaskFinished.',
      buckets: runBuckets,
      registers,
    });
    this.completionSeconds = new Histogram({
      name: 'canopy_task_completion_seconds',
      help: 'From a task being issued to its TaskFinished.',
      buckets: runBuckets,
      registers,
    });
    this.offers = new Counter({
      name: 'canopy_scheduler_offers_total',
      help: 'Assignments offered to nodes, by outcome: accepted, rejected, unreachable (nothing listened to the node), timed_out (no answer in time).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['accepted', 'rejected', 'unreachable', 'timed_out'])
      this.offers.inc({ outcome }, 0);

    const { queue, registry: nodes, isLeader } = sources;
    new Gauge({
      name: 'canopy_scheduler_queue_depth',
      help: 'Tasks waiting for a node, by the class of their requirements (privileged, low_latency, sized, any).',
      labelNames: ['requirement_class'],
      registers,
      collect() {
        const counts = queue.countWaiting(requirementClassOf);
        for (const requirementClass of requirementClasses)
          this.set({ requirement_class: requirementClass }, counts.get(requirementClass) ?? 0);
      },
    });
    new Gauge({
      name: 'canopy_scheduler_active_tasks',
      help: 'Unfinished tasks the scheduler holds: waiting, offered or assigned.',
      registers,
      collect() {
        this.set(queue.size);
      },
    });
    const capacityGauge = (
      name: string,
      help: string,
      read: (capacity: ReturnType<NodeRegistry['capacity']>) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(nodes.capacity()));
        },
      });
    capacityGauge(
      'canopy_scheduler_nodes',
      'Nodes registered (announced and heard from).',
      (c) => c.nodes,
    );
    capacityGauge(
      'canopy_scheduler_nodes_busy',
      'Registered nodes running or offered at least one task.',
      (c) => c.busyNodes,
    );
    capacityGauge('canopy_scheduler_slots', 'Slots of the registered nodes.', (c) => c.slots);
    capacityGauge(
      'canopy_scheduler_slots_busy',
      'Slots running or offered a task.',
      (c) => c.busySlots,
    );
    new Gauge({
      name: 'canopy_scheduler_leader',
      help: 'Whether this replica is the leader (matches, applies deadlines, fires schedules): 1 or 0.',
      registers,
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
  }

  /**
   * Events this replica appended, before the queue applies them (so the task's issue and
   * assignment times are still there to read).
   */
  recorded(appended: readonly AppendedEvent<TaskEvent>[], queue: TaskQueue): void {
    // A task's first assignment may be recorded with its issue, before the queue holds the task.
    let issuedAtMs: number | undefined;
    for (const { event } of appended) {
      switch (event.type) {
        case 'TaskIssued':
          this.issued.inc({ origin: event.data.scheduleId === null ? 'api' : 'schedule' });
          issuedAtMs = Date.parse(event.data.issuedAt);
          break;
        case 'TaskAssigned': {
          this.assigned.inc({ way: issuedAtMs === undefined ? 'pass' : 'issue' });
          const since = queue.get(event.data.taskId)?.issuedAtMs ?? issuedAtMs;
          if (event.data.attempt === 1 && since !== undefined)
            this.waitSeconds.observe(seconds(since, Date.parse(event.data.assignedAt)));
          break;
        }
        case 'TaskUnassigned':
          this.unassigned.inc({ reason: event.data.reason });
          break;
        case 'TaskFinished': {
          this.finished.inc();
          // The log's follower may have brought this event to the queue a moment before its append
          // answered, and the task has left the queue then.
          const task = queue.lastSeen(event.data.taskId);
          if (task === undefined) break;
          const finishedAtMs = Date.parse(event.data.finishedAt);
          if (task.assignedAtMs !== null)
            this.runSeconds.observe(seconds(task.assignedAtMs, finishedAtMs));
          this.completionSeconds.observe(seconds(task.issuedAtMs, finishedAtMs));
          break;
        }
        case 'TaskFailed':
          this.failed.inc({ reason: event.data.reason });
          break;
        case 'TaskAttemptFailed':
          this.attemptsFailed.inc();
          break;
        case 'TaskProgressed':
          break;
        default:
          return unknownEvent(event);
      }
    }
  }

  offerSettled(outcome: OfferOutcome): void {
    this.offers.inc({ outcome });
  }
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled task event ${JSON.stringify(event)}`);
}

function seconds(fromMs: number, toMs: number): number {
  return Math.max(0, (toMs - fromMs) / 1000);
}
