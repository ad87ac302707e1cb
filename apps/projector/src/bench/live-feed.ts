// The live phase's writer, run by projector.bench.ts in a process of its own so that the
// projector's process does only the projector's work. Appends task lifecycles at a fixed rate (one
// round every tick) for a while, then reports what it appended to its parent and exits.
import { setTimeout as delay } from 'node:timers/promises';
import { PostgresEventStore } from '@canopy/event-store/postgres';
import {
  EVENTS_PER_TASK,
  appendAll,
  roundAppends,
  roundCount,
  type LifecyclePlan,
} from './task-lifecycles.js';

/** What the parent sends to start the feed. */
export interface LiveFeedOrder {
  readonly databaseUrl: string;
  readonly plan: LifecyclePlan;
  readonly tickMs: number;
}

/** What the feed reports when it is done. */
export interface LiveFeedReport {
  readonly events: number;
  readonly seconds: number;
  /** Ticks whose appends took longer than the tick: the writer fell behind its rate. */
  readonly lateTicks: number;
}

async function feed(order: LiveFeedOrder): Promise<LiveFeedReport> {
  const store = new PostgresEventStore({ connectionString: order.databaseUrl });
  const started = performance.now();
  let events = 0;
  let lateTicks = 0;
  try {
    const rounds = roundCount(order.plan);
    for (let round = 0; round < rounds; round += 1) {
      const due = started + round * order.tickMs;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      else if (round > 0) lateTicks += 1;
      const appends = roundAppends(order.plan, round);
      await appendAll(store, appends);
      events += appends.length;
    }
  } finally {
    await store.close();
  }
  if (events !== order.plan.tasks * EVENTS_PER_TASK) throw new Error('the feed lost events');
  return { events, seconds: (performance.now() - started) / 1000, lateTicks };
}

process.once('message', (order: LiveFeedOrder) => {
  feed(order).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
