import { taskEvent } from '@canopy/contracts';
import { NodeRegistry } from '../nodes/node-registry.js';
import { randomFleet, randomProfiles, randomRequirements } from '../testing/random-fleet.js';
import { SeededRandom } from '../testing/seeded-random.js';
import { TaskQueue } from './task-queue.js';
import type { Offer } from './task-queue.js';

// A random life of a fleet: tasks arrive, offers are accepted or declined, attempts finish, nodes get
// lost and come back. Whatever happens, no node is ever offered or assigned more than its slots.
describe('slots are never exceeded', () => {
  test.each([11, 12, 13])('seed %i', (seed) => {
    const random = new SeededRandom(seed);
    const registry = new NodeRegistry({ heartbeatTimeoutMs: 6_000 });
    const queue = new TaskQueue(registry, {
      offerTimeoutMs: 30_000,
      offerCooldownMs: 200,
      runTimeoutGraceMs: 0,
      deadlineRetryMs: 1_000,
    });
    const fleet = randomFleet(random, 15, randomProfiles(random, 4), 3);
    const versions = new Map<string, number>();
    const append = (event: Parameters<TaskQueue['apply']>[0], now: number) => {
      const version = (versions.get(event.data.taskId) ?? 0) + 1;
      versions.set(event.data.taskId, version);
      queue.apply(event, version, now);
    };
    const pending: Offer[] = [];
    const running: { taskId: string; nodeId: string; attempt: number }[] = [];
    let now = Date.parse('2026-12-01T00:00:00Z');
    let issuedCount = 0;
    let assignedCount = 0;
    const overbooked: string[] = [];
    for (const node of fleet) registry.announce({ ...node, agent: 't', runningTasks: [] }, now);

    for (let step = 0; step < 2_000; step += 1) {
      now += random.int(1, 50);
      const roll = random.next();
      if (roll < 0.3) {
        issuedCount += 1;
        append(
          taskEvent('TaskIssued', {
            taskId: issuedCount.toString(16).padStart(24, '0'),
            accountId: 'a'.repeat(24),
            functionId: 'f'.repeat(24),
            functionVersion: 1,
            scheduleId: null,
            request: { query: '', contentType: null, body: '' },
            requirements: randomRequirements(random, 0.05),
            timeout: 60,
            maxAttempts: 3,
            pendingDeadline: 600,
            issuedAt: new Date(now).toISOString(),
          }),
          now,
        );
      } else if (roll < 0.55 && pending.length > 0) {
        const [offer] = pending.splice(random.int(0, pending.length - 1), 1);
        if (offer === undefined) continue;
        if (random.chance(0.8) && queue.offerAccepted(offer.taskId, offer.offerId)) {
          const { taskId, nodeId, attempt } = offer;
          append(
            taskEvent('TaskAssigned', {
              taskId,
              nodeId,
              attempt,
              assignedAt: new Date(now).toISOString(),
            }),
            now,
          );
          running.push({ taskId, nodeId, attempt });
          assignedCount += 1;
        } else {
          queue.offerDeclined(offer.taskId, offer.offerId, now);
        }
      } else if (roll < 0.8 && running.length > 0) {
        const [attempt] = running.splice(random.int(0, running.length - 1), 1);
        if (
          attempt === undefined ||
          !queue.isAssigned(attempt.taskId, attempt.nodeId, attempt.attempt)
        )
          continue;
        append(
          taskEvent('TaskFinished', {
            ...attempt,
            response: { status: 200, contentType: null, headers: {}, body: '' },
            finishedAt: new Date(now).toISOString(),
          }),
          now,
        );
      } else if (roll < 0.82) {
        // A node goes silent: lost, its attempts unassigned; it comes back later.
        const node = random.pick(fleet);
        for (const lost of registry.leave(node.nodeId)?.taskIds ?? []) {
          const placed = queue.get(lost);
          if (placed?.phase === 'assigned' && placed.nodeId === node.nodeId)
            append(
              taskEvent('TaskUnassigned', {
                taskId: lost,
                nodeId: node.nodeId,
                attempt: placed.attempt,
                reason: 'NODE_LOST',
                at: new Date(now).toISOString(),
              }),
              now,
            );
        }
        queue.nodeGone(node.nodeId, now);
        registry.announce({ ...node, agent: 't', runningTasks: [] }, now);
      }
      registry.expire(now);
      for (const node of fleet)
        registry.heartbeat(node.nodeId, { freeSlots: node.slots, runningTasks: [] }, now);
      queue.deadlinesDue(now);
      pending.push(...queue.nextOffers(now));
      for (const node of fleet) {
        const held = registry.get(node.nodeId)?.held ?? 0;
        if (held > node.slots)
          overbooked.push(`${node.nodeId}: ${held} of ${node.slots} at step ${step}`);
      }
    }
    expect(overbooked).toEqual([]);
    expect(assignedCount).toBeGreaterThan(30);
  });
});
