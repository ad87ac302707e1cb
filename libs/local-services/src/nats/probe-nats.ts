import net from 'node:net';
import { describeError } from '../error-description.js';

export interface NatsServerInfo {
  readonly serverId: string;
  readonly version: string;
  readonly jetstream: boolean;
}

export type NatsProbe =
  | { readonly answers: true; readonly info: NatsServerInfo }
  | { readonly answers: false; readonly reason: string };

export interface NatsEndpoint {
  readonly host: string;
  readonly port: number;
}

const DEFAULT_NATS_PORT = 4222;
// A NATS server's INFO line is a few hundred bytes; anything this long is not one.
const MAX_INFO_LINE_BYTES = 64 * 1024;

/** The host/port pairs of a NATS URL, which may list several servers separated by commas. */
export function natsEndpoints(url: string): NatsEndpoint[] {
  return url
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const parsed = new URL(entry.includes('://') ? entry : `nats://${entry}`);
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      return { host, port: parsed.port === '' ? DEFAULT_NATS_PORT : Number(parsed.port) };
    });
}

/** Reads the `INFO {json}` line a NATS server sends first on every connection. */
export function parseNatsInfoLine(line: string): NatsServerInfo | undefined {
  const match = /^INFO\s+(\{.*\})\s*$/s.exec(line);
  if (match?.[1] === undefined) return undefined;
  try {
    const info = JSON.parse(match[1]) as Record<string, unknown>;
    return {
      serverId: typeof info['server_id'] === 'string' ? info['server_id'] : '',
      version: typeof info['version'] === 'string' ? info['version'] : 'unknown',
      jetstream: info['jetstream'] === true,
    };
  } catch {
    return undefined;
  }
}

/** Checks that a NATS server answers at `url` (any of its servers) without a NATS client; never throws. */
export async function probeNats(url: string, timeoutMs = 2_000): Promise<NatsProbe> {
  let endpoints: NatsEndpoint[];
  try {
    endpoints = natsEndpoints(url);
  } catch (error) {
    return { answers: false, reason: `not a NATS URL: ${describeError(error)}` };
  }
  if (endpoints.length === 0) return { answers: false, reason: 'no server in the URL' };
  const reasons: string[] = [];
  for (const endpoint of endpoints) {
    const probe = await probeEndpoint(endpoint, timeoutMs);
    if (probe.answers) return probe;
    reasons.push(`${endpoint.host}:${endpoint.port}: ${probe.reason}`);
  }
  return { answers: false, reason: reasons.join('; ') };
}

function probeEndpoint(endpoint: NatsEndpoint, timeoutMs: number): Promise<NatsProbe> {
  return new Promise((resolve) => {
    let received = '';
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    const finish = (probe: NatsProbe): void => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () =>
      finish({ answers: false, reason: `no INFO line within ${timeoutMs} ms` }),
    );
    socket.on('error', (error) => finish({ answers: false, reason: describeError(error) }));
    socket.on('close', () =>
      finish({ answers: false, reason: 'connection closed before an INFO line' }),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\r\n');
      if (end === -1) {
        if (received.length > MAX_INFO_LINE_BYTES)
          finish({ answers: false, reason: 'not a NATS server (no INFO line)' });
        return;
      }
      const info = parseNatsInfoLine(received.slice(0, end));
      finish(
        info === undefined
          ? { answers: false, reason: 'not a NATS server (no INFO line)' }
          : { answers: true, info },
      );
    });
  });
}
