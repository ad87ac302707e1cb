import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { runCanopy } from './testing/cli-process.js';
import { openEventLog } from './testing/event-log.js';
import type { CliOutcome } from './testing/cli-process.js';
import { stackForFile } from './testing/stack-for-file.js';

// The `canopy` command's user commands against the running stack, as a user runs them: signed in
// with an API key, a function from a YAML file, tasks run and read, JSON output parsed, and the API's
// message with a non-zero exit code when it refuses.

const e2e = stackForFile({ label: 'cli' });

let home = '';
let apiKey = '';
let configFile = '';

/** The CLI as this user runs it: its own config directory, stdout a pipe (so JSON by default). */
function canopy(
  args: readonly string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<CliOutcome> {
  return runCanopy(args, {
    env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

function expectSuccess(outcome: CliOutcome): void {
  if (outcome.code !== 0) {
    throw new Error(`canopy exited ${String(outcome.code)}:\n${outcome.text}\n${outcome.stderr}`);
  }
}

/** `canopy function create -f <file>`, whose answer means the name finds the function. */
async function createFunction(file: string, name: string): Promise<CliOutcome> {
  const created = await canopy(['function', 'create', '-f', file]);
  expectSuccess(created);
  expectSuccess(await canopy(['function', 'get', name, '--output', 'json']));
  return created;
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'canopy-cli-e2e-'));
  configFile = path.join(home, 'config', 'canopy', 'config.json');
  ({ apiKey } = await e2e.stack.createAccount('cli user'));
  await e2e.stack.startNode({ slots: 2 });
}, 120_000);

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

e2e.test(
  'login keeps the API URL, the key and a token in a file only its owner can read',
  async (stack) => {
    const login = await canopy(['--api-url', stack.url, 'login'], { input: `${apiKey}\n` });
    expectSuccess(login);
    expect(JSON.parse(login.text)).toMatchObject({ apiUrl: stack.url });
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ apiUrl: stack.url, apiKey });
    expect(stored['accessToken']).toEqual({
      token: expect.any(String),
      expiresAt: expect.any(Number),
    });
  },
);

e2e.test(
  'a function from a YAML file, a task run by its name with --wait prints its output',
  async () => {
    const definition = path.join(home, 'echo.yaml');
    await writeFile(
      definition,
      [
        'name: cli-echo',
        'description: says back what it gets',
        'capabilities: { timeout: 30 }',
        'runtime:',
        '  kind: process',
        '  command: cat',
        '',
      ].join('\n'),
    );
    const created = await createFunction(definition, 'cli-echo');
    const { id: functionId } = JSON.parse(created.text) as { id: string };
    expect(functionId).toMatch(/^[0-9a-f]{24}$/);

    const run = await canopy([
      'task',
      'run',
      'cli-echo',
      '--data',
      '{"name":"John Doe"}',
      '--query',
      'greeting=hello world',
      '--wait',
    ]);
    expectSuccess(run);
    expect(run.text).toBe('{"name":"John Doe"}');
    // Not a terminal: plain progress lines on stderr, stdout holds the result alone.
    expect(run.stderr).toMatch(/^task [0-9a-f]{24} issued$/m);
    expect(run.stderr).toMatch(/^task [0-9a-f]{24} finished: 200/m);

    const listed = await canopy(['function', 'list']);
    expectSuccess(listed);
    expect(JSON.parse(listed.text)).toEqual([
      expect.objectContaining({ id: functionId, name: 'cli-echo' }),
    ]);
    const got = await canopy(['function', 'get', 'cli-echo', '--output', 'json']);
    expectSuccess(got);
    expect(JSON.parse(got.text)).toMatchObject({ id: functionId, runtime: { kind: 'process' } });
  },
);

