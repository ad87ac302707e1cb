export {
  decide,
  definitionFor,
  evolve,
  foldFunction,
  functionDecider,
  initialState,
} from './function/function.js';
export type { FunctionCommand, FunctionState, RegisterFunction } from './function/function.js';
export { FunctionRuleViolation, functionRuleCodes } from './function/function-rule-violation.js';
export type { FunctionRuleCode } from './function/function-rule-violation.js';
