import path from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { createServiceLogger } from '@canopy/service-runtime';
import { readCliConfig } from '../cli-config.js';
import { UsageError } from '../exit-codes.js';
import type { AnyCommand } from '../user-commands/command-context.js';
import { provideLocalServices } from '../local-stack/local-services.js';
import { accountCreateHelp, createAccount } from './account-command.js';
import { authKeysHelp, runAuthKeys } from './auth-keys-command.js';
import { nodeStartUsage, projectorRebuildHelp, runApp } from './delegated-commands.js';
import { isPlatformService, natsCreds, natsHelp, natsInit } from './nats-command.js';
import type { CredentialsSubject } from './nats-command.js';
import { runStart, startHelp } from './start-command.js';

// The operator's commands: they work on the local stack, the event store, NATS and the signing keys
// directly, not through the HTTP API. Each sets the exit code it ends with.

export interface AdminCommands {
  readonly commands: AnyCommand[];
  /** `node start`, which `canopy node` holds beside the user command `node list`. */
  readonly nodeStart: AnyCommand;
}

export function adminCommands(
  env: NodeJS.ProcessEnv,
  stdout: NodeJS.WritableStream,
  setExitCode: (code: number) => void,
): AdminCommands {
  const config = () => readCliConfig(env);
  const printJson = (value: unknown): void => {
    stdout.write(`${JSON.stringify(value)}\n`);
  };

  const start = new Command('start')
    .description('run the whole system locally (what `npm start` does)')
    .addHelpText('after', startHelp)
    .option('--node-slots <k>', 'slots of the local node agent', '4')
    .option('--no-node', 'do not start a local node agent')
    .option(
      '--insecure-nats',
      'use a NATS without authentication (the local one on 4222, or a spawned nats-server -js); also CANOPY_NATS_INSECURE=true',
    )
    .action(async (options) => {
      const nodeSlots = Number(options.nodeSlots);
      if (!Number.isInteger(nodeSlots) || nodeSlots < 1) {
        throw new UsageError(`--node-slots must be a positive integer, got "${options.nodeSlots}"`);
      }
      const cliConfig = config();
      const logger = createServiceLogger('canopy', cliConfig.LOG_LEVEL);
      setExitCode(
        await runStart(
          cliConfig,
          { nodeSlots, withNode: options.node, insecureNats: options.insecureNats === true },
          logger,
        ),
      );
    });

  const account = new Command('account').description('accounts (on the event store directly)');
  account
    .command('create')
    .description('create an account and print its first API key')
    .addHelpText('after', accountCreateHelp)
    .requiredOption('--name <name>', "the account's name")
    .option('--label <label>', 'a label for the API key')
    .action(async (options) => {
      const name = options.name.trim();
      if (name === '') throw new UsageError('--name must not be blank');
      const cliConfig = config();
      const logger = createServiceLogger('canopy', 'warn');
      printJson(await createAccount(cliConfig, { name, label: options.label ?? null }, logger));
    });

  const auth = new Command('auth').description('the keys that sign access tokens');
  const keys = auth
    .command('keys')
    .description('create, list, add, activate, retire the keys that sign access tokens')
    .addHelpText('after', authKeysHelp);
  for (const [name, description] of [
    ['init', 'create the key file with one active key, unless it exists'],
    ['list', 'the keys, which one is active'],
    ['add', 'generate a new key and add it to the set (not active)'],
    ['rotate', 'add + activate at once'],
  ] as const) {
    keys
      .command(name)
      .description(description)
      .action(async () =>
        printJson(await runAuthKeys(config(), { command: name, kid: undefined })),
      );
  }
  for (const [name, description] of [
    ['activate', 'make the key the one that signs'],
    ['retire', 'remove a key (never the active one)'],
  ] as const) {
    keys
      .command(name)
      .description(description)
      .argument('<kid>', "the key's id")
      .action(async (kid) => printJson(await runAuthKeys(config(), { command: name, kid })));
  }

  // Every argument goes to the node agent, which has its own --help.
  const nodeStart = new Command('start')
    .description(
      'run a node agent (worker) in the foreground; `canopy node start --help` lists its flags',
    )
    .addHelpText('after', nodeStartUsage)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', "the node agent's flags")
    .action(async (flags) => {
      const cliConfig = config();
      const agentEnv: Record<string, string> =
        cliConfig.NATS_URL === undefined ? {} : { NATS_URL: cliConfig.NATS_URL };
      setExitCode(await runApp('node-agent', flags, agentEnv));
    });

  const nats = new Command('nats')
    .description('NATS authentication: server configuration, credentials')
    .addHelpText('after', natsHelp);
  nats
    .command('init')
    .description("create the NATS authority (once), server.conf and the services' credentials")
    .option('--out <dir>', 'where to write', 'infra/nats')
    .option('--host <host>', 'the address nats-server listens on', '0.0.0.0')
    .option('--port <port>', "nats-server's port", '4222')
    .option('--store-dir <dir>', "JetStream's directory", '/data')
    .option('--monitor-port <port>', 'HTTP monitoring port ("" for none)', '8222')
    .action(async (options) => {
      const { files } = await natsInit({
        outDir: options.out,
        host: options.host,
        port: portOption('--port', options.port),
        storeDir: options.storeDir,
        monitorPort:
          options.monitorPort === ''
            ? undefined
            : portOption('--monitor-port', options.monitorPort),
      });
      printJson({ written: files });
    });
  nats
    .command('creds')
    .description('print new credentials (.creds) for a node, a service or the system account')
    .addOption(new Option('--node <id>', "a node's credentials"))
    .addOption(new Option('--service <name>', "a service's: gateway, scheduler, projector or cli"))
    .option('--system', "a system account user's")
    .option(
      '--authority <file>',
      'the authority file (default NATS_AUTHORITY_FILE, else the data dir)',
    )
    .action(async (options) => {
      const chosen = [options.node !== undefined, options.service !== undefined, options.system];
      if (chosen.filter(Boolean).length !== 1) {
        throw new UsageError('give exactly one of --node ID, --service NAME and --system');
      }
      let subject: CredentialsSubject;
      if (options.node !== undefined) subject = { kind: 'node', nodeId: options.node };
      else if (options.service !== undefined) {
        if (!isPlatformService(options.service)) {
          throw new UsageError(
            `--service must be gateway, scheduler, projector or cli, got "${options.service}"`,
          );
        }
        subject = { kind: 'service', service: options.service };
      } else subject = { kind: 'system' };
      const cliConfig = config();
      const authorityFile =
        options.authority ??
        cliConfig.NATS_AUTHORITY_FILE ??
        path.join(cliConfig.dataDir, 'nats', 'authority.json');
      stdout.write(await natsCreds(authorityFile, subject));
    });

  const projector = new Command('projector').description('the read models');
  projector
    .command('rebuild')
    .description('rebuild every read model from the event store and swap it in')
    .addHelpText('after', projectorRebuildHelp)
    .action(async () => {
      const cliConfig = config();
      const logger = createServiceLogger('canopy', cliConfig.LOG_LEVEL);
      const services = await provideLocalServices(cliConfig, logger, { nats: false });
      try {
        setExitCode(
          await runApp('projector', ['rebuild'], {
            DATABASE_URL: services.databaseUrl,
            LOG_LEVEL: cliConfig.LOG_LEVEL,
          }),
        );
      } finally {
        await services.stop();
      }
    });

  return { commands: [start, account, auth, nats, projector], nodeStart };
}

function portOption(name: string, value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`${name} must be a port number (1 to 65535), got "${value}"`);
  }
  return port;
}
