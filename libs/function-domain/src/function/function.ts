import {
  functionEvent,
  functionRegisteredDataSchema,
  parseContract,
  sameJson,
} from '@canopy/contracts';
import type { FunctionDefinition, FunctionEvent, FunctionRegisteredData } from '@canopy/contracts';
import { FunctionRuleViolation } from './function-rule-violation.js';

// The function aggregate, stream `function-<functionId>`: what a task invokes and what a node needs
// to run it. Registered once; later issues may add updates and deletion.

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// FunctionEvent (FunctionRegistered) is the contract type from @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

export type FunctionState =
  | { readonly phase: 'NotRegistered' }
  | { readonly phase: 'Registered'; readonly definition: FunctionRegisteredData };

export function initialState(): FunctionState {
  return { phase: 'NotRegistered' };
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

export function evolve(state: FunctionState, event: FunctionEvent): FunctionState {
  switch (event.type) {
    case 'FunctionRegistered':
      return state.phase === 'NotRegistered'
        ? { phase: 'Registered', definition: event.data }
        : state;
    default:
      return unknownEvent(event.type);
  }
}

/**
 * The function as the account sees it: undefined when it is not registered or belongs to another
 * account (which must look exactly like a function that does not exist).
 */
export function definitionFor(
  state: FunctionState,
  accountId: string,
): FunctionRegisteredData | undefined {
  return state.phase === 'Registered' && state.definition.accountId === accountId
    ? state.definition
    : undefined;
}

/** Folds a function's stream, oldest event first. */
export function foldFunction(events: readonly FunctionEvent[]): FunctionState {
  return events.reduce(evolve, initialState());
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// Idempotency: a RegisterFunction repeating the registration (every field but the time) yields [].

export interface RegisterFunction {
  readonly type: 'RegisterFunction';
  readonly data: Readonly<FunctionDefinition> & {
    readonly functionId: string;
    readonly accountId: string;
    readonly now: string;
  };
}

export type FunctionCommand = RegisterFunction;

// ─── Decide ──────────────────────────────────────────────────────────────────────────────────────

/**
 * @throws ContractViolationError when the definition breaks the contract (capabilities, runtime
 *   spec...), naming the field, e.g. `capabilities.timeout`.
 * @throws FunctionRuleViolation when the command breaks a rule of the function.
 */
export function decide(command: FunctionCommand, state: FunctionState): FunctionEvent[] {
  switch (command.type) {
    case 'RegisterFunction':
      return registerFunction(command, state);
    default:
      return unknownCommand(command.type);
  }
}

// decide, evolve and initialState as one value, for command handlers and given/when/then tests.
export const functionDecider = { decide, evolve, initialState };

function registerFunction({ data }: RegisterFunction, state: FunctionState): FunctionEvent[] {
  const { now, ...definition } = data;
  const registered = parseContract(functionRegisteredDataSchema, 'RegisterFunction command', {
    ...definition,
    registeredAt: now,
  });
  if (state.phase === 'NotRegistered') return [functionEvent('FunctionRegistered', registered)];
  const { registeredAt: _then, ...known } = state.definition;
  const { registeredAt: _now, ...requested } = registered;
  if (sameJson(known, requested)) return [];
  throw new FunctionRuleViolation(
    'FUNCTION_ALREADY_REGISTERED',
    data.functionId,
    'the function was already registered with another definition',
  );
}

function unknownEvent(type: never): never {
  throw new Error(`Unhandled function event ${String(type)}`);
}

function unknownCommand(type: never): never {
  throw new Error(`Unhandled function command ${String(type)}`);
}
