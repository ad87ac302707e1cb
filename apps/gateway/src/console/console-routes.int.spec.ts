import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';
import { CONSOLE_CONTENT_SECURITY_POLICY } from './console-routes.js';

// /console serves the console's build from CONSOLE_DIR: here a stand-in build of an index and one
// hashed asset, so what is checked is the serving, whatever the console holds.

const indexHtml =
  '<!doctype html><html lang="en"><head><script type="module" src="/console/assets/index-1a2b3c.js"></script></head><body><div id="root"></div></body></html>\n';
const script = `console.log(${JSON.stringify('x'.repeat(4096))});\n`;

describe('the web console at /console', () => {
  let harness: GatewayHarness;
  let unbuilt: GatewayHarness | undefined;
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'canopy-console-'));
    await mkdir(path.join(directory, 'assets'));
    await writeFile(path.join(directory, 'index.html'), indexHtml);
    await writeFile(path.join(directory, 'assets', 'index-1a2b3c.js'), script);
    await writeFile(path.join(directory, 'assets', 'notes.unknown'), 'not served');
    harness = await startGatewayHarness('console_routes', { CONSOLE_DIR: directory });
  });

  afterAll(async () => {
    await harness?.stop();
    await unbuilt?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  test('/console redirects to /console/, which answers the index under a strict policy', async () => {
    const redirect = await harness.request('/console', { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');

    const response = await harness.request('/console/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe(indexHtml);
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  test('a hashed asset is cacheable for good, and gzipped for a client that accepts it', async () => {
    const plain = await harness.request('/console/assets/index-1a2b3c.js', {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-security-policy')).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(await plain.text()).toBe(script);

    // fetch would inflate it by itself: node's http shows the bytes on the wire.
    const { request } = await import('node:http');
    const gzipped = await new Promise<{ encoding: string | undefined; body: Buffer }>(
      (resolve, reject) => {
        request(
          `${harness.gateway.url}/console/assets/index-1a2b3c.js`,
          { headers: { 'accept-encoding': 'gzip' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                encoding: response.headers['content-encoding'],
                body: Buffer.concat(chunks),
              }),
            );
          },
        )
          .on('error', reject)
          .end();
      },
    );
    expect(gzipped.encoding).toBe('gzip');
    expect(gzipped.body.byteLength).toBeLessThan(Buffer.byteLength(script));
    expect(gunzipSync(gzipped.body).toString('utf8')).toBe(script);
  });

  test('only the files of the build are served: anything else is a 404', async () => {
    for (const missing of [
      '/console/assets/other.js',
      '/console/assets/notes.unknown',
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/assets/..%2f..%2findex.html',
    ]) {
      const response = await harness.request(missing);
      expect({ missing, status: response.status }).toEqual({ missing, status: 404 });
    }
  });

  test('needs no access token, and gives none of the API away', async () => {
    const api = await harness.request('/v1/task/list');
    expect(api.status).toBe(401);
    expect(api.headers.get('content-security-policy')).toBeNull();
  });

  test('without a build, /console says how to make one', async () => {
    unbuilt = await startGatewayHarness('console_unbuilt', {
      CONSOLE_DIR: path.join(directory, 'nothing-here'),
    });
    const response = await unbuilt.request('/console/');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('npm run build');
  });
});
