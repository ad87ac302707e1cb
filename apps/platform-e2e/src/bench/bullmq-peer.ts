import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { runPeer } from './peer-run.js';
import type { PeerRun, PeerShape } from './peer-run.js';

// BullMQ as its users run it: one Queue that producers add jobs to, K Workers with concurrency S,
// and producers waiting with job.waitUntilFinished (QueueEvents: Redis streams). A queue of its
// own name, removed at the end.

export interface BullMqShape extends PeerShape {
  readonly workers: number;
  readonly slots: number;
  readonly redisUrl: string;
}

const JOB_DEADLINE_MS = 60_000;

/** Whether a Redis server answers at `redisUrl`; the reason when not. */
export async function redisAnswers(redisUrl: string): Promise<true | string> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

export async function runBullMq(shape: BullMqShape): Promise<PeerRun> {
  const url = new URL(shape.redisUrl);
  const connection = {
    host: url.hostname,
    port: Number(url.port || 6379),
    maxRetriesPerRequest: null,
  };
  const name = `canopy-bench-${randomBytes(4).toString('hex')}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  // Every producer waiting for its job listens on both for a moment.
  queue.setMaxListeners(shape.clients * 2 + 10);
  events.setMaxListeners(shape.clients * 2 + 10);
  const workers: Worker[] = [];
  try {
    await events.waitUntilReady();
    for (let index = 0; index < shape.workers; index += 1) {
      const worker = new Worker(name, async () => ({}), { connection, concurrency: shape.slots });
      worker.on('error', (error) => process.stderr.write(`BullMQ worker: ${String(error)}\n`));
      workers.push(worker);
      await worker.waitUntilReady();
    }
    return await runPeer('BullMQ', shape, async () => {
      const job = await queue.add('no-op', {}, { removeOnComplete: 1000, removeOnFail: 1000 });
      await job.waitUntilFinished(events, JOB_DEADLINE_MS);
    });
  } finally {
    for (const worker of workers) await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
