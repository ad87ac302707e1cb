import { dataOf } from '@canopy/client';
import type { paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { show, userAction } from './command-context.js';
import type { CommandContext } from './command-context.js';

type AccountMetrics =
  paths['/v1/metrics']['get']['responses']['200']['content']['application/json'];

export function metricsCommand(context: CommandContext): Command {
  return new Command('metrics').description("the account's task and node counts").action(
    userAction(context, async ({ client }) => {
      const metrics = dataOf(await client.api.GET('/v1/metrics'));
      return show.record<AccountMetrics>(metrics, [
        { header: 'pending tasks', value: (m) => String(m.pendingTasks) },
        { header: 'tasks today', value: (m) => String(m.todayTasks) },
        { header: 'completed tasks', value: (m) => String(m.completedTasks) },
        { header: 'active nodes', value: (m) => String(m.activeNodes) },
        { header: 'busy nodes', value: (m) => String(m.busyNodes) },
        { header: 'free nodes', value: (m) => String(m.freeNodes) },
      ]);
    }),
  );
}
