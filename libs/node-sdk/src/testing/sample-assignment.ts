import { randomBytes } from 'node:crypto';
import type { Assignment, JsonValue } from '@canopy/contracts';

/** A fresh random task, function or account id (24 lower-case hex characters). */
export function randomObjectId(): string {
  return randomBytes(12).toString('hex');
}

/** A node id no other test uses, e.g. `sdk-announce-1a2b3c4d`. */
export function uniqueNodeId(label: string): string {
  return `${label.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
}

export interface SampleAssignmentOverrides extends Partial<Omit<Assignment, 'request'>> {
  readonly runtime?: JsonValue;
  readonly request?: { query?: string; contentType?: string | null; body?: Buffer | string };
}

/** A valid assignment of a new task (attempt 1, epoch 1, 30 s timeout), with any field overridden. */
export function sampleAssignment(overrides: SampleAssignmentOverrides = {}): Assignment {
  const { request, ...fields } = overrides;
  const body = request?.body ?? '';
  return {
    taskId: randomObjectId(),
    attempt: 1,
    functionId: randomObjectId(),
    accountId: randomObjectId(),
    runtime: null,
    timeout: 30,
    startBy: new Date(Date.now() + 30_000).toISOString(),
    epoch: 1,
    ...fields,
    request: {
      query: request?.query ?? '',
      contentType: request?.contentType === undefined ? 'text/plain' : request.contentType,
      body: (typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('base64'),
    },
  };
}
