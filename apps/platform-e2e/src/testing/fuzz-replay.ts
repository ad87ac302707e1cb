/** fast-check's seed and path of a reported failure, from the environment, to run it again. */
export function fuzzReplay(env: Readonly<Record<string, string | undefined>>): {
  seed?: number;
  path?: string;
} {
  const seed = env['CANOPY_FUZZ_SEED'];
  const path = env['CANOPY_FUZZ_PATH'];
  return {
    ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}
