import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRuntimeSpec } from '@canopy/contracts';
import type { PersistentRuntimeSpec } from '@canopy/contracts';
import type { TaskResult } from '@canopy/node-sdk';
import { recordingLogger, testRunningTask } from '@canopy/node-sdk/testing';
import type { RecordedLogLine } from '@canopy/node-sdk/testing';
import { untrackedProcessGroups } from '../process-groups.js';
import { invocationLine } from './persistent-framing.js';
import { PersistentRuntime } from './persistent-runtime.js';

// The example functions docs/nodes.md gives for the persistent runtime, taken from the guide as it
// is and run by the runtime as a node would run them: a reader who copies one gets what the guide
// says it does.

const guide = readFileSync(
  fileURLToPath(new URL('../../../../../docs/nodes.md', import.meta.url)),
  'utf8',
);

/** The first fenced block in `language` after the line that starts with `lead`. */
function exampleAfter(lead: string, language: string): string {
  const start = guide.split('\n').findIndex((line) => line.startsWith(lead));
  if (start < 0) throw new Error(`docs/nodes.md has no line starting "${lead}"`);
  const rest = guide.split('\n').slice(start + 1);
  const open = rest.findIndex((line) => line === '```' + language);
  const close = rest.findIndex((line, index) => index > open && line === '```');
  if (open < 0 || close < 0) throw new Error(`no \`\`\`${language} block after "${lead}"`);
  return rest.slice(open + 1, close).join('\n') + '\n';
}

const PYTHON = '/usr/bin/python3';
const bodyText = (result: TaskResult): string => Buffer.from(result.body ?? '').toString('utf8');

