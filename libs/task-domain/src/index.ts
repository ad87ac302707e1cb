export { decide, evolve, foldTask, initialState, taskAggregate, taskDecider } from './task/task.js';
export type { TaskAttempt, TaskPhase, TaskState } from './task/task.js';
export { TaskRuleViolation, taskRuleCodes } from './task/task-rule-violation.js';
export type { TaskRuleCode } from './task/task-rule-violation.js';
export { taskView } from './task/task-view.js';
export type { TaskView } from './task/task-view.js';
