import { spawn } from 'node:child_process';
import type { NodeLogger } from '@canopy/node-sdk';
import { processEnded, processHasEnded } from '../testing/process-table.js';
import { ProcessReaper } from './process-reaper.js';

const errors: string[] = [];
const logger: NodeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (_fields, message) => errors.push(message),
};

/** A process leading a group of its own, with a child in that group; both sleep. */
function sleepingGroup(ignoreSigterm = false): { leader: number; member: Promise<number> } {
  const trap = ignoreSigterm ? "trap '' TERM; " : '';
  const child = spawn('/bin/sh', ['-c', `${trap}sleep 30 & echo $!; wait`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.unref();
  const member = new Promise<number>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  if (child.pid === undefined) throw new Error('sh did not start');
  return { leader: child.pid, member };
}

describe('process reaper (real processes)', () => {
  afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('when its pipe closes, it stops the groups still registered, and only those', async () => {
    const reaper = ProcessReaper.start({ killGraceMs: 200, logger });
    const kept = sleepingGroup();
    const released = sleepingGroup();
    const stubborn = sleepingGroup(true);
    for (const group of [kept, released, stubborn]) reaper.add(group.leader);
    reaper.remove(released.leader);
    const members = await Promise.all([kept.member, released.member, stubborn.member]);

    reaper.close();
    for (const pid of [kept.leader, members[0], stubborn.leader, members[2]]) {
      await processEnded(pid);
    }
    expect(await processHasEnded(released.leader)).toBe(false);
    expect(await processHasEnded(members[1])).toBe(false);
    process.kill(-released.leader, 'SIGKILL');
    if (reaper.pid !== undefined) await processEnded(reaper.pid);
  });

  test('with nothing registered it exits at once', async () => {
    const reaper = ProcessReaper.start({ killGraceMs: 60_000, logger });
    const group = sleepingGroup();
    reaper.add(group.leader);
    reaper.remove(group.leader);
    reaper.close();
    if (reaper.pid !== undefined) await processEnded(reaper.pid);
    expect(await processHasEnded(group.leader)).toBe(false);
    process.kill(-group.leader, 'SIGKILL');
  });
});
