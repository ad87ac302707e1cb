import { ExponentialBackoff, halfJitterGenerator } from 'cockatiel';

/**
 * How long the projector waits before it tries again a batch that failed, or a swap that waited too
 * long for a lock: a step that doubles from 250 ms up to 30 s, each wait drawn from the upper half
 * of its step so that projectors failing together do not retry in lockstep.
 */
export const projectorRetryBackoff = new ExponentialBackoff({
  initialDelay: 250,
  maxDelay: 30_000,
  generator: halfJitterGenerator,
});
