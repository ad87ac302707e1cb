import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { createTestDatabase, findFreePort } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import { cliLauncher } from './testing/cli-process.js';
import { ServiceProcess, repositoryRoot } from './testing/service-process.js';

// The README's promise, as a new user meets it: `canopy start` (what `npm start` runs after its
// build) brings the whole system up, and every command of the README's tour ("A first task") works
// as the README says, run line by line from the README itself through a shell, in the order given.
// Only what a user's machine would differ in is changed: the database (one of the test's own, for
// `canopy start` and the operator's `account create` alike) and the gateway's and NATS's ports (free
// ones, since other tests run beside this one); `<task id>` and `<schedule id>` are what a user would
// copy from an earlier answer. Then Ctrl-C stops everything.

const README = readFileSync(path.join(repositoryRoot, 'README.md'), 'utf8');

/** The shell lines of the README's tour: the ```sh blocks between two headings. */
function tourLines(): string[] {
  const start = README.indexOf('### A first task');
  const end = README.indexOf('### The `canopy` command');
  if (start < 0 || end < start) throw new Error("README.md: the tour's headings moved");
  return [...README.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((block) =>
    (block[1] ?? '').split('\n').filter((line) => line.trim() !== ''),
  );
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the README says a line does, checked on what it printed. */
type Expectation = (ran: Ran) => void | Promise<void>;

const json = (ran: Ran): unknown => JSON.parse(ran.stdout);

describe('the README tour on `canopy start`', () => {
  let database: TestDatabase;
  let root = '';
  let stack: ServiceProcess | undefined;
  let env: Record<string, string> = {};
  let natsPort = 0;
  const background: { line: string; child: ReturnType<typeof spawn>; output: string[] }[] = [];

  beforeAll(async () => {
    expect(existsSync(cliLauncher)).toBe(true);
    database = await createTestDatabase('readme_tour');
    root = await mkdtemp(path.join(os.tmpdir(), 'canopy-readme-tour-'));
    const work = path.join(root, 'work');
    await mkdir(work);
    // The commands name `examples/...` from the repository's root, as a reader's shell would.
    await symlink(path.join(repositoryRoot, 'examples'), path.join(work, 'examples'));
    env = {
      HOME: path.join(root, 'home'),
      // The operator's commands (`account create`) use the stack's database, as they do when both
      // run in the same environment.
      DATABASE_URL: database.url,
      CANOPY_CLI: cliLauncher,
      TOUR_DIR: work,
    };
    // Its ports are chosen free, then bound a moment later; a process beside this test may take one
    // in between, and the stack then stops (its gateway keeps dying): start it again, on others.
    for (let attempt = 1; ; attempt += 1) {
      const apiUrl = `http://127.0.0.1:${String(await findFreePort())}`;
      env['CANOPY_API_URL'] = apiUrl;
      const started = new ServiceProcess('canopy start', cliLauncher, ['start'], {
        HOME: env['HOME'] ?? '',
        PORT: new URL(apiUrl).port,
        CANOPY_NATS_PORT: String(await findFreePort()),
        DATABASE_URL: database.url,
        CANOPY_DATA_DIR: path.join(root, `data-${String(attempt)}`),
      });
      stack = started;
      // Up once the gateway gives its own answer to a request without a token (another server on
      // a port it lost would not).
      const answered = eventually(async () => {
        const answer = await fetch(`${apiUrl}/v1/task/list`).catch(() => undefined);
        await answer?.body?.cancel();
        return answer?.status === 401 && started.running;
      }, 120_000);
      const exited = await Promise.race([answered.then(() => undefined), started.exited]);
      if (exited === undefined) break;
      if (!started.outputTail(200).includes('EADDRINUSE') || attempt === 3) {
        throw new Error(`canopy start exited (${String(exited)}):\n${started.outputTail()}`);
      }
    }
    // The port its NATS listens on, which it prints (another than the one asked for if taken).
    const natsListens = /"nats":"nats:\/\/127\.0\.0\.1:(\d+)"/.exec(stack.outputTail(200))?.[1];
    if (natsListens === undefined) throw new Error('canopy start did not say where NATS listens');
    natsPort = Number(natsListens);
  }, 180_000);

  afterAll(async () => {
    for (const { child } of background) if (child.exitCode === null) child.kill('SIGKILL');
    await stack?.stop();
    await database?.drop();
    await rm(root, { recursive: true, force: true });
  });

  /** One line through bash, where `npx canopy` is the built CLI, in the tour's directory. */
  function spawnLine(line: string, stdin: 'pipe' | 'ignore'): ReturnType<typeof spawn> {
    return spawn(
      'bash',
      ['-c', `npx() { shift; exec node "$CANOPY_CLI" "$@"; }; cd "$TOUR_DIR"; ${line}`],
      {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        stdio: [stdin, 'pipe', 'pipe'],
      },
    );
  }

  function shell(line: string, input?: string): Promise<Ran> {
    return new Promise((resolve, reject) => {
      const child = spawnLine(line, input === undefined ? 'ignore' : 'pipe');
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** A line the README runs with `&` or "in another terminal": it goes on beside the next ones. */
  function inBackground(line: string): (typeof background)[number] {
    const child = spawnLine(line, 'ignore');
    const entry = { line, child, output: [] as string[] };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => entry.output.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => entry.output.push(chunk));
    background.push(entry);
    return entry;
  }

  /** The exit code of a background line once it has ended by itself (within a deadline). */
  async function ended(entry: (typeof background)[number] | undefined): Promise<number | null> {
    if (entry === undefined) throw new Error('the line never ran');
    const { child } = entry;
    await eventually(() => child.exitCode !== null || child.signalCode !== null, 60_000);
    return child.exitCode;
  }

  test('every command does what the README says, and Ctrl-C stops everything', async () => {
    let apiKey = '';
    let echoId = '';
    // What a user copies into the lines that name one: the task a list or a run showed last, the
    // schedule just created.
    let taskId = '';
    let scheduleId = '';
    const follow: { entry?: (typeof background)[number] } = {};
    const laptop: { entry?: (typeof background)[number] } = {};
    const id = (ran: Ran) => {
      const answer = json(ran) as { id: string };
      expect(answer.id).toMatch(/^[0-9a-f]{24}$/);
      return answer.id;
    };
    // Keyed by a piece of the line they belong to; each must be used once.
    const expectations = new Map<string, Expectation>([
      [
        'account create',
        (ran) => {
          ({ apiKey } = json(ran) as { apiKey: string });
          expect(apiKey).toMatch(/^cnpy_/);
        },
      ],
      ['login', (ran) => expect(json(ran)).toMatchObject({ apiUrl: env['CANOPY_API_URL'] })],
      ['create -f examples/echo-function.yaml', (ran) => void (echoId = id(ran))],
      ['John Doe"}\' --query', (ran) => expect(ran.stdout).toBe('{"name":"John Doe"}')],
      [
        'task list',
        (ran) => {
          const [only] = json(ran) as { id: string }[];
          expect(only).toBeDefined();
          taskId = only?.id ?? '';
        },
      ],
      ['task get', (ran) => expect(json(ran)).toMatchObject({ status: 200, progress: 100 })],
      [
        'task events <task id>  ',
        (ran) =>
          expect((json(ran) as { type: string }[]).map((event) => event.type)).toEqual([
            'TaskIssued',
            'TaskAssigned',
            'TaskFinished',
          ]),
      ],
      [
        'task csv',
        (ran) => expect(ran.stdout.split('\r\n')[0]).toBe('ID,IssuedAt,Status,ContentType,Body'),
      ],
      [
        '--idempotency-key order-17',
        async (ran) => {
          const again = await shell(
            `npx canopy task run echo --data '{"order":17}' --idempotency-key order-17`,
          );
          expect(id(again)).toBe(id(ran));
        },
      ],
      [
        'task batch',
        (ran) =>
          expect((json(ran) as { status: number }[]).map((answer) => answer.status)).toEqual([
            201, 201, 201,
          ]),
      ],
      ['--not-before 1m', (ran) => void id(ran)],
      ['create -f examples/slow-function.yaml', (ran) => void id(ran)],
      [
        'task run slow --wait',
        (ran) =>
          expect(ran.stderr).toMatch(
            /progress 10%[\s\S]*progress 40%[\s\S]*progress 70%[\s\S]*finished: 200/,
          ),
      ],
      ['task run slow  ', (ran) => void (taskId = id(ran))],
      ['--follow &', () => undefined],
      [
        'task cancel',
        async (ran) => {
          expect(json(ran)).toMatchObject({ status: 499 });
          // What the follower printed: the task's history, as it was recorded, to its failure.
          expect(await ended(follow.entry)).toBe(0);
          const events = (follow.entry?.output.join('') ?? '')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { type: string; data: { reason?: string } });
          expect(events.at(0)?.type).toBe('TaskIssued');
          expect(events.at(-1)).toMatchObject({
            type: 'TaskFailed',
            data: { reason: 'CANCELLED' },
          });
        },
      ],
      ['node register laptop', (ran) => expect(json(ran)).toMatchObject({ hash: 'laptop' })],
      ['node start', () => undefined],
      [
        'node list',
        (ran) =>
          expect(json(ran)).toEqual(
            expect.arrayContaining([expect.objectContaining({ hash: 'laptop', available: true })]),
          ),
      ],
      ['schedule create', (ran) => void (scheduleId = id(ran))],
      ['schedule pause', (ran) => expect(json(ran)).toMatchObject({ paused: true })],
      [
        'metrics',
        (ran) =>
          expect(json(ran)).toMatchObject({ activeNodes: 1, pendingTasks: expect.any(Number) }),
      ],
      [
        'node disable laptop',
        async (ran) => {
          expect(json(ran)).toEqual({ hash: 'laptop', disabled: true });
          // Its credentials stop working: the node in the other terminal is cut off and ends.
          expect(await ended(laptop.entry)).not.toBeNull();
        },
      ],
      ['function update echo', (ran) => expect(json(ran)).toMatchObject({ version: 2 })],
      ["--data 'shout' --wait", (ran) => expect(ran.stdout).toBe('SHOUT')],
      [
        'function get echo 1',
        (ran) => expect(json(ran)).toMatchObject({ version: 1, runtime: { command: 'cat' } }),
      ],
      [
        'function delete echo',
        async (ran) => {
          expect(json(ran)).toEqual({ id: echoId, deleted: true });
          // Once the scheduler has heard of the deletion (a moment after it is recorded).
          await eventually(async () => {
            const refused = await shell(`npx canopy task run ${echoId} --data late`);
            expect(refused.code).not.toBe(0);
            expect(refused.stderr).toContain('404');
          }, 30_000);
        },
      ],
    ]);
    const used = new Set<string>();
    // Lines that see what was just done a moment later, which a user would run again: lists and
    // counts read the read models, which follow the event store. (The first task after a change of
    // its function runs the new version at once: the change was answered once the scheduler had it.)
    const eventual = new Set(['task list', 'node list', 'metrics']);

    for (const written of tourLines()) {
      const key = [...expectations.keys()].find((piece) => written.includes(piece));
      if (key === undefined)
        throw new Error(`README.md: no expectation for the tour's line: ${written}`);
      used.add(key);
      const line = written
        .replace('nats://127.0.0.1:4223', `nats://127.0.0.1:${String(natsPort)}`)
        .replace('<task id>', taskId)
        .replace('<schedule id>', scheduleId);
      if (/&\s*(#.*)?$/.test(line) || line.includes('# in another terminal')) {
        const entry = inBackground(line.replace(/&\s*(#.*)?$/, ''));
        if (key === '--follow &') follow.entry = entry;
        else {
          laptop.entry = entry;
          // A user starts it in another terminal and looks once it says it is up.
          await eventually(
            () => entry.output.join('').includes('announced to the scheduler'),
            60_000,
          );
        }
        continue;
      }
      const expectation = expectations.get(key) ?? (() => undefined);
      const run = async () => {
        const ran = await shell(line, key === 'login' ? `${apiKey}\n` : undefined);
        if (ran.code !== 0) {
          throw new Error(`exit ${String(ran.code)}: ${line}\n${ran.stdout}\n${ran.stderr}`);
        }
        return ran;
      };
      if (eventual.has(key)) {
        await eventually(async () => {
          await expectation(await run());
        }, 30_000);
      } else {
        await expectation(await run());
      }
    }
    expect([...expectations.keys()].filter((key) => !used.has(key))).toEqual([]);

    stack?.kill('SIGINT');
    expect(await stack?.exited).toBe(0);
    await expect(fetch(`${env['CANOPY_API_URL'] ?? ''}/readyz`)).rejects.toThrow();
  }, 300_000);
});