e2e.test(
  'function create answers once the name finds the function, even with the projector stopped',
  async (stack) => {
    const definition = path.join(home, 'named.yaml');
    await writeFile(
      definition,
      [
        'name: cli-named',
        'capabilities: { timeout: 30 }',
        'runtime: { kind: process, command: cat }',
      ].join('\n'),
    );
    const events = await openEventLog(stack.databaseUrl);
    let projectorBack = false;
    let creating: Promise<{ outcome: CliOutcome; projectorBack: boolean }> | undefined;
    await stack.stopService('projector');
    try {
      const before = await events.head();
      creating = canopy(['function', 'create', '-f', definition]).then((outcome) => ({
        outcome,
        projectorBack,
      }));
      // Recorded, but not listed: the projector that lists it is stopped.
      await eventually(
        async () =>
          (await events.since(before)).some((line) => line.endsWith(' FunctionRegistered')),
        30_000,
      );
    } finally {
      projectorBack = true;
      await stack.startService('projector');
      await events.close();
    }
    const created = await creating;
    expectSuccess(created.outcome);
    expect(created.projectorBack).toBe(true);
    const { id } = JSON.parse(created.outcome.text) as { id: string };
    // The next command finds it by name at once.
    const got = await canopy(['function', 'get', 'cli-named']);
    expectSuccess(got);
    expect(JSON.parse(got.text)).toMatchObject({ id, name: 'cli-named' });

    // Names need not be unique: a second function of the name is answered as soon as it is listed,
    // with a word on which id to give.
    const second = await canopy(['function', 'create', '-f', definition]);
    expectSuccess(second);
    const { id: secondId } = JSON.parse(second.text) as { id: string };
    expect(second.stderr).toBe(
      `2 functions are named "cli-named": give this one's id, ${secondId}, where a command takes a function\n`,
    );
    const ambiguous = await canopy(['function', 'get', 'cli-named']);
    expect(ambiguous.stderr).toContain('2 functions are named "cli-named"');
    for (const created of [id, secondId]) {
      expectSuccess(await canopy(['function', 'delete', created]));
    }
  },
);

e2e.test(
  'task run, get, list, result and csv; a binary body comes back byte for byte',
  async () => {
    const bytes = randomBytes(4096);
    const file = path.join(home, 'body.bin');
    await writeFile(file, bytes);
    const issued = await canopy(['task', 'run', 'cli-echo', '--data', `@${file}`]);
    expectSuccess(issued);
    const { id: taskId } = JSON.parse(issued.text) as { id: string };

    const result = await canopy(['task', 'result', taskId, '--wait', '30']);
    expectSuccess(result);
    expect(Buffer.compare(result.stdout, bytes)).toBe(0);

    const task = await canopy(['task', 'get', taskId]);
    expectSuccess(task);
    expect(JSON.parse(task.text)).toMatchObject({ id: taskId, status: 200, progress: 100 });

    // The list is a read model: it shows the task a moment after the result is recorded.
    await eventually(async () => {
      const list = await canopy(['task', 'list', '--function', 'cli-echo', '--all']);
      expectSuccess(list);
      const rows = JSON.parse(list.text) as { id: string }[];
      expect(rows.map((row) => row.id)).toContain(taskId);
    }, 30_000);

    const csv = await canopy(['task', 'csv', 'cli-echo', '--show-plain']);
    expectSuccess(csv);
    expect(csv.text.split('\r\n')[0]).toBe('ID,IssuedAt,Status,ContentType,Body');

    const events = await canopy(['task', 'events', taskId]);
    expectSuccess(events);
    expect((JSON.parse(events.text) as { type: string }[]).map((event) => event.type)).toEqual(
      expect.arrayContaining(['TaskIssued', 'TaskAssigned', 'TaskFinished']),
    );

    const table = await canopy(['--output', 'table', 'task', 'get', taskId]);
    expectSuccess(table);
    expect(table.text).toMatch(/^status:\s+200$/m);
  },
);

