import { parseArgs } from 'node:util';
import { isNodeId } from '@canopy/contracts';
import type { NodeCapabilities } from '@canopy/contracts';
import { describeCredentials } from '@canopy/nats-auth';
import { tracingConfigSchema, tracingPlanOf } from '@canopy/observability';
import type { TracingPlan } from '@canopy/observability';
import { ConfigurationError, natsServers, readConfig } from '@canopy/service-runtime';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Everything the agent needs, read and checked once at start-up. */
export interface AgentConfig {
  /** NATS server URLs (the flag takes a comma-separated list). */
  readonly natsServers: string[];
  /** The node's NATS credentials (`.creds` text) and the file they came from; absent without authentication. */
  readonly natsCredentials?: { readonly file: string; readonly creds: string };
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  /** Seconds a persistent function's process may wait for its next invocation before it is stopped. */
  readonly persistentIdleSeconds: number;
  readonly logLevel: LogLevel;
  /** The part of the agent's own environment that function processes inherit. */
  readonly inheritedEnv: Readonly<Record<string, string>>;
  /** Where request bodies wait, unlinked, to be a function process's stdin. */
  readonly tempDir: string;
  /** The admin listener (/metrics, /healthz, /readyz): its port (0: a free one); none when absent. */
  readonly admin?: { readonly port: number; readonly host: string };
  /** Whether and where the agent sends spans (the OTEL_* variables, as the services read them). */
  readonly tracing: TracingPlan;
}

/** What the machine offers when no flag says otherwise. */
export interface MachineFacts {
  readonly cpuCount: number;
  /** MiB. */
  readonly memSize: number;
  /** The machine's directory for temporary files (os.tmpdir()). */
  readonly tempDir: string;
  readonly randomNodeId: () => string;
  /** Reads a text file (the credentials); throws when it cannot. */
  readonly readFile: (file: string) => string;
}

export type ConfigReading =
  | { readonly kind: 'run'; readonly config: AgentConfig }
  | { readonly kind: 'help'; readonly usage: string }
  | { readonly kind: 'invalid'; readonly problem: string; readonly usage: string };

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_PERSISTENT_IDLE_SECONDS = 300;

/**
 * Variables passed on to function processes. Everything else in the agent's environment (NATS
 * credentials, the node's own settings) stays with the agent.
 */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];

export const usage = `Usage: node-agent [options]

Canopy's reference worker node: announces itself to the scheduler over NATS and runs the tasks
assigned to it, as local processes or by forwarding them over HTTP.

Options (a flag wins over its environment variable):
  --nats-url <url,...>     NATS server URL(s), nats:// or tls://
                           env NATS_URL, default ${DEFAULT_NATS_URL}
  --nats-creds <file>      the node's NATS credentials (.creds file, as issued when the
                           node was registered); env NATS_CREDS, default none
  --node-id <id>           node identity: 1 to 64 of A-Z a-z 0-9 _ -
                           env CANOPY_NODE_ID, default the credentials' node (the user
                           JWT's name), else node-<8 random hex digits>
  --cpu-count <n>          CPUs offered, default this machine's (os.availableParallelism)
  --mem-size <MiB>         memory offered, default this machine's total memory
  --network-latency <ms>   network latency offered, default 0
  --privileged             offer privileged execution, default off
  --slots <n>              tasks run at once, default the cpu count
  --persistent-idle <s>    seconds a persistent function's process may wait for its
                           next invocation before it is stopped, default ${DEFAULT_PERSISTENT_IDLE_SECONDS}
  --log-level <level>      ${logLevels.join(', ')}
                           env LOG_LEVEL, default info
  --admin-port <port>      serve /metrics, /healthz, /readyz on this port (0: a free one)
                           env ADMIN_PORT, default none
  --admin-host <host>      the admin listener's address; env ADMIN_HOST, default 127.0.0.1
  Tracing (OpenTelemetry): off unless OTEL_TRACES_EXPORTER or OTEL_EXPORTER_OTLP_ENDPOINT
                           says otherwise, as for every Canopy service (docs/operations.md)
  -h, --help               print this help and exit

Ctrl-C or SIGTERM: stop taking work, let running tasks finish for up to 10 s, say goodbye to the
scheduler, exit 0. Invalid options: exit 2. Connection lost for good: exit 1.
`;

