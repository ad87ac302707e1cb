/**
 * Where the runtimes register the process group of each function process they start, for as long
 * as it runs, so that the groups can be stopped when the agent itself dies without cleaning up.
 */
export interface ProcessGroups {
  /** A function process leading the group `pgid` has started. */
  add(pgid: number): void;
  /** That process has ended. */
  remove(pgid: number): void;
}

/** For runtimes run without an agent around them (tests): nothing outlives the caller's care. */
export const untrackedProcessGroups: ProcessGroups = {
  add: () => undefined,
  remove: () => undefined,
};