e2e.test('nodes, metrics and a schedule paused, resumed and deleted', async () => {
  const credsFile = path.join(home, 'laptop.creds');
  const registered = await canopy(['node', 'register', 'laptop', '--creds-file', credsFile]);
  expectSuccess(registered);
  expect(JSON.parse(registered.text)).toMatchObject({ hash: 'laptop', credentialsFile: credsFile });
  expect(registered.text).not.toContain('NATS USER JWT');
  expect(await readFile(credsFile, 'utf8')).toContain('NATS USER JWT');
  expect((await stat(credsFile)).mode & 0o777).toBe(0o600);
  await eventually(async () => {
    const nodes = await canopy(['node', 'list']);
    expectSuccess(nodes);
    expect(JSON.parse(nodes.text)).toEqual([expect.objectContaining({ hash: 'laptop' })]);
  }, 30_000);
  expectSuccess(await canopy(['node', 'disable', 'laptop']));

  const metrics = await canopy(['metrics']);
  expectSuccess(metrics);
  expect(JSON.parse(metrics.text)).toMatchObject({
    pendingTasks: expect.any(Number),
    completedTasks: expect.any(Number),
  });

  const created = await canopy([
    'schedule',
    'create',
    '--function',
    'cli-echo',
    '--cron',
    '0 0 1 1 *',
    '--time-zone',
    'Europe/Berlin',
    '--data',
    '{"every":"year"}',
    '--name',
    'new year',
  ]);
  expectSuccess(created);
  const { id: scheduleId } = JSON.parse(created.text) as { id: string };
  const paused = await canopy(['schedule', 'pause', scheduleId]);
  expectSuccess(paused);
  expect(JSON.parse(paused.text)).toMatchObject({ id: scheduleId, paused: true, nextTickAt: null });
  const resumed = await canopy(['schedule', 'resume', scheduleId]);
  expectSuccess(resumed);
  expect(JSON.parse(resumed.text)).toMatchObject({ paused: false, nextTickAt: expect.any(String) });
  const listed = await canopy(['schedule', 'list']);
  expect(JSON.parse(listed.text)).toEqual([
    expect.objectContaining({ id: scheduleId, name: 'new year' }),
  ]);
  expectSuccess(await canopy(['schedule', 'delete', scheduleId]));
  const gone = await canopy(['schedule', 'get', scheduleId]);
  expect(gone.code).toBe(4);
  expect(gone.stderr).toContain('SCHEDULE_NOT_FOUND');
});

e2e.test('an expired or refused token is replaced from the stored key, and kept', async () => {
  const stored = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  // A token the API refuses, which the file says is valid for an hour more.
  await writeFile(
    configFile,
    JSON.stringify({
      ...stored,
      accessToken: { token: 'not-a-token', expiresAt: Date.now() + 3_600_000 },
    }),
    { mode: 0o600 },
  );
  expectSuccess(await canopy(['metrics']));
  const renewed = JSON.parse(await readFile(configFile, 'utf8')) as {
    accessToken: { token: string };
  };
  expect(renewed.accessToken.token).not.toBe('not-a-token');
  expect((await stat(configFile)).mode & 0o777).toBe(0o600);
});

e2e.test(
  'a failed task exits 5 with the platform reason; an unknown task exits 4 with the API message',
  async (stack) => {
    const slow = path.join(home, 'slow.json');
    await writeFile(
      slow,
      JSON.stringify({
        name: 'cli-slow',
        capabilities: { timeout: 1 },
        runtime: { kind: 'process', command: 'sleep', args: ['10'] },
      }),
    );
    await createFunction(slow, 'cli-slow');
    const failed = await canopy(['task', 'run', 'cli-slow', '--wait']);
    expect(failed.code).toBe(5);
    expect(failed.stderr).toContain('TIMEOUT');
    expect(failed.text).toBe('');

    // Long enough never to end by itself before it is cancelled.
    const sleeper = path.join(home, 'sleeper.json');
    await writeFile(
      sleeper,
      JSON.stringify({
        name: 'cli-sleeper',
        capabilities: { timeout: 600 },
        runtime: { kind: 'process', command: 'sleep', args: ['600'] },
      }),
    );
    await createFunction(sleeper, 'cli-sleeper');
    const waiting = await canopy(['task', 'run', 'cli-sleeper']);
    expectSuccess(waiting);
    const { id: cancelledId } = JSON.parse(waiting.text) as { id: string };
    const cancelled = await canopy(['task', 'cancel', cancelledId]);
    expectSuccess(cancelled);
    expect(JSON.parse(cancelled.text)).toMatchObject({ id: cancelledId, status: 499 });
    const gone = await canopy(['task', 'result', cancelledId]);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('CANCELLED');

    const unknown = await canopy(['task', 'get', '0123456789abcdef01234567']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^canopy: .*\(NOT_FOUND, HTTP 404\)$/m);

    const malformed = await canopy(['task', 'get', 'nope']);
    expect(malformed.code).toBe(4);
    expect(malformed.stderr).toContain('taskId');
    void stack;
  },
);

