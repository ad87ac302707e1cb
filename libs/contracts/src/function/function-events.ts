import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { accountIdSchema, functionIdSchema, utcTimeSchema } from '../identifiers.js';
import { contractSchema, currentMetadata } from '../task/task-payloads.js';
import { runtimeSpecSchema } from './runtime-spec.js';

// The function aggregate, stream `function-<functionId>`: what a task invokes, shaped after
// GreenCloud's function API (name, description, lang, type, capabilities), plus the runtime spec that
// tells a node how to run it.

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
  registeredAt: utcTimeSchema,
});
export type FunctionRegisteredData = z.infer<typeof functionRegisteredDataSchema>;
/** A function as its account defines it: what is registered, but for the ids and the time. */
export type FunctionDefinition = Omit<
  FunctionRegisteredData,
  'functionId' | 'accountId' | 'registeredAt'
>;

export const functionEventSchema = z.discriminatedUnion('type', [
  contractSchema('FunctionRegistered', functionRegisteredDataSchema),
]);
export type FunctionEvent = z.infer<typeof functionEventSchema>;
export type FunctionEventType = FunctionEvent['type'];
export type FunctionRegistered = Extract<FunctionEvent, { type: 'FunctionRegistered' }>;

export const functionEventTypes = [
  'FunctionRegistered',
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
