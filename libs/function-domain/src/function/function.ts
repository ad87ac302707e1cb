import {
  DEFAULT_TASK_PRIORITY,
  FIRST_FUNCTION_VERSION,
  functionChangedDataSchema,
  functionEvent,
  functionRegisteredDataSchema,
  parseContract,
  parseFunctionEvent,
  sameJson,
} from '@canopy/contracts';
import type {
  Aggregate,
  FunctionCapabilities,
  FunctionDefinition,
  FunctionEvent,
  FunctionRegisteredData,
  RetryPolicy,
  RuntimeSpec,
} from '@canopy/contracts';
import { FunctionRuleViolation } from './function-rule-violation.js';

// The function aggregate, stream `function-<functionId>`: what a task invokes and what a node needs
// to run it. Registered once (version 1); each change makes the next version (description,
// capabilities, runtime, retry policy, priority); deleted once, after which it takes no new tasks.
// Every version stays known: a task runs the version it was issued against, even after the function
// changed or was deleted.

// ─── Events ──────────────────────────────────────────────────────────────────────────────────────
// FunctionEvent (FunctionRegistered, FunctionChanged, FunctionDeleted) is the contract type from
// @canopy/contracts.

// ─── State ───────────────────────────────────────────────────────────────────────────────────────

/** The function as it was at one version: the registration with that version's changes. */
export interface FunctionVersion extends FunctionRegisteredData {
  readonly version: number;
  /** When this version was made: the registration time for version 1, the change's after. */
  readonly versionCreatedAt: string;
}

export type FunctionState =
  | { readonly phase: 'NotRegistered' }
  /** `versions[i]` is version i + 1; the last is the current one. */
  | { readonly phase: 'Registered'; readonly versions: readonly FunctionVersion[] }
  | {
      readonly phase: 'Deleted';
      readonly versions: readonly FunctionVersion[];
      readonly deletedAt: string;
    };

export function initialState(): FunctionState {
  return { phase: 'NotRegistered' };
}

// ─── Evolve ──────────────────────────────────────────────────────────────────────────────────────

export function evolve(state: FunctionState, event: FunctionEvent): FunctionState {
  switch (event.type) {
    case 'FunctionRegistered':
      return state.phase === 'NotRegistered'
        ? {
            phase: 'Registered',
            versions: [
              {
                ...event.data,
                version: FIRST_FUNCTION_VERSION,
                versionCreatedAt: event.data.registeredAt,
              },
            ],
          }
        : state;
    case 'FunctionChanged': {
      if (state.phase !== 'Registered') return state;
      const current = currentOf(state.versions);
      if (event.data.version !== current.version + 1) return state;
      const { description, capabilities, runtime, version, changedAt } = event.data;
      // Absent in changes recorded before a change could set them: the previous version's stay.
      const retry = event.data.retry === undefined ? current.retry : event.data.retry;
      const priority = event.data.priority === undefined ? current.priority : event.data.priority;
      const { retry: _retry, priority: _priority, ...kept } = current;
      return {
        phase: 'Registered',
        versions: [
          ...state.versions,
          {
            ...kept,
            description,
            capabilities,
            runtime,
            ...(retry === undefined || retry === null ? {} : { retry }),
            ...(priority === undefined || priority === null ? {} : { priority }),
            version,
            versionCreatedAt: changedAt,
          },
        ],
      };
    }
    case 'FunctionDeleted':
      return state.phase === 'Registered'
        ? { phase: 'Deleted', versions: state.versions, deletedAt: event.data.deletedAt }
        : state;
    default:
      return unknownEvent(event);
  }
}

/**
 * The function as the account sees it: its current version, or version `version` when given.
 * Undefined when it is not registered, was deleted, has no such version, or belongs to another
 * account (which must look exactly like a function that does not exist).
 */
export function definitionFor(
  state: FunctionState,
  accountId: string,
  version?: number,
): FunctionVersion | undefined {
  if (state.phase !== 'Registered') return undefined;
  return versionOf(state.versions, accountId, version ?? currentOf(state.versions).version);
}

/**
 * The version a task of the account was issued against, as a node must run it: deleted functions
 * included, since the tasks they accepted still run. Undefined when there is no such version in the
 * account.
 */
export function versionToRun(
  state: FunctionState,
  accountId: string,
  version: number,
): FunctionVersion | undefined {
  return state.phase === 'NotRegistered'
    ? undefined
    : versionOf(state.versions, accountId, version);
}

/** Folds a function's stream, oldest event first. */
export function foldFunction(events: readonly FunctionEvent[]): FunctionState {
  return events.reduce(evolve, initialState());
}

function currentOf(versions: readonly FunctionVersion[]): FunctionVersion {
  const current = versions.at(-1);
  if (current === undefined) throw new Error('a registered function has at least one version');
  return current;
}

