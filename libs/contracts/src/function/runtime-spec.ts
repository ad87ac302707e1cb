import { z } from 'zod';
import { parseContract } from '../contract-violation.js';

// A function's runtime says how a node runs one invocation. Canopy's core passes it through opaquely
// (the assignment's `runtime`); the reference node agent interprets these three kinds. Objects are
// strict so that a misspelt field ("argz") is reported when the function is registered instead of
// being silently ignored on every node.

// Environment variable names a runtime spec may set; CANOPY_* is reserved for the task's own variables.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_ENV_PREFIX = 'CANOPY_';

// The operating system cannot pass a NUL inside a program name, argument or environment value.
function withoutNul(schema: z.ZodString): z.ZodType<string> {
  return schema.refine((value) => !value.includes('\0'), 'must not contain NUL characters');
}

function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return 'must be a letter or "_" followed by letters, digits or "_"';
  if (name.toUpperCase().startsWith(RESERVED_ENV_PREFIX)) {
    return `must not start with ${RESERVED_ENV_PREFIX} (reserved for the task's variables)`;
  }
  return undefined;
}

// Shared by the two kinds that start a local process.
const commandSchema = withoutNul(z.string().min(1).max(4096));
const argsSchema = z.array(withoutNul(z.string().max(65_536))).max(1024);
const envSchema = z.record(z.string(), withoutNul(z.string())).superRefine((env, context) => {
  // Checked here rather than on the record's key schema so that the issue names the variable.
  for (const name of Object.keys(env)) {
    const problem = envNameProblem(name);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

/** One process per invocation: the request body on stdin, the response on stdout. */
export const processRuntimeSpecSchema = z.strictObject({
  kind: z.literal('process'),
  /** Executable to run, without a shell: a path, or a name looked up in the node's PATH. */
  command: commandSchema,
  /** Arguments, passed as they are. */
  args: argsSchema.optional(),
  /** Added to the process's environment. */
  env: envSchema.optional(),
  /** When true, stdout is a JSON envelope carrying status, content type, headers and body. */
  envelope: z.boolean().optional(),
});
export type ProcessRuntimeSpec = z.infer<typeof processRuntimeSpecSchema>;

/** The most invocations one persistent process may be handed at once. */
export const MAX_PERSISTENT_CONCURRENCY = 256;

/**
 * A process that stays up and serves invocations, each as one JSON line on its stdin answered by
 * JSON lines on its stdout naming it; it must exit when its stdin closes.
 */
export const persistentRuntimeSpecSchema = z.strictObject({
  kind: z.literal('persistent'),
  /** Executable to run, without a shell: a path, or a name looked up in the node's PATH. */
  command: commandSchema,
  /** Arguments, passed as they are. */
  args: argsSchema.optional(),
  /** Added to the process's environment. */
  env: envSchema.optional(),
  /**
   * Invocations one process serves at once (default 1: one after another). Above 1 the process
   * also gets a cancel line for an invocation that must stop, instead of being stopped itself.
   */
  concurrency: z.int().min(1).max(MAX_PERSISTENT_CONCURRENCY).optional(),
});
export type PersistentRuntimeSpec = z.infer<typeof persistentRuntimeSpecSchema>;

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** One HTTP request per invocation, forwarded to the function's URL. */
export const httpRuntimeSpecSchema = z.strictObject({
  kind: z.literal('http'),
  /** Where the request is forwarded; the task's query string is appended to it. */
  url: z.url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' }),
  /** Defaults to POST. */
  method: z.enum(httpMethods).optional(),
});
export type HttpRuntimeSpec = z.infer<typeof httpRuntimeSpecSchema>;

export const runtimeSpecSchema = z.discriminatedUnion('kind', [
  processRuntimeSpecSchema,
  persistentRuntimeSpecSchema,
  httpRuntimeSpecSchema,
]);
export type RuntimeSpec = z.infer<typeof runtimeSpecSchema>;
export type RuntimeKind = RuntimeSpec['kind'];

/** Validates a function's runtime spec; throws a ContractViolationError naming the offending field. */
export function parseRuntimeSpec(value: unknown): RuntimeSpec {
  return parseContract(runtimeSpecSchema, 'runtime spec', value);
}
