import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LocalServicesLogger } from '../local-services-logger.js';
import { findFreePort } from '../network/tcp-port.js';
import { databaseUrl } from './database-url.js';
import { ensureDatabase } from './ensure-database.js';
import { ensurePostgres } from './ensure-postgres.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { probePostgres } from './probe-postgres.js';

const run = promisify(execFile);
const runningAsRoot = process.getuid?.() === 0;
const STARTS_A_SERVER_MS = 180_000;

function recordingLogger(): LocalServicesLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: () => undefined,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(message),
  };
}

async function osUserId(name: string): Promise<number | undefined> {
  try {
    return Number.parseInt((await run('id', ['-u', name])).stdout, 10);
  } catch {
    return undefined;
  }
}

async function processOwner(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const uidLine = status.split('\n').find((line) => line.startsWith('Uid:'));
  return Number.parseInt(uidLine?.split(/\s+/)[1] ?? '', 10);
}

describe('ensurePostgres with an embedded server', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-embedded-postgres-'));
    // As root the server runs as the `postgres` user, which must be able to enter the directory.
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test(
    'starts one on a free port, finds it again, stops only what it started, and reuses its cluster',
    async () => {
      const port = await findFreePort();
      const logger = recordingLogger();

      const first = await ensurePostgres({ dataDir, port, logger });
      try {
        expect(first).toMatchObject({
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          startedHere: true,
        });
        const probe = await probePostgres(first.url);
        expect(probe).toMatchObject({
          answers: true,
          serverVersion: expect.stringMatching(/^18\./),
        });
        expect(logger.lines.some((line) => line.includes('initialising'))).toBe(true);
        await ensureDatabase(first.url, 'kept_across_restarts');

        const postmaster = await readPostmasterPid(path.join(dataDir, 'postgres'));
        expect(postmaster?.port).toBe(port);
        if (runningAsRoot && postmaster !== undefined) {
          expect(await processOwner(postmaster.pid)).toBe(await osUserId('postgres'));
        }

        const samePort = await ensurePostgres({ dataDir, port });
        expect(samePort).toMatchObject({ url: first.url, startedHere: false });
        // Nothing at the other port, but the cluster's lock file says where it runs.
        const fromLockFile = await ensurePostgres({ dataDir, port: await findFreePort() });
        expect(fromLockFile).toMatchObject({ url: first.url, startedHere: false });
        await samePort.stop();
        await fromLockFile.stop();
        expect((await probePostgres(first.url)).answers).toBe(true);
      } finally {
        await first.stop();
      }
      expect((await probePostgres(first.url)).answers).toBe(false);
      await first.stop();

      const restartLogger = recordingLogger();
      const again = await ensurePostgres({ dataDir, port, logger: restartLogger });
      try {
        expect(again.startedHere).toBe(true);
        expect(restartLogger.lines.some((line) => line.includes('initialising'))).toBe(false);
        expect(await probePostgres(databaseUrl(again.url, 'kept_across_restarts'))).toMatchObject({
          answers: true,
        });
      } finally {
        await again.stop();
      }
    },
    STARTS_A_SERVER_MS,
  );

  (runningAsRoot ? test : test.skip)(
    'works for a normal user too (this run is root, so it starts one as nobody)',
    async () => {
      const nobody = await osUserId('nobody');
      if (nobody === undefined)
        throw new Error('no `nobody` user on this machine to run the check as');
      const userDataDir = await mkdtemp(path.join(tmpdir(), 'canopy-embedded-postgres-user-'));
      await chown(userDataDir, nobody, nobody);
      try {
        const port = await findFreePort();
        const hooks = new URL('../../../../tools/jest/typescript-source-hooks.js', import.meta.url)
          .href;
        const library = new URL('../index.ts', import.meta.url).href;
        const script = `
          import { register } from 'node:module';
          register(${JSON.stringify(hooks)});
          const { ensurePostgres, probePostgres } = await import(${JSON.stringify(library)});
          const service = await ensurePostgres({ dataDir: ${JSON.stringify(userDataDir)}, port: ${port} });
          const probe = await probePostgres(service.url);
          await service.stop();
          const after = await probePostgres(service.url);
          console.log(JSON.stringify({ url: service.url, startedHere: service.startedHere, answered: probe.answers, afterStop: after.answers, uid: process.getuid() }));
        `;
        const { stdout } = await run(
          'setpriv',
          [
            `--reuid=${nobody}`,
            `--regid=${nobody}`,
            '--clear-groups',
            process.execPath,
            '--input-type=module',
            '-e',
            script,
          ],
          { cwd: path.dirname(fileURLToPath(import.meta.url)), timeout: STARTS_A_SERVER_MS },
        );
        const lastLine = stdout.trim().split('\n').at(-1) ?? '';
        expect(JSON.parse(lastLine)).toEqual({
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          startedHere: true,
          answered: true,
          afterStop: false,
          uid: nobody,
        });
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
    },
    STARTS_A_SERVER_MS,
  );
});

describe('ensurePostgres with the local server', () => {
  const testServer = new URL(process.env['DATABASE_URL'] ?? 'postgres://127.0.0.1:5432');
  const usable = testServer.hostname === '127.0.0.1' && testServer.password === '';

  (usable ? test : test.skip)(
    'uses the server on the local port and says why (the test server, when it is one)',
    async () => {
      const logger = recordingLogger();
      const port = Number(testServer.port || '5432');
      const service = await ensurePostgres({ port, logger });
      expect(service).toMatchObject({ url: `postgres://postgres@127.0.0.1:${port}/postgres` });
      expect(logger.lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^using the PostgreSQL .+ on 127\\.0\\.0\\.1:${port} \\(DATABASE_URL is unset, and it lets user postgres in without a password\\)$`,
          ),
        ),
      ]);
    },
  );

  test('a given URL is used and named as DATABASE_URL, without its password', async () => {
    const logger = recordingLogger();
    const url = new URL(
      process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    // The test server trusts loopback connections and ignores a password it did not ask for.
    if (url.password === '') url.password = 'ignored-by-trust';
    const service = await ensurePostgres({ url: url.toString(), logger });
    expect(service.url).toBe(url.toString());
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^using PostgreSQL .+ at postgres:\/\/\S+:\*\*\*@\S+ \(DATABASE_URL\)$/,
      ),
    ]);
    expect(logger.lines.join('\n')).not.toContain(url.password);
  });
});

describe('ensurePostgres with a server that is not there', () => {
  test('a given URL that does not answer fails, naming the URL but not its password', async () => {
    const port = await findFreePort();
    const attempt = ensurePostgres({ url: `postgres://app:s3cret@127.0.0.1:${port}/canopy` });
    await expect(attempt).rejects.toThrow(
      `PostgreSQL at postgres://app:***@127.0.0.1:${port}/canopy does not answer`,
    );
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  test('an explicit port taken by something else is an error, not a silent move', async () => {
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-embedded-postgres-taken-'));
    const logger = recordingLogger();
    try {
      await expect(ensurePostgres({ dataDir, port, logger })).rejects.toThrow(
        `cannot start PostgreSQL on 127.0.0.1:${port}: the port is taken`,
      );
      // A server there that does not let us in (as one that asks for a password) is named, not skipped silently.
      expect(logger.lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^a server listens on 127\\.0\\.0\\.1:${port} but PostgreSQL there did not let user postgres in without a password \\(.+\\); it is NOT used\\. To use it, set DATABASE_URL`,
          ),
        ),
      ]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
