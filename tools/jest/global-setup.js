// Provisions PostgreSQL and NATS once, before any test file runs (docs/architecture.md, "Running it
// locally and in tests"): DATABASE_URL / NATS_URL when set, else the local servers on their
// standard ports, else an embedded PostgreSQL and a spawned nats-server with their data under
// .data/. The URLs found go into process.env, which the test workers inherit (`testServerUrl()`,
// `testNatsUrl()`).
import { register } from 'node:module';
import path from 'node:path';

// Jest runs this file in its parent process, outside its own module system and transforms, so our
// TypeScript packages need Node hooks to load (no build step before `npm test`).
register('./typescript-source-hooks.js', import.meta.url);

const PROVISIONED_SERVICES = Symbol.for('canopy.jest.provisionedServices');

export default async function globalSetup(globalConfig) {
  const { ensureNats, ensurePostgres } = await import('@canopy/local-services');
  const dataDir = path.join(globalConfig.rootDir, '.data');
  const logger = {
    debug: () => undefined,
    info: (message) => process.stderr.write(`local services: ${message}\n`),
    warn: (message) => process.stderr.write(`local services: WARNING ${message}\n`),
  };
  const [postgres, nats] = await Promise.allSettled([
    ensurePostgres({ url: process.env.DATABASE_URL, dataDir, logger }),
    ensureNats({ url: process.env.NATS_URL, dataDir, logger }),
  ]);
  if (postgres.status === 'rejected' || nats.status === 'rejected') {
    await Promise.all(
      [postgres, nats].map((outcome) =>
        outcome.status === 'fulfilled' ? outcome.value.stop() : undefined,
      ),
    );
    throw [postgres, nats].find((outcome) => outcome.status === 'rejected').reason;
  }
  process.env.DATABASE_URL = postgres.value.url;
  process.env.NATS_URL = nats.value.url;
  // Jest shares globals between global setup and teardown (and nothing else) in its parent process.
  globalThis[PROVISIONED_SERVICES] = [postgres.value, nats.value];
}
