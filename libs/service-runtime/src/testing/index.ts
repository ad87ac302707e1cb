export { recordingLogger } from './recording-logger.js';
