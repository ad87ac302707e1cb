/**
 * The host and port of each NATS server URL, for logs: never the user or password a URL may
 * carry. A URL that does not parse is named as such rather than echoed.
 */
export function serverHosts(servers: readonly string[]): string[] {
  return servers.map((server) => {
    try {
      const url = new URL(server.includes('://') ? server : `nats://${server}`);
      return url.host === '' ? '(no host)' : url.host;
    } catch {
      return '(not a URL)';
    }
  });
}
