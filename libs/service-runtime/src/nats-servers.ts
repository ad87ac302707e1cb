/**
 * The servers of a NATS_URL-style value: one URL, or several separated by commas, each without the
 * spaces around it. An empty entry (`a,,b`, a trailing comma) stays, for the caller's validation to
 * refuse.
 */
export function natsServers(url: string): string[] {
  return url.split(',').map((server) => server.trim());
}

/** The servers of a NATS_URL-style value as a log line may show them: without user or password. */
export function natsServersForLog(url: string): string {
  return natsServers(url)
    .map((server) => server.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1'))
    .join(',');
}

/**
 * How every service connects to NATS: it reconnects for ever, trying again within about half a
 * second (a server of the cluster restarted, or the only one came back), and it does not capture a
 * stack trace for every request it makes (nats.js does so by default, to report a timeout's origin;
 * it costs more than the request itself on a busy path).
 *
 * Its first connection waits the same way for a server that refuses it or does not finish the
 * handshake within the dial timeout (20 s): a service started before NATS, or on a machine too busy
 * to answer in time, comes up once NATS does, rather than exiting. A server that answers and refuses
 * the credentials still fails it, on its second refusal (nats.js gives up on the same one twice).
 */
export const natsConnectionBehaviour = {
  waitOnFirstConnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 250,
  noAsyncTraces: true,
} as const;
