import { RuleViolation } from '@canopy/contracts';

export const taskRuleCodes = [
  /** The stream holds no task yet: only IssueTask is accepted. */
  'TASK_NOT_FOUND',
  /** The command names another task than the one this state belongs to. */
  'WRONG_TASK',
  /** An IssueTask that differs from the one that created the task. */
  'TASK_ALREADY_ISSUED',
  /** The task finished or failed; only an exact repeat of the command that ended it is accepted. */
  'TASK_TERMINAL',
  /** The command's node / attempt is not the task's current assignment (or the next attempt, for AssignTask). */
  'NOT_CURRENT_ATTEMPT',
  /** The next attempt would exceed the task's maxAttempts. */
  'ATTEMPTS_EXHAUSTED',
  /** Progress outside 0..100. */
  'INVALID_PROGRESS',
  /** The command does not apply in the task's current phase (e.g. TIMEOUT while waiting). */
  'INVALID_TRANSITION',
] as const;

export type TaskRuleCode = (typeof taskRuleCodes)[number];

/** A command broke a rule of the task lifecycle. Always definitive: retrying the same command fails the same way. */
export class TaskRuleViolation extends RuleViolation<TaskRuleCode> {
  constructor(
    code: TaskRuleCode,
    readonly taskId: string,
    reason: string,
  ) {
    super(code, reason);
    this.name = 'TaskRuleViolation';
  }
}
