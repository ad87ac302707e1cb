import pg from 'pg';

/**
 * Reads the stack's event store table directly, for tests that must notice any event appended while
 * they act (the port has no "last position" question to ask).
 */
export interface EventLog {
  /** The global position of the newest event; 0 when there is none. */
  head(): Promise<bigint>;
  /** `stream_id type` of every event after a position, oldest first. */
  since(position: bigint): Promise<string[]>;
  close(): Promise<void>;
}

export async function openEventLog(databaseUrl: string): Promise<EventLog> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // The stack drops its database when it stops, which may be before this client ends.
  client.on('error', () => undefined);
  await client.connect();
  return {
    async head() {
      const { rows } = await client.query<{ head: string | null }>(
        'SELECT max(global_position) AS head FROM event_store.events',
      );
      return BigInt(rows[0]?.head ?? '0');
    },
    async since(position) {
      const { rows } = await client.query<{ stream_id: string; type: string }>(
        'SELECT stream_id, type FROM event_store.events WHERE global_position > $1 ORDER BY global_position',
        [position.toString()],
      );
      return rows.map((row) => `${row.stream_id} ${row.type}`);
    },
    close: () => client.end(),
  };
}
