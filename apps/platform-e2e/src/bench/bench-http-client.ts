import { Agent, request } from 'node:http';

// The benchmark's clients speak HTTP/1.1 over kept-alive connections through node:http, not
// fetch: the load generator shares the machine with the system it measures, and fetch costs it
// several times the CPU per request (streams, Headers, WHATWG bodies) that node:http does. A
// real client runs elsewhere; this one should take as little of the machine as it can.

export interface BenchResponse {
  readonly status: number;
  readonly body: Buffer;
}

export interface BenchRequest {
  readonly method?: 'GET' | 'POST';
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export class BenchHttpClient {
  private readonly agent: Agent;
  private readonly base: URL;

  /** `connections`: sockets kept open to the gateway at most (one per concurrent client). */
  constructor(baseUrl: string, connections: number) {
    this.base = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  send(path: string, init: BenchRequest = {}): Promise<BenchResponse> {
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: init.method ?? 'GET',
          path,
          headers,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () =>
            resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
