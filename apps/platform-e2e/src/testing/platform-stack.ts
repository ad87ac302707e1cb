import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { ISSUE_TASK_SUBJECT, nodeInboxPrefix, nodeStreamId } from '@canopy/contracts';
import { PostgresEventStore } from '@canopy/event-store/postgres';
import { newSigningKeySet } from '@canopy/identity';
import {
  createTestDatabase,
  ensureDatabase,
  findFreePort,
  startOwnPostgres,
} from '@canopy/local-services/testing';
import type { OwnPostgres } from '@canopy/local-services/testing';
import { credentialsAuthenticator } from '@canopy/nats-auth';
import { startSecuredNatsCluster, startSecuredPrivateNats } from '@canopy/nats-auth/testing';
import type {
  ClusterMember,
  CredentialsHolder,
  SecuredNatsCluster,
  SecuredPrivateNats,
} from '@canopy/nats-auth/testing';
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

/** How many processes of each service the stack runs (1 each by default). */
export type StackReplicas = Readonly<Partial<Record<StackService, number>>>;

export interface StackOptions {
  /** Names the test database. */
  readonly label: string;
  /** Extra environment of the scheduler (e.g. `SCHEDULER_PENDING_DEADLINE_SECONDS`). */
  readonly schedulerEnv?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  /** Keep every line the processes write (for `allOutput`), not only the last ones. */
  readonly keepAllOutput?: boolean;
  /** Also append what each process writes to `<logDir>/<process name>.log`. */
  readonly logDir?: string;
  /**
   * Extra environment of every service process and node agent the stack spawns (not of the CLI),
   * e.g. `NODE_OPTIONS` that preload a benchmark's probe; it overrides the gateway's rate limits
   * (off by default), not the stack's other settings.
   */
  readonly processEnv?: Readonly<Record<string, string>>;
  /** Run the nats-server with HTTP monitoring (`/connz`, `/varz`) on a free port: `natsMonitorUrl`. */
  readonly natsMonitoring?: boolean;
  /** Replicas per service; each is a process of its own (`scheduler-1`, `scheduler-2`...). */
  readonly replicas?: StackReplicas;
  /** Three nats-servers routed to each other instead of one; every process is given all three. */
  readonly natsCluster?: boolean;
  /**
   * An embedded PostgreSQL of the stack's own on a free port (`postgres`), which may be stopped and
   * started again, instead of a database on the machine's server.
   */
  readonly ownPostgres?: boolean;
  /**
   * Run the services and node agents from this tree (with a trailing slash) instead of the
   * repository: one laid out as the container images are (infra/docker/runtime-tree.sh). The CLI
   * still runs from the repository.
   */
  readonly appsRoot?: string;
}

/** One process of a service, by its name (`scheduler`, or `scheduler-2` among replicas). */
export interface StackProcess {
  readonly name: string;
  readonly service: StackService;
  readonly pid: number | undefined;
  readonly running: boolean;
}

/** The stack's NATS servers, when it runs a cluster. */
export interface StackNatsCluster {
  readonly members: readonly ClusterMember[];
  /** Sends one server a signal; SIGKILL resolves once it has exited. */
  signal(index: number, signal: NodeJS.Signals): Promise<void>;
  /** Starts a killed server again on its ports. */
  restart(index: number): Promise<void>;
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
  readonly retry?: Readonly<Record<string, unknown>>;
  readonly priority?: number;
}

