import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../exit-codes.js';

// Turning command-line arguments into request bodies and query strings.

/**
 * Adds the options of the request a task gets (`-d, --data`, `-q, --query`, `--content-type`) to a
 * command that issues tasks; `of` names them in the help: "the task" (`task run`), "every task"
 * (`schedule create`). {@link taskRequestOf} reads them.
 */
export function withTaskRequest<
  Args extends unknown[],
  Opts extends OptionValues,
  Globals extends OptionValues,
>(command: Command<Args, Opts, Globals>, of: string) {
  return command
    .option('-d, --data <data>', `the body of ${of}: @file, - (standard input) or the text itself`)
    .option('-q, --query <name=value>', `a query parameter of ${of} (repeatable)`, collect, [])
    .option(
      '--content-type <type>',
      "the body's content type (default: JSON when it parses as JSON, else text or bytes)",
    );
}

export interface TaskRequestOptions {
  readonly data?: string;
  readonly query: readonly string[];
  readonly contentType?: string;
}

/** A task's request as the options of {@link withTaskRequest} give it. */
export type TaskRequestInput =
  | { readonly query: string; readonly body?: undefined; readonly contentType?: undefined }
  | { readonly query: string; readonly body: Buffer; readonly contentType: string };

/**
 * The query string of `--query`, and with `--data` the body and its content type (`--content-type`,
 * else guessed from the body).
 */
export async function taskRequestOf(
  options: TaskRequestOptions,
  stdin: NodeJS.ReadableStream,
): Promise<TaskRequestInput> {
  const query = queryString(options.query);
  if (options.data === undefined) return { query };
  const body = await requestData(options.data, stdin);
  return { query, body, contentType: options.contentType ?? guessedContentType(body) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--data`: `@file` (its bytes), `-` (standard input) or the text itself. */
export async function requestData(data: string, stdin: NodeJS.ReadableStream): Promise<Buffer> {
  if (data === '-') return readAll(stdin);
  if (data.startsWith('@')) {
    const file = data.slice(1);
    try {
      return await readFile(file);
    } catch (error) {
      throw new UsageError(`--data ${data}: ${(error as Error).message}`);
    }
  }
  return Buffer.from(data, 'utf8');
}

/**
 * The content type of a body given without `--content-type`: JSON when it parses as JSON, text when
 * it is UTF-8, bytes otherwise.
 */
export function guessedContentType(body: Buffer): string {
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(body);
  if (decoded.includes('\uFFFD')) return 'application/octet-stream';
  try {
    JSON.parse(decoded);
    return 'application/json';
  } catch {
    return 'text/plain; charset=utf-8';
  }
}

/** `--query name=value` (repeatable) → the query string, each pair URL-encoded. */
export function queryString(pairs: readonly string[]): string {
  const search = new URLSearchParams();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--query takes name=value, got "${pair}"`);
    search.append(pair.slice(0, equals), pair.slice(equals + 1));
  }
  return search.toString();
}

/** A JSON or YAML document from a file (`-`: standard input), parsed. */
export async function readDocument(file: string, stdin: NodeJS.ReadableStream): Promise<unknown> {
  let source: string;
  try {
    source = file === '-' ? await text(stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  try {
    // YAML 1.2 is a superset of JSON: one parser reads both.
    return parseYaml(source) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is neither JSON nor YAML: ${(error as Error).message}`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

/** The items after a `Link: <…&cursor=X>; rel="next"` header's cursor, or undefined on the last page. */
export function nextCursor(link: string | null): string | undefined {
  if (link === null) return undefined;
  const next = /<([^>]*)>\s*;\s*rel="next"/.exec(link)?.[1];
  if (next === undefined) return undefined;
  return new URL(next, 'http://canopy.invalid').searchParams.get('cursor') ?? undefined;
}

/** `--priority`: 0 to 9 (9 first). */
export function priorityOption(value: string): number {
  if (!/^\d$/.test(value.trim()))
    throw new UsageError(`--priority takes 0 to 9 (9 first), got "${value}"`);
  return Number(value.trim());
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * `--not-before`: unix seconds (`1767225600`), a time from now (`90s`, `10m`, `2h`, `1d`) or an
 * ISO 8601 time (`2026-12-24T18:00:00Z`); the unix seconds the API's `Canopy-Not-Before` takes.
 */
export function notBeforeOption(value: string, nowMs: number): number {
  const text = value.trim();
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const duration = DURATION.exec(text);
  if (duration !== null) {
    return Math.floor(nowMs / 1000) + Number(duration[1]) * (UNIT_SECONDS[duration[2] ?? 's'] ?? 1);
  }
  const time = Date.parse(text);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new UsageError(
      `--not-before takes unix seconds, a time from now (90s, 10m, 2h, 1d) or an ISO 8601 time, got "${value}"`,
    );
  }
  return Math.floor(time / 1000);
}

/**
 * `task batch -f`: a JSON array of task requests, or NDJSON (one request per line), as
 * `POST /v1/task/:functionId/batch` takes them (`{ query?, contentType?, body?, bodyEncoding? }`;
 * the API checks each one).
 */
export async function readTaskBatch(
  file: string,
  stdin: NodeJS.ReadableStream,
): Promise<Record<string, unknown>[]> {
  let source: string;
  try {
    source = file === '-' ? await text(stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  const parse = (json: string, where: string): unknown => {
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      throw new UsageError(`${file}${where} is not JSON: ${(error as Error).message}`);
    }
  };
  const entries = source.trimStart().startsWith('[')
    ? parse(source, '')
    : source
        .split('\n')
        .map((line, index) => ({ line: line.trim(), number: index + 1 }))
        .filter(({ line }) => line !== '')
        .map(({ line, number }) => parse(line, `, line ${number},`));
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new UsageError(
      `${file} holds no task request (a JSON array, or one JSON object per line)`,
    );
  }
  entries.forEach((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new UsageError(`${file}: request ${index + 1} is not a JSON object`);
    }
  });
  return entries as Record<string, unknown>[];
}
