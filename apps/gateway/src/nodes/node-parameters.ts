import { nodeHashSchema } from '@canopy/contracts';
import type { PipeTransform } from '@nestjs/common';
import { invalidParameter } from '../http/api-error.js';

// The node endpoints' path parameter: the account's name for the node.

/** `@Param('hash', nodeHash)`: the hash, or a 400 naming it. */
export const nodeHash: PipeTransform<unknown, string> = {
  transform(value) {
    if (typeof value === 'string' && nodeHashSchema.safeParse(value).success) return value;
    throw invalidParameter('hash', 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"');
  },
};
