import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface PostmasterPid {
  readonly pid: number;
  readonly port: number;
}

/**
 * Parses `postmaster.pid`, the lock file a running server keeps in its data directory: line 1 is
 * the postmaster's process id, line 4 its port.
 */
export function parsePostmasterPid(text: string): PostmasterPid | undefined {
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535)
    return undefined;
  return { pid, port };
}

export async function readPostmasterPid(clusterDir: string): Promise<PostmasterPid | undefined> {
  try {
    return parsePostmasterPid(await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (e.g. the `postgres` user when we are root).
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
