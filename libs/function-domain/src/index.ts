export {
  decide,
  definitionFor,
  evolve,
  foldFunction,
  functionAggregate,
  functionDecider,
  initialState,
  versionToRun,
} from './function/function.js';
export type {
  ChangeFunction,
  DeleteFunction,
  FunctionCommand,
  FunctionState,
  FunctionVersion,
  RegisterFunction,
} from './function/function.js';
export { FunctionRuleViolation, functionRuleCodes } from './function/function-rule-violation.js';
export type { FunctionRuleCode } from './function/function-rule-violation.js';
