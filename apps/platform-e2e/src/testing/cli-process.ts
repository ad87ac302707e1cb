import { spawn } from 'node:child_process';
import { repositoryRoot } from './service-process.js';

// The built `canopy` command run as a user runs it: a process with arguments, an environment,
// perhaps standard input; its exit code, stdout as bytes (results are compared byte for byte) and
// stderr as text.

export interface CliOutcome {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** stdout as UTF-8 text. */
  readonly text: string;
}

export const cliLauncher = `${repositoryRoot}apps/cli/bin/canopy.js`;

export function runCanopy(
  args: readonly string[],
  options: { env: Readonly<Record<string, string>>; input?: string | Buffer },
): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliLauncher, ...args], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const bytes = Buffer.concat(stdout);
      resolve({ code, stdout: bytes, stderr, text: bytes.toString('utf8') });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
