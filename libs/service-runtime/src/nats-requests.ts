import { RequestError, TimeoutError } from '@nats-io/transport-node';

/** Why a NATS request got no reply. */
export type UnansweredRequest =
  /** None came within the request's timeout: the receiver is paused, overloaded or gone. */
  | 'timed_out'
  /** Nobody listens on the subject: the server says so at once. */
  | 'no_responders'
  /** Anything else: a closed or draining connection, a permission violation. */
  | 'failed';

/** What a failed `request()` of nats.js means for its sender. */
export function whyUnanswered(error: unknown): UnansweredRequest {
  if (error instanceof TimeoutError) return 'timed_out';
  if (error instanceof RequestError && error.isNoResponders()) return 'no_responders';
  return 'failed';
}
