import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MAX_ISSUE_TASK_BATCH } from '@canopy/contracts';
import {
  CanopyTaskFailedError,
  CanopyTaskPendingError,
  dataOf,
  requirementsText,
} from '@canopy/client';
import type { FunctionResponse, IssueTaskOptions, paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { ExitCode, ExitError, UsageError } from '../exit-codes.js';
import { orDash, utcTime } from '../terminal/output.js';
import {
  notBeforeOption,
  priorityOption,
  readTaskBatch,
  taskRequestOf,
  withTaskRequest,
} from '../terminal/request-input.js';
import { taskProgressView } from '../terminal/task-progress.js';
import type { TaskProgressView } from '../terminal/task-progress.js';
import {
  functionIdOf,
  pagedList,
  show,
  userAction,
  withPaging,
  writeBytes,
} from './command-context.js';
import type { CommandContext } from './command-context.js';

type TaskEntry =
  paths['/v1/task/list']['get']['responses']['200']['content']['application/json'][number];
type TaskEvent =
  paths['/v1/task/{id}/events']['get']['responses']['200']['content']['application/json'][number];
type TaskDetail = paths['/v1/task/{id}']['get']['responses']['200']['content']['application/json'];
type BatchAnswer =
  paths['/v1/task/{id}/batch']['post']['responses']['200']['content']['application/json'][number];
type BatchRequest = NonNullable<
  paths['/v1/task/{id}/batch']['post']['requestBody']
>['content']['application/json'];

export function taskCommands(context: CommandContext): Command {
  const tasks = new Command('task').description('run functions as tasks and read their results');

  withTaskRequest(
    tasks
      .command('run')
      .description(
        'issue a task of a function; prints its id, or with --wait its result (the body as the ' +
          'function answered it), following its progress on stderr as the task reports it',
      )
      .argument('<function>', "the function's id, or its name"),
    'the task',
  )
    .option(
      '--idempotency-key <key>',
      'run it at most once: the same key and request answer the same task (safe to retry)',
    )
    .option('--priority <0-9>', "the task's priority, 9 first (default: the function's)")
    .option(
      '--not-before <time>',
      'no node gets it before then: unix seconds, from now (90s, 10m, 2h, 1d) or an ISO 8601 time',
    )
    .option('-w, --wait [seconds]', 'wait for the result and print it (at most this long)')
    .action(
      userAction(context, async ({ client }, [reference, options]) => {
        const headers: IssueTaskOptions = {
          ...(options.idempotencyKey === undefined
            ? {}
            : { idempotencyKey: options.idempotencyKey }),
          ...(options.priority === undefined ? {} : { priority: priorityOption(options.priority) }),
          ...(options.notBefore === undefined
            ? {}
            : { notBefore: notBeforeOption(options.notBefore, Date.now()) }),
        };
        const wait = options.wait === undefined ? undefined : waitOption(options.wait);
        const functionId = await functionIdOf(client, reference);
        const { body, query, contentType } = await taskRequestOf(options, context.stdin);
        const issue: IssueTaskOptions = {
          query,
          ...headers,
          ...(contentType === undefined ? {} : { contentType }),
        };
        if (wait === undefined) {
          const id = await client.issueTask(functionId, body, issue);
          return show.done(id, { id });
        }
        const view = taskProgressView(context.stderr);
        let taskId = '';
        const response = await followed(view, () =>
          client.runTask(functionId, body, {
            ...issue,
            ...wait,
            onIssued: (id) => {
              taskId = id;
              view.issued(id);
            },
            onProgress: (progress) => view.progress(progress),
          }),
        );
        await printResult(context, view, taskId, response);
      }),
    );

  tasks
    .command('batch')
    .description(
      'issue many tasks of a function at once from a file: a JSON array of requests, or NDJSON ' +
        '(one per line), each { query?, contentType?, body?, bodyEncoding? }; prints one answer ' +
        'per request, in order',
    )
    .argument('<function>', "the function's id, or its name")
    .requiredOption('-f, --file <file>', 'the requests: a .json or .ndjson file, - for stdin')
    .option(
      '--idempotency-key <key>',
      'issue them at most once: the same key and file answer the same tasks (safe to retry); ' +
        `a file of more than ${MAX_ISSUE_TASK_BATCH} requests goes in parts keyed <key>#1, <key>#2, ...`,
    )
    .action(
      userAction(context, async ({ client, output }, [reference, options]) => {
        const requests = await readTaskBatch(options.file, context.stdin);
        const id = await functionIdOf(client, reference);
        const answers: BatchAnswer[] = [];
        const parts = Math.ceil(requests.length / MAX_ISSUE_TASK_BATCH);
        const keyOf = (part: number): string | undefined => {
          const key = options.idempotencyKey;
          return key === undefined || parts === 1 ? key : `${key}#${part + 1}`;
        };
        // The API takes up to MAX_ISSUE_TASK_BATCH requests at once: a longer file goes in parts.
        for (let part = 0; part < parts; part += 1) {
          const key = keyOf(part);
          const at = part * MAX_ISSUE_TASK_BATCH;
          answers.push(
            ...dataOf(
              await client.api.POST('/v1/task/{id}/batch', {
                params: {
                  path: { id },
                  ...(key === undefined ? {} : { header: { 'Idempotency-Key': key } }),
                },
                body: requests.slice(at, at + MAX_ISSUE_TASK_BATCH) as BatchRequest,
              }),
            ),
          );
        }
        // JSON: the API's answers as they are; a table: numbered, with the task or the refusal.
        const shown =
          output.format === 'json'
            ? show.done('', answers)
            : show.list<BatchAnswer & { index: number }>(
                answers.map((answer, index) => ({ ...answer, index })),
                [
                  { header: '#', value: (answer) => String(answer.index + 1) },
                  { header: 'STATUS', value: (answer) => String(answer.status) },
                  {
                    header: 'TASK',
                    value: (answer) =>
                      'id' in answer ? answer.id : `${answer.error}: ${answer.message}`,
                  },
                ],
              );
        shown.print(output);
        const refused = answers.filter((answer) => answer.status !== 201).length;
        if (refused > 0) {
          throw new ExitError(
            ExitCode.refused,
            `${refused} of ${answers.length} requests were refused (their answers above)`,
          );
        }
      }),
    );

  tasks
    .command('result')
    .description("print a task's result: the function's body, bytes unchanged")
    .argument('<task>', "the task's id")
    .option('-w, --wait [seconds]', 'wait for the result (at most this long)')
    .action(
      userAction(context, async ({ client }, [taskId, options]) => {
        if (options.wait === undefined) {
          const state = await client.taskResult(taskId);
          if (state.kind === 'pending') throw pendingExit(taskId, state.progress);
          return printResult(context, undefined, taskId, state.response);
        }
        const wait = waitOption(options.wait);
        const view = taskProgressView(context.stderr);
        view.issued(taskId);
        const response = await followed(view, () =>
          client.waitForResult(taskId, {
            ...wait,
            onProgress: (progress) => view.progress(progress),
          }),
        );
        await printResult(context, view, taskId, response);
      }),
    );

  tasks
    .command('get')
    .description('a task: its function, times, progress, node and status')
    .argument('<task>', "the task's id")
    .action(
      userAction(context, async ({ client }, [id]) => {
        const task = dataOf(await client.api.GET('/v1/task/{id}', { params: { path: { id } } }));
        return show.record<TaskDetail>(task, [
          { header: 'id', value: (t) => t.id },
          { header: 'function', value: (t) => t.functionId },
          { header: 'status', value: (t) => statusText(t.status) },
          { header: 'progress', value: (t) => `${t.progress}%` },
          { header: 'issued', value: (t) => utcTime(t.issued) },
          { header: 'assigned', value: (t) => utcTime(t.assigned) },
          { header: 'finished', value: (t) => utcTime(t.finished) },
          { header: 'node', value: (t) => orDash(t.node) },
          { header: 'timeout', value: (t) => `${t.timeout}s` },
          { header: 'needs', value: (t) => requirementsText(t.capabilities) },
        ]);
      }),
    );

  withPaging(
    tasks
      .command('list')
      .description("the account's tasks, newest first")
      .option('-f, --function <function>', "only this function's tasks (id or name)")
      .option('--status <status>', '0 (not finished) or an HTTP status')
      .option('--since <time>', 'issued at or after: a UTC day yyyy-mm-dd or unix seconds')
      .option('--until <time>', 'issued at or before: a UTC day yyyy-mm-dd or unix seconds'),
  ).action(
    userAction(context, async ({ client, output }, [options]) => {
      const functionId =
        options.function === undefined ? undefined : await functionIdOf(client, options.function);
      const filters = {
        ...(functionId === undefined ? {} : { functionId }),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.since === undefined ? {} : { since: options.since }),
        ...(options.until === undefined ? {} : { until: options.until }),
      };
      const rows = await pagedList(context, output, options, (page) =>
        client.api.GET('/v1/task/list', { params: { query: { ...filters, ...page } } }),
      );
      return show.list<TaskEntry>(rows, [
        { header: 'ID', value: (t) => t.id },
        { header: 'ISSUED', value: (t) => utcTime(t.issued) },
        { header: 'STATUS', value: (t) => statusText(t.status) },
        { header: 'PROGRESS', value: (t) => `${t.progress}%` },
      ]);
    }),
  );

  tasks
    .command('cancel')
    .description(
      'cancel a task: a waiting one leaves the queue, a running one is stopped (status 499)',
    )
    .argument('<task>', "the task's id")
    .action(
      userAction(context, async ({ client }, [id]) => {
        const cancelled = dataOf(
          await client.api.DELETE('/v1/task/{id}', { params: { path: { id } } }),
        );
        return show.done(`cancelled ${id}`, cancelled);
      }),
    );

  tasks
    .command('events')
    .description("a task's history: its events in the order they were recorded")
    .argument('<task>', "the task's id")
    .option(
      '--follow',
      'and each new one as it is recorded, until the task ends (one JSON line each)',
    )
    .action(
      userAction(context, async ({ client, output }, [id, options]) => {
        const columns = [
          { header: 'VERSION', value: (event: TaskEvent) => String(event.version) },
          { header: 'TYPE', value: (event: TaskEvent) => event.type },
          { header: 'AT', value: (event: TaskEvent) => utcTime(event.at) },
          { header: 'DATA', value: (event: TaskEvent) => JSON.stringify(event.data) },
        ];
        if (options.follow === true) {
          for await (const event of client.followTaskEvents(id)) {
            context.stdout.write(
              output.format === 'json'
                ? `${JSON.stringify(event)}\n`
                : `${columns.map((column) => column.value(event)).join('  ')}\n`,
            );
          }
          return;
        }
        const events: TaskEvent[] = [];
        let from: string | undefined;
        do {
          const page = await client.api.GET('/v1/task/{id}/events', {
            params: {
              path: { id },
              query: { follow: 'false', ...(from === undefined ? {} : { from }) },
            },
          });
          // follow=false: always a JSON page, never the stream.
          events.push(...(dataOf(page) as TaskEvent[]));
          from = nextFrom(page.response.headers.get('link'));
        } while (from !== undefined);
        return show.list<TaskEvent>(events, columns);
      }),
    );

  tasks
    .command('csv')
    .description(
      "a function's tasks as CSV (ID,IssuedAt,Status,ContentType,Body), as the API streams it",
    )
    .argument('<function>', "the function's id, or its name")
    .option('--show-plain', 'bodies as text (default: base64)')
    .option('--schedule <schedule>', "only this schedule's tasks")
    .option('--since <day>', 'issued on or after this UTC day (yyyy-mm-dd)')
    .option('--until <day>', 'issued on or before this UTC day (yyyy-mm-dd)')
    .action(
      userAction(context, async ({ client }, [reference, options]) => {
        const id = await functionIdOf(client, reference);
        const answer = await client.api.GET('/v1/task/{id}/csv', {
          params: {
            path: { id },
            query: {
              ...(options.showPlain === true ? { showPlain: 'true' } : {}),
              ...(options.schedule === undefined ? {} : { scheduleId: options.schedule }),
              ...(options.since === undefined ? {} : { dateSince: options.since }),
              ...(options.until === undefined ? {} : { dateUntil: options.until }),
            },
          },
          parseAs: 'stream',
        });
        const csv = dataOf(answer);
        if (csv === null) return;
        await writeBytes(context.stdout, Readable.fromWeb(csv as WebReadableStream<Uint8Array>));
      }),
    );

  return tasks;
}

