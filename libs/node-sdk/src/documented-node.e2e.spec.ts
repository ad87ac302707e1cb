import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from '@swc/core';
import { testNatsUrl } from '@canopy/local-services/testing';
import { ScriptedScheduler, sampleAssignment, uniqueNodeId } from './testing/index.js';

// The node docs/nodes.md shows under "Writing a node with the SDK", taken from the guide as it is,
// compiled as its reader would compile it and run as a process of its own against a real NATS
// server: it announces, counts the words of an assignment, reports progress, and stops on SIGTERM.

const guide = readFileSync(
  fileURLToPath(new URL('../../../docs/nodes.md', import.meta.url)),
  'utf8',
);
const builtSdk = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The first fenced block in `language` after the line that starts with `lead`. */
function exampleAfter(lead: string, language: string): string {
  const lines = guide.split('\n');
  const start = lines.findIndex((line) => line.startsWith(lead));
  if (start < 0) throw new Error(`docs/nodes.md has no line starting "${lead}"`);
  const rest = lines.slice(start + 1);
  const open = rest.findIndex((line) => line === '```' + language);
  const close = rest.findIndex((line, index) => index > open && line === '```');
  if (open < 0 || close < 0) throw new Error(`no \`\`\`${language} block after "${lead}"`);
  return rest.slice(open + 1, close).join('\n') + '\n';
}

/** Replaces `from` in `source`, which must hold it. */
function replaced(source: string, from: string, to: string): string {
  if (!source.includes(from)) throw new Error(`the guide's node no longer says ${from}`);
  return source.replace(from, to);
}

describe('the SDK node docs/nodes.md shows', () => {
  let directory: string;
  let scheduler: ScriptedScheduler | undefined;
  let child: ChildProcess | undefined;
  let output = '';

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'canopy-documented-node-'));
  });

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    await scheduler?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('announces, counts the words of an assignment with progress, and stops on SIGTERM', async () => {
    expect(existsSync(builtSdk)).toBe(true); // `npm test` builds before it runs the tests
    const nodeId = uniqueNodeId('word-counter');
    let source = exampleAfter('A complete node that counts the words', 'ts');
    // The guide's node id, made unique so that test runs sharing a NATS server cannot meet.
    source = replaced(source, "nodeId: 'word-counter-1'", `nodeId: '${nodeId}'`);
    source = replaced(source, "from '@canopy/node-sdk'", `from '${pathToFileURL(builtSdk).href}'`);
    const { code } = transformSync(source, {
      filename: 'word-counter.ts',
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    });
    const file = path.join(directory, 'word-counter.mjs');
    await writeFile(file, code);

    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    child = spawn(process.execPath, [file], {
      env: { PATH: process.env['PATH'] ?? '', NATS_URL: testNatsUrl() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));

    expect(await scheduler.waitFor('announce', () => true, 20_000)).toMatchObject({
      nodeId,
      capabilities: { cpuCount: 2, memSize: 1024, networkLatency: 0, privileged: false },
      slots: 2,
      agent: 'word-counter/1.0',
    });

    const text = 'The cat and the hat\nsat on the mat, and THE end\n\n';
    const assignment = sampleAssignment({ request: { query: 'top=3', body: text } });
    expect(await scheduler.assign(assignment)).toEqual({ accepted: true });
    const result = await scheduler.waitFor(
      'result',
      (report) => report.taskId === assignment.taskId,
    );
    expect(result.response).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(JSON.parse(Buffer.from(result.response.body, 'base64').toString('utf8'))).toEqual([
      ['the', 4],
      ['and', 2],
      ['cat', 1],
    ]);
    // Progress is coalesced, so not every line's report is sent; the first is.
    expect(
      (await scheduler.waitFor('progress', (report) => report.taskId === assignment.taskId))
        .progress,
    ).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await scheduler.waitFor('goodbye')).toMatchObject({ nodeId });
    expect({ code: await exited, output }).toMatchObject({ code: 0 });
  });
});
