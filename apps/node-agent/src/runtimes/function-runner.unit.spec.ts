import { testRunningTask } from '@canopy/node-sdk/testing';
import { defaultFunctionLimits } from './function-limits.js';
import { FunctionRunner } from './function-runner.js';
import { untrackedProcessGroups } from './process-groups.js';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const { run } = new FunctionRunner({
  limits: defaultFunctionLimits,
  inheritedEnv: {},
  tempDir: '/nonexistent',
  processGroups: untrackedProcessGroups,
  slots: 1,
  persistentIdleMs: 1_000,
  logger: silent,
});

describe('function runner', () => {
  test.each([
    [null, 'Invalid runtime spec: must be an object'],
    [{ kind: 'wasm' }, 'Invalid runtime spec: kind must be one of "process", "persistent", "http"'],
    [
      { kind: 'http', url: 'ftp://x' },
      'Invalid runtime spec: url must be an absolute http:// or https:// URL',
    ],
  ])('a runtime spec it cannot run (%j) is a 500 naming the problem', async (runtime, problem) => {
    const result = await run(testRunningTask({ runtime }).task);
    expect(result).toMatchObject({ status: 500, contentType: 'text/plain; charset=utf-8' });
    expect(String(result.body)).toBe(
      `The function's runtime spec cannot be run by this node. ${problem}.`,
    );
  });

  test("a function's runtime changed in a new version is run as changed", async () => {
    const functionId = '65f1c0ffee0123456789ffff';
    const before = await run(
      testRunningTask({ functionId, runtime: { kind: 'http', url: 'ftp://x' } }).task,
    );
    expect(String(before.body)).toMatch(/url must be an absolute/);
    const after = await run(testRunningTask({ functionId, runtime: { kind: 'wasm' } }).task);
    expect(String(after.body)).toMatch(/kind must be one of/);
  });
});