/** `--wait` alone waits until the task ends; `--wait N` at most N seconds. */
function waitOption(wait: string | true): { wait?: number } {
  if (wait === true) return {};
  const seconds = Number(wait);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--wait takes seconds (a number, 0 or more), got "${wait}"`);
  }
  return { wait: seconds };
}

/** Runs a wait shown by the view: a failure or a timeout is shown there, then ends the command. */
async function followed(
  view: TaskProgressView,
  wait: () => Promise<FunctionResponse>,
): Promise<FunctionResponse> {
  try {
    return await wait();
  } catch (error) {
    if (error instanceof CanopyTaskFailedError) {
      view.failed(`task ${error.taskId} failed: ${error.message} (${error.code}, ${error.status})`);
      throw new ExitError(ExitCode.taskFailed, '');
    }
    if (error instanceof CanopyTaskPendingError) {
      view.failed(`task ${error.taskId} has not finished yet (${error.progress}%)`);
      throw new ExitError(ExitCode.taskPending, '');
    }
    view.failed('stopped waiting');
    throw error;
  }
}

async function printResult(
  context: CommandContext,
  view: TaskProgressView | undefined,
  taskId: string,
  response: FunctionResponse,
): Promise<void> {
  const summary =
    `task ${taskId} finished: ${response.status} ${response.contentType ?? ''}`.trim();
  if (response.status >= 400) view?.failed(summary);
  else view?.finished(summary);
  await writeBytes(context.stdout, [response.body]);
  if (response.status >= 400) {
    throw new ExitError(
      ExitCode.taskFailed,
      view === undefined ? `the function answered ${response.status}` : '',
    );
  }
}

function pendingExit(taskId: string, progress: number): ExitError {
  return new ExitError(
    ExitCode.taskPending,
    `task ${taskId} has not finished yet (${progress}%): use --wait to wait for it`,
  );
}

/** The `from` of a `Link: <…?from=N…>; rel="next"` header, or undefined on the last page. */
function nextFrom(link: string | null): string | undefined {
  const next = link === null ? undefined : /<([^>]*)>\s*;\s*rel="next"/.exec(link)?.[1];
  return next === undefined
    ? undefined
    : (new URL(next, 'http://canopy.invalid').searchParams.get('from') ?? undefined);
}

function statusText(status: number): string {
  return status === 0 ? 'pending' : String(status);
}
