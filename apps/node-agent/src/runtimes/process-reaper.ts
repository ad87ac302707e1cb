import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { NodeLogger } from '@canopy/node-sdk';
import type { ProcessGroups } from './process-groups.js';

// The reaper is a POSIX shell script: every system with process groups has /bin/sh, so there is
// nothing to compile or install, and it stays small while it waits. It reads "+<pgid>" and
// "-<pgid>" lines from its stdin, whose other end only the agent holds. End of input means the
// agent is gone (the kernel closes the agent's end however it died), so it stops the groups still
// registered: SIGTERM, then SIGKILL after the grace. It ignores the terminal's SIGINT and SIGHUP,
// which are the agent's to handle (it runs in a session of its own anyway).
const REAPER_SCRIPT = `trap '' HUP INT
grace=$1
groups=' '
while read -r line; do
  case $line in
    +[0-9]*) groups="$groups\${line#+} " ;;
    -[0-9]*)
      pgid=\${line#-}
      case $groups in *" $pgid "*) groups="\${groups%% "$pgid" *} \${groups#* "$pgid" }" ;; esac ;;
  esac
done
set -- $groups
[ $# -eq 0 ] && exit 0
for pgid; do kill -s TERM -- "-$pgid" 2>/dev/null; done
sleep "$grace"
for pgid; do kill -s KILL -- "-$pgid" 2>/dev/null; done
`;

export interface ProcessReaperOptions {
  /** Between SIGTERM and SIGKILL for the groups left behind. */
  readonly killGraceMs: number;
  readonly logger: NodeLogger;
}

/**
 * Makes function processes die with the agent, however the agent dies (even by SIGKILL): a small
 * child process that holds a pipe from the agent and, when that pipe closes without the agent
 * having unregistered a group, stops the group. Between starting a process and registering it
 * there is no await, so only a death within that one synchronous step can leave a process behind.
 */
export class ProcessReaper implements ProcessGroups {
  private troubleReported = false;
  private closing = false;

  private constructor(
    private readonly child: ChildProcess | undefined,
    private readonly logger: NodeLogger,
  ) {
    if (child === undefined) return;
    child.on('error', (error) => this.reportTrouble(error));
    child.on('exit', () => {
      if (!this.closing) this.reportTrouble(new Error('the reaper exited'));
    });
    child.stdin?.on('error', (error) => this.reportTrouble(error));
    // The reaper must never be what keeps the agent alive.
    child.unref();
    (child.stdin as Socket | null)?.unref();
  }

  static start(options: ProcessReaperOptions): ProcessReaper {
    // Windows has no process groups for the runtimes to register.
    if (process.platform === 'win32') return new ProcessReaper(undefined, options.logger);
    const graceSeconds = String(options.killGraceMs / 1000);
    const child = spawn('/bin/sh', ['-c', REAPER_SCRIPT, 'canopy-process-reaper', graceSeconds], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // A session of its own: signals for the agent's process group (Ctrl-C) do not reach it.
      detached: true,
      env: { PATH: '/usr/bin:/bin' },
    });
    return new ProcessReaper(child, options.logger);
  }

  /** The reaper's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  add(pgid: number): void {
    this.send(`+${pgid}\n`);
  }

  remove(pgid: number): void {
    this.send(`-${pgid}\n`);
  }

  /** The agent is done: the reaper stops whatever is still registered, then exits. */
  close(): void {
    this.closing = true;
    this.child?.stdin?.end();
  }

  private send(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin === undefined || stdin === null || this.closing || !stdin.writable) return;
    stdin.write(line);
  }

  private reportTrouble(error: Error): void {
    if (this.troubleReported) return;
    this.troubleReported = true;
    this.logger.error(
      { reason: error.message },
      'the process reaper is not running: function processes will outlive this agent if it is killed',
    );
  }
}