e2e.test("a bad key prints the API's message and exits 3; nothing is kept", async (stack) => {
  const elsewhere = path.join(home, 'elsewhere');
  const badKey = `cnpy_${'0'.repeat(24)}_${'0'.repeat(12)}_${'A'.repeat(49)}`;
  const refused = await runCanopy(['--api-url', stack.url, 'login'], {
    env: { HOME: elsewhere, XDG_CONFIG_HOME: elsewhere, CANOPY_API_KEY: badKey },
  });
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('canopy: the API key is not valid (UNAUTHORIZED, HTTP 401)');
  await expect(stat(path.join(elsewhere, 'canopy', 'config.json'))).rejects.toThrow(/ENOENT/);

  const notSignedIn = await runCanopy(['--api-url', stack.url, 'task', 'list'], {
    env: { HOME: elsewhere, XDG_CONFIG_HOME: elsewhere },
  });
  expect(notSignedIn.code).toBe(3);
  expect(notSignedIn.stderr).toContain('canopy login');

  const usage = await canopy(['task', 'run']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("missing required argument 'function'");
});

e2e.test(
  'a function changed from a file runs its new version; deleted, it takes no task',
  async () => {
    const definition = path.join(home, 'upper.json');
    await writeFile(
      definition,
      JSON.stringify({
        name: 'cli-upper',
        capabilities: { timeout: 30 },
        runtime: { kind: 'process', command: 'cat' },
      }),
    );
    const created = await createFunction(definition, 'cli-upper');
    const { id } = JSON.parse(created.text) as { id: string };

    const change = path.join(home, 'upper-change.yaml');
    await writeFile(
      change,
      ['runtime:', '  kind: process', '  command: tr', '  args: [a-z, A-Z]', ''].join('\n'),
    );
    const updated = await canopy(['function', 'update', 'cli-upper', '-f', change]);
    expectSuccess(updated);
    expect(JSON.parse(updated.text)).toMatchObject({ id, version: 2, runtime: { command: 'tr' } });
    const run = await canopy(['task', 'run', 'cli-upper', '--data', 'shout', '--wait', '60']);
    expectSuccess(run);
    expect(run.text).toBe('SHOUT');
    const first = await canopy(['function', 'get', 'cli-upper', '1']);
    expectSuccess(first);
    expect(JSON.parse(first.text)).toMatchObject({ version: 1, runtime: { command: 'cat' } });

    const deleted = await canopy(['function', 'delete', 'cli-upper']);
    expectSuccess(deleted);
    expect(JSON.parse(deleted.text)).toEqual({ id, deleted: true });
    const refused = await canopy(['task', 'run', id, '--data', 'again']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/HTTP 404\)$/m);
    // By its name, not found either: the same exit code, whether the list still shows it (the API
    // then answers 404) or no longer does.
    const byName = await canopy(['task', 'run', 'cli-upper', '--data', 'again']);
    expect(byName.code).toBe(4);
  },
);

