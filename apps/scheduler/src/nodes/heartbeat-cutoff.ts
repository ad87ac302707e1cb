export interface HeartbeatTimings {
  /** How long a node has to answer an assignment. */
  readonly offerTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** After this long without a heartbeat a node is lost; a node's clock is believed this far back. */
  readonly heartbeatTimeoutMs: number;
}

/**
 * The assignments a heartbeat (or an announcement) speaks for: those recorded before the returned
 * time. A heartbeat lists what the node ran when it composed the message (`sentAt`, the node's
 * clock), and it may arrive late: buffered by the node's client while NATS failed over, or queued behind other work. Judged
 * by its arrival, a late one would make an attempt assigned after it was composed look lost.
 *
 * So the heartbeat counts from when it was composed, never later than it arrived (a node's clock
 * running ahead gains nothing) and never more than a heartbeat timeout earlier (a node's clock far
 * behind only delays taking back what it lost, by that much). An assignment may still be on its way
 * to the node for an offer timeout, and the node's clock may be behind by a heartbeat interval
 * without any of this mattering: both are allowed for too. An announcement, which carries no
 * `sentAt`, counts from its arrival.
 */
export function heartbeatCoversAssignmentsBefore(
  receivedAtMs: number,
  sentAt: string | undefined,
  timings: HeartbeatTimings,
): number {
  const composedAtMs =
    sentAt === undefined
      ? receivedAtMs
      : Math.min(
          receivedAtMs,
          Math.max(Date.parse(sentAt), receivedAtMs - timings.heartbeatTimeoutMs),
        );
  return composedAtMs - timings.offerTimeoutMs - timings.heartbeatIntervalMs;
}
