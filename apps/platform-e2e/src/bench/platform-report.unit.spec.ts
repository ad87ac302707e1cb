import { runtimeName } from './platform-report.js';

describe('runtimeName', () => {
  test('names a persistent function serving several invocations with its concurrency', () => {
    expect(runtimeName({ runtime: 'persistent', functionConcurrency: 8 })).toBe(
      'persistent, concurrency 8',
    );
  });

  test('is the runtime alone when invocations run one after another', () => {
    expect(runtimeName({ runtime: 'persistent', functionConcurrency: 1 })).toBe('persistent');
    expect(runtimeName({ runtime: 'sdk' })).toBe('sdk');
  });
});
