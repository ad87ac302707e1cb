import type { paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { orDash, utcTime } from '../terminal/output.js';
import { outputOf, pagedList, sessionOf } from './command-context.js';
import type { CommandContext } from './command-context.js';

type NodeEntry =
  paths['/v1/node/list']['get']['responses']['200']['content']['application/json'][number];

/** `canopy node list`; `canopy node start` (running an agent) is added beside it. */
export function nodeListCommand(context: CommandContext): Command {
  return new Command('list')
    .description("the account's registered nodes: capabilities, slots in use, last seen")
    .option('--limit <n>', 'rows per page (1 to 500; default 50)')
    .option('--cursor <cursor>', 'the page after the one that gave this cursor')
    .option('--all', 'every page')
    .action(async (options, command) => {
      const output = outputOf(context, command);
      const { client } = await sessionOf(context, command);
      const rows = await pagedList(context, output, options, (query) =>
        client.api.GET('/v1/node/list', { params: { query } }),
      );
      output.list<NodeEntry>(rows, [
        { header: 'HASH', value: (node) => node.hash },
        { header: 'NODE ID', value: (node) => node.nodeId },
        { header: 'STATE', value: (node) => nodeState(node) },
        {
          header: 'SLOTS',
          value: (node) => (node.slots === null ? '-' : `${node.runningTasks}/${node.slots} busy`),
        },
        {
          header: 'CAPABILITIES',
          value: (node) =>
            node.capabilities === null
              ? '-'
              : `cpu ${node.capabilities.cpuCount}, mem ${node.capabilities.memSize} MiB, ` +
                `latency ${node.capabilities.networkLatency} ms` +
                (node.capabilities.privileged ? ', privileged' : ''),
        },
        { header: 'LAST SEEN', value: (node) => utcTime(node.lastSeenAt) },
        { header: 'DESCRIPTION', value: (node) => orDash(node.description) },
      ]);
    });
}

function nodeState(node: NodeEntry): string {
  if (node.disabled) return 'disabled';
  return node.available ? 'available' : 'away';
}
