import Table from 'cli-table3';
import { UsageError } from '../exit-codes.js';

// How the user commands print what the API answered: a table for people (the default on a
// terminal), JSON for programs (the default when stdout is not a terminal, and `--output json`).
// JSON output is the API's own data, unchanged; tables show selected fields, times as UTC.

export type OutputFormat = 'table' | 'json';

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
}

export function outputFormat(option: string | undefined, stdoutIsTty: boolean): OutputFormat {
  if (option === undefined) return stdoutIsTty ? 'table' : 'json';
  if (option === 'table' || option === 'json') return option;
  throw new UsageError(`--output must be table or json, got "${option}"`);
}

export class Output {
  constructor(
    readonly format: OutputFormat,
    private readonly stdout: NodeJS.WritableStream,
  ) {}

  /** Rows of a list: a table with these columns, or the rows as a JSON array. */
  list<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): void {
    if (this.format === 'json') return this.json(rows);
    if (rows.length === 0) {
      this.stdout.write('(none)\n');
      return;
    }
    const table = new Table({ head: columns.map((column) => column.header), ...plainTable });
    for (const row of rows) table.push(columns.map((column) => column.value(row)));
    this.stdout.write(`${trimmed(table.toString())}\n`);
  }

  /** One object: `field  value` lines, or the object as JSON. */
  record<Value>(value: Value, fields: readonly Column<Value>[]): void {
    if (this.format === 'json') return this.json(value);
    const table = new Table(plainTable);
    for (const field of fields) table.push([`${field.header}:`, field.value(value)]);
    this.stdout.write(`${trimmed(table.toString())}\n`);
  }

  /** A short confirmation for people, or this JSON for programs. */
  done(text: string, json: unknown): void {
    if (this.format === 'json') return this.json(json);
    this.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

// Columns separated by two spaces, no borders and no colours: readable, and copy-pasteable.
const plainTable = {
  chars: {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: '  ',
  },
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
};

/** Without the padding of the last column. */
function trimmed(table: string): string {
  return table
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Unix seconds as the API writes them (`"1764504000"`) → `2025-11-30 12:00:00Z`; `-` for none. */
export function utcTime(unixSeconds: string | number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined || unixSeconds === '') return '-';
  const date = new Date(Number(unixSeconds) * 1000);
  if (Number.isNaN(date.getTime())) return String(unixSeconds);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function orDash(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}
