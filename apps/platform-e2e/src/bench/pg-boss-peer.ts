import { setTimeout as delay } from 'node:timers/promises';
import { createTestDatabase } from '@canopy/local-services/testing';
import { PgBoss } from 'pg-boss';
import { runPeer } from './peer-run.js';
import type { PeerRun, PeerShape } from './peer-run.js';

// pg-boss as its users run it: one instance that sends jobs, K worker instances (as K worker
// processes would be) each working the queue with S jobs at a time, woken by LISTEN/NOTIFY. pg-boss
// tells a producer nothing when a job completes: producers look the job up every `pollMs`, the way
// its users wait for a result. On a scratch database of DATABASE_URL's server, dropped at the end.

export interface PgBossShape extends PeerShape {
  readonly workers: number;
  readonly slots: number;
  readonly pollMs: number;
}

const QUEUE = 'canopy-bench-no-op';
const JOB_DEADLINE_MS = 60_000;

export async function runPgBoss(shape: PgBossShape): Promise<PeerRun> {
  const database = await createTestDatabase('bench_pgboss');
  const instances: PgBoss[] = [];
  const open = async (): Promise<PgBoss> => {
    const boss = new PgBoss({ connectionString: database.url, useListenNotify: true });
    boss.on('error', (error: unknown) => process.stderr.write(`pg-boss: ${String(error)}\n`));
    instances.push(boss);
    await boss.start();
    return boss;
  };
  try {
    const producer = await open();
    await producer.createQueue(QUEUE, { notify: true });
    for (let index = 0; index < shape.workers; index += 1) {
      const worker = await open();
      await worker.work(QUEUE, { localConcurrency: shape.slots, batchSize: 1 }, async () => ({}));
    }
    return await runPeer(`pg-boss (producers poll every ${shape.pollMs} ms)`, shape, async () => {
      const id = await producer.send(QUEUE, {});
      if (id === null) throw new Error('pg-boss did not create the job');
      const deadline = Date.now() + JOB_DEADLINE_MS;
      for (;;) {
        await delay(shape.pollMs);
        const [job] = await producer.findJobs(QUEUE, { id });
        if (job?.state === 'completed') return;
        if (job?.state === 'failed' || job?.state === 'cancelled')
          throw new Error(`job ${id} ${job.state}`);
        if (Date.now() > deadline) throw new Error(`job ${id} still ${job?.state ?? 'missing'}`);
      }
    });
  } finally {
    for (const boss of instances.reverse()) await boss.stop({ graceful: true, close: true });
    await database.drop();
  }
}
