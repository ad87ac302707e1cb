import { RuleViolation } from '@canopy/contracts';

export const functionRuleCodes = [
  /** A RegisterFunction that differs from the one that registered the function. */
  'FUNCTION_ALREADY_REGISTERED',
  /** A change or deletion of a function the account does not have, or has deleted. */
  'FUNCTION_NOT_FOUND',
] as const;

export type FunctionRuleCode = (typeof functionRuleCodes)[number];

/** A command broke a rule of the function. Definitive: retrying the same command fails the same way. */
export class FunctionRuleViolation extends RuleViolation<FunctionRuleCode> {
  constructor(
    code: FunctionRuleCode,
    readonly functionId: string,
    reason: string,
  ) {
    super(code, reason);
    this.name = 'FunctionRuleViolation';
  }
}
