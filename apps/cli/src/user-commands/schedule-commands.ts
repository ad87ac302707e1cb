import { dataOf } from '@canopy/client';
import type { CanopyClient, paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { orDash, utcTime } from '../terminal/output.js';
import type { Column } from '../terminal/output.js';
import { taskRequestOf, withTaskRequest } from '../terminal/request-input.js';
import { functionIdOf, pagedList, show, userAction, withPaging } from './command-context.js';
import type { CommandContext } from './command-context.js';

type Schedule =
  paths['/v1/schedule/{id}']['get']['responses']['200']['content']['application/json'];

const scheduleFields: readonly Column<Schedule>[] = [
  { header: 'id', value: (s) => s.id },
  { header: 'name', value: (s) => orDash(s.name) },
  { header: 'function', value: (s) => s.functionId },
  { header: 'cron', value: (s) => `${s.cron} (${s.timeZone})` },
  { header: 'paused', value: (s) => (s.paused ? 'yes' : 'no') },
  { header: 'next tick', value: (s) => utcTime(s.nextTickAt) },
  { header: 'last tick', value: (s) => utcTime(s.lastTickAt) },
  { header: 'last task', value: (s) => orDash(s.lastTaskId) },
  { header: 'query', value: (s) => orDash(s.query) },
  { header: 'window', value: (s) => `${utcTime(s.startAt)} to ${utcTime(s.endAt)}` },
];

export function scheduleCommands(context: CommandContext): Command {
  const schedules = new Command('schedule').description(
    'issue tasks of a function on a cron schedule',
  );

  withTaskRequest(
    schedules
      .command('create')
      .description('a schedule: a task of the function at every tick of the cron')
      .requiredOption('-f, --function <function>', "the function's id, or its name")
      .requiredOption(
        '--cron <expression>',
        '5 fields, or 6 with leading seconds ("*/10 * * * * *")',
      )
      .option('--time-zone <zone>', "IANA zone the cron runs in (default: this machine's)"),
    'every task',
  )
    .option('--name <name>', 'a name for the schedule')
    .option('--description <text>', 'a description')
    .option('--start-at <unixSeconds>', 'no tick before this time')
    .option('--end-at <unixSeconds>', 'no tick after this time')
    .action(
      userAction(context, async ({ client }, [options]) => {
        const functionId = await functionIdOf(client, options.function);
        const request = await taskRequestOf(options, context.stdin);
        const created = dataOf(
          await client.api.POST('/v1/schedule', {
            body: {
              functionId,
              cron: options.cron,
              timeZone: options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
              query: request.query,
              ...(request.body === undefined
                ? {}
                : { body: request.body.toString('utf8'), contentType: request.contentType }),
              ...(options.name === undefined ? {} : { name: options.name }),
              ...(options.description === undefined ? {} : { description: options.description }),
              ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
              ...(options.endAt === undefined ? {} : { endAt: options.endAt }),
            },
          }),
        );
        return show.done(created.id, created);
      }),
    );

  withPaging(schedules.command('list').description("the account's schedules, newest first")).action(
    userAction(context, async ({ client, output }, [options]) => {
      const rows = await pagedList(context, output, options, (query) =>
        client.api.GET('/v1/schedule/list', { params: { query } }),
      );
      return show.list<Schedule>(rows, [
        { header: 'ID', value: (s) => s.id },
        { header: 'NAME', value: (s) => orDash(s.name) },
        { header: 'FUNCTION', value: (s) => s.functionId },
        { header: 'CRON', value: (s) => `${s.cron} (${s.timeZone})` },
        { header: 'PAUSED', value: (s) => (s.paused ? 'yes' : 'no') },
        { header: 'NEXT TICK', value: (s) => utcTime(s.nextTickAt) },
        { header: 'LAST TICK', value: (s) => utcTime(s.lastTickAt) },
      ]);
    }),
  );

  schedules
    .command('get')
    .description('a schedule, with its next and last tick')
    .argument('<schedule>', "the schedule's id")
    .action(
      userAction(context, async ({ client }, [id]) => {
        const schedule = dataOf(
          await client.api.GET('/v1/schedule/{id}', { params: { path: { id } } }),
        );
        return show.record(schedule, scheduleFields);
      }),
    );

  for (const [name, paused, description] of [
    ['pause', true, 'stop firing ticks until resumed'],
    ['resume', false, 'fire again from the next tick (ticks missed while paused are not fired)'],
  ] as const) {
    schedules
      .command(name)
      .description(description)
      .argument('<schedule>', "the schedule's id")
      .action(
        userAction(context, async ({ client }, [id]) =>
          show.record(await setPaused(client, id, paused), scheduleFields),
        ),
      );
  }

  schedules
    .command('delete')
    .description('delete a schedule: it never fires again')
    .argument('<schedule>', "the schedule's id")
    .action(
      userAction(context, async ({ client }, [id]) => {
        dataOf(await client.api.DELETE('/v1/schedule/{id}', { params: { path: { id } } }));
        return show.done(`deleted ${id}`, { id, deleted: true });
      }),
    );

  return schedules;
}

async function setPaused(client: CanopyClient, id: string, paused: boolean): Promise<Schedule> {
  return dataOf(
    await client.api.PATCH('/v1/schedule/{id}', {
      params: { path: { id } },
      body: { paused },
    }),
  );
}
