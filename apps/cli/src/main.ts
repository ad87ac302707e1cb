import { parseArgs } from 'node:util';
import { ConfigurationError, createServiceLogger } from '@canopy/service-runtime';
import { readCliConfig } from './cli-config.js';
import { accountCreateUsage, createAccount } from './commands/account-command.js';
import { nodeStartUsage, projectorRebuildUsage, runApp } from './commands/delegated-commands.js';
import { runStart, startUsage } from './commands/start-command.js';
import { provideLocalServices } from './local-stack/local-services.js';

const usage = `Usage: canopy <command> [options]

Commands:
  start                 run the whole system locally (what \`npm start\` does)
  account create        create an account and print its first API key
  node start            run a node agent (worker) in the foreground
  projector rebuild     rebuild every read model from the event store and swap it in

Run \`canopy <command> --help\` for a command's options.`;

class UsageError extends Error {}

/** Runs one CLI invocation; resolves with the process exit code (2 for a usage error). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'account':
        return await account(rest);
      case 'node':
        return await node(rest);
      case 'projector':
        return await projector(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${usage}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigurationError) {
      process.stderr.write(`canopy: ${error.message}\n`);
      return 2;
    }
    if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`canopy: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`canopy: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function start(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'node-slots': { type: 'string', default: '4' },
      'no-node': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${startUsage}\n`);
    return 0;
  }
  const nodeSlots = Number(values['node-slots']);
  if (!Number.isInteger(nodeSlots) || nodeSlots < 1) {
    throw new UsageError(`--node-slots must be a positive integer, got "${values['node-slots']}"`);
  }
  const config = readCliConfig(process.env);
  const logger = createServiceLogger('canopy', config.LOG_LEVEL);
  return runStart(config, { nodeSlots, withNode: !values['no-node'] }, logger);
}

async function account(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') return printed(accountCreateUsage);
  if (subcommand !== 'create')
    throw new UsageError(`unknown command "account ${subcommand ?? ''}"`);
  const { values } = parseArgs({
    args: [...rest],
    options: {
      name: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return printed(accountCreateUsage);
  const name = values.name?.trim() ?? '';
  if (name === '') throw new UsageError('--name is required (and must not be blank)');
  const config = readCliConfig(process.env);
  const logger = createServiceLogger('canopy', 'warn');
  const created = await createAccount(config, { name, label: values.label ?? null }, logger);
  process.stdout.write(`${JSON.stringify(created)}\n`);
  return 0;
}

async function node(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') return printed(nodeStartUsage);
  if (subcommand !== 'start') throw new UsageError(`unknown command "node ${subcommand ?? ''}"`);
  const config = readCliConfig(process.env);
  const env: Record<string, string> =
    config.NATS_URL === undefined ? {} : { NATS_URL: config.NATS_URL };
  return runApp('node-agent', rest, env);
}

async function projector(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (
    subcommand === '--help' ||
    subcommand === '-h' ||
    rest.includes('--help') ||
    rest.includes('-h')
  ) {
    return printed(projectorRebuildUsage);
  }
  if (subcommand !== 'rebuild')
    throw new UsageError(`unknown command "projector ${subcommand ?? ''}"`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const config = readCliConfig(process.env);
  const logger = createServiceLogger('canopy', config.LOG_LEVEL);
  const services = await provideLocalServices(config, logger, { nats: false });
  try {
    return await runApp('projector', ['rebuild'], {
      DATABASE_URL: services.databaseUrl,
      LOG_LEVEL: config.LOG_LEVEL,
    });
  } finally {
    await services.stop();
  }
}

function printed(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
