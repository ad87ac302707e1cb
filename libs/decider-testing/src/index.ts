export { DeciderSpecification } from './decider-specification.js';
export type { Decider, DeciderOutcome, ErrorClass, GivenEvents } from './decider-specification.js';
