export * from './scripted-scheduler.js';
export * from './sample-assignment.js';
export * from './test-running-task.js';
export * from './recording-logger.js';
