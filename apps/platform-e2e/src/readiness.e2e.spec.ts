import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { databaseUrl, ensureDatabase, ensureNats, ensurePostgres } from '@canopy/local-services';
import type { RunningService } from '@canopy/local-services';
import { findFreePort } from '@canopy/local-services/testing';
import { STACK_SIGNING_KEYS } from './testing/platform-stack.js';
import { ServiceProcess, builtEntryPoint } from './testing/service-process.js';

// /readyz of every service follows the engines it needs: 503 soon after this test's own PostgreSQL
// (an embedded server on a free port, never the machine's) or its own nats-server stops, 200 again
// once it is back. /healthz stays 200 throughout: the processes live on.

const STARTS_MS = 240_000;
/** How long a service may take to notice an engine went away or came back. */
const NOTICE_MS = 20_000;
const RECOVER_MS = 60_000;

type Service = 'gateway' | 'scheduler' | 'projector' | 'node-agent';

describe('readiness follows PostgreSQL and NATS', () => {
  let dataDir: string;
  let pgPort: number;
  let natsPort: number;
  let postgres: RunningService | undefined;
  let nats: RunningService | undefined;
  const processes: ServiceProcess[] = [];
  const adminUrls = {} as Record<Service, string>;

  const startPostgres = async () => {
    postgres = await ensurePostgres({ dataDir, port: pgPort });
  };
  const startNats = async () => {
    nats = await ensureNats({ dataDir, port: natsPort });
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-readiness-'));
    // As root the embedded server runs as the `postgres` user, which must be able to enter it.
    await chmod(dataDir, 0o755);
    pgPort = await findFreePort();
    natsPort = await findFreePort();
    await startPostgres();
    await startNats();
    const serverUrl = (postgres as RunningService).url;
    await ensureDatabase(serverUrl, 'canopy');
    const env = {
      DATABASE_URL: databaseUrl(serverUrl, 'canopy'),
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      LOG_LEVEL: 'warn',
    };
    const ports = {
      gateway: await findFreePort(),
      scheduler: await findFreePort(),
      projector: await findFreePort(),
      'node-agent': await findFreePort(),
    };
    for (const service of Object.keys(ports) as Service[])
      adminUrls[service] = `http://127.0.0.1:${ports[service]}`;
    processes.push(
      new ServiceProcess('scheduler', builtEntryPoint('scheduler'), [], {
        ...env,
        ADMIN_PORT: String(ports.scheduler),
      }),
      new ServiceProcess('projector', builtEntryPoint('projector'), [], {
        ...env,
        ADMIN_PORT: String(ports.projector),
      }),
      new ServiceProcess('gateway', builtEntryPoint('gateway'), [], {
        ...env,
        PORT: String(ports.gateway),
        AUTH_SIGNING_KEYS: STACK_SIGNING_KEYS,
      }),
      new ServiceProcess(
        'node-agent',
        builtEntryPoint('node-agent'),
        ['--nats-url', env.NATS_URL, '--admin-port', String(ports['node-agent']), '--slots', '1'],
        { LOG_LEVEL: 'warn' },
      ),
    );
  }, STARTS_MS);

  afterAll(async () => {
    for (const child of [...processes].reverse()) await child.stop();
    await nats?.stop();
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }, STARTS_MS);

  const statuses = async (path: '/readyz' | '/healthz') => {
    const answers: Partial<Record<Service, number | string>> = {};
    for (const service of Object.keys(adminUrls) as Service[]) {
      answers[service] = await fetch(`${adminUrls[service]}${path}`, {
        signal: AbortSignal.timeout(5_000),
      }).then(
        (response) => response.status,
        (error: unknown) => String(error),
      );
    }
    return answers;
  };
  const expectReadiness = (expected: Record<Service, number>, deadlineMs: number) =>
    eventually(
      async () => {
        const exited = processes.filter((child) => !child.running);
        if (exited.length > 0)
          throw new Error(
            `exited: ${exited.map((child) => `${child.name}\n${child.outputTail()}`).join('\n')}`,
          );
        expect(await statuses('/readyz')).toEqual(expected);
      },
      deadlineMs,
      250,
    );
  const allReady = { gateway: 200, scheduler: 200, projector: 200, 'node-agent': 200 };

  test(
    'every service is ready once started; not ready without PostgreSQL, ready again after',
    async () => {
      await expectReadiness(allReady, STARTS_MS / 2);
      await postgres?.stop();
      // The node agent needs no database.
      await expectReadiness(
        { gateway: 503, scheduler: 503, projector: 503, 'node-agent': 200 },
        NOTICE_MS,
      );
      expect(await statuses('/healthz')).toEqual(allReady);
      await startPostgres();
      await expectReadiness(allReady, RECOVER_MS);
    },
    STARTS_MS,
  );

  test(
    'no service is ready without NATS; all are again once it is back',
    async () => {
      await expectReadiness(allReady, RECOVER_MS);
      await nats?.stop();
      await expectReadiness(
        { gateway: 503, scheduler: 503, projector: 503, 'node-agent': 503 },
        NOTICE_MS,
      );
      expect(await statuses('/healthz')).toEqual(allReady);
      await startNats();
      await expectReadiness(allReady, RECOVER_MS);
    },
    STARTS_MS,
  );
});