describe('the persistent functions docs/nodes.md shows', () => {
  let directory: string;
  let runtime: PersistentRuntime;
  let logs: RecordedLogLine[];

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'canopy-documented-'));
    logs = [];
    runtime = new PersistentRuntime({
      limits: { maxResponseBytes: 10_000, stderrTailBytes: 1_024, killGraceMs: 1_000 },
      inheritedEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      processGroups: untrackedProcessGroups,
      maxProcesses: 4,
      idleMs: 60_000,
      logger: recordingLogger(logs),
    });
  });

  afterEach(async () => {
    await runtime.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function saved(name: string, source: string): Promise<string> {
    const file = path.join(directory, name);
    await writeFile(file, source);
    return file;
  }

  /** Runs one word count, as the guide's two count-words functions take it, and checks the answer. */
  async function countsWords(spec: PersistentRuntimeSpec): Promise<void> {
    const functionId = testRunningTask().task.functionId;
    for (const [body, words] of [
      ['the quick brown fox', 4],
      ['  jumps\nover the\tlazy dog ', 5],
    ] as const) {
      const handle = testRunningTask({ functionId, request: { query: 'lang=en', body } });
      const result = await runtime.run(spec, handle.task);
      expect(result).toMatchObject({ status: 200, contentType: 'application/json' });
      expect(JSON.parse(bodyText(result))).toEqual({ words, query: 'lang=en' });
      expect(handle.progress).toEqual([50]);
    }
    // Both answers came from one process, which stays up between invocations.
    expect(
      logs.filter((line) => line.message === 'persistent function process started'),
    ).toHaveLength(1);
  }

  test('its runtime specs are valid, and its invocation line is the one the agent writes', () => {
    const shown = [...guide.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map(
      (block) => JSON.parse(block[1] ?? '') as Record<string, unknown>,
    );
    const specs = shown.filter((value) => 'kind' in value);
    expect(specs.map((spec) => spec['kind']).sort()).toEqual(['http', 'persistent', 'process']);
    for (const spec of specs) expect(parseRuntimeSpec(spec)).toEqual(spec);

    const invocations = shown.filter((value) => 'taskId' in value);
    expect(invocations).toHaveLength(1);
    const [invocation] = invocations as {
      taskId: string;
      attempt: number;
      functionId: string;
      query: string;
      contentType: string | null;
      body: string;
    }[];
    if (invocation === undefined) return;
    const { task } = testRunningTask({
      taskId: invocation.taskId,
      attempt: invocation.attempt,
      functionId: invocation.functionId,
      request: {
        query: invocation.query,
        contentType: invocation.contentType,
        body: Buffer.from(invocation.body, 'base64'),
      },
    });
    expect(JSON.parse(invocationLine(task))).toEqual(invocation);
  });

  const withPython = existsSync(PYTHON) ? test : test.skip;
  if (!existsSync(PYTHON)) {
    process.stderr.write(`${PYTHON} is missing: the guide's Python function is not tried\n`);
  }

  withPython('the Python function counts words, one invocation per line', async () => {
    const file = await saved(
      'count_words.py',
      exampleAfter('A complete function in Python', 'python'),
    );
    await countsWords({ kind: 'persistent', command: PYTHON, args: [file] });
  });

  test('the Node.js function counts words, one invocation per line', async () => {
    const file = await saved('count-words.cjs', exampleAfter('And in Node.js', 'js'));
    await countsWords({ kind: 'persistent', command: process.execPath, args: [file] });
  });

  describe('the Node.js function serving several at once', () => {
    let server: Server;
    /** The requests the stand-in inventory holds, by their query string. */
    let held: Map<string, ServerResponse>;
    let heldReached: (count: number) => Promise<void>;

    beforeEach(async () => {
      held = new Map();
      const waiting: { count: number; resolve: () => void }[] = [];
      heldReached = (count) =>
        held.size >= count
          ? Promise.resolve()
          : new Promise((resolve) => waiting.push({ count, resolve }));
      // Stands in for the guide's inventory service: holds every request until the test answers.
      server = createServer((request: IncomingMessage, response: ServerResponse) => {
        held.set(new URL(request.url ?? '/', 'http://inventory').search.slice(1), response);
        for (const wait of waiting.filter((entry) => held.size >= entry.count)) wait.resolve();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    async function concurrentSpec(): Promise<PersistentRuntimeSpec> {
      const { port } = server.address() as AddressInfo;
      const documented = exampleAfter('A Node.js function serving several at once', 'js');
      const inventory = 'http://inventory.internal/items';
      expect(documented).toContain(inventory);
      const source = documented.replace(inventory, `http://127.0.0.1:${String(port)}/items`);
      const file = await saved('inventory.cjs', source);
      return { kind: 'persistent', command: process.execPath, args: [file], concurrency: 8 };
    }

    test('takes invocations while others wait, answers each, and stops one on its cancel line', async () => {
      const spec = await concurrentSpec();
      const functionId = testRunningTask().task.functionId;
      const run = (query: string) => {
        const handle = testRunningTask({ functionId, request: { query } });
        return { handle, result: runtime.run(spec, handle.task) };
      };
      const answer = (query: string) => held.get(query)?.end(`items for ${query}`);
      const started = () =>
        logs.filter((line) => line.message === 'persistent function process started');

      const [first, second, cancelled] = [run('sku=1'), run('sku=2'), run('sku=3')];
      // All three wait on the inventory at once, in one process.
      await heldReached(3);
      expect(started()).toHaveLength(1);

      cancelled.handle.abort({ kind: 'cancelled', reason: 'CANCELLED' });
      expect(bodyText(await cancelled.result)).toBe('The function was stopped.');
      answer('sku=2');
      answer('sku=1');
      expect(await Promise.all([first.result, second.result])).toEqual([
        expect.objectContaining({ status: 200, body: Buffer.from('items for sku=1') }),
        expect.objectContaining({ status: 200, body: Buffer.from('items for sku=2') }),
      ]);

      // The process answered the cancel line itself and serves on.
      const next = run('sku=4');
      await heldReached(4);
      answer('sku=4');
      expect(bodyText(await next.result)).toBe('items for sku=4');
      expect(started()).toHaveLength(1);
      expect(logs.map((line) => line.message)).not.toContain('persistent function process ended');
    });
  });
});