/** Reads the configuration from command-line arguments and environment. Never throws. */
export function readAgentConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  machine: MachineFacts,
): ConfigReading {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    ({ values } = parseFlags(args));
  } catch (error) {
    // parseArgs's errors carry a plain message; read it without instanceof, which fails across realms.
    const message = (error as { message?: unknown } | null)?.message;
    return invalid(typeof message === 'string' ? message : String(error));
  }
  if (values.help === true) return { kind: 'help', usage };
  try {
    const cpuCount = integerOption('--cpu-count', values['cpu-count'], 1) ?? machine.cpuCount;
    const credsFile = values['nats-creds'] ?? nonEmpty(env['NATS_CREDS']);
    const natsCredentials =
      credsFile === undefined ? undefined : readCredentials(credsFile, machine.readFile);
    const config: AgentConfig = {
      natsServers: validNatsServers(
        values['nats-url'] ?? nonEmpty(env['NATS_URL']) ?? DEFAULT_NATS_URL,
      ),
      ...(natsCredentials === undefined
        ? {}
        : { natsCredentials: { file: natsCredentials.file, creds: natsCredentials.creds } }),
      nodeId: credentialsMatch(
        nodeId(
          values['node-id'] ??
            nonEmpty(env['CANOPY_NODE_ID']) ??
            natsCredentials?.nodeId ??
            machine.randomNodeId(),
        ),
        natsCredentials,
      ),
      capabilities: {
        cpuCount,
        memSize: integerOption('--mem-size', values['mem-size'], 1) ?? machine.memSize,
        networkLatency: integerOption('--network-latency', values['network-latency'], 0) ?? 0,
        privileged: values.privileged === true,
      },
      slots: integerOption('--slots', values.slots, 1) ?? cpuCount,
      persistentIdleSeconds:
        integerOption('--persistent-idle', values['persistent-idle'], 1) ??
        DEFAULT_PERSISTENT_IDLE_SECONDS,
      logLevel: logLevel(values['log-level'] ?? nonEmpty(env['LOG_LEVEL']) ?? 'info'),
      inheritedEnv: Object.fromEntries(
        INHERITED_ENV.flatMap((name) => {
          const value = env[name];
          return value === undefined ? [] : [[name, value]];
        }),
      ),
      tempDir: machine.tempDir,
      ...adminListener(
        values['admin-port'] ?? nonEmpty(env['ADMIN_PORT']),
        values['admin-host'] ?? nonEmpty(env['ADMIN_HOST']),
      ),
      tracing: tracingPlan(env),
    };
    return { kind: 'run', config };
  } catch (error) {
    if (error instanceof InvalidOptionError) return invalid(error.message);
    throw error;
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

class InvalidOptionError extends Error {}

function parseFlags(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      'nats-url': { type: 'string' },
      'nats-creds': { type: 'string' },
      'node-id': { type: 'string' },
      'cpu-count': { type: 'string' },
      'mem-size': { type: 'string' },
      'network-latency': { type: 'string' },
      privileged: { type: 'boolean' },
      slots: { type: 'string' },
      'persistent-idle': { type: 'string' },
      'log-level': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function adminListener(
  port: string | undefined,
  host: string | undefined,
): Pick<AgentConfig, 'admin'> {
  const adminPort = integerOption('--admin-port', port, 0);
  if (adminPort === undefined) return {};
  if (adminPort > 65_535) throw new InvalidOptionError(`--admin-port must be at most 65535`);
  return { admin: { port: adminPort, host: host ?? '127.0.0.1' } };
}

function tracingPlan(env: Readonly<Record<string, string | undefined>>): TracingPlan {
  try {
    return tracingPlanOf(readConfig(tracingConfigSchema, env));
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new InvalidOptionError(error.problems.join('; '));
    }
    throw error;
  }
}

function invalid(problem: string): ConfigReading {
  return { kind: 'invalid', problem, usage };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function integerOption(
  name: string,
  value: string | undefined,
  minimum: number,
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < minimum) {
    throw new InvalidOptionError(
      `${name} must be a whole number of at least ${minimum}, got "${value}"`,
    );
  }
  return parsed;
}

function validNatsServers(value: string): string[] {
  const servers = natsServers(value);
  for (const server of servers) {
    let protocol: string | undefined;
    try {
      protocol = new URL(server).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'nats:' && protocol !== 'tls:') {
      throw new InvalidOptionError(
        `--nats-url / NATS_URL must be nats:// or tls:// URLs separated by commas, got "${redactUrl(server)}"`,
      );
    }
  }
  return servers;
}

function readCredentials(
  file: string,
  readFile: (file: string) => string,
): { file: string; creds: string; nodeId: string } {
  let creds: string;
  try {
    creds = readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw new InvalidOptionError(
      `--nats-creds / NATS_CREDS: cannot read ${file}${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
  try {
    return { file, creds, nodeId: describeCredentials(creds).name };
  } catch {
    throw new InvalidOptionError(
      `--nats-creds / NATS_CREDS: ${file} does not hold NATS user credentials (.creds)`,
    );
  }
}

// The server lets a node's credentials use only that node's subjects: another id could never work.
function credentialsMatch(
  id: string,
  credentials: { file: string; nodeId: string } | undefined,
): string {
  if (credentials !== undefined && credentials.nodeId !== id) {
    throw new InvalidOptionError(
      `--node-id / CANOPY_NODE_ID "${id}" is not the node of ${credentials.file} ("${credentials.nodeId}"); omit it to use the credentials' node`,
    );
  }
  return id;
}

function nodeId(value: string): string {
  if (!isNodeId(value)) {
    throw new InvalidOptionError(
      `--node-id / CANOPY_NODE_ID must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-", got "${value}"`,
    );
  }
  return value;
}

function logLevel(value: string): LogLevel {
  const level = logLevels.find((known) => known === value);
  if (level === undefined) {
    throw new InvalidOptionError(
      `--log-level / LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${value}"`,
    );
  }
  return level;
}