export interface PlatformStack {
  /** The (first) gateway's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every gateway replica's base URL. */
  readonly gatewayUrls: readonly string[];
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** The nats-server's HTTP monitoring, e.g. `http://127.0.0.1:41235`, when started with `natsMonitoring`. */
  readonly natsMonitorUrl: string | undefined;
  /**
   * Where each service answers /metrics, /healthz and /readyz: the gateway on its own port, the
   * scheduler and projector on their admin ports (ADMIN_PORT); with replicas, the first of each.
   */
  readonly adminUrls: Readonly<Record<StackService, string>>;
  /** The event store the services write, for checks against the streams. */
  readonly store: PostgresEventStore;
  /** The three nats-servers, with `natsCluster`. */
  readonly natsCluster: StackNatsCluster | undefined;
  /** The stack's own PostgreSQL server, with `ownPostgres`. */
  readonly postgres: OwnPostgres | undefined;
  /** Every service process (not node agents), running or not. */
  serviceProcesses(): StackProcess[];
  /**
   * Sends a service process a signal as it is (SIGKILL, SIGSTOP, SIGCONT...); for SIGKILL, resolves
   * once it has exited.
   */
  signalProcess(name: string, signal: NodeJS.Signals): Promise<void>;
  /**
   * Starts a service process that exited again, with its environment (a gateway: its port); resolves
   * once a gateway answers HTTP, a lone scheduler answers IssueTask requests, a replica has started.
   */
  restartProcess(name: string): Promise<void>;
  /** Starts a node agent and resolves once the scheduler recorded its announcement. */
  startNode(options?: NodeOptions): Promise<NodeHandle>;
  /**
   * Mints NATS credentials for a node that is not an agent of the stack (e.g. one built on the
   * node SDK) and resolves with the path of their `.creds` file, readable by its owner only.
   */
  mintNodeCredentials(nodeId: string): Promise<string>;
  /** Stops every process of a service (SIGTERM, then SIGKILL) or kills them with `signal`. */
  stopService(service: StackService, signal?: NodeJS.Signals): Promise<void>;
  /** Starts the processes of a service stopped before, with the same environment. */
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
  /** Stops every process and server and drops the database; safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<PlatformStack> {
  const entries = {
    scheduler: builtEntryPoint('scheduler', options.appsRoot),
    projector: builtEntryPoint('projector', options.appsRoot),
    gateway: builtEntryPoint('gateway', options.appsRoot),
    nodeAgent: builtEntryPoint('node-agent', options.appsRoot),
    // The CLI's own launcher runs its build (it fails with "run npm run build" when that is missing).
    cli: (builtEntryPoint('cli'), `${repositoryRoot}apps/cli/bin/canopy.js`),
  };
  if (options.natsCluster === true && options.natsMonitoring === true) {
    throw new Error('natsMonitoring is for a single nats-server, not with natsCluster');
  }
  if (options.logDir !== undefined) await mkdir(options.logDir, { recursive: true });
  const ownPostgres = options.ownPostgres === true ? await startOwnPostgres() : undefined;
  const database =
    ownPostgres === undefined
      ? await createTestDatabase(`e2e_${options.label}`)
      : {
          url: await ensureDatabase(ownPostgres.serverUrl, `canopy_${options.label}`).catch(
            async (error: unknown) => {
              await ownPostgres.remove();
              throw error;
            },
          ),
          drop: () => ownPostgres.remove(),
        };
  let nats: SecuredPrivateNats | undefined;
  let cluster: SecuredNatsCluster | undefined;
  // Seeds of every credential minted for the stack, so that tests can look for them in logs.
  const mintedSeeds: string[] = [];
  const processes: ServiceProcess[] = [];
  const instances = new Map<string, ServiceInstance>();
  let store: PostgresEventStore | undefined;
  try {
    // As `npm start` runs it: NATS enforces JWT authentication, every process has its own user.
    const monitorPort = options.natsMonitoring === true ? await findFreePort() : undefined;
    if (options.natsCluster === true) cluster = await startSecuredNatsCluster();
    const securedNats = cluster ?? (await startSecuredPrivateNats({ monitorPort }));
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
    const logFileOf = (name: string): { logFile?: string } =>
      options.logDir === undefined ? {} : { logFile: path.join(options.logDir, `${name}.log`) };
    const commonEnv = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      LOG_LEVEL: options.logLevel ?? 'warn',
    };
    const processEnv = options.processEnv ?? {};
    const serviceEnv = async (service: StackService): Promise<Record<string, string>> => {
      switch (service) {
        case 'scheduler':
          return {
            ...processEnv,
            ...commonEnv,
            ...(await natsEnv('scheduler')),
            SCHEDULER_HEARTBEAT_INTERVAL_MS: '300',
            SCHEDULER_HEARTBEAT_TIMEOUT_MS: '1500',
            SCHEDULER_OFFER_TIMEOUT_MS: '2000',
            ADMIN_PORT: String(await findFreePort()),
            ...options.schedulerEnv,
          };
        case 'projector':
          return {
            ...processEnv,
            ...commonEnv,
            ...(await natsEnv('projector')),
            ADMIN_PORT: String(await findFreePort()),
          };
        case 'gateway':
          return {
            // Tests and the benchmark drive one account far faster than a client should (a
            // processEnv may set limits still, to measure them).
            RATE_LIMIT_PER_SECOND: '0',
            RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: '0',
            ...processEnv,
            ...commonEnv,
            ...(await natsEnv('gateway')),
            PORT: String(await findFreePort()),
            AUTH_SIGNING_KEYS: STACK_SIGNING_KEYS,
          };
      }
    };
    for (const service of ['scheduler', 'projector', 'gateway'] as const) {
      const count = options.replicas?.[service] ?? 1;
      if (!Number.isInteger(count) || count < 1) {
        throw new Error(`replicas of the ${service} must be a whole number from 1, not ${count}`);
      }
      for (let index = 1; index <= count; index += 1) {
        const name = count === 1 ? service : `${service}-${index}`;
        instances.set(name, { name, service, env: await serviceEnv(service), child: undefined });
      }
    }
    const instancesOf = (service: StackService): ServiceInstance[] =>
      [...instances.values()].filter((instance) => instance.service === service);
    // The first replica's admin listener (ADMIN_PORT) of a service.
    const adminUrlOf = (service: 'scheduler' | 'projector'): string =>
      `http://127.0.0.1:${instancesOf(service)[0]?.env['ADMIN_PORT'] ?? ''}`;
    const natsUrl = nats.url;
    const natsServersList = natsUrl.split(',');

    const launch = (instance: ServiceInstance): ServiceProcess => {
      const child = new ServiceProcess(instance.name, entries[instance.service], [], instance.env, {
        keepAllOutput: options.keepAllOutput === true,
        ...logFileOf(instance.name),
      });
      processes.push(child);
      instance.child = child;
      return child;
    };
    const instanceNamed = (name: string): ServiceInstance => {
      const instance = instances.get(name);
      if (instance === undefined) {
        throw new Error(
          `the stack has no process ${name} (it has ${[...instances.keys()].join(', ')})`,
        );
      }
      return instance;
    };
    const schedulerAnswers = async (): Promise<void> => {
      const connection = await connect({
        servers: natsServersList,
        // A busy machine may take a while to answer; a handshake that never completes makes the
        // start fail (stackForFile then starts a fresh stack once more).
        timeout: 30_000,
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
    const gatewayAnswers = (instance: ServiceInstance): Promise<void> =>
      eventually(
        async () => {
          if (instance.child?.running !== true) throw new Error(`${instance.name} is not running`);
          const port = instance.env['PORT'] ?? '';
          const answer = await fetch(`http://127.0.0.1:${port}/v1/task/list`);
          await answer.body?.cancel();
          // The gateway's own answer to a request without a token, not another server's on a
          // port the gateway could not take.
          if (answer.status !== 401) {
            throw new Error(`127.0.0.1:${port} answered ${answer.status}, not the gateway's 401`);
          }
        },
        60_000,
        200,
      );
    const waitUntilReady = async (instance: ServiceInstance): Promise<void> => {
      const child = instance.child;
      if (child === undefined) throw new Error(`${instance.name} was not started`);
      const ready =
        instance.service === 'scheduler'
          ? schedulerAnswers()
          : instance.service === 'gateway'
            ? gatewayAnswers(instance)
            : Promise.resolve();
      await untilReadyOrExited(child, ready);
    };

    // A port is chosen free, then bound by the service a moment later; another process may take it
    // in between (tests run side by side). A service that exits for that is started again on
    // another port, a few times at most.
    const readyOrRelaunched = async (instance: ServiceInstance): Promise<void> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await waitUntilReady(instance);
          return;
        } catch (error) {
          const taken = /EADDRINUSE: address already in use 127\.0\.0\.1:(\d+)/.exec(
            instance.child?.outputTail() ?? '',
          )?.[1];
          const variable = ['PORT', 'ADMIN_PORT'].find((name) => instance.env[name] === taken);
          if (instance.child?.running === true || variable === undefined || attempt === 3) {
            throw error;
          }
          instance.env[variable] = String(await findFreePort());
          launch(instance);
        }
      }
    };
    // Each service migrates what it needs at start (locked, idempotent), so they may start together.
    for (const instance of instances.values()) launch(instance);
    for (const instance of instances.values()) await readyOrRelaunched(instance);
    const gatewayUrls = instancesOf('gateway').map(
      (instance) => `http://127.0.0.1:${instance.env['PORT'] ?? ''}`,
    );
    const url = gatewayUrls[0] as string;
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

    let stopping: Promise<void> | undefined;
    return {
      url,
      gatewayUrls,
      databaseUrl: database.url,
      natsUrl,
      natsMonitorUrl: monitorPort === undefined ? undefined : `http://127.0.0.1:${monitorPort}`,
      adminUrls: {
        gateway: url,
        scheduler: adminUrlOf('scheduler'),
        projector: adminUrlOf('projector'),
      },
      store: openedStore,
      natsCluster:
        cluster === undefined
          ? undefined
          : {
              get members() {
                return (cluster as SecuredNatsCluster).members;
              },
              signal: (index, signal) => (cluster as SecuredNatsCluster).signal(index, signal),
              restart: (index) => (cluster as SecuredNatsCluster).restart(index),
            },
      postgres: ownPostgres,
      serviceProcesses() {
        return [...instances.values()].map((instance) => ({
          name: instance.name,
          service: instance.service,
          pid: instance.child?.pid,
          running: instance.child?.running === true,
        }));
      },
      async signalProcess(name, signal) {
        const child = instanceNamed(name).child;
        if (child === undefined || !child.running) return;
        child.kill(signal);
        if (signal === 'SIGKILL') await child.exited;
      },
      async restartProcess(name) {
        const instance = instanceNamed(name);
        if (instance.child?.running === true) throw new Error(`${name} is still running`);
        launch(instance);
        // A gateway is back once it answers HTTP; a scheduler or projector beside running replicas
        // cannot be told apart from them from outside: started is all we wait for.
        if (instance.service === 'gateway' || instancesOf(instance.service).length === 1) {
          await waitUntilReady(instance);
        }
      },
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
          ...logFileOf(`node-${nodeId}`),
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
        for (const { child } of instancesOf(service)) {
          if (child === undefined) continue;
          if (signal === undefined) await child.stop();
          else {
            child.kill(signal);
            await child.exited;
          }
        }
      },
      async startService(service) {
        for (const instance of instancesOf(service)) {
          if (instance.child?.running === true)
            throw new Error(`${instance.name} is already running`);
          launch(instance);
          await waitUntilReady(instance);
        }
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
            ...(definition.retry === undefined ? {} : { retry: definition.retry }),
            ...(definition.priority === undefined ? {} : { priority: definition.priority }),
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
          servers: natsServersList,
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
      stop() {
        stopping ??= (async () => {
          await stopAll(processes);
          await openedStore.close();
          await nats?.stop();
          await database.drop();
        })();
        return stopping;
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

interface ServiceInstance {
  readonly name: string;
  readonly service: StackService;
  /** Its environment, kept for restarts (a gateway's PORT among it). */
  readonly env: Record<string, string>;
  child: ServiceProcess | undefined;
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
