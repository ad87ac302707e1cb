/** Bounds on what one function invocation may produce or take, shared by both runtimes. */
export interface FunctionLimits {
  /** Largest response body (process stdout, HTTP body) in bytes; more is a 500. */
  readonly maxResponseBytes: number;
  /** How much of a failed process's stderr becomes the 500's body: its last bytes. */
  readonly stderrTailBytes: number;
  /** Between SIGTERM and SIGKILL when a process must stop. */
  readonly killGraceMs: number;
}

/**
 * 10 MiB of body, 4 KiB of stderr, 5 s to exit. Note that a result must also fit into one NATS
 * message: with the server's default max_payload (1 MiB) the body, base64-encoded, is limited to
 * about 750 KiB, and the node reports a 500 saying so for anything larger.
 */
export const defaultFunctionLimits: FunctionLimits = {
  maxResponseBytes: 10 * 1024 * 1024,
  stderrTailBytes: 4 * 1024,
  killGraceMs: 5_000,
};

export const PLAIN_TEXT = 'text/plain; charset=utf-8';
