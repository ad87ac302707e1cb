import { CountBatcher, type CountOutcome, type Queryable } from './shared-counts.js';

// The batching of counts, against a stand-in for the database that adds counts to a Map and answers
// only when the test lets it: what is sent together, and how a batch's requests are decided.

interface Statement {
  readonly keys: string[];
  readonly requests: number[];
  answer(): void;
  fail(error: Error): void;
}

function database() {
  const counts = new Map<string, number>();
  const statements: Statement[] = [];
  const queryable: Queryable = {
    query: <Row extends object>(_text: string, values: unknown[]) =>
      new Promise<{ rows: Row[] }>((resolve, reject) => {
        const [keys, requests] = values as [string[], number[]];
        statements.push({
          keys,
          requests,
          answer: () => {
            const rows = keys.map((key, index) => {
              counts.set(key, (counts.get(key) ?? 0) + (requests[index] ?? 0));
              return { key, count: counts.get(key), window_ends_in_ms: '1500.5' };
            });
            resolve({ rows: rows as Row[] });
          },
          fail: reject,
        });
      }),
  };
  return { queryable, statements };
}

function ask(batcher: CountBatcher, key: string, points: number): Promise<CountOutcome> {
  return new Promise((decided) => batcher.count({ key, points, windowSeconds: 2, decided }));
}

async function turn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

test('the first count goes at once; those asked for meanwhile go together, a key once', async () => {
  const { queryable, statements } = database();
  const batcher = new CountBatcher(queryable);

  const first = ask(batcher, 'a', 3);
  const later = [ask(batcher, 'a', 3), ask(batcher, 'b', 3), ask(batcher, 'a', 3)];
  await turn();
  expect(statements.map(({ keys, requests }) => [keys, requests])).toEqual([[['a'], [1]]]);

  statements[0]?.answer();
  expect(await first).toEqual({ allowed: true, remaining: 2, resetMs: 1500.5 });
  await turn();
  expect(statements.map(({ keys, requests }) => [keys, requests])).toEqual([
    [['a'], [1]],
    [
      ['a', 'b'],
      [2, 1],
    ],
  ]);

  statements[1]?.answer();
  // a: counts 2 and 3 of 3 allowed; b: 1 of 3.
  expect(await Promise.all(later)).toEqual([
    { allowed: true, remaining: 1, resetMs: 1500.5 },
    { allowed: true, remaining: 2, resetMs: 1500.5 },
    { allowed: true, remaining: 0, resetMs: 1500.5 },
  ]);
  await batcher.settled();
});

test("a batch's requests of one key are decided in the order they were asked for", async () => {
  const { queryable, statements } = database();
  const batcher = new CountBatcher(queryable);

  const blocker = ask(batcher, 'other', 1);
  const asked = [1, 2, 3, 4].map(() => ask(batcher, 'k', 2));
  await turn();
  statements[0]?.answer();
  await blocker;
  await turn();
  statements[1]?.answer();

  expect(await Promise.all(asked)).toEqual([
    { allowed: true, remaining: 1, resetMs: 1500.5 },
    { allowed: true, remaining: 0, resetMs: 1500.5 },
    { allowed: false, remaining: 0, resetMs: 1500.5 },
    { allowed: false, remaining: 0, resetMs: 1500.5 },
  ]);
});

test('a failed statement fails every request it carried, and the next batch is sent', async () => {
  const { queryable, statements } = database();
  const batcher = new CountBatcher(queryable);

  const blocker = ask(batcher, 'other', 5);
  const failing = [ask(batcher, 'a', 5), ask(batcher, 'b', 5)];
  await turn();
  statements[0]?.answer();
  await blocker;
  await turn();
  expect(statements[1]?.keys).toEqual(['a', 'b']);
  const refused = new Error('the database went away');
  statements[1]?.fail(refused);
  expect(await Promise.all(failing)).toEqual([{ failed: refused }, { failed: refused }]);

  const next = ask(batcher, 'a', 5);
  await turn();
  expect(statements).toHaveLength(3);
  statements[2]?.answer();
  expect(await next).toEqual({ allowed: true, remaining: 4, resetMs: 1500.5 });
});
