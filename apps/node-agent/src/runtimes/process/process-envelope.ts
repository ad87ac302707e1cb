import { decodeJson, parseContract, passOnHeaders } from '@canopy/contracts';
import type { TaskResult } from '@canopy/node-sdk';
import { z } from 'zod';

/**
 * What a process with `envelope: true` writes to stdout: one JSON document describing the whole
 * HTTP response, so that it can choose the status, content type and headers.
 */
export const processEnvelopeSchema = z
  .strictObject({
    status: z.int().min(100).max(599),
    contentType: z.string().min(1).nullable().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string(),
    bodyEncoding: z.enum(['utf8', 'base64']).optional(),
  })
  .superRefine((envelope, context) => {
    if (envelope.bodyEncoding === 'base64' && !z.base64().safeParse(envelope.body).success) {
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: 'must be base64 (RFC 4648, padded) when bodyEncoding is "base64"',
      });
    }
  });
export type ProcessEnvelope = z.infer<typeof processEnvelopeSchema>;

/** Reads an envelope from stdout; throws a ContractViolationError naming what is wrong. */
export function readProcessEnvelope(stdout: Buffer): TaskResult {
  const envelope = parseContract(
    processEnvelopeSchema,
    'process envelope',
    decodeJson(stdout, 'process envelope'),
  );
  const passed = passOnHeaders(Object.entries(envelope.headers ?? {}));
  return {
    status: envelope.status,
    contentType: envelope.contentType ?? passed.contentType,
    headers: passed.headers,
    body: Buffer.from(envelope.body, envelope.bodyEncoding === 'base64' ? 'base64' : 'utf8'),
  };
}
