import { readFileSync } from 'node:fs';
import { CanopyApiError, CanopyTaskFailedError } from '@canopy/client';
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { ConfigurationError } from '@canopy/service-runtime';
import { adminCommands } from './commands/admin-commands.js';
import { ExitCode, ExitError, UsageError } from './exit-codes.js';
import { completionCommands } from './user-commands/completion-command.js';
import type { AnyCommand, CommandContext } from './user-commands/command-context.js';
import { functionCommands } from './user-commands/function-commands.js';
import { loginCommands } from './user-commands/login-commands.js';
import { metricsCommand } from './user-commands/metrics-command.js';
import { nodeCommands } from './user-commands/node-commands.js';
import { scheduleCommands } from './user-commands/schedule-commands.js';
import { taskCommands } from './user-commands/task-commands.js';
import { readUserEnvironment } from './user-session/user-config.js';

// src/main.ts and dist/main.js sit at the same depth, so the path holds for both.
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Runs one CLI invocation; resolves with the process exit code (apps/cli/README.md, "Exit codes"). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const context: CommandContext = {
    environment: readUserEnvironment(process.env),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  };
  const program = canopyProgram(context, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return failed(error, context.stderr);
  }
}

function canopyProgram(context: CommandContext, setExitCode: (code: number) => void): AnyCommand {
  const program = new Command('canopy')
    .description(
      "Canopy's command line: run functions as tasks and read their results through the HTTP API " +
        '(sign in first: canopy login), and operate a local stack (start, account, auth, nats, projector)',
    )
    .version(version, '-V, --version')
    .addOption(
      new Option(
        '--api-url <url>',
        'the API (default: CANOPY_API_URL, else the one `canopy login` used, else http://127.0.0.1:3000)',
      ),
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'table or json (default: table on a terminal, json otherwise)',
      ).choices(['table', 'json']),
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });

  const admin = adminCommands(process.env, context.stdout, setExitCode);
  const node: AnyCommand = new Command('node').description(
    "the account's worker nodes; or run a node agent here (node start)",
  );
  for (const command of [...nodeCommands(context), admin.nodeStart]) node.addCommand(command);

  const commands: AnyCommand[] = [
    ...loginCommands(context),
    functionCommands(context),
    taskCommands(context),
    node,
    scheduleCommands(context),
    metricsCommand(context),
    ...admin.commands,
    ...completionCommands(() => program, context.stdout),
  ];
  for (const command of commands) {
    program.addCommand(command, command.name().startsWith('__') ? { hidden: true } : {});
  }
  // Every command reports a wrong argument the same way (exit code 2), and prints its help on request.
  const configure = (command: AnyCommand) => {
    command.exitOverride().showHelpAfterError('(add --help for usage)');
    command.configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
    for (const sub of command.commands) configure(sub);
  };
  for (const sub of program.commands) configure(sub);
  return program;
}

function failed(error: unknown, stderr: NodeJS.WritableStream): number {
  const say = (message: string) => {
    if (message !== '') stderr.write(`canopy: ${message}\n`);
  };
  if (error instanceof CommanderError) {
    // Help and version end with 0; commander has printed its own message for the rest.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof ExitError) {
    say(error.message);
    return error.exitCode;
  }
  if (error instanceof UsageError || error instanceof ConfigurationError) {
    say(error.message);
    return ExitCode.usage;
  }
  if (error instanceof CanopyTaskFailedError) {
    say(`task ${error.taskId} failed: ${error.message} (${error.code}, HTTP ${error.status})`);
    return ExitCode.taskFailed;
  }
  if (error instanceof CanopyApiError) {
    say(`${error.message} (${error.code}, HTTP ${error.status})`);
    if (error.status === 401) return ExitCode.unauthorized;
    return error.status >= 400 && error.status < 500 ? ExitCode.refused : ExitCode.failure;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    say(`the API could not be reached${cause}`);
    return ExitCode.failure;
  }
  say(error instanceof Error ? error.message : String(error));
  return ExitCode.failure;
}
