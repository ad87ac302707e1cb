export {
  exampleResponse,
  exampleTaskId,
  exampleTaskIssuedData,
  exampleTime,
} from './task-examples.js';
