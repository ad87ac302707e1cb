import { ContractViolationError } from '../contract-violation.js';
import { exampleFunctionRegisteredData } from '../testing/index.js';
import { functionEvent, functionStreamId, parseFunctionEvent } from './function-events.js';

const registered = () => functionEvent('FunctionRegistered', exampleFunctionRegisteredData());

describe('function events', () => {
  test('a valid FunctionRegistered parses back to itself', () => {
    expect(parseFunctionEvent(registered())).toEqual(registered());
  });

  test('a zero timeout is rejected naming the field', () => {
    const event = registered();
    const invalid = {
      ...event,
      data: { ...event.data, capabilities: { ...event.data.capabilities, timeout: 0 } },
    };
    try {
      parseFunctionEvent(invalid);
      throw new Error('expected a ContractViolationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).field).toBe('data.capabilities.timeout');
    }
  });

  test('an unknown runtime kind is rejected', () => {
    const event = registered();
    expect(() =>
      parseFunctionEvent({ ...event, data: { ...event.data, runtime: { kind: 'wasm' } } }),
    ).toThrow(ContractViolationError);
  });

  test('streams are named after the function', () => {
    expect(functionStreamId('6405848581b16f7a07cd4c48')).toBe('function-6405848581b16f7a07cd4c48');
  });
});
