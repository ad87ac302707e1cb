// Messages each client connection exchanged with the nats-server, from its monitoring endpoint
// (`/connz`). The server counts from its side: `in_msgs` are messages the client published,
// `out_msgs` messages the server delivered to it.

export interface ConnectionCounts {
  readonly cid: number;
  /** The name the client gave its connection (canopy-gateway, canopy-node <id>...), or "". */
  readonly name: string;
  readonly published: number;
  readonly delivered: number;
}

interface Connz {
  readonly connections?: readonly {
    readonly cid: number;
    readonly name?: string;
    readonly in_msgs: number;
    readonly out_msgs: number;
  }[];
}

export async function readConnectionCounts(monitorUrl: string): Promise<ConnectionCounts[]> {
  const response = await fetch(`${monitorUrl}/connz?limit=100000`);
  if (!response.ok) throw new Error(`${monitorUrl}/connz answered ${response.status}`);
  const connz = (await response.json()) as Connz;
  return (connz.connections ?? []).map((connection) => ({
    cid: connection.cid,
    name: connection.name ?? '',
    published: connection.in_msgs,
    delivered: connection.out_msgs,
  }));
}

export interface MessageTraffic {
  readonly group: string;
  readonly connections: number;
  readonly published: number;
  readonly delivered: number;
}

/**
 * Messages exchanged between two readings, summed per group of connections (`groupOf` maps a
 * connection's name to its group; undefined leaves it out). A connection opened in between counts
 * from zero; one closed in between is missing from the second reading and is not counted.
 */
export function messageTraffic(
  before: readonly ConnectionCounts[],
  after: readonly ConnectionCounts[],
  groupOf: (name: string) => string | undefined,
): MessageTraffic[] {
  const earlier = new Map(before.map((connection) => [connection.cid, connection]));
  const groups = new Map<string, { connections: number; published: number; delivered: number }>();
  for (const connection of after) {
    const group = groupOf(connection.name);
    if (group === undefined) continue;
    const start = earlier.get(connection.cid);
    const sum = groups.get(group) ?? { connections: 0, published: 0, delivered: 0 };
    sum.connections += 1;
    sum.published += connection.published - (start?.published ?? 0);
    sum.delivered += connection.delivered - (start?.delivered ?? 0);
    groups.set(group, sum);
  }
  return [...groups].map(([group, sum]) => ({ group, ...sum }));
}
