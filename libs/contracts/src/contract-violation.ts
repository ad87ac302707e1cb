import type { z } from 'zod';

/**
 * A value crossing a boundary (NATS message, stored event, command) did not match its contract.
 * Thrown by every `parse…` function of this lib; edges map it to a 4xx / `{ ok: false }` reply.
 */
export class ContractViolationError extends Error {
  readonly code = 'CONTRACT_VIOLATION';

  constructor(
    /** What was being parsed, e.g. `task event`, `heartbeat`. */
    readonly contract: string,
    /** Dotted path of the first offending field (`request.body`, `runningTasks.0.taskId`); '' for the value itself. */
    readonly field: string,
    /** What is wrong with that field, e.g. `must be base64`. */
    readonly problem: string,
  ) {
    super(`Invalid ${contract}: ${field === '' ? '' : `${field} `}${problem}`);
    this.name = 'ContractViolationError';
  }
}

/**
 * Validates `value` against `schema` and returns it typed, or throws a {@link ContractViolationError}
 * naming the first offending field. Nothing partial is ever returned.
 */
export function parseContract<Schema extends z.ZodType>(
  schema: Schema,
  contract: string,
  value: unknown,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (issue === undefined) throw new ContractViolationError(contract, '', 'is invalid');
  throw new ContractViolationError(
    contract,
    issue.path.map(String).join('.'),
    describe(issue, value),
  );
}

/** Decodes a JSON message body, throwing a {@link ContractViolationError} when it is not JSON. */
export function decodeJson(payload: Uint8Array | string, contract: string): unknown {
  try {
    const text =
      typeof payload === 'string'
        ? payload
        : new TextDecoder('utf-8', { fatal: true }).decode(payload);
    return JSON.parse(text) as unknown;
  } catch {
    throw new ContractViolationError(contract, '', 'must be a UTF-8 JSON document');
  }
}

function describe(issue: z.core.$ZodIssue, input: unknown): string {
  // JSON has no undefined: a field that is undefined was simply not sent.
  if (valueAt(input, issue.path) === undefined) return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return typeProblem(issue.expected);
    case 'too_small':
      return boundProblem(
        issue.origin,
        issue.inclusive ? 'at least' : 'greater than',
        issue.minimum,
      );
    case 'too_big':
      return boundProblem(issue.origin, issue.inclusive ? 'at most' : 'less than', issue.maximum);
    case 'invalid_value':
      return `must be ${issue.values.map((allowed) => JSON.stringify(allowed)).join(' or ')}`;
    case 'invalid_union':
      return issue.discriminator === undefined
        ? 'matches none of the allowed shapes'
        : `must be one of ${describeOptions(issue)}`;
    default:
      return issue.message;
  }
}

/** What is wrong with a value of another type than `expected` (a zod type name): `must be an integer`. */
export function typeProblem(expected: string): string {
  return `must be ${withArticle(expected)}`;
}

/**
 * What is wrong with a value beyond a limit, by what zod says it is (`origin`: a string counts
 * characters, an array or set items, anything else is compared as a value): `must have at most 200
 * characters`, `must be at least 1`.
 */
export function boundProblem(origin: string, relation: string, limit: number | bigint): string {
  switch (origin) {
    case 'string':
      return `must have ${relation} ${limit} characters`;
    case 'array':
    case 'set':
      return `must have ${relation} ${limit} items`;
    default:
      return `must be ${relation} ${limit}`;
  }
}

function describeOptions(issue: z.core.$ZodIssueInvalidUnion): string {
  // zod reports the allowed discriminator values in `options`, which its public issue type omits.
  const options = (issue as { options?: unknown[] }).options ?? [];
  return options.map((option) => JSON.stringify(option)).join(', ');
}

function withArticle(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
