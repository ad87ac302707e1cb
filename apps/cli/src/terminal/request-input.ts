import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../exit-codes.js';

// Turning command-line arguments into request bodies and query strings.

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
