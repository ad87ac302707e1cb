import { chmod, writeFile } from 'node:fs/promises';
import { dataOf } from '@canopy/client';
import type { paths } from '@canopy/client';
import { Command } from '@commander-js/extra-typings';
import { orDash, utcTime } from '../terminal/output.js';
import { pagedList, show, userAction, withPaging } from './command-context.js';
import type { AnyCommand, CommandContext } from './command-context.js';

type NodeEntry =
  paths['/v1/node/list']['get']['responses']['200']['content']['application/json'][number];

/** `canopy node list|register|disable|enable`; `canopy node start` (an agent) is added beside them. */
export function nodeCommands(context: CommandContext): AnyCommand[] {
  const register = new Command('register')
    .description(
      'register a node with the account: writes its NATS credentials (shown this once) to a file ' +
        'only you can read; run it with `canopy node start --nats-creds FILE` or the node SDK',
    )
    .argument('<hash>', "the account's name for the node: 1 to 64 of A-Z a-z 0-9 _ -")
    .requiredOption('--creds-file <file>', 'where to write the credentials (mode 0600)')
    .option('--description <text>', 'a description')
    .action(
      userAction(context, async ({ client }, [hash, options]) => {
        const registered = dataOf(
          await client.api.POST('/v1/node/{hash}', {
            params: { path: { hash } },
            body: options.description === undefined ? {} : { description: options.description },
          }),
        );
        await writeFile(options.credsFile, registered.credentials, { mode: 0o600 });
        await chmod(options.credsFile, 0o600);
        const { credentials: _secret, ...node } = registered;
        return show.done(
          `registered ${hash}: node id ${node.nodeId}, credentials in ${options.credsFile}`,
          { ...node, credentialsFile: options.credsFile },
        );
      }),
    );
  const disable = new Command('disable')
    .description('disable a node: it gets no more work and its credentials stop working')
    .argument('<hash>', "the account's name for the node")
    .action(
      userAction(context, async ({ client }, [hash]) => {
        dataOf(await client.api.DELETE('/v1/node/{hash}', { params: { path: { hash } } }));
        return show.done(`disabled ${hash}`, { hash, disabled: true });
      }),
    );
  const enable = new Command('enable')
    .description('enable a disabled node again (it gets work once it announces itself)')
    .argument('<hash>', "the account's name for the node")
    .action(
      userAction(context, async ({ client }, [hash]) => {
        const node = dataOf(
          await client.api.PATCH('/v1/node/{hash}', { params: { path: { hash } }, body: {} }),
        );
        return show.done(`enabled ${hash}`, node);
      }),
    );
  return [nodeListCommand(context), register, disable, enable];
}

function nodeListCommand(context: CommandContext): Command {
  return withPaging(
    new Command('list').description(
      "the account's registered nodes: capabilities, slots in use, last seen",
    ),
  ).action(
    userAction(context, async ({ client, output }, [options]) => {
      const rows = await pagedList(context, output, options, (query) =>
        client.api.GET('/v1/node/list', { params: { query } }),
      );
      return show.list<NodeEntry>(rows, [
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
    }),
  );
}

function nodeState(node: NodeEntry): string {
  if (node.disabled) return 'disabled';
  return node.available ? 'available' : 'away';
}
