// The `canopy` command's exit codes, documented in apps/cli/README.md ("Exit codes").
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Failed: the API could not be reached or answered 5xx, a service failed, anything unexpected. */
  failure: 1,
  /** Invalid arguments, options or configuration: nothing was done. */
  usage: 2,
  /** Not signed in, or the API refused the API key or the access token (401). */
  unauthorized: 3,
  /** The API refused the request (another 4xx: not found, invalid, conflict, rate limited). */
  refused: 4,
  /** The task did not succeed: the platform gave up on it, or the function answered 400 or more. */
  taskFailed: 5,
  /** The task has not finished (yet): `--wait` ran out, or `task result` without `--wait`. */
  taskPending: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem with the command line itself: exit code 2. */
export class UsageError extends Error {}

/** Ends the command with this exit code after its message (already printed, or `message`). */
export class ExitError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}
