import { ContractViolationError } from '../contract-violation.js';
import { parseRuntimeSpec } from './runtime-spec.js';

function violation(value: unknown): { field: string; problem: string } {
  try {
    parseRuntimeSpec(value);
  } catch (error) {
    if (error instanceof ContractViolationError)
      return { field: error.field, problem: error.problem };
    throw error;
  }
  throw new Error('the runtime spec was accepted');
}

describe('runtime spec', () => {
  test.each([
    { kind: 'process', command: 'python3' },
    {
      kind: 'process',
      command: '/usr/bin/env',
      args: ['node', 'fn.js', ''],
      env: { MODE: 'fast', _X1: '' },
      envelope: true,
    },
    { kind: 'persistent', command: 'python3' },
    {
      kind: 'persistent',
      command: '/usr/bin/python3',
      args: ['-u', '/opt/functions/resize.py'],
      env: { MODEL: 'small' },
      concurrency: 16,
    },
    { kind: 'http', url: 'http://127.0.0.1:8080/fn' },
    { kind: 'http', url: 'https://fn.example.com/run?key=1', method: 'PUT' },
  ])('accepts %j unchanged', (spec) => {
    expect(parseRuntimeSpec(structuredClone(spec))).toEqual(spec);
  });

  test.each([
    ['no kind', { command: 'x' }, 'kind', 'is required'],
    [
      'an unknown kind',
      { kind: 'wasm', command: 'x' },
      'kind',
      'must be one of "process", "persistent", "http"',
    ],
    [
      'an empty command',
      { kind: 'process', command: '' },
      'command',
      'must have at least 1 characters',
    ],
    [
      'a non-string argument',
      { kind: 'process', command: 'x', args: ['a', 1] },
      'args.1',
      'must be a string',
    ],
    [
      'a bad env name',
      { kind: 'process', command: 'x', env: { 'A-B': '1' } },
      'env.A-B',
      'must be a letter or "_" followed by letters, digits or "_"',
    ],
    [
      'a reserved env name',
      { kind: 'process', command: 'x', env: { CANOPY_TASK_ID: '1' } },
      'env.CANOPY_TASK_ID',
      "must not start with CANOPY_ (reserved for the task's variables)",
    ],
    [
      'a NUL in an argument',
      { kind: 'process', command: 'x', args: ['a\0b'] },
      'args.0',
      'must not contain NUL characters',
    ],
    [
      'a NUL in an env value',
      { kind: 'process', command: 'x', env: { A: 'a\0b' } },
      'env.A',
      'must not contain NUL characters',
    ],
    [
      'a non-boolean envelope',
      { kind: 'process', command: 'x', envelope: 'yes' },
      'envelope',
      'must be a boolean',
    ],
    [
      'a misspelt field',
      { kind: 'process', command: 'x', argz: [] },
      '',
      'Unrecognized key: "argz"',
    ],
    [
      'a persistent spec without a command',
      { kind: 'persistent', args: ['fn.py'] },
      'command',
      'is required',
    ],
    [
      'a persistent spec with a reserved env name',
      { kind: 'persistent', command: 'x', env: { CANOPY_QUERY: '' } },
      'env.CANOPY_QUERY',
      "must not start with CANOPY_ (reserved for the task's variables)",
    ],
    [
      'a persistent spec with a NUL in its command',
      { kind: 'persistent', command: 'py\0thon' },
      'command',
      'must not contain NUL characters',
    ],
    [
      'a persistent spec serving no invocation at once',
      { kind: 'persistent', command: 'x', concurrency: 0 },
      'concurrency',
      'must be at least 1',
    ],
    [
      'a persistent spec serving more invocations at once than a process may',
      { kind: 'persistent', command: 'x', concurrency: 257 },
      'concurrency',
      'must be at most 256',
    ],
    [
      'a fractional concurrency',
      { kind: 'persistent', command: 'x', concurrency: 1.5 },
      'concurrency',
      'must be an integer',
    ],
    [
      'an envelope on a persistent spec (its framing always carries the whole response)',
      { kind: 'persistent', command: 'x', envelope: true },
      '',
      'Unrecognized key: "envelope"',
    ],
    [
      'a relative URL',
      { kind: 'http', url: '/fn' },
      'url',
      'must be an absolute http:// or https:// URL',
    ],
    [
      'a file URL',
      { kind: 'http', url: 'file:///etc/passwd' },
      'url',
      'must be an absolute http:// or https:// URL',
    ],
    [
      'an unknown method',
      { kind: 'http', url: 'http://x', method: 'TRACE' },
      'method',
      'must be "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS"',
    ],
    [
      'a lower-case method',
      { kind: 'http', url: 'http://x', method: 'post' },
      'method',
      expect.stringContaining('must be "GET"'),
    ],
  ])('rejects a spec with %s, naming the field', (_name, spec, field, problem) => {
    expect(violation(spec)).toEqual({ field, problem });
  });

  test.each([null, 'process', 42, []])('rejects %j as a whole', (spec) => {
    expect(violation(spec).field).toBe('');
  });
});
