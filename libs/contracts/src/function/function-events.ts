import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, functionIdSchema, utcTimeSchema } from '../identifiers.js';
import { contractSchema, currentMetadata, taskPrioritySchema } from '../task/task-payloads.js';
import { retryPolicySchema } from './retry-policy.js';
import { runtimeSpecSchema } from './runtime-spec.js';

// The function aggregate, stream `function-<functionId>`: what a task invokes, shaped after
// GreenCloud's function API (name, description, lang, type, capabilities), plus the runtime spec that
// tells a node how to run it. A function has versions: FunctionRegistered makes version 1, each
// FunctionChanged the next one; FunctionDeleted ends it. Event names and payload fields are read by
// analysts: change them only with a new schemaVersion.

/** What the function needs from a node, and how long one invocation may run (seconds). */
export const functionCapabilitiesSchema = z.object({
  timeout: z.int().min(1).max(86_400),
  cpuCount: z.int().min(0).max(4096),
  /** MiB. */
  memSize: z.int().min(0).max(16_777_216),
  /** Milliseconds; 0 means no requirement. */
  networkLatency: z.int().min(0).max(600_000),
  privileged: z.boolean(),
});
export type FunctionCapabilities = z.infer<typeof functionCapabilitiesSchema>;

export const functionRegisteredDataSchema = z.object({
  functionId: functionIdSchema,
  accountId: accountIdSchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000),
  lang: z.string().max(50),
  type: z.string().max(50),
  capabilities: functionCapabilitiesSchema,
  runtime: runtimeSpecSchema,
  /** Which of its answers are failed attempts, retried after a backoff; absent: none is retried. */
  retry: retryPolicySchema.optional(),
  /** Its tasks' priority unless a task names its own; absent: DEFAULT_TASK_PRIORITY. */
  priority: taskPrioritySchema.optional(),
  registeredAt: utcTimeSchema,
});
export type FunctionRegisteredData = z.infer<typeof functionRegisteredDataSchema>;
/** A function as its account defines it: what is registered, but for the ids and the time. */
export type FunctionDefinition = Omit<
  FunctionRegisteredData,
  'functionId' | 'accountId' | 'registeredAt'
>;

/** The first version of a function; each FunctionChanged makes the next. */
export const FIRST_FUNCTION_VERSION = 1;

export const functionVersionSchema = z.int().min(1);

/**
 * A new version of the function: what may change (description, capabilities, runtime, retry policy,
 * priority), whole as it is from this version on, so that a reader needs no earlier event to know
 * it. Name, lang and type stay as registered.
 */
export const functionChangedDataSchema = z.object({
  functionId: functionIdSchema,
  accountId: accountIdSchema,
  /** The version this change makes: the previous one plus 1. */
  version: functionVersionSchema.min(FIRST_FUNCTION_VERSION + 1),
  description: functionRegisteredDataSchema.shape.description,
  capabilities: functionCapabilitiesSchema,
  runtime: runtimeSpecSchema,
  /**
   * The retry policy from this version on; null: no answer is retried. Absent only in changes
   * recorded before a change could set it: the previous version's policy stays.
   */
  retry: retryPolicySchema.nullable().optional(),
  /**
   * Its tasks' priority from this version on; null: DEFAULT_TASK_PRIORITY. Absent only in changes
   * recorded before a change could set it: the previous version's priority stays.
   */
  priority: taskPrioritySchema.nullable().optional(),
  changedAt: utcTimeSchema,
});
export type FunctionChangedData = z.infer<typeof functionChangedDataSchema>;
/** What a change may set: each field left out stays as it is; a null retry or priority is cleared. */
export type FunctionChanges = Partial<
  Pick<FunctionChangedData, 'description' | 'capabilities' | 'runtime' | 'retry' | 'priority'>
>;

/** The function takes no new tasks from now on; the tasks it has keep their versions and results. */
export const functionDeletedDataSchema = z.object({
  functionId: functionIdSchema,
  accountId: accountIdSchema,
  /** The function's last version, the one it had when deleted. */
  version: functionVersionSchema,
  deletedAt: utcTimeSchema,
});
export type FunctionDeletedData = z.infer<typeof functionDeletedDataSchema>;

export const functionEventSchema = z.discriminatedUnion('type', [
  contractSchema('FunctionRegistered', functionRegisteredDataSchema),
  contractSchema('FunctionChanged', functionChangedDataSchema),
  contractSchema('FunctionDeleted', functionDeletedDataSchema),
]);
export type FunctionEvent = z.infer<typeof functionEventSchema>;
export type FunctionEventType = FunctionEvent['type'];
export type FunctionRegistered = Extract<FunctionEvent, { type: 'FunctionRegistered' }>;
export type FunctionChanged = Extract<FunctionEvent, { type: 'FunctionChanged' }>;
export type FunctionDeleted = Extract<FunctionEvent, { type: 'FunctionDeleted' }>;

export const functionEventTypes = [
  'FunctionRegistered',
  'FunctionChanged',
  'FunctionDeleted',
] as const satisfies readonly FunctionEventType[];

export function parseFunctionEvent(value: unknown): FunctionEvent {
  return parseContract(functionEventSchema, 'function event', value);
}

export function functionEvent<T extends FunctionEventType>(
  type: T,
  data: Extract<FunctionEvent, { type: T }>['data'],
): Extract<FunctionEvent, { type: T }> {
  return { type, data, metadata: currentMetadata() } as Extract<FunctionEvent, { type: T }>;
}

/** Stream of one function. */
export function functionStreamId(functionId: string): string {
  return `function-${functionId}`;
}
