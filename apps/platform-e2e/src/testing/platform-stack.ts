import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { ISSUE_TASK_SUBJECT, nodeInboxPrefix, nodeStreamId } from '@canopy/contracts';
import { PostgresEventStore } from '@canopy/event-store/postgres';
import { newSigningKeySet } from '@canopy/identity';
import { createTestDatabase, findFreePort } from '@canopy/local-services/testing';
import { credentialsAuthenticator } from '@canopy/nats-auth';
import { startSecuredPrivateNats } from '@canopy/nats-auth/testing';
import type { CredentialsHolder, SecuredPrivateNats } from '@canopy/nats-auth/testing';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ServiceProcess,
  builtEntryPoint,
  repositoryRoot,
  runToCompletion,
} from './service-process.js';

// The whole system as real processes on a database and a nats-server of its own: what `npm start`
// runs, started by a test file (or the benchmark) and stopped with it.

/** Access tokens are signed with this; fixed so that a restarted gateway accepts earlier tokens. */
/** The private JWK set the stack's gateway signs access tokens with (AUTH_SIGNING_KEYS). */
export const STACK_SIGNING_KEYS = JSON.stringify(newSigningKeySet());

export type StackService = 'scheduler' | 'projector' | 'gateway';

export interface StackOptions {
  /** Names the test database. */
  readonly label: string;
  /** Extra environment of the scheduler (e.g. `SCHEDULER_PENDING_DEADLINE_SECONDS`). */
  readonly schedulerEnv?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  /** Keep every line the processes write (for `allOutput`), not only the last ones. */
  readonly keepAllOutput?: boolean;
  /**
   * Extra environment of every service process and node agent the stack spawns (not of the CLI),
   * e.g. `NODE_OPTIONS` that preload a benchmark's probe.
   */
  readonly processEnv?: Readonly<Record<string, string>>;
  /** Run the nats-server with HTTP monitoring (`/connz`, `/varz`) on a free port: `natsMonitorUrl`. */
  readonly natsMonitoring?: boolean;
}

export interface NodeOptions {
  readonly nodeId?: string;
  readonly slots?: number;
  readonly cpuCount?: number;
  readonly memSize?: number;
  readonly networkLatency?: number;
  readonly privileged?: boolean;
  /** The node's `.creds` text, e.g. from `POST /v1/node/:hash`; default: credentials minted for it. */
  readonly credentials?: string;
}

export interface NodeHandle {
  readonly nodeId: string;
  /** The node agent's admin listener (/metrics, /healthz, /readyz). */
  readonly adminUrl: string;
  readonly process: ServiceProcess;
  kill(signal: NodeJS.Signals): void;
}

export interface CreatedAccount {
  readonly accountId: string;
  readonly apiKey: string;
}

export interface JsonResponse<Body = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Body;
}

export interface FunctionDefinition {
  readonly name?: string;
  readonly timeout?: number;
  readonly privileged?: boolean;
  readonly cpuCount?: number;
  readonly runtime: Readonly<Record<string, unknown>>;
}

