/**
 * The servers of a NATS_URL-style value: one URL, or several separated by commas, each without the
 * spaces around it. An empty entry (`a,,b`, a trailing comma) stays, for the caller's validation to
 * refuse.
 */
export function natsServers(url: string): string[] {
  return url.split(',').map((server) => server.trim());
}

/**
 * How every service connects to NATS: it reconnects for ever, trying again within about half a
 * second (a server of the cluster restarted, or the only one came back), and it does not capture a
 * stack trace for every request it makes (nats.js does so by default, to report a timeout's origin;
 * it costs more than the request itself on a busy path).
 */
export const natsConnectionBehaviour = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 250,
  noAsyncTraces: true,
} as const;
