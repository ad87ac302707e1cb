export {
  MAX_LIVE_API_KEYS,
  accountAggregate,
  accountDecider,
  activeApiKey,
  decide,
  evolve,
  foldAccount,
  initialState,
} from './account/account.js';
export type {
  AccountCommand,
  AccountState,
  ApiKeyState,
  CreateAccount,
  IssueApiKey,
  RevokeApiKey,
} from './account/account.js';
export { AccountRuleViolation, accountRuleCodes } from './account/account-rule-violation.js';
export type { AccountRuleCode } from './account/account-rule-violation.js';
