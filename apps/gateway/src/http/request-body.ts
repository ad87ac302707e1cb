import { Body } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ApiError, invalidParameter } from './api-error.js';
import { parseRequestInput } from './request-input.js';

// Every request body reaches the handlers as raw bytes (one catch-all content-type parser, see
// gateway.ts): a task's body is passed on to its function byte for byte, and the gateway's own JSON
// endpoints decode theirs with @JsonBody(schema), the schema their OpenAPI operation describes.

/** The request's body bytes; empty when it has none. */
export function bodyBytes(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** Whether a content type declares JSON: application/json or a +json suffix type, parameters ignored. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (contentType === undefined || contentType === null) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType === 'application/json' ||
    /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType)
  );
}

/** Whether the bytes are one JSON document in UTF-8. */
export function isJsonDocument(bytes: Buffer): boolean {
  return decodeJsonDocument(bytes) !== NOT_JSON;
}

/** What is wrong with a `body` that breaksDeclaredJson. */
export const DECLARED_JSON_PROBLEM = 'is declared as JSON but is not valid JSON';

/** A body its content type declares JSON that is not: an empty body is always fine. */
export function breaksDeclaredJson(bytes: Buffer, contentType: string | null | undefined): boolean {
  return bytes.length > 0 && isJsonContentType(contentType) && !isJsonDocument(bytes);
}

/** The 400 naming `body` for a body that breaksDeclaredJson. */
export function invalidDeclaredJson(): ApiError {
  return invalidParameter('body', DECLARED_JSON_PROBLEM);
}

const NOT_JSON = Symbol('not JSON');

function decodeJsonDocument(bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    return NOT_JSON;
  }
}

export interface JsonBodyOptions {
  /** An empty body stands for `{}`; the schema decides whether that is enough. */
  readonly optional?: boolean;
}

/** Decodes a raw body as a JSON object and parses it with the schema; a 400 for anything else. */
export class JsonBodyPipe<Schema extends z.ZodType> implements PipeTransform<
  unknown,
  z.output<Schema>
> {
  constructor(
    readonly schema: Schema,
    readonly options: JsonBodyOptions = {},
  ) {}

  transform(body: unknown): z.output<Schema> {
    const bytes = bodyBytes(body);
    const value =
      bytes.length === 0 && this.options.optional === true ? {} : decodeJsonDocument(bytes);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ApiError(400, 'INVALID_REQUEST', 'the body must be a JSON object');
    }
    return parseRequestInput(this.schema, value);
  }
}

/**
 * The handler's JSON body, parsed with `schema`: pass the schema its OpenAPI operation describes the
 * body with (openapi/api-description.ts ApiJsonBody); the OpenAPI tests check that they are the same.
 */
export function JsonBody(schema: z.ZodType, options: JsonBodyOptions = {}): ParameterDecorator {
  return Body(new JsonBodyPipe(schema, options));
}
