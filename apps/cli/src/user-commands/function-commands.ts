import { dataOf } from '@canopy/client';
import type { paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { orDash, utcTime } from '../terminal/output.js';
import { readDocument } from '../terminal/request-input.js';
import { functionIdOf, outputOf, pagedList, sessionOf } from './command-context.js';
import type { CommandContext } from './command-context.js';

type FunctionDefinition =
  paths['/v1/function']['post']['requestBody']['content']['application/json'];
type FunctionEntry =
  paths['/v1/function/list']['get']['responses']['200']['content']['application/json'][number];
type FunctionDetail =
  paths['/v1/function/{id}']['get']['responses']['200']['content']['application/json'];

export function functionCommands(context: CommandContext): Command {
  const functions = new Command('function').description('register and read functions');

  functions
    .command('create')
    .description('register a function from its definition (JSON or YAML; see apps/cli/README.md)')
    .requiredOption('-f, --file <file>', 'the definition: a .json or .yaml file, - for stdin')
    .action(async (options, command) => {
      const definition = await readDocument(options.file, context.stdin);
      const { client } = await sessionOf(context, command);
      const created = dataOf(
        await client.api.POST('/v1/function', {
          // The API checks the definition and names the field at fault.
          body: definition as FunctionDefinition,
        }),
      );
      outputOf(context, command).done(created.id, created);
    });

  functions
    .command('list')
    .description("the account's functions, newest first")
    .option('--limit <n>', 'rows per page (1 to 500; default 50)')
    .option('--cursor <cursor>', 'the page after the one that gave this cursor')
    .option('--all', 'every page')
    .action(async (options, command) => {
      const output = outputOf(context, command);
      const { client } = await sessionOf(context, command);
      const rows = await pagedList(context, output, options, (query) =>
        client.api.GET('/v1/function/list', { params: { query } }),
      );
      output.list<FunctionEntry>(rows, [
        { header: 'ID', value: (fn) => fn.id },
        { header: 'NAME', value: (fn) => fn.name },
        { header: 'RUNTIME', value: (fn) => fn.runtime.kind },
        { header: 'TIMEOUT', value: (fn) => `${fn.capabilities.timeout}s` },
        { header: 'NEEDS', value: (fn) => requirements(fn.capabilities) },
        { header: 'CREATED', value: (fn) => utcTime(fn.created) },
      ]);
    });

  functions
    .command('get')
    .description('a function as registered, with the counts of its tasks')
    .argument('<function>', 'its id, or its name')
    .action(async (reference, _options, command) => {
      const { client } = await sessionOf(context, command);
      const id = await functionIdOf(client, reference);
      const fn = dataOf(await client.api.GET('/v1/function/{id}', { params: { path: { id } } }));
      outputOf(context, command).record<FunctionDetail>(fn, [
        { header: 'id', value: (f) => f.id },
        { header: 'name', value: (f) => f.name },
        { header: 'description', value: (f) => orDash(f.description) },
        { header: 'runtime', value: (f) => JSON.stringify(f.runtime) },
        { header: 'timeout', value: (f) => `${f.capabilities.timeout}s` },
        { header: 'needs', value: (f) => requirements(f.capabilities) },
        { header: 'created', value: (f) => utcTime(f.created) },
        {
          header: 'tasks',
          value: (f) =>
            `${f.metrics.pendingTasks} pending, ${f.metrics.completedTasks} completed, ` +
            `${f.metrics.todaysTasks} today, ${f.metrics.weekTasks} this week`,
        },
      ]);
    });

  return functions;
}

type Requirements = Omit<FunctionEntry['capabilities'], 'timeout'>;

export function requirements(needs: Requirements): string {
  const parts = [
    needs.cpuCount > 0 ? `cpu ${needs.cpuCount}` : undefined,
    needs.memSize > 0 ? `mem ${needs.memSize} MiB` : undefined,
    needs.networkLatency > 0 ? `latency ≤ ${needs.networkLatency} ms` : undefined,
    needs.privileged ? 'privileged' : undefined,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'any node' : parts.join(', ');
}