e2e.test(
  'task run: an idempotency key, a priority and a delay; a delayed task is cancelled',
  async () => {
    const once = [
      'task',
      'run',
      'cli-echo',
      '--data',
      '{"order":17}',
      '--idempotency-key',
      'order-17',
    ];
    const first = await canopy(once);
    expectSuccess(first);
    const again = await canopy(once);
    expectSuccess(again);
    expect(JSON.parse(again.text)).toEqual(JSON.parse(first.text));

    const delayed = await canopy([
      'task',
      'run',
      'cli-echo',
      '--data',
      'later',
      '--priority',
      '9',
      '--not-before',
      '1h',
    ]);
    expectSuccess(delayed);
    const { id } = JSON.parse(delayed.text) as { id: string };
    const events = await canopy(['task', 'events', id]);
    expectSuccess(events);
    const [issued] = JSON.parse(events.text) as {
      type: string;
      data: { priority: number; notBefore: string };
    }[];
    expect(issued).toMatchObject({ type: 'TaskIssued', data: { priority: 9 } });
    // An hour from now, give or take the time the command took.
    expect(Number(issued?.data.notBefore) - Date.now() / 1000).toBeGreaterThan(3000);
    const task = await canopy(['task', 'get', id]);
    expect(JSON.parse(task.text)).toMatchObject({ status: 0, assigned: null });
    const cancelled = await canopy(['task', 'cancel', id]);
    expectSuccess(cancelled);
    expect(JSON.parse(cancelled.text)).toMatchObject({ id, status: 499 });

    const badPriority = await canopy(['task', 'run', 'cli-echo', '--priority', '10']);
    expect(badPriority.code).toBe(2);
    expect(badPriority.stderr).toContain('--priority takes 0 to 9');
  },
);

e2e.test('task run --wait follows the progress the task reports, as it reports it', async () => {
  const definition = path.join(home, 'steps.json');
  await writeFile(
    definition,
    JSON.stringify({
      name: 'cli-steps',
      capabilities: { timeout: 60 },
      runtime: {
        kind: 'process',
        command: 'sh',
        args: ['-c', 'for p in 25 50 75; do echo "::progress $p" >&2; sleep 1; done; cat'],
      },
    }),
  );
  await createFunction(definition, 'cli-steps');
  const run = await canopy(['task', 'run', 'cli-steps', '--data', 'done', '--wait']);
  expectSuccess(run);
  expect(run.text).toBe('done');
  const lines = run.stderr.split('\n');
  const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
  // Each report in turn, from the task's event stream, before the result.
  expect(at(/progress 25%$/)).toBeGreaterThan(at(/ issued$/));
  expect(at(/progress 50%$/)).toBeGreaterThan(at(/progress 25%$/));
  expect(at(/progress 75%$/)).toBeGreaterThan(at(/progress 50%$/));
  expect(at(/finished: 200/)).toBeGreaterThan(at(/progress 75%$/));
});

e2e.test('task batch issues the requests of a JSON or NDJSON file, one answer each', async () => {
  const ndjson = path.join(home, 'batch.ndjson');
  await writeFile(
    ndjson,
    ['{"body":{"n":1}}', '{"query":"n=2","contentType":"text/plain","body":"two"}', ''].join('\n'),
  );
  const issued = await canopy(['task', 'batch', 'cli-echo', '-f', ndjson]);
  expectSuccess(issued);
  const answers = JSON.parse(issued.text) as { status: number; id: string }[];
  expect(answers).toEqual([
    { status: 201, id: expect.stringMatching(/^[0-9a-f]{24}$/) },
    { status: 201, id: expect.stringMatching(/^[0-9a-f]{24}$/) },
  ]);
  const second = await canopy(['task', 'result', answers[1]?.id ?? '', '--wait', '60']);
  expectSuccess(second);
  expect(second.text).toBe('two');

  // With a key, issuing the same file again answers the same tasks instead of new ones.
  const keyed = ['task', 'batch', 'cli-echo', '-f', ndjson, '--idempotency-key', randomUUID()];
  const once = await canopy(keyed);
  expectSuccess(once);
  const again = await canopy(keyed);
  expectSuccess(again);
  expect(JSON.parse(again.text)).toEqual(JSON.parse(once.text));
  expect(JSON.parse(once.text)).not.toEqual(answers);

  const mixed = path.join(home, 'batch.json');
  await writeFile(
    mixed,
    JSON.stringify([
      { body: 'fine', contentType: 'text/plain' },
      { body: '{not json', contentType: 'application/json' },
    ]),
  );
  const partly = await canopy(['--output', 'table', 'task', 'batch', 'cli-echo', '-f', mixed]);
  expect(partly.code).toBe(4);
  expect(partly.text).toMatch(/^1\s+201\s+[0-9a-f]{24}$/m);
  expect(partly.text).toMatch(/^2\s+400\s+INVALID_REQUEST: /m);
  expect(partly.stderr).toContain('1 of 2 requests were refused');
});
