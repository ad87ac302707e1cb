import { dataOf, requirementsText } from '@canopy/client';
import type { paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { orDash, utcTime } from '../terminal/output.js';
import type { Column } from '../terminal/output.js';
import { readDocument } from '../terminal/request-input.js';
import {
  NAME_LISTED_WITHIN_MS,
  functionIdOf,
  pagedList,
  show,
  untilListed,
  userAction,
  withPaging,
} from './command-context.js';
import type { CommandContext } from './command-context.js';

type FunctionDefinition =
  paths['/v1/function']['post']['requestBody']['content']['application/json'];
type FunctionChange = NonNullable<
  paths['/v1/function/{id}']['patch']['requestBody']
>['content']['application/json'];
type FunctionEntry =
  paths['/v1/function/list']['get']['responses']['200']['content']['application/json'][number];
type FunctionDetail =
  paths['/v1/function/{id}']['get']['responses']['200']['content']['application/json'];
type FunctionVersion = Omit<FunctionDetail, 'metrics'>;

const versionFields: readonly Column<FunctionVersion>[] = [
  { header: 'id', value: (f) => f.id },
  { header: 'name', value: (f) => f.name },
  { header: 'version', value: (f) => String(f.version) },
  { header: 'description', value: (f) => orDash(f.description) },
  { header: 'runtime', value: (f) => JSON.stringify(f.runtime) },
  { header: 'timeout', value: (f) => `${f.capabilities.timeout}s` },
  { header: 'needs', value: (f) => requirementsText(f.capabilities) },
  { header: 'created', value: (f) => utcTime(f.created) },
];
const functionFields: readonly Column<FunctionDetail>[] = [
  ...versionFields,
  {
    header: 'tasks',
    value: (f) =>
      `${f.metrics.pendingTasks} pending, ${f.metrics.completedTasks} completed, ` +
      `${f.metrics.todaysTasks} today, ${f.metrics.weekTasks} this week`,
  },
];

export function functionCommands(context: CommandContext): Command {
  const functions = new Command('function').description(
    'register, read, change and delete functions',
  );

  functions
    .command('create')
    .description('register a function from its definition (JSON or YAML; see apps/cli/README.md)')
    .requiredOption('-f, --file <file>', 'the definition: a .json or .yaml file, - for stdin')
    .action(
      userAction(context, async ({ client }, [options]) => {
        // The API checks the definition and names the field at fault.
        const definition = (await readDocument(options.file, context.stdin)) as FunctionDefinition;
        const created = dataOf(await client.api.POST('/v1/function', { body: definition }));
        // Commands that follow may name it: answer once its name finds it.
        const { name } = definition;
        const named = await untilListed(client, name, created.id);
        if (named === undefined) {
          context.stderr.write(
            `function ${created.id} is registered, but its name "${name}" does not find it yet ` +
              `(after ${NAME_LISTED_WITHIN_MS / 1000} s): use its id until it does\n`,
          );
        } else if (named.length > 1) {
          context.stderr.write(
            `${named.length} functions are named "${name}": give this one's id, ${created.id}, ` +
              `where a command takes a function\n`,
          );
        }
        return show.done(created.id, created);
      }),
    );

  functions
    .command('update')
    .description(
      'change a function: its next version takes the fields the file gives (JSON or YAML: ' +
        'description, capabilities, runtime, retry, priority); tasks issued before keep theirs, ' +
        'tasks issued once it has answered run the new one',
    )
    .argument('<function>', "the function's id, or its name")
    .requiredOption('-f, --file <file>', 'the fields to change: a .json or .yaml file, - for stdin')
    .action(
      userAction(context, async ({ client }, [reference, options]) => {
        const change = await readDocument(options.file, context.stdin);
        const id = await functionIdOf(client, reference);
        const changed = dataOf(
          await client.api.PATCH('/v1/function/{id}', {
            params: { path: { id } },
            body: change as FunctionChange,
          }),
        );
        return show.record<FunctionVersion>(changed, versionFields);
      }),
    );

  functions
    .command('delete')
    .description(
      'delete a function: it takes no new task; its tasks and their results stay readable',
    )
    .argument('<function>', "the function's id, or its name")
    .action(
      userAction(context, async ({ client }, [reference]) => {
        const id = await functionIdOf(client, reference);
        dataOf(await client.api.DELETE('/v1/function/{id}', { params: { path: { id } } }));
        return show.done(`deleted ${id}`, { id, deleted: true });
      }),
    );

  withPaging(functions.command('list').description("the account's functions, newest first")).action(
    userAction(context, async ({ client, output }, [options]) => {
      const rows = await pagedList(context, output, options, (query) =>
        client.api.GET('/v1/function/list', { params: { query } }),
      );
      return show.list<FunctionEntry>(rows, [
        { header: 'ID', value: (fn) => fn.id },
        { header: 'NAME', value: (fn) => fn.name },
        { header: 'VERSION', value: (fn) => String(fn.version) },
        { header: 'RUNTIME', value: (fn) => fn.runtime.kind },
        { header: 'TIMEOUT', value: (fn) => `${fn.capabilities.timeout}s` },
        { header: 'NEEDS', value: (fn) => requirementsText(fn.capabilities) },
        { header: 'CREATED', value: (fn) => utcTime(fn.created) },
      ]);
    }),
  );

  functions
    .command('get')
    .description('a function as registered, with the counts of its tasks')
    .argument('<function>', 'its id, or its name')
    .argument('[version]', 'an earlier version of it (default: the current one)')
    .action(
      userAction(context, async ({ client }, [reference, version]) => {
        const id = await functionIdOf(client, reference);
        const fn = dataOf(
          await client.api.GET('/v1/function/{id}', {
            params: {
              path: { id },
              ...(version === undefined ? {} : { query: { version: Number(version) } }),
            },
          }),
        );
        return show.record<FunctionDetail>(fn, functionFields);
      }),
    );

  return functions;
}
