import { RuleViolation } from '@canopy/contracts';

export const accountRuleCodes = [
  /** The stream holds no account: only CreateAccount is accepted. */
  'ACCOUNT_NOT_FOUND',
  /** The command names another account than the one this state belongs to. */
  'WRONG_ACCOUNT',
  /** A CreateAccount that differs from the one that created the account. */
  'ACCOUNT_ALREADY_EXISTS',
  /** An IssueApiKey reusing a key id with another hash or label. */
  'API_KEY_ID_TAKEN',
  /** A RevokeApiKey for a key the account never had. */
  'API_KEY_NOT_FOUND',
  /** An IssueApiKey while the account already holds MAX_LIVE_API_KEYS keys that are not revoked. */
  'TOO_MANY_API_KEYS',
] as const;

export type AccountRuleCode = (typeof accountRuleCodes)[number];

/** A command broke a rule of the account. Definitive: retrying the same command fails the same way. */
export class AccountRuleViolation extends RuleViolation<AccountRuleCode> {
  constructor(
    code: AccountRuleCode,
    readonly accountId: string,
    reason: string,
  ) {
    super(code, reason);
    this.name = 'AccountRuleViolation';
  }
}
