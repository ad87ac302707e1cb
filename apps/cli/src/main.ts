import { parseArgs } from 'node:util';
import { ConfigurationError, createServiceLogger } from '@canopy/service-runtime';
import { readCliConfig } from './cli-config.js';
import { runStart, startUsage } from './commands/start-command.js';

const usage = `Usage: canopy <command> [options]

Commands:
  start                 run the whole system locally (what \`npm start\` does)

Run \`canopy <command> --help\` for a command's options.`;

class UsageError extends Error {}

/** Runs one CLI invocation; resolves with the process exit code (2 for a usage error). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest);
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
