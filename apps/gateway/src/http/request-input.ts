import { boundProblem, typeProblem } from '@canopy/contracts';
import type { z } from 'zod';
import { ApiError } from './api-error.js';

// Request input (a JSON body, a set of query parameters) is checked against one zod schema: the
// schema the OpenAPI document describes it with. The first problem is a 400 naming its field as a
// dotted path (`capabilities.timeout`), in this API's words; a schema may give its own words for a
// check (a regex, a refinement), which then win over the ones below.

/** The input as the schema's output; a 400 INVALID_REQUEST naming the first field at fault otherwise. */
export function parseRequestInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
): z.output<Schema> {
  const result = schema.safeParse(input, { error: problemOf });
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (issue === undefined) throw new ApiError(400, 'INVALID_REQUEST', 'the request is invalid');
  const field = fieldOf(issue);
  throw field === ''
    ? new ApiError(400, 'INVALID_REQUEST', issue.message)
    : new ApiError(400, 'INVALID_REQUEST', `${field} ${issue.message}`, { field });
}

// An unknown field is named by itself at the top of the input, where nothing else could name it, and
// by the object holding it deeper down (`runtime`), as the contracts name it.
function fieldOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys' && issue.path.length === 0) return issue.keys[0] ?? '';
  return issue.path.map(String).join('.');
}

function problemOf(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // JSON has no undefined: a field that is undefined was not sent.
      return issue.input === undefined ? 'is required' : typeProblem(issue.expected);
    case 'too_small':
      return bound(
        issue.origin,
        issue.inclusive === false ? 'more than' : 'at least',
        issue.minimum,
      );
    case 'too_big':
      return bound(
        issue.origin,
        issue.inclusive === false ? 'less than' : 'at most',
        issue.maximum,
      );
    case 'invalid_value':
      return `must be ${issue.values.map((allowed) => JSON.stringify(allowed)).join(' or ')}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options === undefined
        ? 'matches none of the allowed shapes'
        : `must be one of ${options.map((option) => JSON.stringify(option)).join(', ')}`;
    }
    case 'unrecognized_keys':
      return unknownFields(issue.keys, issue.path ?? [], fieldsOf(issue.inst));
    default:
      return 'is invalid';
  }
}

function unknownFields(keys: readonly string[], path: readonly PropertyKey[], known: string[]) {
  const fields = known.length === 0 ? '' : ` (known: ${known.join(', ')})`;
  return path.length === 0
    ? `is not a known field${fields}`
    : `has an unknown field ${JSON.stringify(keys[0])}${fields}`;
}

function fieldsOf(schema: unknown): string[] {
  const shape = (schema as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function bound(origin: string, relation: string, limit: number | bigint): string {
  if (origin === 'string' && relation === 'at least' && Number(limit) === 1)
    return 'must not be empty';
  return boundProblem(origin, relation, limit);
}
