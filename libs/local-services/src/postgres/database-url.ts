/** The URL of database `name` on the server that `serverUrl` points at (credentials and options kept). */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

export function localPostgresUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

// PostgreSQL silently truncates longer identifiers, which would make the returned URL name a
// database that does not exist.
const MAX_IDENTIFIER_BYTES = 63;

export function assertDatabaseName(name: string): void {
  if (name.length === 0) throw new Error('a database name must not be empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new Error(
      `database name "${name}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`,
    );
  }
}
