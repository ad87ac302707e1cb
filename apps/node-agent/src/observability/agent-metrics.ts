import type { TaskHandler } from '@canopy/node-sdk';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The node agent's metrics: the tasks it ran (by the class of the function's status, or `error` when
 * the handler failed), how long each ran, and its slots.
 */
export class AgentMetrics {
  private readonly tasks: Counter<'outcome'>;
  private readonly runSeconds: Histogram;
  private busy = 0;

  constructor(registry: Registry, slots: number) {
    const registers = [registry];
    this.tasks = new Counter({
      name: 'canopy_node_tasks_total',
      help: "Tasks this node ran, by outcome: the function's status class (2xx...5xx) or error.",
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['2xx', '3xx', '4xx', '5xx', 'error']) this.tasks.inc({ outcome }, 0);
    this.runSeconds = new Histogram({
      name: 'canopy_node_task_run_seconds',
      help: 'Time this node spent running one task.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    });
    new Gauge({
      name: 'canopy_node_slots',
      help: 'Tasks this node runs at once at most.',
      registers,
    }).set(slots);
    const busy = () => this.busy;
    new Gauge({
      name: 'canopy_node_slots_busy',
      help: 'Slots of this node running a task now.',
      registers,
      collect() {
        this.set(busy());
      },
    });
  }

  /** The handler, measured. */
  observe(handler: TaskHandler): TaskHandler {
    return async (task) => {
      this.busy += 1;
      const started = performance.now();
      let outcome = 'error';
      try {
        const result = await handler(task);
        outcome = `${Math.floor(result.status / 100)}xx`;
        return result;
      } finally {
        this.busy -= 1;
        this.tasks.inc({ outcome });
        this.runSeconds.observe((performance.now() - started) / 1000);
      }
    };
  }
}
