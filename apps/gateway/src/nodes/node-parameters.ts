import { NODE_DESCRIPTION_MAX_LENGTH, nodeHashSchema } from '@canopy/contracts';
import { invalidParameter } from '../http/api-error.js';
import { bodyBytes, jsonObjectBody } from '../http/request-body.js';

// The node endpoints' inputs: the hash in the path, and a body whose only field is `description`.

export function nodeHashParameter(value: string): string {
  if (!nodeHashSchema.safeParse(value).success)
    throw invalidParameter('hash', 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"');
  return value;
}

/** `{ "description"? }`; an empty body is `{}`. Any other key is a 400 naming it. */
export function nodeBody(body: unknown): { readonly description?: string } {
  const value = bodyBytes(body).length === 0 ? {} : jsonObjectBody(body);
  for (const key of Object.keys(value)) {
    if (key !== 'description')
      throw invalidParameter(key, 'is not a field of a node; the only one is "description"');
  }
  const description = value['description'];
  if (description === undefined) return {};
  if (typeof description !== 'string') throw invalidParameter('description', 'must be a string');
  if (description.length > NODE_DESCRIPTION_MAX_LENGTH)
    throw invalidParameter(
      'description',
      `must have at most ${NODE_DESCRIPTION_MAX_LENGTH} characters`,
    );
  return { description };
}
