import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { readAgentConfig } from './config/agent-config.js';
import { runNodeAgent } from './node-agent.js';

// The only place that reads the process's arguments, environment and machine facts.
const reading = readAgentConfig(process.argv.slice(2), process.env, {
  cpuCount: os.availableParallelism(),
  memSize: Math.floor(os.totalmem() / (1024 * 1024)),
  tempDir: os.tmpdir(),
  randomNodeId: () => `node-${randomBytes(4).toString('hex')}`,
  readFile: (file) => readFileSync(file, 'utf8'),
});

switch (reading.kind) {
  case 'help':
    process.stdout.write(reading.usage);
    break;
  case 'invalid':
    process.stderr.write(
      `node-agent: ${reading.problem}\nRun node-agent --help for the options.\n`,
    );
    process.exitCode = 2;
    break;
  case 'run':
    // Exit explicitly: idle keep-alive sockets of finished HTTP invocations must not hold the process.
    process.exit(await runNodeAgent(reading.config));
    break;
  default: {
    const unknown: never = reading;
    throw new Error(`unknown configuration reading ${JSON.stringify(unknown)}`);
  }
}
