import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** Where the web console is served, without authentication (it signs in with an API key itself). */
export const CONSOLE_PATH = '/console';

/**
 * The console's build (apps/console/dist) beside this app: src/console/ and dist/console/ sit at the
 * same depth, so the path holds for both.
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(
  new URL('../../../console/dist/', import.meta.url),
);

// The console is a bundle of static files built by Vite. It talks only to this gateway's API (same
// origin), loads nothing from elsewhere and runs no inline script or style, so the policy allows
// the gateway's own files and nothing else: no other origin, no framing, no plugins.
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface ConsoleFile {
  readonly contentType: string;
  readonly body: Buffer;
  /** The same, gzipped, when that is smaller. */
  readonly gzipped: Buffer | undefined;
  /** Vite names assets by their content's hash: a name always means the same bytes. */
  readonly immutable: boolean;
}

/**
 * Serves the console's build at /console/ from memory: the files are read once, when the gateway
 * starts, into a map from URL path to bytes, so no path from a request reaches the file system. (A
 * console rebuilt while the gateway runs is served after its restart; `npm start` builds first.)
 * Without a build, /console answers 404 saying how to make one.
 */
export function serveConsole(
  app: NestFastifyApplication,
  directory: string,
  logger: ServiceLogger,
): void {
  const files = readConsoleBuild(directory);
  if (files.size === 0) {
    logger.warn(
      { directory },
      'the web console is not built: /console answers 404 (npm run build)',
    );
  }
  const fastify = app.getHttpAdapter().getInstance();
  const send = (reply: FastifyReply, file: ConsoleFile, acceptEncoding: string | undefined) => {
    secure(reply)
      .type(file.contentType)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('vary', 'accept-encoding');
    if (file.gzipped !== undefined && /\bgzip\b/.test(acceptEncoding ?? '')) {
      return reply.header('content-encoding', 'gzip').send(file.gzipped);
    }
    return reply.send(file.body);
  };
  const notFound = (reply: FastifyReply) =>
    secure(reply)
      .code(404)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        files.size === 0
          ? 'The web console is not built: run `npm run build`, then start the gateway again.\n'
          : 'Not found\n',
      );

  fastify.get(CONSOLE_PATH, async (request, reply) => {
    if (files.size === 0) return notFound(reply);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return secure(reply).redirect(`${CONSOLE_PATH}/${query}`, 302);
  });
  fastify.get(`${CONSOLE_PATH}/*`, async (request, reply) => {
    const pathname = new URL(request.url, 'http://gateway.invalid').pathname;
    const file = files.get(
      pathname === `${CONSOLE_PATH}/` ? `${CONSOLE_PATH}/index.html` : pathname,
    );
    return file === undefined
      ? notFound(reply)
      : send(reply, file, request.headers['accept-encoding']);
  });
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Every file under `directory` by its URL path (`/console/assets/index-1a2b.js`). */
function readConsoleBuild(directory: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(path.join(directory, 'index.html'))) return files;
  const entries = readdirSync(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const extension = path.extname(entry.name).toLowerCase();
    const contentType = CONTENT_TYPES[extension];
    if (contentType === undefined) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(directory, absolute).split(path.sep).join('/');
    const body = readFileSync(absolute);
    const gzipped = COMPRESSIBLE.has(extension) ? gzipSync(body) : undefined;
    files.set(`${CONSOLE_PATH}/${relative}`, {
      contentType,
      body,
      gzipped: gzipped !== undefined && gzipped.byteLength < body.byteLength ? gzipped : undefined,
      immutable: relative.startsWith('assets/'),
    });
  }
  return files;
}
