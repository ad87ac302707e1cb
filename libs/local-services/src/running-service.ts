/** A service that provisioning found or started. */
export interface RunningService {
  /** Connection URL to hand to clients. */
  readonly url: string;
  /** True when this process started the server; false when it was already running. */
  readonly startedHere: boolean;
  /** Stops the server if this process started it; otherwise does nothing. Safe to call twice. */
  stop(): Promise<void>;
}

export function alreadyRunning(url: string): RunningService {
  return { url, startedHere: false, stop: async () => undefined };
}

export function startedByThisProcess(url: string, stopServer: () => Promise<void>): RunningService {
  let stopping: Promise<void> | undefined;
  return {
    url,
    startedHere: true,
    stop: () => (stopping ??= stopServer()),
  };
}
