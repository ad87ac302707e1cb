import type { AccountRuleCode } from '@canopy/account-domain';
import type { FunctionRuleCode } from '@canopy/function-domain';
import type { NodeRuleCode } from '@canopy/node-domain';
import type { ScheduleRuleCode } from '@canopy/schedule-domain';
import type { TaskRuleCode } from '@canopy/task-domain';

/** How the API answers a broken rule: its status, and the request field at fault when there is one. */
export interface RuleViolationAnswer {
  readonly status: number;
  readonly field?: string;
}

type RuleCode = AccountRuleCode | FunctionRuleCode | NodeRuleCode | ScheduleRuleCode | TaskRuleCode;

/**
 * Every rule of every aggregate, and what a request that breaks it is answered: the rule's code is
 * the response's `error`, its reason the `message`. `null` marks rules no request can break (ids the
 * gateway makes are random, tokens name existing accounts, the scheduler alone moves tasks): breaking
 * one is a defect, answered 500 and logged. A new rule fails the build here until it is placed.
 */
export const ruleViolationAnswers: Readonly<Record<RuleCode, RuleViolationAnswer | null>> = {
  // Accounts and their API keys.
  ACCOUNT_NOT_FOUND: null,
  WRONG_ACCOUNT: null,
  ACCOUNT_ALREADY_EXISTS: null,
  API_KEY_ID_TAKEN: null,
  API_KEY_NOT_FOUND: { status: 404 },
  TOO_MANY_API_KEYS: { status: 409 },
  // Functions.
  FUNCTION_ALREADY_REGISTERED: null,
  FUNCTION_NOT_FOUND: { status: 404 },
  // Nodes: another account's node is as unknown as a missing one.
  NODE_ALREADY_REGISTERED: { status: 409, field: 'hash' },
  NODE_NOT_FOUND: { status: 404, field: 'hash' },
  // Schedules.
  INVALID_CRON: { status: 400 },
  INVALID_TIME_ZONE: { status: 400 },
  INVALID_SCHEDULE_WINDOW: { status: 400 },
  SCHEDULE_NOT_FOUND: { status: 404 },
  SCHEDULE_ALREADY_CREATED: null,
  SCHEDULE_PAUSED: null,
  TICK_NOT_FIREABLE: null,
  // Tasks.
  TASK_NOT_FOUND: null,
  WRONG_TASK: null,
  TASK_ALREADY_ISSUED: null,
  TASK_TERMINAL: null,
  NOT_CURRENT_ATTEMPT: null,
  ATTEMPTS_EXHAUSTED: null,
  INVALID_PROGRESS: null,
  INVALID_TRANSITION: null,
};

/** The answer for a rule violation's code; null for a defect or a code no aggregate has. */
export function ruleViolationAnswer(code: string): RuleViolationAnswer | null {
  return Object.hasOwn(ruleViolationAnswers, code) ? ruleViolationAnswers[code as RuleCode] : null;
}
