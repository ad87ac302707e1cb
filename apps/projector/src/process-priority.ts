import { getPriority, setPriority } from 'node:os';
import type { ServiceLogger } from '@canopy/service-runtime';

/**
 * Lowers the projector's CPU priority to `nice` (0 normal, 19 lowest), so that on a machine it
 * shares with the gateway, the scheduler and the nodes, they run first: a task's 201 and its result
 * wait on them, never on the projector (results reach `?wait` from the scheduler). The projector
 * then runs in the gaps and finds more events gathered each time, so it also spends less per event.
 * On a machine of its own, or in a container of its own (whose CPU share is weighed against other
 * containers', not against their processes' priorities), the setting changes little.
 *
 * Only ever lowers: a process already started lower (`nice -n 15`, a service manager) stays so.
 * The priority applies to the calling thread (Linux), the main one where the projection runs, and to
 * the threads it starts afterwards. A platform that refuses leaves the priority as it was, with a
 * warning.
 */
export function lowerProcessPriority(nice: number, logger: ServiceLogger): void {
  try {
    const current = getPriority();
    if (nice <= current) return;
    setPriority(nice);
    logger.info({ nice, was: current }, 'running at a lower CPU priority (PROJECTOR_NICE)');
  } catch (error) {
    logger.warn(
      { nice, reason: String(error) },
      'could not lower the CPU priority (PROJECTOR_NICE); running at the priority given',
    );
  }
}