function versionOf(
  versions: readonly FunctionVersion[],
  accountId: string,
  version: number,
): FunctionVersion | undefined {
  const found = Number.isInteger(version) ? versions[version - 1] : undefined;
  return found?.accountId === accountId ? found : undefined;
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────
// Idempotency: a RegisterFunction repeating the registration (every field but the time) yields [];
// a ChangeFunction that changes nothing yields [] (no new version); a DeleteFunction of a function
// already deleted yields [].

export interface RegisterFunction {
  readonly type: 'RegisterFunction';
  readonly data: Readonly<FunctionDefinition> & {
    readonly functionId: string;
    readonly accountId: string;
    readonly now: string;
  };
}

/**
 * Makes a new version: each field given replaces the current one; `capabilities` are merged field by
 * field (a requirement left out stays as it is); a runtime and a retry policy are replaced whole.
 */
export interface ChangeFunction {
  readonly type: 'ChangeFunction';
  readonly data: {
    readonly functionId: string;
    readonly accountId: string;
    readonly changes: {
      readonly description?: string;
      readonly capabilities?: Partial<FunctionCapabilities>;
      readonly runtime?: RuntimeSpec;
      /** null: no answer is retried from this version on. */
      readonly retry?: RetryPolicy | null;
      /** null: the default priority from this version on. */
      readonly priority?: number | null;
    };
    readonly now: string;
  };
}

export interface DeleteFunction {
  readonly type: 'DeleteFunction';
  readonly data: { readonly functionId: string; readonly accountId: string; readonly now: string };
}

export type FunctionCommand = RegisterFunction | ChangeFunction | DeleteFunction;

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
    case 'ChangeFunction':
      return changeFunction(command, state);
    case 'DeleteFunction':
      return deleteFunction(command, state);
    default:
      return unknownCommand(command);
  }
}

// decide, evolve and initialState as one value, for given/when/then tests and the aggregate below.
export const functionDecider = { decide, evolve, initialState };

/** The decider and the parser of the stream's events: what a command handler takes. */
export const functionAggregate: Aggregate<FunctionCommand, FunctionEvent, FunctionState> = {
  decider: functionDecider,
  parseEvent: parseFunctionEvent,
};

function registerFunction({ data }: RegisterFunction, state: FunctionState): FunctionEvent[] {
  const { now, ...definition } = data;
  const registered = parseContract(functionRegisteredDataSchema, 'RegisterFunction command', {
    ...definition,
    registeredAt: now,
  });
  if (state.phase === 'NotRegistered') return [functionEvent('FunctionRegistered', registered)];
  const [first] = state.versions;
  const { registeredAt: _then, version: _v, versionCreatedAt: _t, ...known } = first ?? {};
  const { registeredAt: _now, ...requested } = registered;
  if (sameJson(known, requested)) return [];
  throw new FunctionRuleViolation(
    'FUNCTION_ALREADY_REGISTERED',
    data.functionId,
    'the function was already registered with another definition',
  );
}

function changeFunction({ data }: ChangeFunction, state: FunctionState): FunctionEvent[] {
  const current = liveFunction(state, data.functionId, data.accountId);
  const { changes } = data;
  const changed = parseContract(functionChangedDataSchema, 'ChangeFunction command', {
    functionId: data.functionId,
    accountId: data.accountId,
    version: current.version + 1,
    description: changes.description ?? current.description,
    capabilities: { ...current.capabilities, ...changes.capabilities },
    runtime: changes.runtime ?? current.runtime,
    retry: changes.retry === undefined ? (current.retry ?? null) : changes.retry,
    priority: changes.priority === undefined ? (current.priority ?? null) : changes.priority,
    changedAt: data.now,
  });
  const unchanged =
    changed.description === current.description &&
    sameJson(changed.capabilities, current.capabilities) &&
    sameJson(changed.runtime, current.runtime) &&
    sameJson(changed.retry ?? null, current.retry ?? null) &&
    (changed.priority ?? DEFAULT_TASK_PRIORITY) === (current.priority ?? DEFAULT_TASK_PRIORITY);
  return unchanged ? [] : [functionEvent('FunctionChanged', changed)];
}

function deleteFunction({ data }: DeleteFunction, state: FunctionState): FunctionEvent[] {
  if (state.phase === 'Deleted' && currentOf(state.versions).accountId === data.accountId)
    return [];
  const current = liveFunction(state, data.functionId, data.accountId);
  return [
    functionEvent('FunctionDeleted', {
      functionId: data.functionId,
      accountId: data.accountId,
      version: current.version,
      deletedAt: data.now,
    }),
  ];
}

/** The current version of a function the account has and has not deleted. */
function liveFunction(
  state: FunctionState,
  functionId: string,
  accountId: string,
): FunctionVersion {
  const current = definitionFor(state, accountId);
  if (current !== undefined) return current;
  throw new FunctionRuleViolation(
    'FUNCTION_NOT_FOUND',
    functionId,
    state.phase === 'Deleted' ? 'the function was deleted' : `no function ${functionId}`,
  );
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled function event ${JSON.stringify(event)}`);
}

function unknownCommand(command: never): never {
  throw new Error(`Unhandled function command ${JSON.stringify(command)}`);
}
