import { setTimeout as delay } from 'node:timers/promises';
import type { AcknowledgedTask } from './invariants.js';

// The chaos run's clients: C of them, each issuing a task at a steady pace whatever happened to its
// earlier ones (an open loop), spread over the gateways, each then waiting for its task's result.
// A refused POST (a 503, a connection error) is counted, not retried: it was not acknowledged.

export interface SteadyLoadOptions {
  readonly gatewayUrls: readonly string[];
  readonly token: string;
  readonly functionId: string;
  /** Tasks per second, all clients together. */
  readonly ratePerSecond: number;
  readonly clients: number;
  /** Prefix of every task's body, which must come back as its result. */
  readonly label: string;
}

/** A POST that was not answered 201: when, and what it got. */
export interface Refusal {
  readonly at: number;
  readonly reason: string;
}

export interface SteadyLoad {
  /** Stops issuing; resolves once every acknowledged task's result is in, or `resultDeadline` passed. */
  stop(resultDeadlineMs: number): Promise<void>;
  readonly acknowledged: readonly AcknowledgedTask[];
  readonly refusals: readonly Refusal[];
  readonly issued: number;
}

interface MutableTask {
  taskId: string;
  body: string;
  acknowledgedAt: number;
  result: string | undefined;
}

export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const acknowledged: MutableTask[] = [];
  const refusals: Refusal[] = [];
  const awaiting = new Set<Promise<void>>();
  let issued = 0;
  let stopping = false;
  let resultsDeadline = Number.POSITIVE_INFINITY;
  const headers = (contentType?: string) => ({
    authorization: `Bearer ${options.token}`,
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
  });

  const awaitResult = async (task: MutableTask, gatewayIndex: number): Promise<void> => {
    let gateway = gatewayIndex;
    while (Date.now() < resultsDeadline) {
      const base = options.gatewayUrls[gateway % options.gatewayUrls.length] as string;
      try {
        const answer = await fetch(`${base}/v1/task/${task.taskId}/result?wait=30`, {
          headers: headers(),
          signal: AbortSignal.timeout(40_000),
        });
        const text = await answer.text();
        if (answer.status === 202) continue;
        if (answer.status === 200) task.result = text;
        if (answer.status < 500 || answer.status === 502 || answer.status === 504) return;
        // 503: the gateway could not answer (its database away); ask again.
      } catch {
        // This gateway is away: ask the next one.
        gateway += 1;
      }
      await delay(200);
    }
  };

  const issueOne = async (client: number, sequence: number): Promise<void> => {
    issued += 1;
    const gateway = client % options.gatewayUrls.length;
    const body = `${options.label} client ${client} task ${sequence}`;
    try {
      const answer = await fetch(
        `${options.gatewayUrls[gateway] as string}/v1/task/${options.functionId}`,
        {
          method: 'POST',
          headers: headers('text/plain'),
          body,
          signal: AbortSignal.timeout(30_000),
        },
      );
      const text = await answer.text();
      if (answer.status !== 201) {
        refusals.push({ at: Date.now(), reason: `${answer.status}` });
        return;
      }
      const task: MutableTask = {
        taskId: (JSON.parse(text) as { id: string }).id,
        body,
        acknowledgedAt: Date.now(),
        result: undefined,
      };
      acknowledged.push(task);
      await awaitResult(task, gateway);
    } catch (error) {
      refusals.push({ at: Date.now(), reason: connectionError(error) });
    }
  };

  const intervalMs = (1000 * options.clients) / options.ratePerSecond;
  const clientLoop = async (client: number): Promise<void> => {
    // Spread the clients' beats over the interval.
    await delay((intervalMs * client) / options.clients);
    let next = Date.now();
    for (let sequence = 1; !stopping; sequence += 1) {
      const running = issueOne(client, sequence);
      awaiting.add(running);
      void running.finally(() => awaiting.delete(running));
      next += intervalMs;
      const wait = next - Date.now();
      if (wait > 0) await delay(wait);
    }
  };
  const clients = Array.from({ length: options.clients }, (_, client) => clientLoop(client));

  return {
    acknowledged,
    refusals,
    get issued() {
      return issued;
    },
    async stop(resultDeadlineMs) {
      stopping = true;
      await Promise.all(clients);
      resultsDeadline = Date.now() + resultDeadlineMs;
      await Promise.all([...awaiting]);
    },
  };
}

function connectionError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : error.name;
}
