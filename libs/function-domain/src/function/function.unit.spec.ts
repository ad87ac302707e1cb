import { DeciderSpecification } from '@canopy/decider-testing';
import { ContractViolationError, functionEvent } from '@canopy/contracts';
import { exampleFunctionRegisteredData } from '@canopy/contracts/testing';
import { FunctionRuleViolation } from './function-rule-violation.js';
import { definitionFor, foldFunction, functionDecider, versionToRun } from './function.js';
import type { ChangeFunction, DeleteFunction, RegisterFunction } from './function.js';

const given = DeciderSpecification.for(functionDecider);

const registered = functionEvent('FunctionRegistered', exampleFunctionRegisteredData());
const { functionId, accountId, registeredAt, ...definition } = registered.data;

type Definition = RegisterFunction['data'];
const register = (overrides: Partial<Definition> = {}): RegisterFunction => ({
  type: 'RegisterFunction',
  data: { functionId, accountId, ...definition, now: registeredAt, ...overrides },
});

describe('RegisterFunction', () => {
  test('registers the function', () => {
    given([]).when(register()).then([registered]);
  });

  test('a repeat yields nothing, whenever it is stamped', () => {
    given([registered])
      .when(register({ now: '2026-11-29T11:00:00Z' }))
      .thenNothing();
  });

  test('a repeat with the same runtime spec written in another key order is still a repeat', () => {
    given([registered])
      .when(register({ runtime: { args: ['hello'], command: '/bin/echo', kind: 'process' } }))
      .thenNothing();
  });

  test('another definition under the same id is refused', () => {
    given([registered])
      .when(register({ capabilities: { ...definition.capabilities, timeout: 20 } }))
      .thenThrows(
        Error,
        (error) =>
          error instanceof FunctionRuleViolation &&
          error.code === 'FUNCTION_ALREADY_REGISTERED' &&
          error.functionId === functionId,
      );
  });

  test.each([
    [
      'a zero timeout',
      { capabilities: { ...definition.capabilities, timeout: 0 } },
      'capabilities.timeout',
    ],
    [
      'a fractional cpu count',
      { capabilities: { ...definition.capabilities, cpuCount: 1.5 } },
      'capabilities.cpuCount',
    ],
    [
      'a negative memory size',
      { capabilities: { ...definition.capabilities, memSize: -1 } },
      'capabilities.memSize',
    ],
    ['an empty name', { name: '   ' }, 'name'],
    ['an unknown runtime kind', { runtime: { kind: 'wasm' } as never }, 'runtime.kind'],
    ['a malformed account id', { accountId: 'nobody' }, 'accountId'],
  ])('a definition with %s is refused naming the field', (_name, overrides, field) => {
    given([])
      .when(register(overrides))
      .thenThrows(
        Error,
        (error) => error instanceof ContractViolationError && error.field === field,
      );
  });
});

const version1 = { ...registered.data, version: 1, versionCreatedAt: registeredAt };
const changedAt = '2026-11-29T11:00:00Z';
const change = (
  changes: ChangeFunction['data']['changes'],
  now = changedAt,
  by = accountId,
): ChangeFunction => ({
  type: 'ChangeFunction',
  data: { functionId, accountId: by, changes, now },
});
const changedTo2 = functionEvent('FunctionChanged', {
  functionId,
  accountId,
  version: 2,
  description: 'says hello again',
  capabilities: definition.capabilities,
  runtime: { kind: 'process', command: '/bin/echo', args: ['new'] },
  retry: null,
  priority: null,
  changedAt,
});
const retryOn503 = {
  maxAttempts: 3,
  backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 60 },
  on: [503],
};
const deletedAt = '2026-11-29T12:00:00Z';
const remove = (now = deletedAt, by = accountId): DeleteFunction => ({
  type: 'DeleteFunction',
  data: { functionId, accountId: by, now },
});
const deleted = functionEvent('FunctionDeleted', { functionId, accountId, version: 2, deletedAt });
const otherAccount = 'b'.repeat(24);

