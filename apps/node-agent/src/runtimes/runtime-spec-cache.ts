import { ContractViolationError, parseRuntimeSpec, sameJson } from '@canopy/contracts';
import type { JsonValue, RuntimeSpec } from '@canopy/contracts';

/** How many functions' runtime specs are kept read; a node rarely runs more functions than this. */
export const RUNTIME_SPECS_KEPT = 256;

/** A runtime spec as read: the spec, or why this node cannot run it. */
export type RuntimeSpecReading =
  | { readonly kind: 'spec'; readonly spec: RuntimeSpec }
  | { readonly kind: 'invalid'; readonly error: ContractViolationError };

interface KeptReading {
  /** The spec as the assignment carried it. */
  readonly runtime: JsonValue;
  readonly reading: RuntimeSpecReading;
  lastRead: number;
}

/**
 * Reads a function's runtime spec once rather than for every task: its tasks carry the same spec
 * until the function changes.
 *
 * The assignment carries the function's id but not its version, and a new version may change the
 * runtime: a reading kept for a function is used only while the task's spec is the same JSON as the
 * one it was read from, so it can never be stale; a different spec (a new version, or an older one
 * still running) is read anew and kept instead. (Every assignment arrives as a fresh object, so the
 * spec's identity would never match, and comparing the small spec costs less than writing it out as
 * JSON to look it up.) The least recently read function is forgotten when more than `capacity` are
 * kept.
 */
export class RuntimeSpecCache {
  private readonly kept = new Map<string, KeptReading>();
  private reads = 0;

  constructor(private readonly capacity = RUNTIME_SPECS_KEPT) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** How many functions' specs are kept. */
  get size(): number {
    return this.kept.size;
  }

  read(functionId: string, runtime: JsonValue): RuntimeSpecReading {
    this.reads += 1;
    const kept = this.kept.get(functionId);
    if (kept !== undefined && sameJson(kept.runtime, runtime)) {
      kept.lastRead = this.reads;
      return kept.reading;
    }
    const reading = readRuntimeSpec(runtime);
    this.kept.set(functionId, { runtime, reading, lastRead: this.reads });
    if (this.kept.size > this.capacity) this.forgetLeastRecentlyRead();
    return reading;
  }

  private forgetLeastRecentlyRead(): void {
    let oldest: string | undefined;
    let oldestRead = Infinity;
    for (const [functionId, { lastRead }] of this.kept) {
      if (lastRead < oldestRead) {
        oldest = functionId;
        oldestRead = lastRead;
      }
    }
    if (oldest !== undefined) this.kept.delete(oldest);
  }
}

function readRuntimeSpec(runtime: JsonValue): RuntimeSpecReading {
  try {
    return { kind: 'spec', spec: parseRuntimeSpec(runtime) };
  } catch (error) {
    if (error instanceof ContractViolationError) return { kind: 'invalid', error };
    throw error;
  }
}
