import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { eventually } from '@canopy/async-testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  chromiumInstalled,
  launchChromium,
  screenshot,
  watchPageProblems,
} from './testing/console-browser.js';
import type { CreatedAccount, PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// The web console at /console, in a real headless Chromium, as a user drives it: signs in with an
// API key, registers a function and issues a task from the page, watches the task finish without a
// reload, reads its timeline and result (JSON shown, bytes downloaded), sees a node's slots fill and
// empty, pauses a schedule, reads the metrics, never sees another account's data, signs out.
// Screenshots of each page go to the test output (testing/console-browser.ts).

/** How long the page may take to show an outcome on a loaded machine: a deadline, not a timing. */
const SHOWN_WITHIN_MS = 60_000;

// The function's answer as an envelope (docs/nodes.md): JSON, and bytes.
const JSON_ANSWER = `let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>console.log(JSON.stringify({status:200,contentType:'application/json',body:JSON.stringify({received:JSON.parse(s),at:'the node'})})))`;
const BINARY_BYTES = randomBytes(2048);
const BINARY_ANSWER = `console.log(JSON.stringify({status:200,contentType:'application/octet-stream',bodyEncoding:'base64',body:${JSON.stringify(BINARY_BYTES.toString('base64'))}}))`;

// Marks the page's document; a reload would lose the mark (run in the page: no DOM types here).
const MARK_DOCUMENT = 'window.notReloaded = true';
const DOCUMENT_MARKED = 'window.notReloaded === true';

if (!chromiumInstalled()) {
  describe.skip('the web console: SKIPPED, /usr/bin/chromium is missing (apt-get install chromium)', () => {
    test('needs Chromium', () => undefined);
  });
} else {
  describe('the web console', () => {
    const e2e = stackForFile({ label: 'console' });
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let problems: () => Promise<string[]>;
    let owner: CreatedAccount;
    let ownerToken: string;
    let stranger: { functionName: string; taskId: string; nodeHash: string; scheduleName: string };
    let jsonFunction: string;
    let slowFunction: string;
    let binaryFunction: string;
    let scheduleId: string;

    const issue = async (stack: PlatformStack, functionId: string, body: unknown) => {
      const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
        method: 'POST',
        token: ownerToken,
        json: body,
      });
      expect(issued.status).toBe(201);
      return issued.body.id;
    };
    const shown = (selector: string, hasText?: string | RegExp) =>
      page
        .locator(selector, hasText === undefined ? {} : { hasText })
        .first()
        .waitFor({ state: 'visible', timeout: SHOWN_WITHIN_MS });
    const goTo = async (section: string) => {
      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: section })
        .click();
      await shown('h1', section);
    };

    beforeAll(async () => {
      const { stack } = e2e;
      owner = await stack.createAccount('console user');
      ownerToken = await stack.accessToken(owner.apiKey);
      const node = await stack.requestJson<{ nodeId: string; credentials: string }>(
        '/v1/node/console-laptop',
        { method: 'POST', token: ownerToken, json: { description: 'the console test node' } },
      );
      expect(node.status).toBe(201);
      await stack.startNode({
        nodeId: node.body.nodeId,
        credentials: node.body.credentials,
        slots: 2,
      });

      jsonFunction = await stack.registerFunction(ownerToken, {
        name: 'console-json',
        runtime: {
          kind: 'process',
          command: process.execPath,
          args: ['-e', JSON_ANSWER],
          envelope: true,
        },
      });
      binaryFunction = await stack.registerFunction(ownerToken, {
        name: 'console-bytes',
        runtime: {
          kind: 'process',
          command: process.execPath,
          args: ['-e', BINARY_ANSWER],
          envelope: true,
        },
      });
      slowFunction = await stack.registerFunction(ownerToken, {
        name: 'console-slow',
        timeout: 120,
        runtime: {
          kind: 'process',
          command: 'sh',
          args: ['-c', 'for p in 20 40 60 80; do echo "::progress $p" >&2; sleep 2; done; cat'],
        },
      });
      const schedule = await stack.requestJson<{ id: string }>('/v1/schedule', {
        method: 'POST',
        token: ownerToken,
        json: {
          functionId: jsonFunction,
          cron: '0 0 1 1 *',
          timeZone: 'Europe/Berlin',
          name: 'new year',
          body: '{"every":"year"}',
          contentType: 'application/json',
        },
      });
      expect(schedule.status).toBe(201);
      scheduleId = schedule.body.id;

      // Another account, whose function, task, node and schedule the console must never show.
      const other = await stack.signUp('someone else');
      const strangerFunction = await stack.registerFunction(other.token, {
        name: 'strangers-secret-function',
        privileged: true,
        runtime: { kind: 'process', command: 'cat' },
      });
      const strangerTask = await stack.requestJson<{ id: string }>(`/v1/task/${strangerFunction}`, {
        method: 'POST',
        token: other.token,
        json: { secret: true },
      });
      expect(strangerTask.status).toBe(201);
      expect(
        (
          await stack.requestJson('/v1/node/strangers-node', {
            method: 'POST',
            token: other.token,
            json: {},
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await stack.requestJson('/v1/schedule', {
            method: 'POST',
            token: other.token,
            json: {
              functionId: strangerFunction,
              cron: '0 0 1 1 *',
              timeZone: 'UTC',
              name: 'strangers-schedule',
            },
          })
        ).status,
      ).toBe(201);
      stranger = {
        functionName: 'strangers-secret-function',
        taskId: strangerTask.body.id,
        nodeHash: 'strangers-node',
        scheduleName: 'strangers-schedule',
      };

      browser = await launchChromium();
      context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      page = await context.newPage();
      problems = await watchPageProblems(page);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
    });

    e2e.test(
      'signs in with an API key; a wrong key is refused with the API message',
      async (stack) => {
        const response = await page.goto(`${stack.url}/console/`);
        expect(response?.status()).toBe(200);
        expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
        await shown('h1', 'Sign in to Canopy');
        await screenshot(page, 'sign-in');

        await page
          .getByLabel('API key')
          .fill(`cnpy_${'0'.repeat(24)}_${'0'.repeat(12)}_${'A'.repeat(49)}`);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await shown('[role="alert"]', 'the API key is not valid');

        await page.getByLabel('API key').fill(owner.apiKey);
        await page.keyboard.press('Enter');
        await shown('h1', 'Tasks');
        // The key is in no storage: only the access token, in this tab's sessionStorage.
        const storage = await page.evaluate<{ local: string; session: string; cookies: string }>(
          '({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage), cookies: document.cookie })',
        );
        expect(storage.local).toBe('{}');
        expect(storage.cookies).toBe('');
        expect(storage.session).not.toContain(owner.apiKey);
        expect(storage.session).toContain('accessToken');
      },
    );

    e2e.test(
      'a function registered and a task issued from the page, finished without a reload',
      async (stack) => {
        await goTo('Functions');
        await page.getByLabel('Name').fill('console-echo');
        await page.getByLabel('Command').fill('cat');
        await page.getByRole('button', { name: 'Register function' }).click();
        await shown('.outcome', 'Registered console-echo');
        await shown('table th a', 'console-echo');

        // An HTTP function: the form asks for its URL and method instead of a command.
        await page.getByLabel('Name').fill('console-hook');
        await page.getByLabel('Runs as').selectOption({ label: 'An HTTP endpoint' });
        expect(await page.getByLabel('Command').count()).toBe(0);
        await page.getByLabel('URL').fill('http://127.0.0.1:9/hook');
        await page.getByLabel('Method').selectOption('PUT');
        await page.getByRole('button', { name: 'Register function' }).click();
        await shown('.outcome', 'Registered console-hook');
        const hookId = (await page.locator('.outcome a').getAttribute('href'))?.split('/').at(-1);
        const hook = await stack.requestJson<{ runtime: unknown }>(`/v1/function/${hookId}`, {
          token: ownerToken,
        });
        expect(hook.body.runtime).toEqual({
          kind: 'http',
          url: 'http://127.0.0.1:9/hook',
          method: 'PUT',
        });

        // A process that stays up: the form also asks how many tasks one process serves at once.
        await page.getByLabel('Name').fill('console-pool');
        // The outcome still names the function registered, not the name typed for the next one.
        expect(await page.locator('.outcome').textContent()).toBe('Registered console-hook.');
        await page.getByLabel('Runs as').selectOption({ label: 'A process that stays up' });
        await page.getByLabel('Command').fill('python3');
        await page.getByLabel('Arguments, one per line').fill('/opt/functions/pool.py');
        await page.getByLabel('Tasks one process serves at once').fill('4');
        await page.getByRole('button', { name: 'Register function' }).click();
        await shown('.outcome', 'Registered console-pool');
        const poolId = (await page.locator('.outcome a').getAttribute('href'))?.split('/').at(-1);
        const pool = await stack.requestJson<{ runtime: unknown }>(`/v1/function/${poolId}`, {
          token: ownerToken,
        });
        expect(pool.body.runtime).toEqual({
          kind: 'persistent',
          command: 'python3',
          args: ['/opt/functions/pool.py'],
          concurrency: 4,
        });

        await goTo('Tasks');
        // Marks this document: a reload would lose the mark.
        await page.evaluate(MARK_DOCUMENT);
        const form = page.getByRole('form', { name: 'Issue a task' });
        await form.getByLabel('Function').selectOption({ label: 'console-json' });
        await form.getByLabel('Body', { exact: true }).fill('{"name":"John Doe"}');
        await form.getByRole('button', { name: 'Issue task' }).click();
        await shown('.outcome', 'Issued task');
        const taskId = (await page.locator('.outcome a').first().textContent()) ?? '';
        expect(taskId).toMatch(/^[0-9a-f]{24}$/);
        await shown(`tr[data-task-id="${taskId}"]`);
        await shown(`tr[data-task-id="${taskId}"] .status`, '200');
        expect(await page.evaluate(DOCUMENT_MARKED)).toBe(true);
        await screenshot(page, 'tasks');

        await page.locator(`tr[data-task-id="${taskId}"] a`).click();
        await shown('h1', taskId);
        await shown('.timeline li', 'Finished');
        const steps = await page.locator('.timeline li strong').allTextContents();
        expect(steps).toEqual(expect.arrayContaining(['Issued', 'Assigned', 'Finished']));
        await shown('table td', 'finished');
        await shown('pre.body', '"name": "John Doe"');
        expect(await page.locator('pre.body').textContent()).toBe(
          JSON.stringify({ received: { name: 'John Doe' }, at: 'the node' }, null, 2),
        );
        await screenshot(page, 'task');
      },
    );

    e2e.test('a running task moves on its page as it runs, until it finishes', async (stack) => {
      const taskId = await issue(stack, slowFunction, { slow: true });
      await page.goto(`${stack.url}/console/#/tasks/${taskId}`);
      await shown('h1', taskId);
      await page.evaluate(MARK_DOCUMENT);
      await shown('.timeline li', 'Progress');
      await shown('.timeline li', 'Finished');
      await shown('.result pre.body', '{"slow":true}');
      expect(await page.evaluate(DOCUMENT_MARKED)).toBe(true);
    });

    e2e.test('a binary result is offered as a download of the exact bytes', async (stack) => {
      const taskId = await issue(stack, binaryFunction, {});
      await page.goto(`${stack.url}/console/#/tasks/${taskId}`);
      await shown('.result', 'The body is binary');
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: SHOWN_WITHIN_MS }),
        page.getByRole('button', { name: /Download the body/ }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`task-${taskId}.bin`);
      const file = await download.path();
      expect(Buffer.compare(await readFile(file), BINARY_BYTES)).toBe(0);
    });

    e2e.test("a node's slots fill while tasks run on it and empty when they end", async (stack) => {
      await goTo('Nodes');
      const row = 'tr[data-node="console-laptop"]';
      await shown(row, 'available');
      await shown(`${row} .slot-text`, '0 busy, 2 free');
      const running = [
        await issue(stack, slowFunction, { n: 1 }),
        await issue(stack, slowFunction, { n: 2 }),
      ];
      await shown(`${row} .slot-text`, /^[12] busy/);
      await screenshot(page, 'nodes');
      for (const taskId of running) {
        await eventually(async () => {
          const task = await stack.requestJson<{ status: number }>(`/v1/task/${taskId}`, {
            token: ownerToken,
          });
          expect(task.body.status).toBe(200);
        }, SHOWN_WITHIN_MS);
      }
      await shown(`${row} .slot-text`, '0 busy, 2 free');
      await shown(row, 'ago');
    });

    e2e.test('a schedule shows its next tick and is paused from the page', async (stack) => {
      await goTo('Schedules');
      const row = `tr[data-schedule-id="${scheduleId}"]`;
      await shown(row, 'Active');
      await shown(`${row} time`);
      await page.getByRole('button', { name: 'Pause schedule new year' }).click();
      await shown(row, 'Paused');
      await shown(`${row} button`, 'Resume');
      const schedule = await stack.requestJson<{ paused: boolean; nextTickAt: string | null }>(
        `/v1/schedule/${scheduleId}`,
        { token: ownerToken },
      );
      expect(schedule.body).toMatchObject({ paused: true, nextTickAt: null });
      await screenshot(page, 'schedules');
    });

    e2e.test('metrics: the counts and the charts of the last hour', async () => {
      await goTo('Metrics');
      await shown('.counts li', 'completed tasks');
      await shown('.chart svg');
      expect(await page.locator('.chart').count()).toBe(2);
      // The tasks finished above are drawn: bars for issued and finished, and a latency.
      await shown('.chart svg rect.series-finished');
      await shown('.chart svg rect.series-p50');
      await screenshot(page, 'metrics');
      await goTo('Functions');
      await screenshot(page, 'functions');
    });

    e2e.test("no page shows another account's function, task, node or schedule", async (stack) => {
      const seen: string[] = [];
      for (const section of ['Tasks', 'Functions', 'Nodes', 'Schedules', 'Metrics']) {
        await goTo(section);
        await page.waitForLoadState('networkidle');
        seen.push(await page.locator('body').innerText());
      }
      const everything = seen.join('\n');
      expect(everything).toContain('console-json');
      expect(everything).toContain('console-laptop');
      for (const secret of Object.values(stranger)) expect(everything).not.toContain(secret);
      // Its task's page is the API's 404, as for any task that is not the account's.
      await page.goto(`${stack.url}/console/#/tasks/${stranger.taskId}`);
      await shown('[role="alert"]', 'Could not read the task');
      expect(await page.locator('body').innerText()).not.toContain(stranger.functionName);
    });

    e2e.test(
      'signing out forgets the token and the key; the pages need a sign-in again',
      async (stack) => {
        await goTo('Tasks');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await shown('h1', 'Sign in to Canopy');
        await shown('[role="status"]', 'You are signed out');
        const after = await page.evaluate<{ local: number; session: number; html: string }>(
          // The test's own record of CSP violations (testing/console-browser.ts) is not the page's.
          "({ local: localStorage.length, session: Object.keys(sessionStorage).filter((key) => !key.startsWith('test.')).length, html: document.documentElement.outerHTML })",
        );
        expect(after.local).toBe(0);
        expect(after.session).toBe(0);
        expect(after.html).not.toContain(owner.apiKey);
        await page.goto(`${stack.url}/console/#/nodes`);
        await page.reload();
        await shown('h1', 'Sign in to Canopy');
        expect(await problems()).toEqual([]);
      },
    );
  });
}
