import { startStack } from './platform-stack.js';
import type { PlatformStack, StackOptions } from './platform-stack.js';

// One stack per test file: started in beforeAll, stopped in afterAll. Its tests run through
// `e2eTest`, which adds the processes' last output lines to a failure, where they explain most.

const startAttempts = 2;
const startTimeoutMs = 240_000;
const defaultTestTimeoutMs = 90_000;

export interface StackForFile {
  /** The running stack; only inside tests and hooks. */
  readonly stack: PlatformStack;
  test(name: string, body: (stack: PlatformStack) => Promise<void>, timeoutMs?: number): void;
}

export function stackForFile(options: StackOptions): StackForFile {
  let running: PlatformStack | undefined;
  beforeAll(async () => {
    // A start that fails is cleaned up by startStack; one more try, from scratch (new database,
    // nats-server and ports), rides out a test NATS connection whose handshake never completes,
    // seen now and then on a busy machine. The first failure is reported, not hidden.
    for (let attempt = 1; ; attempt += 1) {
      try {
        running = await startStack(options);
        return;
      } catch (error) {
        if (attempt >= startAttempts) throw error;
        process.stderr.write(
          `stack ${options.label}: start attempt ${attempt} failed, starting again: ${String(error)}\n`,
        );
      }
    }
  }, startTimeoutMs);
  afterAll(async () => {
    await running?.stop();
  }, startTimeoutMs);
  const current = (): PlatformStack => {
    if (running === undefined) throw new Error('the stack did not start (see beforeAll)');
    return running;
  };
  return {
    get stack() {
      return current();
    },
    test(name, body, timeoutMs = defaultTestTimeoutMs) {
      test(
        name,
        async () => {
          const stack = current();
          try {
            await body(stack);
          } catch (error) {
            if (error instanceof Error) {
              error.message += `\n\nLast output of the processes:\n${stack.outputTails()}`;
            }
            throw error;
          }
        },
        timeoutMs,
      );
    },
  };
}
