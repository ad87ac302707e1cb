import { randomBytes } from 'node:crypto';

// Ids Canopy gives new tasks, functions and accounts: 24 lower-case hex characters, like GreenCloud's
// MongoDB ObjectIds, made of the creation time in unix seconds (4 bytes, big-endian) and 8 random
// bytes. Not MongoDB's layout (5 random bytes and a 3-byte counter): with no process-wide counter
// to keep, 64 random bits make a collision among ids of the same second negligible, and ids still
// sort roughly by creation time. Retries reuse the id they were first given.

export function newObjectId(now: Date = new Date()): string {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(Math.floor(now.getTime() / 1000) >>> 0, 0);
  randomBytes(8).copy(id, 4);
  return id.toString('hex');
}

/**
 * `count` ids starting at `first`, each the one before plus one in its 8 random bytes (wrapping
 * around), all with `first`'s time: the ids of a batch created at once, derived from one random start
 * so that the same start always names the same batch.
 */
export function consecutiveObjectIds(first: string, count: number): string[] {
  const time = first.slice(0, 8);
  const start = BigInt(`0x${first.slice(8)}`);
  return Array.from(
    { length: count },
    (_, index) =>
      `${time}${((start + BigInt(index)) & 0xffff_ffff_ffff_ffffn).toString(16).padStart(16, '0')}`,
  );
}
