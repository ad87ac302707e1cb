import { ContractViolationError } from '../contract-violation.js';

/** The field `parse` names when it rejects `value` ('' for the value as a whole); throws if it accepts it. */
export function fieldRejected(parse: (value: unknown) => unknown, value: unknown): string {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof ContractViolationError) return error.field;
    throw error;
  }
  throw new Error('the value was accepted');
}
