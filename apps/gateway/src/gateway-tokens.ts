// Injection tokens of the values the gateway module is built with that are not classes.
export const EVENT_STORE = Symbol('EventStore');
export const READ_MODEL_DB = Symbol('ReadModelDb');
export const LOGGER = Symbol('ServiceLogger');
