import type { Msg } from '@nats-io/transport-node';
import type {
  ConsumerDeserializer,
  ConsumerSerializer,
  IncomingEvent,
  IncomingRequest,
  OutgoingResponse,
} from '@nestjs/microservices';
import { ServerNats } from '@nestjs/microservices';
import { internalErrorReply } from './rpc-errors.js';

// Canopy's NATS protocol is plain JSON, so node authors never need Nest. Nest's NATS transport wraps
// requests and replies in its own envelope ({ pattern, data, id } / { response, err, isDisposed, id });
// these two replace that envelope on the server side (see ServerNats.handleMessage / getPublisher).

/**
 * Hands a handler the message body exactly as it arrived (bytes): each handler decodes and validates
 * it with the contracts parser, so a malformed message still reaches its handler and is answered with
 * an error instead of being dropped here. The pattern is the subscribed subject (a wildcard for node
 * reports), which is how Nest finds the handler; a message with a reply subject is a request.
 */
export class RawMessageDeserializer implements ConsumerDeserializer {
  private requests = 0;

  deserialize(
    message: Msg,
    options?: { channel?: string; replyTo?: string },
  ): IncomingRequest | IncomingEvent {
    const pattern = options?.channel ?? message.subject;
    const replyTo = options?.replyTo ?? message.reply;
    if (replyTo === undefined || replyTo === '') return { pattern, data: message.data };
    this.requests += 1;
    return { pattern, data: message.data, id: String(this.requests) };
  }
}

/**
 * The reply is the handler's return value as JSON, nothing around it. Handlers catch their own
 * failures and answer `{ ok: false, ... }`; an error that escaped one anyway becomes INTERNAL.
 */
export class JsonReplySerializer implements ConsumerSerializer {
  serialize(packet: OutgoingResponse): { data: string } {
    if (packet.err !== undefined && packet.err !== null) {
      return { data: JSON.stringify(internalErrorReply) };
    }
    return { data: JSON.stringify(packet.response ?? null) };
  }
}

/**
 * Nest's NATS server finding a message's handler by its subject alone. Nest first tries every
 * incoming pattern as JSON (patterns may be objects in other transports), which throws, and builds
 * a SyntaxError with its stack, for every message: a few percent of the scheduler's CPU. Canopy's
 * patterns are always NATS subjects, so the route is the pattern itself.
 */
export class SubjectRoutedNatsServer extends ServerNats {
  protected override getRouteFromPattern(pattern: string): string {
    return this.normalizePattern(pattern);
  }
}
