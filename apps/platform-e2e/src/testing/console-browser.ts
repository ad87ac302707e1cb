import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { repositoryRoot } from './service-process.js';

// The web console in a real headless Chromium: Debian's `chromium` package (`.ci/run` installs it
// when missing) driven by playwright-core, which downloads no browser of its own.

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where the console tests put their screenshots: CONSOLE_SCREENSHOT_DIR, else the test output. */
export const screenshotDirectory =
  process.env['CONSOLE_SCREENSHOT_DIR'] ??
  path.join(repositoryRoot, 'apps', 'platform-e2e', 'test-output', 'console');

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A screenshot of the whole page, named `<name>.png` in the screenshot directory. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDirectory, { recursive: true });
  const file = path.join(screenshotDirectory, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Records what the page reports: Content-Security-Policy violations (each one a resource or script
 * the policy refused) and errors on its console, for a test to check there were none.
 */
export async function watchPageProblems(page: Page): Promise<() => Promise<string[]>> {
  const problems: string[] = [];
  page.on('console', (message) => {
    // A refused request (a 401 for a bad key, a 404) is logged by the browser; that is the API's
    // answer, shown on the page, not a problem of the page.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Run in the page, which keeps what it saw in sessionStorage: a violation survives a navigation.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      const seen = JSON.parse(sessionStorage.getItem('test.cspViolations') || '[]');
      seen.push(event.violatedDirective + ' ' + event.blockedURI);
      sessionStorage.setItem('test.cspViolations', JSON.stringify(seen));
    });`,
  });
  return async () => {
    const violations = await page
      .evaluate<string[]>("JSON.parse(sessionStorage.getItem('test.cspViolations') || '[]')")
      .catch(() => [] as string[]);
    return [...problems, ...violations.map((violation) => `CSP: ${violation}`)];
  };
}
