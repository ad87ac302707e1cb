// `npm run bench:matcher`: how many matches per second the indexed matcher and the full scan make
// on a large fleet. Printed figures, not a test. Both matchers see exactly the same sequence (seeded
// PRNG; they pick the same nodes, which the run checks), so the ratio compares like with like.
import { performance } from 'node:perf_hooks';
import type { TaskRequirements } from '@canopy/contracts';
import { FullScanMatcher } from '../matching/full-scan-matcher.js';
import { IndexedMatcher } from '../matching/indexed-matcher.js';
import type { NodeMatcher } from '../matching/node-matcher.js';
import { randomFleet, randomProfiles, randomRequirements } from '../testing/random-fleet.js';
import type { FleetNode } from '../testing/random-fleet.js';
import { SeededRandom } from '../testing/seeded-random.js';

const NODES = 10_000;
const PROFILES = 40;
const TASKS = 100_000;
const UNMATCHABLE_SHARE = 0.05;
/** Attempts end at random once this share of the fleet's slots is busy, so it never fills up. */
const TARGET_UTILISATION = 0.6;
const SEED = 20_261_201;

interface Run {
  readonly name: string;
  readonly matched: number;
  readonly unmatched: number;
  readonly seconds: number;
  /** FNV-1a over the chosen node ids, to check that both matchers made the same choices. */
  readonly fingerprint: number;
}

function run(
  name: string,
  matcher: NodeMatcher,
  fleet: readonly FleetNode[],
  tasks: readonly TaskRequirements[],
): Run {
  const used = new Map<string, number>();
  const byId = new Map(fleet.map((node) => [node.nodeId, node]));
  for (const node of fleet) matcher.upsert({ ...node, used: 0 });
  const capacity = fleet.reduce((sum, node) => sum + node.slots, 0);
  const releases = new SeededRandom(SEED + 1);
  const running: string[] = [];
  let matched = 0;
  let fingerprint = 0x811c9dc5;
  const occupy = (nodeId: string, change: number) => {
    const node = byId.get(nodeId);
    if (node === undefined) throw new Error(`unknown node ${nodeId}`);
    const now = (used.get(nodeId) ?? 0) + change;
    used.set(nodeId, now);
    matcher.upsert({ ...node, used: now });
  };

  const started = performance.now();
  for (const requirements of tasks) {
    const nodeId = matcher.bestNodeFor(requirements);
    if (nodeId !== undefined) {
      matched += 1;
      occupy(nodeId, 1);
      running.push(nodeId);
      for (let i = 0; i < nodeId.length; i += 1) {
        fingerprint = Math.imul(fingerprint ^ nodeId.charCodeAt(i), 0x01000193) >>> 0;
      }
    }
    while (running.length > capacity * TARGET_UTILISATION) {
      const index = releases.int(0, running.length - 1);
      const released = running[index] as string;
      running[index] = running[running.length - 1] as string;
      running.pop();
      occupy(released, -1);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { name, matched, unmatched: tasks.length - matched, seconds, fingerprint };
}

function main(): void {
  const random = new SeededRandom(SEED);
  const profiles = randomProfiles(random, PROFILES);
  const fleet = randomFleet(random, NODES, profiles);
  const tasks = Array.from({ length: TASKS }, () => randomRequirements(random, UNMATCHABLE_SHARE));
  const slots = fleet.reduce((sum, node) => sum + node.slots, 0);
  console.log(
    `matcher benchmark: ${NODES} nodes (${PROFILES} capability profiles, ${slots} slots), ` +
      `${TASKS} tasks (~${UNMATCHABLE_SHARE * 100}% unmatchable), busy slots kept under ${TARGET_UTILISATION * 100}%, seed ${SEED}`,
  );
  const indexed = run('indexed (capability buckets)', new IndexedMatcher(), fleet, tasks);
  const naive = run('naive full scan', new FullScanMatcher(), fleet, tasks);
  const rows = [indexed, naive].map((result) => ({
    matcher: result.name,
    tasks: TASKS,
    matched: result.matched,
    unmatched: result.unmatched,
    'time (s)': result.seconds.toFixed(3),
    'matches/s': Math.round(TASKS / result.seconds).toLocaleString('en-US'),
  }));
  console.table(rows);
  console.log(
    'matches/s: tasks matched (or found unmatchable) per second, slot bookkeeping included',
  );
  console.log(`speed-up (indexed / naive): ${(naive.seconds / indexed.seconds).toFixed(1)}x`);
  const same = indexed.fingerprint === naive.fingerprint && indexed.matched === naive.matched;
  console.log(`same choices: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
}

main();
