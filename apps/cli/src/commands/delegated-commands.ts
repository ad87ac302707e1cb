import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appEntryPoint } from '../local-stack/process-supervisor.js';

// Commands that another app implements: the CLI runs that app's entry point with the arguments,
// in the foreground, and exits with its exit code. Apps stay separate programs (an app never imports
// another app), and `canopy node start` is exactly the node agent an operator would run.

export const nodeStartUsage = `Usage: canopy node start [--cpu-count N] [--mem-size MiB] [--network-latency MS]
                         [--privileged] [--slots K] [--node-id ID] [--nats-url URL]
                         [--nats-creds FILE]

Runs the reference node agent in the foreground; Ctrl-C stops it after its running tasks.
Every flag is passed to the agent: run \`canopy node start --help\` for all of them.`;

export const projectorRebuildHelp = `
Rebuilds every read model from the first event into fresh tables and swaps them in while the API
keeps answering. Uses DATABASE_URL (default: the local canopy database).`;

/** Runs `apps/<app>/dist/main.js args...` with the given environment; resolves with its exit code. */
export function runApp(
  app: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  const entry = appEntryPoint(app);
  if (!existsSync(entry)) {
    process.stderr.write(`canopy: ${app} is not built yet; run \`npm run build\` first\n`);
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  // The child gets Ctrl-C from the terminal itself; the CLI only waits for it to finish.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      resolve(code ?? (signal === null ? 1 : 128 + 15));
    });
  });
}
