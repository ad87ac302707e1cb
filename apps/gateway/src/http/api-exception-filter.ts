import { ContractViolationError, RuleViolation } from '@canopy/contracts';
import { EventStoreUnavailableError } from '@canopy/event-store';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Catch, HttpException } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestLogFields } from '../observability/request-observation.js';
import { ApiError } from './api-error.js';
import { ruleViolationAnswer } from './rule-violation-answers.js';

// The one place where errors become HTTP responses: `{ error, message, field? }`, never a stack.
// Our ApiErrors carry their status; a domain rule violation is answered as rule-violation-answers.ts
// says, under its own code; contract violations are the client's input (400 naming the field);
// Nest's and Fastify's own errors (unknown route, body too large, bad framing) keep their 4xx status
// under a code of ours; anything else is logged and answered as a bare 500.

interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly field?: string;
  readonly [detail: string]: string | number | undefined;
}

interface Answer {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

const codeOfStatus: Readonly<Record<number, string>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: ServiceLogger,
    private readonly bodyLimitBytes: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (reply.sent || reply.raw.headersSent) {
      // A streamed response failed after its head was sent: all that is left is to cut it short.
      this.logger.error(
        { err: exception, route: routeOf(request), ...requestLogFields(request) },
        'response failed while streaming',
      );
      reply.raw.destroy();
      return;
    }
    const answer = this.answer(exception, request);
    // Refused before its body was read (too large, say): the connection cannot carry another
    // request, and saying so keeps a client from sending its next one into a closing socket.
    const bodyUnread = !request.raw.complete;
    void reply
      .code(answer.status)
      .headers({
        ...answer.headers,
        'cache-control': 'no-store',
        ...(bodyUnread ? { connection: 'close' } : {}),
      })
      .type('application/json; charset=utf-8')
      .send(answer.body);
  }

  private answer(exception: unknown, request: FastifyRequest): Answer {
    if (exception instanceof ApiError) {
      const { field, retryAfter, details } = exception.options;
      return {
        status: exception.status,
        body: {
          ...details,
          error: exception.code,
          message: exception.message,
          ...(field === undefined ? {} : { field }),
        },
        headers: {
          ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
          ...(exception.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
        },
      };
    }
    if (exception instanceof RuleViolation) {
      const answer = ruleViolationAnswer(exception.code);
      const field = answer?.field ?? exception.field;
      if (answer !== null) {
        return {
          status: answer.status,
          body: {
            error: exception.code,
            message: exception.reason,
            ...(field === undefined ? {} : { field }),
          },
        };
      }
    }
    if (exception instanceof ContractViolationError) {
      const message =
        exception.field === '' ? exception.problem : `${exception.field} ${exception.problem}`;
      return {
        status: 400,
        body: {
          error: 'INVALID_REQUEST',
          message,
          ...(exception.field === '' ? {} : { field: exception.field }),
        },
      };
    }
    if (exception instanceof EventStoreUnavailableError) {
      this.logger.error(
        { err: exception, route: routeOf(request), ...requestLogFields(request) },
        'event store unavailable',
      );
      return {
        status: 503,
        body: { error: 'UNAVAILABLE', message: 'the service is unavailable; try again later' },
        headers: { 'retry-after': '5' },
      };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      return {
        status,
        body: {
          error: codeOfStatus[status] ?? 'INVALID_REQUEST',
          message: this.messageOf(status, request, exception.message),
        },
      };
    }
    this.logger.error(
      { err: exception, route: routeOf(request), ...requestLogFields(request) },
      'request failed',
    );
    return { status: 500, body: { error: 'INTERNAL', message: 'internal error' } };
  }

  private messageOf(status: number, request: FastifyRequest, message: string): string {
    switch (status) {
      case 404:
        return `no route ${request.method} ${request.url.split('?')[0] ?? ''}`;
      case 413:
        return `the request body exceeds ${request.routeOptions.bodyLimit ?? this.bodyLimitBytes} bytes`;
      default:
        return message;
    }
  }
}

function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
}