describe('ChangeFunction', () => {
  test('makes version 2 with the fields given, the others as they were', () => {
    given([registered])
      .when(
        change({
          description: 'says hello again',
          runtime: { kind: 'process', command: '/bin/echo', args: ['new'] },
        }),
      )
      .then([changedTo2]);
  });

  test('capabilities are merged field by field; the version counts on', () => {
    given([registered, changedTo2])
      .when(change({ capabilities: { timeout: 30 } }, '2026-11-29T11:30:00Z'))
      .then([
        functionEvent('FunctionChanged', {
          ...changedTo2.data,
          version: 3,
          capabilities: { ...definition.capabilities, timeout: 30 },
          changedAt: '2026-11-29T11:30:00Z',
        }),
      ]);
  });

  test('a change to the values the function has makes no new version', () => {
    given([registered, changedTo2])
      .when(change({ description: 'says hello again', capabilities: { cpuCount: 1 } }))
      .thenNothing();
  });

  test('sets and clears the retry policy and the priority, each a new version', () => {
    const retried = functionEvent('FunctionChanged', {
      ...changedTo2.data,
      version: 3,
      retry: retryOn503,
      priority: 8,
    });
    given([registered, changedTo2])
      .when(change({ retry: retryOn503, priority: 8 }))
      .then([retried]);
    given([registered, changedTo2, retried])
      .when(change({ retry: null }, '2026-11-29T11:30:00Z'))
      .then([
        functionEvent('FunctionChanged', {
          ...retried.data,
          version: 4,
          retry: null,
          changedAt: '2026-11-29T11:30:00Z',
        }),
      ]);
    // The default priority, asked for by name or with null, is no change.
    given([registered])
      .when(change({ priority: 5 }))
      .thenNothing();
    given([registered])
      .when(change({ priority: null, retry: null }))
      .thenNothing();
  });

  test('a change recorded before changes could set retry and priority keeps the previous ones', () => {
    const { retry: _retry, priority: _priority, ...older } = changedTo2.data;
    const withRetry = functionEvent('FunctionRegistered', {
      ...registered.data,
      retry: retryOn503,
      priority: 2,
    });
    const state = foldFunction([withRetry, functionEvent('FunctionChanged', older)]);
    expect(definitionFor(state, accountId)).toMatchObject({
      version: 2,
      description: 'says hello again',
      retry: retryOn503,
      priority: 2,
    });
    const cleared = foldFunction([
      withRetry,
      functionEvent('FunctionChanged', { ...older, retry: null, priority: null }),
    ]);
    expect(definitionFor(cleared, accountId)).not.toHaveProperty('retry');
    expect(definitionFor(cleared, accountId)).not.toHaveProperty('priority');
  });

  test.each([
    ['an unknown function', [], accountId],
    ["another account's function", [registered], otherAccount],
    ['a deleted function', [registered, changedTo2, deleted], accountId],
  ])('of %s is refused as not found', (_name, history, by) => {
    given(history)
      .when(change({ description: 'x' }, changedAt, by))
      .thenThrows(
        Error,
        (error) => error instanceof FunctionRuleViolation && error.code === 'FUNCTION_NOT_FOUND',
      );
  });

  test.each([
    ['a zero timeout', { capabilities: { timeout: 0 } }, 'capabilities.timeout'],
    ['a negative memory size', { capabilities: { memSize: -1 } }, 'capabilities.memSize'],
    ['an unknown runtime kind', { runtime: { kind: 'wasm' } as never }, 'runtime.kind'],
    ['a description too long', { description: 'x'.repeat(2001) }, 'description'],
    ['a priority out of range', { priority: 10 }, 'priority'],
    [
      'a retry policy without attempts',
      { retry: { ...retryOn503, maxAttempts: 0 } },
      'retry.maxAttempts',
    ],
  ])('a change to %s is refused naming the field', (_name, changes, field) => {
    given([registered])
      .when(change(changes))
      .thenThrows(
        Error,
        (error) => error instanceof ContractViolationError && error.field === field,
      );
  });
});

describe('DeleteFunction', () => {
  test('deletes the function at its current version', () => {
    given([registered, changedTo2]).when(remove()).then([deleted]);
  });

  test('a repeat yields nothing', () => {
    given([registered, changedTo2, deleted]).when(remove('2026-11-29T13:00:00Z')).thenNothing();
  });

  test.each([
    ['an unknown function', []],
    ["another account's function", [registered]],
    ["another account's deleted function", [registered, changedTo2, deleted]],
  ])('of %s is refused as not found', (_name, history) => {
    given(history)
      .when(remove(deletedAt, otherAccount))
      .thenThrows(
        Error,
        (error) => error instanceof FunctionRuleViolation && error.code === 'FUNCTION_NOT_FOUND',
      );
  });
});

describe('the folded function', () => {
  test('holds the definition as registered, as version 1', () => {
    expect(foldFunction([registered])).toEqual({ phase: 'Registered', versions: [version1] });
    expect(foldFunction([])).toEqual({ phase: 'NotRegistered' });
  });

  test('shows its current version, and each older one when asked', () => {
    const state = foldFunction([registered, changedTo2]);
    expect(definitionFor(state, accountId)).toEqual({
      ...version1,
      description: 'says hello again',
      runtime: changedTo2.data.runtime,
      version: 2,
      versionCreatedAt: changedAt,
    });
    expect(definitionFor(state, accountId, 1)).toEqual(version1);
    expect(definitionFor(state, accountId, 3)).toBeUndefined();
    expect(definitionFor(state, accountId, 0)).toBeUndefined();
    expect(definitionFor(state, otherAccount, 1)).toBeUndefined();
  });

  test('a deleted function is gone for the API, but its versions still run', () => {
    const state = foldFunction([registered, changedTo2, deleted]);
    expect(definitionFor(state, accountId)).toBeUndefined();
    expect(definitionFor(state, accountId, 1)).toBeUndefined();
    expect(versionToRun(state, accountId, 1)).toEqual(version1);
    expect(versionToRun(state, accountId, 2)?.runtime).toEqual(changedTo2.data.runtime);
    expect(versionToRun(state, otherAccount, 2)).toBeUndefined();
  });

  test('a change that does not follow the current version changes nothing', () => {
    const skipped = functionEvent('FunctionChanged', { ...changedTo2.data, version: 3 });
    expect(foldFunction([registered, skipped])).toEqual(foldFunction([registered]));
  });

  test('a second registration event changes nothing', () => {
    const other = functionEvent('FunctionRegistered', { ...registered.data, name: 'other' });
    expect(foldFunction([registered, other])).toEqual(foldFunction([registered]));
  });

  test('is found only in its own account', () => {
    expect(definitionFor(foldFunction([registered]), accountId)).toEqual(version1);
    expect(definitionFor(foldFunction([registered]), 'b'.repeat(24))).toBeUndefined();
    expect(definitionFor(foldFunction([]), accountId)).toBeUndefined();
  });
});
