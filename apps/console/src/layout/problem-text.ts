import { CanopyApiError } from '@canopy/client';

/** What went wrong, for people: the API's own message (and the field it names), or the failure. */
export function problemText(error: unknown): string {
  if (error instanceof CanopyApiError) {
    const field = error.field === undefined ? '' : ` (${error.field})`;
    return `${error.message}${field}`;
  }
  if (error instanceof TypeError) return `The API could not be reached: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
