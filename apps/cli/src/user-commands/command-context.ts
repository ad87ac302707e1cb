import type { CanopyClient } from '@canopy/client';
import { dataOf } from '@canopy/client';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { ExitCode, ExitError, UsageError } from '../exit-codes.js';
import { Output, outputFormat } from '../terminal/output.js';
import type { Column } from '../terminal/output.js';
import { nextCursor } from '../terminal/request-input.js';
import { openApiSession } from '../user-session/api-session.js';
import type { ApiSession } from '../user-session/api-session.js';
import type { UserEnvironment } from '../user-session/user-config.js';

/** What every user command works with: the terminal, the environment read at start, the API. */
export interface CommandContext {
  readonly environment: UserEnvironment;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** The program's own options, which every command takes. */
export interface GlobalOptions {
  readonly apiUrl?: string;
  readonly output?: string;
}

/** A command of any arguments and options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command<any, any, any>;

export function globalOptions(command: AnyCommand): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function outputOf(context: CommandContext, command: AnyCommand): Output {
  return new Output(
    outputFormat(globalOptions(command).output, context.stdout.isTTY === true),
    context.stdout,
  );
}

export function sessionOf(context: CommandContext, command: AnyCommand): Promise<ApiSession> {
  return openApiSession(context.environment, globalOptions(command).apiUrl);
}

/** What a user command shows once it is done; printed as `--output` says. */
export interface Shown {
  print(output: Output): void;
}

export const show = {
  /** Rows: a table with these columns, or a JSON array. */
  list<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): Shown {
    return { print: (output) => output.list(rows, columns) };
  },
  /** One object: `field  value` lines, or JSON. */
  record<Value>(value: Value, fields: readonly Column<Value>[]): Shown {
    return { print: (output) => output.record(value, fields) };
  },
  /** A short confirmation for people, or this JSON for programs. */
  done(text: string, json: unknown): Shown {
    return { print: (output) => output.done(text, json) };
  },
};

/** What a user command's body works with. */
export interface UserCommandScope extends ApiSession {
  readonly output: Output;
  readonly command: AnyCommand;
}

/**
 * The action of a user command, the same for all of them: opens the API session (`--api-url`, the
 * login or CANOPY_API_KEY), runs the command's body with its arguments and options (as one tuple,
 * `[argument..., options]`, typed by commander), and prints what the body returns as `--output`
 * says (a body that writes bytes itself returns nothing). Whatever it throws ends the command
 * through runCli's one mapping to a message and an exit code (main.ts).
 */
export function userAction<Params extends unknown[]>(
  context: CommandContext,
  run: (scope: UserCommandScope, params: NoInfer<Params>) => Promise<Shown | void>,
): (...params: [...Params, AnyCommand]) => Promise<void> {
  return outputAction<Params>(context, async ({ output, command }, params) =>
    run({ ...(await sessionOf(context, command)), output, command }, params),
  );
}

/** `userAction` for the commands that need no API session (`login`, `logout`). */
export function outputAction<Params extends unknown[]>(
  context: CommandContext,
  run: (
    scope: { readonly output: Output; readonly command: AnyCommand },
    params: NoInfer<Params>,
  ) => Promise<Shown | void>,
): (...params: [...Params, AnyCommand]) => Promise<void> {
  return async (...params) => {
    const command = params.at(-1) as AnyCommand;
    const output = outputOf(context, command);
    const shown = await run({ output, command }, params.slice(0, -1) as Params);
    shown?.print(output);
  };
}

/** Adds the paging options of a list command (`--limit`, `--cursor`, `--all`; see {@link pagedList}). */
export function withPaging<
  Args extends unknown[],
  Opts extends OptionValues,
  Globals extends OptionValues,
>(command: Command<Args, Opts, Globals>) {
  return command
    .option('--limit <n>', 'rows per page (1 to 500; default 50)')
    .option('--cursor <cursor>', 'the page after the one that gave this cursor')
    .option('--all', 'every page');
}

export interface PageOptions {
  readonly limit?: string;
  readonly cursor?: string;
  readonly all?: boolean;
}

/**
 * One page of a list (`--limit`, `--cursor`), or every page with `--all`. Says on stderr how to ask
 * for the next page when there is one and a table is shown.
 */
export async function pagedList<Row>(
  context: CommandContext,
  output: Output,
  options: PageOptions,
  page: (query: { limit?: string; cursor?: string }) => Promise<{
    data?: Row[];
    error?: unknown;
    response: Response;
  }>,
): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor = options.cursor;
  for (;;) {
    const answer = await page({
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    rows.push(...dataOf(answer));
    cursor = nextCursor(answer.response.headers.get('link'));
    if (cursor === undefined) return rows;
    if (options.all !== true) {
      if (output.format === 'table') context.stderr.write(`(more: --cursor ${cursor}, or --all)\n`);
      return rows;
    }
  }
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** A function named by its id, or by its name when that is unique in the account. */
export async function functionIdOf(client: CanopyClient, reference: string): Promise<string> {
  if (OBJECT_ID.test(reference)) return reference;
  const matches = await functionIdsNamed(client, reference);
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) {
    // Not found, as the API answers for an id it does not know: the same exit code either way.
    throw new ExitError(
      ExitCode.refused,
      `no function is named "${reference}" (give its name or its 24-hex id)`,
    );
  }
  throw new UsageError(
    `${matches.length} functions are named "${reference}": give the id of one (${matches.join(', ')})`,
  );
}

/** The ids of the account's functions of that name (names are looked up in the function list). */
async function functionIdsNamed(client: CanopyClient, name: string): Promise<string[]> {
  const matches: string[] = [];
  let cursor: string | undefined;
  do {
    const answer = await client.api.GET('/v1/function/list', {
      params: { query: { limit: '500', ...(cursor === undefined ? {} : { cursor }) } },
    });
    matches.push(
      ...dataOf(answer)
        .filter((fn) => fn.name === name)
        .map((fn) => fn.id),
    );
    cursor = nextCursor(answer.response.headers.get('link'));
  } while (cursor !== undefined);
  return matches;
}

/** How long `function create` waits for the new function to be listed under its name. */
export const NAME_LISTED_WITHIN_MS = 10_000;
const NAME_POLL_MS = 50;

/**
 * Waits until the function `id` is listed under `name`, so that the next command may use the name:
 * the function list, where names are looked up, follows the event store a moment behind (longer
 * while the projector is busy or restarting), in the order things were recorded, so a function of
 * the same name deleted before is gone from it by then. Resolves with the ids the name finds then
 * (more than one when other functions share the name), or undefined if it has not within
 * `withinMs`.
 */
export async function untilListed(
  client: CanopyClient,
  name: string,
  id: string,
  withinMs = NAME_LISTED_WITHIN_MS,
): Promise<string[] | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const matches = await functionIdsNamed(client, name);
    if (matches.includes(id)) return matches;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, NAME_POLL_MS));
  }
}

/** Writes a body to stdout as it is, waiting when stdout is busy. */
export async function writeBytes(
  stdout: NodeJS.WritableStream,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  for await (const chunk of chunks) {
    if (!stdout.write(chunk)) {
      await new Promise<void>((resolve) => stdout.once('drain', () => resolve()));
    }
  }
}
