export * from './scripted-scheduler.js';
export * from './sample-assignment.js';
export * from './test-running-task.js';
