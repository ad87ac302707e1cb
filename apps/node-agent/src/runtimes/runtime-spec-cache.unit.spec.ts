import { parseRuntimeSpec } from '@canopy/contracts';
import type { JsonValue } from '@canopy/contracts';
import { RuntimeSpecCache } from './runtime-spec-cache.js';

const FUNCTION = '65f1c0ffee0123456789ffff';
const version1 = { kind: 'persistent', command: 'python3', args: ['/opt/fn/v1.py'] };
const version2 = { kind: 'persistent', command: 'python3', args: ['/opt/fn/v2.py'] };

// Every assignment arrives as a fresh object: the cache must never depend on one's identity.
const fresh = (value: JsonValue): JsonValue => structuredClone(value);

function specOf(cache: RuntimeSpecCache, runtime: JsonValue, functionId = FUNCTION): unknown {
  const reading = cache.read(functionId, fresh(runtime));
  if (reading.kind !== 'spec') throw new Error(`not a spec: ${reading.error.message}`);
  return reading.spec;
}

function parseError(runtime: JsonValue): string {
  try {
    parseRuntimeSpec(fresh(runtime));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('runtime spec cache', () => {
  test('reads a spec as parseRuntimeSpec does, once for every task that carries it', () => {
    const cache = new RuntimeSpecCache();
    const first = specOf(cache, version1);
    expect(first).toEqual(parseRuntimeSpec(fresh(version1)));
    // The same object: it was not read again.
    expect(specOf(cache, version1)).toBe(first);
    // Key order is not part of a spec.
    expect(specOf(cache, { args: version1.args, command: 'python3', kind: 'persistent' })).toBe(
      first,
    );
    expect(cache.size).toBe(1);
  });

  test("a function's next version, with another spec, is read anew", () => {
    const cache = new RuntimeSpecCache();
    const old = specOf(cache, version1);
    const changed = specOf(cache, version2);
    expect(changed).not.toBe(old);
    expect(changed).toEqual(parseRuntimeSpec(fresh(version2)));
    // A task of the older version, still running, gets the older spec.
    expect(specOf(cache, version1)).toEqual(old);
    expect(cache.size).toBe(1);
  });

  test('a spec changed only deep inside is read anew', () => {
    const cache = new RuntimeSpecCache();
    const withEnv = { ...version1, env: { MODE: 'fast' } };
    specOf(cache, withEnv);
    expect(specOf(cache, { ...version1, env: { MODE: 'slow' } })).toMatchObject({
      env: { MODE: 'slow' },
    });
    expect(specOf(cache, { ...version1, args: ['/opt/fn/v1.py', '--x'] })).toMatchObject({
      args: ['/opt/fn/v1.py', '--x'],
    });
  });

  test('an invalid spec is refused with the message parseRuntimeSpec gives, every time', () => {
    const cache = new RuntimeSpecCache();
    const runtime = { kind: 'persistent', command: 'x', argz: [] };
    expect(parseError(runtime)).toBe('Invalid runtime spec: Unrecognized key: "argz"');
    for (let task = 0; task < 2; task++) {
      const reading = cache.read(FUNCTION, fresh(runtime));
      expect(reading.kind).toBe('invalid');
      if (reading.kind === 'invalid') expect(reading.error.message).toBe(parseError(runtime));
    }
    // Fixed in the next version: read anew.
    expect(specOf(cache, version1)).toEqual(version1);
  });

  test('keeps at most its capacity, forgetting the least recently read function', () => {
    const cache = new RuntimeSpecCache(2);
    const fn = (letter: string) => ({
      id: letter.repeat(24),
      spec: { kind: 'process', command: `fn-${letter}` },
    });
    const [a, b, c] = [fn('a'), fn('b'), fn('c')];
    const first = specOf(cache, a.spec, a.id);
    const second = specOf(cache, b.spec, b.id);
    // Reading the first again makes the second the least recently read.
    expect(specOf(cache, a.spec, a.id)).toBe(first);
    specOf(cache, c.spec, c.id);
    expect(cache.size).toBe(2);
    expect(specOf(cache, a.spec, a.id)).toBe(first);
    const secondAgain = specOf(cache, b.spec, b.id);
    expect(secondAgain).not.toBe(second);
    expect(secondAgain).toEqual(second);
    expect(cache.size).toBe(2);
  });

  test('refuses a capacity below 1', () => {
    expect(() => new RuntimeSpecCache(0)).toThrow(RangeError);
  });
});
