import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { describeGatewayApi } from './openapi-document.js';

/** Where the API's documentation is served, without authentication. */
export const API_DOCS_PATH = '/docs';
export const OPENAPI_DOCUMENT_PATH = '/docs/openapi.json';

// Swagger UI's files come from swagger-ui-dist (installed with @nestjs/swagger) and the page loads the
// document from this gateway, so nothing is fetched from another origin. The files are served by
// name from a fixed list (no path from the request reaches the file system). @fastify/static is not
// used: it loads an ES module through require(), which Jest's module runtime cannot do.
const swaggerUiDirectory = path.dirname(
  createRequire(createRequire(import.meta.url).resolve('@nestjs/swagger')).resolve(
    'swagger-ui-dist/package.json',
  ),
);
const swaggerUiAssets: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Canopy API</title>
  <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${API_DOCS_PATH}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATH}/swagger-ui-init.js"></script>
</body>
</html>
`;

// validatorUrl 'none': Swagger UI would otherwise send the document to an online validator.
const initScript = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_DOCUMENT_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: 'none',
  persistAuthorization: false,
});
`;

/**
 * Serves the OpenAPI document of the running gateway at /docs/openapi.json and Swagger UI at /docs,
 * outside Nest's routing (no access token). The document is built on first request, from the
 * running application's controllers. Call before the application listens.
 */
export function serveApiDocumentation(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let document: OpenAPIObject | undefined;
  fastify.get(OPENAPI_DOCUMENT_PATH, async (_request, reply) => {
    document ??= describeGatewayApi(app);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(document));
  });
  fastify.get(API_DOCS_PATH, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  fastify.get(`${API_DOCS_PATH}/swagger-ui-init.js`, async (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(initScript),
  );
  for (const [file, contentType] of Object.entries(swaggerUiAssets)) {
    fastify.get(`${API_DOCS_PATH}/${file}`, async (_request, reply) =>
      reply
        .type(contentType)
        .header('cache-control', 'public, max-age=86400')
        .send(createReadStream(path.join(swaggerUiDirectory, file))),
    );
  }
}
