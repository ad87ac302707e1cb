import { z } from 'zod';

/** An OpenAPI 3.1 Schema Object (JSON Schema 2020-12). */
export type OpenApiSchema = Record<string, unknown>;

/**
 * The OpenAPI 3.1 schema of a zod schema: the same JSON Schema 2020-12 zod emits, without `$schema`
 * (a schema inside a document takes the document's dialect). `io: 'input'` describes what a request
 * may send (defaults optional), `'output'` what a response holds. A part zod cannot express as JSON
 * Schema (a `z.custom` check) reads as "any value".
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): OpenApiSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as OpenApiSchema;
  return rest;
}
