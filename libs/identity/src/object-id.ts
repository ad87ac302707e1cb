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
