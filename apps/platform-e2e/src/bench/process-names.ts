import path from 'node:path';

// Which part of the system a process is, from its command line: the benchmark's tables name
// processes this way, and so does the PostgreSQL probe in the files it writes.

/** `scheduler`, `node-agent <id>`, `sdk-nodes`... for a Node process; undefined for any other. */
export function nodeProcessName(command: readonly string[]): string | undefined {
  const [executable, entry] = command;
  if (executable === undefined || entry === undefined) return undefined;
  if (path.basename(executable) !== 'node' && executable !== process.execPath) return undefined;
  const app = /apps\/([^/]+)\/dist\/main\.js$/.exec(entry)?.[1];
  if (app === 'node-agent') {
    const nodeId = command[command.indexOf('--node-id') + 1];
    return command.includes('--node-id') && nodeId !== undefined ? `node-agent ${nodeId}` : app;
  }
  return app ?? path.basename(entry).replace(/\.js$/, '');
}

/** The table line a process belongs to: node agents and their functions are summed. */
export function processGroup(name: string): string {
  return name.startsWith('node-agent ') ? 'node agents' : name;
}