export interface PlatformStack {
  /** The gateway's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** The nats-server's HTTP monitoring, e.g. `http://127.0.0.1:41235`, when started with `natsMonitoring`. */
  readonly natsMonitorUrl: string | undefined;
  /**
   * Where each service answers /metrics, /healthz and /readyz: the gateway on its own port, the
   * scheduler and projector on their admin ports (ADMIN_PORT).
   */
  readonly adminUrls: Readonly<Record<StackService, string>>;
  /** The event store the services write, for checks against the streams. */
  readonly store: PostgresEventStore;
  /** Starts a node agent and resolves once the scheduler recorded its announcement. */
  startNode(options?: NodeOptions): Promise<NodeHandle>;
  /**
   * Mints NATS credentials for a node that is not an agent of the stack (e.g. one built on the
   * node SDK) and resolves with the path of their `.creds` file, readable by its owner only.
   */
  mintNodeCredentials(nodeId: string): Promise<string>;
  /** Stops one service (SIGTERM, then SIGKILL) or kills it with `signal`. */
  stopService(service: StackService, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service stopped before, with the same environment. */
  startService(service: StackService): Promise<void>;
  /** `canopy account create --name NAME`, the CLI run as a process. */
  createAccount(name: string): Promise<CreatedAccount>;
  /** Exchanges an API key for an access token. */
  accessToken(apiKey: string): Promise<string>;
  /** A new account and an access token of it. */
  signUp(name: string): Promise<{ account: CreatedAccount; token: string }>;
  /** Registers a function and returns its id. */
  registerFunction(token: string, definition: FunctionDefinition): Promise<string>;
  /** fetch against the gateway, with a bearer token when given. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** `request`, with a JSON body when given, answered as parsed JSON (or text when not JSON). */
  requestJson<Body = unknown>(
    path: string,
    init?: Omit<RequestInit, 'body'> & { token?: string; json?: unknown },
  ): Promise<JsonResponse<Body>>;
  /** `canopy projector rebuild`, run as a process; rejects when it fails. */
  rebuildReadModels(): Promise<void>;
  /** The seeds of the stack's NATS authority and of every credential minted for it (never to be logged). */
  credentialSecrets(): string[];
  /** Everything every process wrote, when the stack was started with `keepAllOutput`. */
  allOutput(): string;
  /** A NATS connection with a node's own credentials, as a third-party node would open it. */
  connectAsNode(nodeId: string): Promise<NatsConnection>;
  /** The last lines every process wrote, for a failing test's report. */
  outputTails(lineCount?: number): string;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<PlatformStack> {
  const entries = {
    scheduler: builtEntryPoint('scheduler'),
    projector: builtEntryPoint('projector'),
    gateway: builtEntryPoint('gateway'),
    nodeAgent: builtEntryPoint('node-agent'),
    // The CLI's own launcher runs its build (it fails with "run npm run build" when that is missing).
    cli: (builtEntryPoint('cli'), `${repositoryRoot}apps/cli/bin/canopy.js`),
  };
  const database = await createTestDatabase(`e2e_${options.label}`);
  let nats: SecuredPrivateNats | undefined;
  // Seeds of every credential minted for the stack, so that tests can look for them in logs.
  const mintedSeeds: string[] = [];
  const processes: ServiceProcess[] = [];
  const services = new Map<StackService, ServiceProcess>();
  let store: PostgresEventStore | undefined;
  try {
    // As `npm start` runs it: NATS enforces JWT authentication, every process has its own user.
    const monitorPort = options.natsMonitoring === true ? await findFreePort() : undefined;
    const securedNats = await startSecuredPrivateNats({ monitorPort });
    nats = securedNats;
    const credsDir = path.join(securedNats.dataDir, 'creds');
    await mkdir(credsDir, { recursive: true });
    const keepCredentials = async (creds: string, name: string) => {
      mintedSeeds.push(...seedsOf(creds));
      const file = path.join(credsDir, `${name}.creds`);
      await writeFile(file, creds, { mode: 0o600 });
      await chmod(file, 0o600);
      return { file, creds };
    };
    const mintCredentials = async (holder: CredentialsHolder, name: string) =>
      keepCredentials((await securedNats.credentialsFor(holder)).creds, name);
    const natsEnv = async (service: StackService | 'cli') => ({
      NATS_CREDS: (await mintCredentials(service, service)).file,
      ...(service === 'gateway' || service === 'scheduler'
        ? { NATS_AUTHORITY_FILE: securedNats.authorityFile }
        : {}),
    });
    const cliCredentials = await mintCredentials('cli', 'cli');
    const port = await findFreePort();
    const commonEnv = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      LOG_LEVEL: options.logLevel ?? 'warn',
    };
    const processEnv = options.processEnv ?? {};
    const adminPorts = { scheduler: await findFreePort(), projector: await findFreePort() };
    const serviceEnv: Record<StackService, Record<string, string>> = {
      scheduler: {
        ...processEnv,
        ...commonEnv,
        ...(await natsEnv('scheduler')),
        SCHEDULER_HEARTBEAT_INTERVAL_MS: '300',
        SCHEDULER_HEARTBEAT_TIMEOUT_MS: '1500',
        SCHEDULER_OFFER_TIMEOUT_MS: '2000',
        ADMIN_PORT: String(adminPorts.scheduler),
        ...options.schedulerEnv,
      },
      projector: {
        ...processEnv,
        ...commonEnv,
        ...(await natsEnv('projector')),
        ADMIN_PORT: String(adminPorts.projector),
      },
      gateway: {
        ...processEnv,
        ...commonEnv,
        ...(await natsEnv('gateway')),
        PORT: String(port),
        AUTH_SIGNING_KEYS: STACK_SIGNING_KEYS,
        // Tests and the benchmark drive one account far faster than a client should.
        RATE_LIMIT_PER_SECOND: '0',
        RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: '0',
      },
    };
    const url = `http://127.0.0.1:${port}`;
    const natsUrl = nats.url;

    const launch = (service: StackService): ServiceProcess => {
      const child = new ServiceProcess(service, entries[service], [], serviceEnv[service], {
        keepAllOutput: options.keepAllOutput === true,
      });
      processes.push(child);
      services.set(service, child);
      return child;
    };
    const schedulerAnswers = async (): Promise<void> => {
      const connection = await connect({
        servers: natsUrl,
        authenticator: credentialsAuthenticator(cliCredentials.creds),
      });
      try {
        // Any reply, even a refusal of this empty request, means the scheduler is subscribed.
        await eventually(
          () => connection.request(ISSUE_TASK_SUBJECT, '{}', { timeout: 1000 }),
          60_000,
          200,
        );
      } finally {
        await connection.close();
      }
    };
    const gatewayAnswers = (): Promise<void> =>
      eventually(
        async () => {
          const gateway = services.get('gateway');
          if (gateway === undefined || !gateway.running)
            throw new Error('the gateway is not running');
          await fetch(`${url}/v1/task/list`);
        },
        60_000,
        200,
      );
    const waitUntilReady = async (service: StackService, child: ServiceProcess): Promise<void> => {
      const ready =
        service === 'scheduler'
          ? schedulerAnswers()
          : service === 'gateway'
            ? gatewayAnswers()
            : Promise.resolve();
      await untilReadyOrExited(child, ready);
    };

    // Each service migrates what it needs at start (locked, idempotent), so they may start together.
    for (const service of ['scheduler', 'projector', 'gateway'] as const) launch(service);
    for (const service of ['scheduler', 'gateway'] as const) {
      await waitUntilReady(service, services.get(service) as ServiceProcess);
    }
    const openedStore = new PostgresEventStore({ connectionString: database.url });
    store = openedStore;

    const request = (path: string, init: RequestInit & { token?: string } = {}) => {
      const { token, headers, ...rest } = init;
      const allHeaders = new Headers(headers);
      if (token !== undefined) allHeaders.set('authorization', `Bearer ${token}`);
      return fetch(`${url}${path}`, { ...rest, headers: allHeaders });
    };
    const requestJson = async <Body>(
      path: string,
      init: Omit<RequestInit, 'body'> & { token?: string; json?: unknown } = {},
    ): Promise<JsonResponse<Body>> => {
      const { json, headers, ...rest } = init;
      const allHeaders = new Headers(headers);
      if (json !== undefined) allHeaders.set('content-type', 'application/json');
      const response = await request(path, {
        ...rest,
        headers: allHeaders,
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the text as it is
      }
      return { status: response.status, headers: response.headers, body: body as Body };
    };
    const createAccount = async (name: string): Promise<CreatedAccount> => {
      const outcome = await runToCompletion(
        entries.cli,
        ['account', 'create', '--name', name],
        commonEnv,
      );
      const line = outcome.stdout.split('\n').find((text) => text.startsWith('{"accountId"'));
      if (outcome.code !== 0 || line === undefined) {
        throw new Error(
          `canopy account create failed (${String(outcome.code)}):\n${outcome.stdout}\n${outcome.stderr}`,
        );
      }
      return JSON.parse(line) as CreatedAccount;
    };
    const accessToken = async (apiKey: string): Promise<string> => {
      const answer = await requestJson<{ accessToken?: string }>('/v1/auth/apiKey', {
        method: 'POST',
        json: { key: apiKey },
      });
      if (answer.status !== 200 || typeof answer.body.accessToken !== 'string') {
        throw new Error(`token exchange answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return answer.body.accessToken;
    };

    return {
      url,
      databaseUrl: database.url,
      natsUrl,
      natsMonitorUrl: monitorPort === undefined ? undefined : `http://127.0.0.1:${monitorPort}`,
      adminUrls: {
        gateway: url,
        scheduler: `http://127.0.0.1:${adminPorts.scheduler}`,
        projector: `http://127.0.0.1:${adminPorts.projector}`,
      },
      store: openedStore,
      async startNode(nodeOptions = {}) {
        const nodeId = nodeOptions.nodeId ?? `e2e-${randomBytes(4).toString('hex')}`;
        const credentials =
          nodeOptions.credentials === undefined
            ? await mintCredentials({ nodeId }, `node-${nodeId}`)
            : await keepCredentials(nodeOptions.credentials, `node-${nodeId}`);
        const args = [
          '--node-id',
          nodeId,
          '--nats-url',
          natsUrl,
          '--nats-creds',
          credentials.file,
          '--log-level',
          commonEnv.LOG_LEVEL,
        ];
        args.push('--slots', String(nodeOptions.slots ?? 2));
        args.push('--cpu-count', String(nodeOptions.cpuCount ?? 2));
        args.push('--mem-size', String(nodeOptions.memSize ?? 1024));
        args.push('--network-latency', String(nodeOptions.networkLatency ?? 0));
        if (nodeOptions.privileged === true) args.push('--privileged');
        const adminPort = await findFreePort();
        args.push('--admin-port', String(adminPort));
        const child = new ServiceProcess(`node ${nodeId}`, entries.nodeAgent, args, processEnv, {
          keepAllOutput: options.keepAllOutput === true,
        });
        processes.push(child);
        const announced = eventually(
          async () => {
            const events = await openedStore.readStream(nodeStreamId(nodeId));
            if (events.at(-1)?.type !== 'NodeAnnounced')
              throw new Error(`node ${nodeId} not announced yet`);
          },
          60_000,
          100,
        );
        await untilReadyOrExited(child, announced);
        return {
          nodeId,
          adminUrl: `http://127.0.0.1:${adminPort}`,
          process: child,
          kill: (signal) => child.kill(signal),
        };
      },
      async mintNodeCredentials(nodeId) {
        return (await mintCredentials({ nodeId }, `node-${nodeId}`)).file;
      },
      async stopService(service, signal) {
        const child = services.get(service);
        if (child === undefined) return;
        if (signal === undefined) await child.stop();
        else {
          child.kill(signal);
          await child.exited;
        }
      },
      async startService(service) {
        const running = services.get(service);
        if (running?.running === true) throw new Error(`${service} is already running`);
        await waitUntilReady(service, launch(service));
      },
      createAccount,
      accessToken,
      async signUp(name) {
        const account = await createAccount(name);
        return { account, token: await accessToken(account.apiKey) };
      },
      async registerFunction(token, definition) {
        const answer = await requestJson<{ id?: string }>('/v1/function', {
          method: 'POST',
          token,
          json: {
            name: definition.name ?? 'e2e function',
            description: '',
            lang: 'sh',
            type: 'process',
            capabilities: {
              timeout: definition.timeout ?? 30,
              cpuCount: definition.cpuCount ?? 0,
              memSize: 0,
              networkLatency: 0,
              privileged: definition.privileged ?? false,
            },
            runtime: definition.runtime,
          },
        });
        if (answer.status !== 201 || typeof answer.body.id !== 'string') {
          throw new Error(
            `registering a function answered ${answer.status}: ${JSON.stringify(answer.body)}`,
          );
        }
        return answer.body.id;
      },
      request,
      requestJson,
      async rebuildReadModels() {
        const outcome = await runToCompletion(entries.cli, ['projector', 'rebuild'], commonEnv);
        if (outcome.code !== 0) {
          throw new Error(
            `canopy projector rebuild failed (${String(outcome.code)}):\n${outcome.stdout}\n${outcome.stderr}`,
          );
        }
      },
      async connectAsNode(nodeId) {
        const { creds } = await mintCredentials({ nodeId }, `node-${nodeId}`);
        return connect({
          servers: natsUrl,
          name: `e2e node ${nodeId}`,
          inboxPrefix: nodeInboxPrefix(nodeId),
          authenticator: credentialsAuthenticator(creds),
        });
      },
      allOutput() {
        return processes.map((child) => child.allOutput()).join('\n');
      },
      credentialSecrets() {
        const authority = securedNats.authority;
        return [
          authority.operatorSeed,
          authority.systemAccountSeed,
          authority.accountSeed,
          authority.accountSigningKeySeed,
          ...mintedSeeds,
        ];
      },
      outputTails(lineCount = 40) {
        return processes
          .map(
            (child) =>
              `--- ${child.name} (${child.running ? 'running' : 'exited'}) ---\n${child.outputTail(lineCount)}`,
          )
          .join('\n');
      },
      async stop() {
        await stopAll(processes);
        await openedStore.close();
        await nats?.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await stopAll(processes);
    await store?.close();
    await nats?.stop();
    await database.drop();
    throw error;
  }
}

function seedsOf(creds: string): string[] {
  return [...creds.matchAll(/^S[A-Z2-7]{57}$/gm)].map((match) => match[0]);
}

async function untilReadyOrExited(child: ServiceProcess, ready: Promise<void>): Promise<void> {
  const exitCode = await Promise.race([ready.then(() => null), child.exited]);
  if (exitCode !== null) {
    throw new Error(
      `${child.name} exited (${String(exitCode)}) while starting:\n${child.outputTail()}`,
    );
  }
}

// Nodes first (they say goodbye while the scheduler listens), then the services in reverse order.
async function stopAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const child of [...processes].reverse()) await child.stop();
}
