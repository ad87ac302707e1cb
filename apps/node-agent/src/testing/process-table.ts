import { readFile } from 'node:fs/promises';

/**
 * Whether the process `pid` has ended: it is not in /proc any more, or only as a zombie (when
 * nothing reaps it, as with an orphan in a container whose init does not).
 */
export async function processHasEnded(pid: number): Promise<boolean> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // "pid (command) state ...": the command may hold spaces and parentheses, the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/** Resolves once `pid` has ended; rejects when it still runs after `timeoutMs`. */
export async function processEnded(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await processHasEnded(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
