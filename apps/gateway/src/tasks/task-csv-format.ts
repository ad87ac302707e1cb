import { stringify } from 'csv-stringify';
import type { Stringifier } from 'csv-stringify';
import type { TaskCsvRow } from '@canopy/read-models';

// The CSV of GET /v1/task/:functionId/csv: RFC 4180 (CRLF line ends, fields quoted when they hold a
// comma, quote or line break), columns ID, IssuedAt (RFC 3339 UTC, seconds), Status, ContentType,
// Body. A task not finished yet has status 0 and empty content type and body; a task the platform
// failed has its platform status (504, 503, 502, 499) and empty content type and body.
//
// Spreadsheets run a cell that starts with =, +, -, @, tab or CR as a formula (OWASP "CSV
// injection"); every such cell is prefixed with a single quote, which spreadsheets show as text.
// This applies to every column, so a base64 body that starts with "+" reads "'+...": strip a leading
// "'" (never a base64 character) before decoding.

export const CSV_HEADER = ['ID', 'IssuedAt', 'Status', 'ContentType', 'Body'] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** RFC 3339 UTC to the second, e.g. 2024-06-22T21:05:48Z. */
export function csvTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

export function csvRecord(row: TaskCsvRow, showPlain: boolean): string[] {
  const body =
    row.body === null ? '' : showPlain ? row.body.toString('utf8') : row.body.toString('base64');
  return [row.taskId, csvTime(row.issuedAt), String(row.status), row.contentType ?? '', body].map(
    neutraliseCell,
  );
}

/** A Transform from records (csvRecord) to CSV text, header first. */
export function csvStringifier(): Stringifier {
  return stringify({
    header: true,
    columns: [...CSV_HEADER],
    record_delimiter: 'windows',
    // With CRLF record ends csv-stringify no longer quotes a lone CR or LF on its own; RFC 4180
    // wants every field holding a line break quoted.
    quoted_match: /[\r\n]/,
  });
}
