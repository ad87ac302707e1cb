export { fieldRejected } from './field-rejected.js';
export {
  exampleAccountId,
  exampleFunctionDefinition,
  exampleFunctionId,
  exampleFunctionRegisteredData,
  modestCapabilities,
} from './function-examples.js';
export {
  exampleResponse,
  exampleTaskId,
  exampleTaskIssuedData,
  exampleTime,
} from './task-examples.js';
