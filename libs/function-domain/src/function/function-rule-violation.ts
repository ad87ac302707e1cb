export const functionRuleCodes = [
  /** A RegisterFunction that differs from the one that registered the function. */
  'FUNCTION_ALREADY_REGISTERED',
] as const;

export type FunctionRuleCode = (typeof functionRuleCodes)[number];

/** A command broke a rule of the function. Definitive: retrying the same command fails the same way. */
export class FunctionRuleViolation extends Error {
  constructor(
    readonly code: FunctionRuleCode,
    readonly functionId: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FunctionRuleViolation';
  }
}
