import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

// One real Canopy process (an app's built `dist/main.js`), with its output kept so that a failing
// test can show what the processes said.

const keptLines = 200;
const stopGraceMs = 10_000;

/** The repository's root, from this module's place in `apps/platform-e2e/{src,dist}/testing/`. */
export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * An app's built entry point, in the repository or in another tree laid out like it (`root`, with a
 * trailing slash); fails with the fix when the build is missing.
 */
export function builtEntryPoint(app: string, root = repositoryRoot): string {
  const entry = `${root}apps/${app}/dist/main.js`;
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run npm run build (from the repository root) first`);
  }
  return entry;
}

export class ServiceProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly everything: string[] | undefined;
  private readonly logFile: WriteStream | undefined;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;

  constructor(
    readonly name: string,
    entry: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    options: { readonly keepAllOutput?: boolean; readonly logFile?: string } = {},
  ) {
    this.everything = options.keepAllOutput === true ? [] : undefined;
    this.logFile =
      options.logFile === undefined
        ? undefined
        : createWriteStream(options.logFile, { flags: 'a' });
    // A log that cannot be written must not stop the process it records.
    this.logFile?.on('error', () => undefined);
    this.child = spawn(process.execPath, [entry, ...args], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.logFile?.end(`--- exited (${String(code ?? signal)})\n`);
        resolve(code ?? signal ?? 'unknown');
      });
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote (stdout and stderr interleaved). */
  outputTail(lineCount = 40): string {
    return this.lines.slice(-lineCount).join('\n');
  }

  /** Everything the process wrote; only when it was started with `keepAllOutput`. */
  allOutput(): string {
    if (this.everything === undefined) throw new Error(`${this.name} keeps only its last lines`);
    return this.everything.join('');
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL when it has not exited after the grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private keep(chunk: string): void {
    this.everything?.push(chunk);
    this.logFile?.write(chunk);
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      this.lines.push(line);
    }
    if (this.lines.length > keptLines * 2) this.lines.splice(0, this.lines.length - keptLines);
  }
}

/** Runs a process to its end and resolves with its exit code and output (the CLI's commands). */
export function runToCompletion(
  entry: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
