import { DeciderSpecification } from '@canopy/decider-testing';
import { ContractViolationError, functionEvent } from '@canopy/contracts';
import { exampleFunctionRegisteredData } from '@canopy/contracts/testing';
import { FunctionRuleViolation } from './function-rule-violation.js';
import { definitionFor, foldFunction, functionDecider } from './function.js';
import type { RegisterFunction } from './function.js';

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

describe('the folded function', () => {
  test('holds the definition as registered', () => {
    expect(foldFunction([registered])).toEqual({
      phase: 'Registered',
      definition: registered.data,
    });
    expect(foldFunction([])).toEqual({ phase: 'NotRegistered' });
  });

  test('a second registration event changes nothing', () => {
    const other = functionEvent('FunctionRegistered', { ...registered.data, name: 'other' });
    expect(foldFunction([registered, other])).toEqual(foldFunction([registered]));
  });

  test('is found only in its own account', () => {
    expect(definitionFor(foldFunction([registered]), accountId)).toEqual(registered.data);
    expect(definitionFor(foldFunction([registered]), 'b'.repeat(24))).toBeUndefined();
    expect(definitionFor(foldFunction([]), accountId)).toBeUndefined();
  });
});
