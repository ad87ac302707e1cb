import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RateLimitStoreErrors } from './rate-limit-store-errors.js';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

test('every failed count is counted; a warning at most every 10 s, with the counts since the last', async () => {
  const registry = new Registry();
  const { logger, lines } = recordingLogger();
  let now = 1_000_000;
  const errors = new RateLimitStoreErrors(registry, logger, () => now);

  errors.report(new Error('connect ECONNREFUSED'));
  now += 5_000;
  errors.report(new Error('connect ECONNREFUSED'));
  errors.report(new Error('connect ECONNREFUSED'));
  now += 5_000;
  errors.report(new Error('Query read timeout'));

  await new Promise((resolve) => setImmediate(resolve));
  expect(
    lines.map((line) => [line['countedInMemory'], (line['err'] as { message: string }).message]),
  ).toEqual([
    [1, 'connect ECONNREFUSED'],
    [3, 'Query read timeout'],
  ]);
  const metric = await registry.getSingleMetricAsString('canopy_rate_limit_store_errors_total');
  expect(metric).toMatch(/^canopy_rate_limit_store_errors_total 4$/m);
});
