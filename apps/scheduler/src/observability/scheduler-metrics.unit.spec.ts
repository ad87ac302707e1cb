import { taskEvent } from '@canopy/contracts';
import type { TaskEvent } from '@canopy/contracts';
import { NodeRegistry, TaskQueue } from '@canopy/scheduling';
import { Registry } from 'prom-client';
import { SchedulerMetrics } from './scheduler-metrics.js';

const TASK_ID = '1'.repeat(24);
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1_000).toISOString();

const history: TaskEvent[] = [
  taskEvent('TaskIssued', {
    taskId: TASK_ID,
    accountId: 'a'.repeat(24),
    functionId: 'f'.repeat(24),
    functionVersion: 1,
    scheduleId: null,
    request: { query: '', contentType: null, body: '' },
    requirements: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
    timeout: 10,
    maxAttempts: 1,
    pendingDeadline: 60,
    issuedAt: at(0),
  }),
  taskEvent('TaskAssigned', { taskId: TASK_ID, nodeId: 'n1', attempt: 1, assignedAt: at(1) }),
  taskEvent('TaskFinished', {
    taskId: TASK_ID,
    nodeId: 'n1',
    attempt: 1,
    response: { status: 200, contentType: null, headers: {}, body: '' },
    finishedAt: at(4),
  }),
];

async function histogramCount(registry: Registry, name: string): Promise<number> {
  const { values } = (await registry.getMetricsAsJSON()).find((metric) => metric.name === name) ?? {
    values: [],
  };
  const count = values.find(
    (value) => (value as { metricName?: string }).metricName === `${name}_count`,
  );
  return count?.value ?? -1;
}

function setUp() {
  const nodes = new NodeRegistry({ heartbeatTimeoutMs: 6_000 });
  const queue = new TaskQueue(nodes, {
    offerTimeoutMs: 2_000,
    offerCooldownMs: 1_000,
    runTimeoutGraceMs: 500,
    deadlineRetryMs: 3_000,
  });
  const registry = new Registry();
  const metrics = new SchedulerMetrics(registry, { queue, registry: nodes, isLeader: () => true });
  return { queue, registry, metrics };
}

test('a first assignment recorded with its issue is timed from the issue', async () => {
  const { queue, registry, metrics } = setUp();

  metrics.recorded(
    history.slice(0, 2).map((event, index) => ({ event, streamVersion: index + 1 })),
    queue,
  );

  expect(await histogramCount(registry, 'canopy_task_assignment_wait_seconds')).toBe(1);
  expect(await registry.getSingleMetricAsString('canopy_tasks_assigned_total')).toContain(
    'canopy_tasks_assigned_total{way="issue"} 1',
  );
});

test('an assignment appended on its own was made by a matching pass', async () => {
  const { queue, registry, metrics } = setUp();
  queue.apply(history[0] as TaskEvent, 1, T0);

  metrics.recorded([{ event: history[1] as TaskEvent, streamVersion: 2 }], queue);

  expect(await histogramCount(registry, 'canopy_task_assignment_wait_seconds')).toBe(1);
  expect(await registry.getSingleMetricAsString('canopy_tasks_assigned_total')).toContain(
    'canopy_tasks_assigned_total{way="pass"} 1',
  );
});

test('a TaskFinished that reached the queue first through the log is still timed', async () => {
  const { queue, registry, metrics } = setUp();
  // The log's follower applied the whole history before the append of TaskFinished answered.
  history.forEach((event, index) => queue.apply(event, index + 1, T0 + 5_000));

  metrics.recorded([{ event: history[2] as TaskEvent, streamVersion: 3 }], queue);

  expect(await histogramCount(registry, 'canopy_task_completion_seconds')).toBe(1);
  expect(await histogramCount(registry, 'canopy_task_run_seconds')).toBe(1);
});
