import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

// What a wake-up costs on this machine: the CPU this process spends to be woken by a timer after
// sitting idle, against being woken back to back, with no work in either. Every hop of a task from
// one process to another wakes the receiver; on some machines (virtual ones especially) a wake-up
// after idling costs far more than the work it wakes for, so a stack's CPU per task grows as the
// rate falls and its batches thin out. Measured in the benchmark's own process before the stack
// starts; printed beside the processes' wake-ups per task.

export interface WakeUpCost {
  /** CPU per wake-up by a timer after `idleMs` asleep, in microseconds. */
  readonly afterIdleMicros: number;
  /** CPU per wake-up when woken back to back (the next turn of the event loop). */
  readonly backToBackMicros: number;
  readonly idleMs: number;
}

export async function measureWakeUpCost({
  idleWakeUps = 100,
  idleMs = 10,
  backToBackWakeUps = 2000,
} = {}): Promise<WakeUpCost> {
  const cpuPerWakeUp = async (count: number, wakeUp: () => Promise<unknown>): Promise<number> => {
    const start = process.cpuUsage();
    for (let index = 0; index < count; index += 1) await wakeUp();
    const { user, system } = process.cpuUsage(start);
    return (user + system) / count;
  };
  const backToBackMicros = await cpuPerWakeUp(backToBackWakeUps, () => nextTurn());
  const afterIdleMicros = await cpuPerWakeUp(idleWakeUps, () => sleep(idleMs));
  return { afterIdleMicros, backToBackMicros, idleMs };
}

export function describeWakeUpCost(cost: WakeUpCost): string {
  return (
    `a wake-up on this machine (this process, before the run, doing nothing once woken): ` +
    `${cost.afterIdleMicros.toFixed(0)} µs of CPU after ${cost.idleMs} ms asleep, ` +
    `${cost.backToBackMicros.toFixed(1)} µs back to back`
  );
}
