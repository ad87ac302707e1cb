import { fileURLToPath } from 'node:url';
import { eventually } from '@canopy/async-testing';
import { nodeStreamId } from '@canopy/contracts';
import { findFreePort } from '@canopy/local-services/testing';
import type { PlatformStack } from '../testing/platform-stack.js';
import { ServiceProcess } from '../testing/service-process.js';

// The nodes of a benchmark run and the no-op function they run, by runtime:
// - sdk: K nodes built on @canopy/node-sdk in one process (sdk-nodes.ts), answering at once;
// - process: K node agents spawning `true` per task;
// - persistent: K node agents keeping a no-op Node function up (persistent-no-op-function.ts);
// - http: K node agents forwarding to a no-op HTTP server (no-op-http-function.ts).

export const nodeRuntimes = ['sdk', 'process', 'persistent', 'http'] as const;
export type NodeRuntime = (typeof nodeRuntimes)[number];

/** The gateway refused the runtime's function (400): this build does not know the runtime kind. */
export class RuntimeNotAvailableError extends Error {
  constructor(
    readonly runtime: NodeRuntime,
    answer: string,
  ) {
    super(`The ${runtime} runtime is not available in this build: ${answer}`);
    this.name = 'RuntimeNotAvailableError';
  }
}

export interface BenchNodesOptions {
  readonly runtime: NodeRuntime;
  /** The persistent function's concurrency (its spec's default when absent). */
  readonly functionConcurrency?: number;
  readonly nodes: number;
  readonly slots: number;
  /** Extra environment of the processes started here (the PostgreSQL probe). */
  readonly processEnv: Readonly<Record<string, string>>;
}

export interface BenchNodes {
  /** The registered no-op function's id. */
  readonly functionId: string;
  stop(): Promise<void>;
}

const benchScript = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Registers the runtime's no-op function for the account of `token`, then starts the nodes. */
export async function startBenchNodes(
  stack: PlatformStack,
  token: string,
  options: BenchNodesOptions,
): Promise<BenchNodes> {
  const helpers: ServiceProcess[] = [];
  const stopHelpers = async (): Promise<void> => {
    for (const helper of helpers.reverse()) await helper.stop();
  };
  try {
    const functionId = await registerNoOpFunction(
      stack,
      token,
      options.runtime,
      await functionRuntime(options, helpers),
    );
    if (options.runtime === 'sdk') {
      helpers.push(await startSdkNodes(stack, options));
    } else {
      for (let index = 0; index < options.nodes; index += 1) {
        await stack.startNode({ slots: options.slots, cpuCount: options.slots });
      }
    }
    return { functionId, stop: stopHelpers };
  } catch (error) {
    await stopHelpers();
    throw error;
  }
}

async function functionRuntime(
  { runtime, functionConcurrency }: BenchNodesOptions,
  helpers: ServiceProcess[],
): Promise<Record<string, unknown>> {
  switch (runtime) {
    case 'sdk': // SDK nodes run their own handler whatever the function's runtime says
    case 'process':
      return { kind: 'process', command: 'true' };
    case 'persistent':
      return {
        kind: 'persistent',
        command: 'node',
        args: [benchScript('persistent-no-op-function.js')],
        ...(functionConcurrency === undefined ? {} : { concurrency: functionConcurrency }),
      };
    case 'http': {
      const port = await findFreePort();
      const server = new ServiceProcess(
        'no-op-http-function',
        benchScript('no-op-http-function.js'),
        ['--port', String(port)],
        {},
      );
      helpers.push(server);
      const url = `http://127.0.0.1:${port}/`;
      await eventually(
        () => fetch(url, { method: 'POST' }).then((response) => response.arrayBuffer()),
        30_000,
        50,
      );
      return { kind: 'http', url };
    }
    default: {
      const unknown: never = runtime;
      throw new Error(`unknown runtime ${String(unknown)}`);
    }
  }
}

async function registerNoOpFunction(
  stack: PlatformStack,
  token: string,
  runtime: NodeRuntime,
  spec: Record<string, unknown>,
): Promise<string> {
  try {
    return await stack.registerFunction(token, {
      name: `no-op ${runtime}`,
      timeout: 60,
      runtime: spec,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/answered 400/.test(message)) throw new RuntimeNotAvailableError(runtime, message);
    throw error;
  }
}

async function startSdkNodes(
  stack: PlatformStack,
  options: BenchNodesOptions,
): Promise<ServiceProcess> {
  const nodeIds = Array.from({ length: options.nodes }, (_, index) => `bench-sdk-${index + 1}`);
  const args = ['--nats-url', stack.natsUrl, '--slots', String(options.slots)];
  for (const nodeId of nodeIds) {
    args.push('--node', `${nodeId}=${await stack.mintNodeCredentials(nodeId)}`);
  }
  const child = new ServiceProcess(
    'sdk-nodes',
    benchScript('sdk-nodes.js'),
    args,
    options.processEnv,
  );
  const announced = eventually(
    async () => {
      for (const nodeId of nodeIds) {
        const events = await stack.store.readStream(nodeStreamId(nodeId));
        if (events.at(-1)?.type !== 'NodeAnnounced')
          throw new Error(`node ${nodeId} not announced yet`);
      }
    },
    60_000,
    100,
  );
  const exited = await Promise.race([announced.then(() => null), child.exited]);
  if (exited !== null) {
    throw new Error(
      `the SDK nodes exited (${String(exited)}) while starting:\n${child.outputTail()}`,
    );
  }
  return child;
}
