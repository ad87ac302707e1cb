import { CanopyNode } from '@canopy/node-sdk';
import {
  ServiceMetrics,
  conditionCheck,
  startAdminServer,
  shutdownTracingWithin,
  startTracing,
  type RunningAdminServer,
} from '@canopy/observability';
import { createServiceLogger, stopOnSignals } from '@canopy/service-runtime';
import type { AgentConfig } from './config/agent-config.js';
import { redactUrl } from './config/agent-config.js';
import { defaultFunctionLimits } from './runtimes/function-limits.js';
import { FunctionRunner } from './runtimes/function-runner.js';
import { ProcessReaper } from './runtimes/process-reaper.js';
import { AgentMetrics } from './observability/agent-metrics.js';

export const AGENT_NAME = 'canopy-node-agent/0.1.0';

/**
 * A safety net over the node's own bounded stop (10 s of grace, 10 s for aborted handlers, a few
 * request timeouts for the last reports and the goodbye): past it the process exits 1 anyway.
 */
const STOP_DEADLINE_MS = 60_000;
/** The longest the agent waits for its last spans to be sent when it ends. */
const TRACING_FLUSH_MS = 3_000;

/**
 * Runs the node until it loses its connection for good (resolves 1) or could not start (1).
 * SIGINT / SIGTERM stop the node and exit 0; a second signal exits at once. Function processes
 * still running when the agent's process ends, however it ends, are stopped by the reaper.
 */
export async function runNodeAgent(config: AgentConfig): Promise<number> {
  const logger = createServiceLogger('canopy-node-agent', config.logLevel, {
    traceIds: config.tracing.enabled,
  });
  const tracing = startTracing('canopy-node-agent', config.tracing, { logger });
  if (tracing.enabled) logger.info({ tracing: config.tracing }, 'tracing on');
  const node = new CanopyNode({
    servers: config.natsServers,
    ...(config.natsCredentials === undefined ? {} : { credentials: config.natsCredentials.creds }),
    nodeId: config.nodeId,
    capabilities: config.capabilities,
    slots: config.slots,
    agent: AGENT_NAME,
    logger,
  });
  // Started first, so that no function process can start before it is there to reap it.
  const reaper = ProcessReaper.start({ killGraceMs: defaultFunctionLimits.killGraceMs, logger });
  const runner = new FunctionRunner({
    limits: defaultFunctionLimits,
    inheritedEnv: config.inheritedEnv,
    tempDir: config.tempDir,
    processGroups: reaper,
    slots: config.slots,
    persistentIdleMs: config.persistentIdleSeconds * 1_000,
    logger,
  });
  const metrics = new ServiceMetrics('node-agent');
  const agentMetrics = new AgentMetrics(metrics.registry, config.slots);
  metrics.readiness.add(
    conditionCheck(
      'node',
      () => node.phase === 'running',
      () => `the node is ${node.phase}`,
    ),
    metrics.nats.readinessCheck(),
  );
  let admin: RunningAdminServer | undefined;
  if (config.admin !== undefined) {
    try {
      admin = await startAdminServer({ metrics, ...config.admin });
    } catch (error) {
      logger.fatal(
        { reason: error instanceof Error ? error.message : String(error) },
        'the admin listener could not start',
      );
      reaper.close();
      return 1;
    }
    logger.info({ url: admin.url }, 'admin listener: /metrics, /healthz, /readyz');
  }
  stopOnSignals(
    logger,
    async () => {
      await node.stop();
      await admin?.stop();
      await shutdownTracingWithin(tracing, TRACING_FLUSH_MS);
    },
    STOP_DEADLINE_MS,
  );

  logger.info(
    {
      nodeId: config.nodeId,
      natsServers: config.natsServers.map(redactUrl),
      natsCredentials: config.natsCredentials?.file ?? null,
      capabilities: config.capabilities,
      slots: config.slots,
      persistentIdleSeconds: config.persistentIdleSeconds,
      agent: AGENT_NAME,
    },
    'node agent starting',
  );
  try {
    await node.start(agentMetrics.observe(runner.run));
  } catch (error) {
    logger.fatal(
      { reason: error instanceof Error ? error.message : String(error) },
      'the node could not start',
    );
    reaper.close();
    await admin?.stop();
    return 1;
  }
  const connection = await node.connection();
  if (connection !== undefined) metrics.nats.watch(connection);
  const lost = await node.closed();
  // The node has stopped: no task runs any more, only persistent processes wait.
  await runner.close();
  reaper.close();
  await admin?.stop();
  await shutdownTracingWithin(tracing, TRACING_FLUSH_MS);
  return lost === undefined ? 0 : 1;
}
