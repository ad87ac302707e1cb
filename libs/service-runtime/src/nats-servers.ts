/**
 * The servers of a NATS_URL-style value: one URL, or several separated by commas, each without the
 * spaces around it. An empty entry (`a,,b`, a trailing comma) stays, for the caller's validation to
 * refuse.
 */
export function natsServers(url: string): string[] {
  return url.split(',').map((server) => server.trim());
}
