import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, createServiceLogger } from '@canopy/service-runtime';
import { readCliConfig } from './cli-config.js';
import { accountCreateUsage, createAccount } from './commands/account-command.js';
import { authKeysUsage, runAuthKeys } from './commands/auth-keys-command.js';
import { nodeStartUsage, projectorRebuildUsage, runApp } from './commands/delegated-commands.js';
import {
  isPlatformService,
  natsCreds,
  natsInit,
  natsUsage,
  type CredentialsSubject,
} from './commands/nats-command.js';
import { runStart, startUsage } from './commands/start-command.js';
import { provideLocalServices } from './local-stack/local-services.js';

const usage = `Usage: canopy <command> [options]

Commands:
  start                 run the whole system locally (what \`npm start\` does)
  account create        create an account and print its first API key
  auth keys             list, add, activate, retire the keys that sign access tokens
  node start            run a node agent (worker) in the foreground
  nats init | creds     NATS authentication: server configuration, credentials
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
      case 'auth':
        return await auth(rest);
      case 'node':
        return await node(rest);
      case 'nats':
        return await nats(rest);
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
      'insecure-nats': { type: 'boolean', default: false },
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
  return runStart(
    config,
    { nodeSlots, withNode: !values['no-node'], insecureNats: values['insecure-nats'] },
    logger,
  );
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

async function auth(args: readonly string[]): Promise<number> {
  const [group, command, ...rest] = args;
  if (group === '--help' || group === '-h') return printed(authKeysUsage);
  if (group !== 'keys') throw new UsageError(`unknown command "auth ${group ?? ''}"`);
  if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help'))
    return printed(authKeysUsage);
  const needsKid = command === 'activate' || command === 'retire';
  if (!['list', 'add', 'activate', 'retire', 'rotate'].includes(command))
    throw new UsageError(`unknown command "auth keys ${command}"`);
  if (needsKid ? rest.length !== 1 : rest.length !== 0)
    throw new UsageError(
      needsKid
        ? `auth keys ${command} needs exactly one KID`
        : `unexpected arguments: ${rest.join(' ')}`,
    );
  const config = readCliConfig(process.env);
  const result = await runAuthKeys(config, { command, kid: rest[0] });
  process.stdout.write(`${JSON.stringify(result)}\n`);
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

async function nats(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(`${natsUsage}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  if (subcommand === 'init') {
    const { values } = parseArgs({
      args: [...rest],
      options: {
        out: { type: 'string', default: 'infra/nats' },
        host: { type: 'string', default: '0.0.0.0' },
        port: { type: 'string', default: '4222' },
        'store-dir': { type: 'string', default: '/data' },
        'monitor-port': { type: 'string', default: '8222' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) return printed(natsUsage);
    const { files } = await natsInit({
      outDir: values.out,
      host: values.host,
      port: portOption('--port', values.port),
      storeDir: values['store-dir'],
      monitorPort:
        values['monitor-port'] === ''
          ? undefined
          : portOption('--monitor-port', values['monitor-port']),
    });
    process.stdout.write(`${JSON.stringify({ written: files })}\n`);
    return 0;
  }
  if (subcommand === 'creds') {
    const { values } = parseArgs({
      args: [...rest],
      options: {
        node: { type: 'string' },
        service: { type: 'string' },
        system: { type: 'boolean', default: false },
        authority: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) return printed(natsUsage);
    const chosen = [values.node !== undefined, values.service !== undefined, values.system];
    if (chosen.filter(Boolean).length !== 1) {
      throw new UsageError('give exactly one of --node ID, --service NAME and --system');
    }
    let subject: CredentialsSubject;
    if (values.node !== undefined) subject = { kind: 'node', nodeId: values.node };
    else if (values.service !== undefined) {
      if (!isPlatformService(values.service)) {
        throw new UsageError(
          `--service must be gateway, scheduler, projector or cli, got "${values.service}"`,
        );
      }
      subject = { kind: 'service', service: values.service };
    } else subject = { kind: 'system' };
    const config = readCliConfig(process.env);
    const authorityFile =
      values.authority ??
      config.NATS_AUTHORITY_FILE ??
      path.join(config.dataDir, 'nats', 'authority.json');
    process.stdout.write(await natsCreds(authorityFile, subject));
    return 0;
  }
  throw new UsageError(`unknown command "nats ${subcommand}"`);
}

function portOption(name: string, value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`${name} must be a port number (1 to 65535), got "${value}"`);
  }
  return port;
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
