import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { documentJson } from '@canopy/contracts';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { API_ERROR_SCHEMA } from './api-description.js';
import { declaredRoutes } from './declared-routes.js';
import type { DeclaredRoute } from './declared-routes.js';
import { taskBatchBodySchema } from '../tasks/task-batch-schemas.js';
import { openApiSchema } from './json-schema.js';
import {
  currentOpenApiJson,
  describeGatewayApi,
  documentationOnlyGateway,
} from './openapi-document.js';

const committedPath = fileURLToPath(new URL('../../../../docs/openapi.json', import.meta.url));
const gatewayReadme = fileURLToPath(new URL('../../README.md', import.meta.url));

interface Operation {
  readonly summary?: string;
  readonly security?: readonly unknown[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Record<string, { schema?: unknown }>;
  };
  readonly responses?: Readonly<
    Record<
      string,
      {
        readonly description?: string;
        readonly content?: Record<string, { schema?: unknown }>;
        readonly headers?: Record<string, unknown>;
      }
    >
  >;
}

describe('the OpenAPI document', () => {
  let app: INestApplication;
  let document: OpenAPIObject;
  let routes: DeclaredRoute[];

  beforeAll(async () => {
    app = await documentationOnlyGateway();
    document = describeGatewayApi(app);
    routes = declaredRoutes(app);
  });

  afterAll(async () => {
    await app.close();
  });

  test('docs/openapi.json is what the code generates now', async () => {
    const committed = readFileSync(committedPath, 'utf8');
    const current = await currentOpenApiJson();
    if (committed !== current) {
      throw new Error(
        'docs/openapi.json is out of date with the controllers: run `npm run docs:openapi` and commit the file',
      );
    }
    expect(current).toBe(documentJson(document));
  });

  test('is a valid OpenAPI 3.1 document (checked by an independent validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      JSON.parse(readFileSync(committedPath, 'utf8')) as Record<string, unknown>,
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('the route discovery sees the routes of every controller', () => {
    // Guards the coverage test below against an empty discovery, which would pass it vacuously.
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'post', path: '/v1/auth/apiKey', isPublic: true }),
        expect.objectContaining({ method: 'get', path: '/v1/task/{id}/result', isPublic: false }),
      ]),
    );
  });

  test('documents every route the controllers declare: a summary, a 2xx, a 4xx, and 401 and 429 unless public', () => {
    const problems = routes.flatMap((route) => {
      const label = `${route.method.toUpperCase()} ${route.path} (${route.handler})`;
      const operation = (document.paths[route.path] as Record<string, Operation> | undefined)?.[
        route.method
      ];
      if (operation === undefined) return [`${label}: missing from the document`];
      const statuses = Object.entries(operation.responses ?? {})
        // An undecorated route gets a default 200/201 with an empty description: not documented.
        .filter(([, response]) => (response.description ?? '') !== '')
        .map(([status]) => status);
      const missing = [
        ...((operation.summary ?? '') === '' ? ['a summary (@ApiOperation)'] : []),
        ...(statuses.some((status) => /^2\d\d$/.test(status)) ? [] : ['a 2xx response']),
        ...(statuses.some((status) => /^4\d\d$/.test(status)) ? [] : ['a 4xx response']),
        // The access token guard answers these on every route that is not @Public().
        ...(route.isPublic || statuses.includes('401') ? [] : ['its 401 response']),
        ...(route.isPublic || statuses.includes('429') ? [] : ['its 429 response (rate limit)']),
        ...(route.isPublic && operation.security?.length !== 0
          ? ['`security: []` (it is @Public())']
          : []),
      ];
      return missing.length === 0 ? [] : [`${label}: missing ${missing.join(', ')}`];
    });
    expect(problems).toEqual([]);
  });

  test('every answer of a counted route documents the RateLimit headers: the account’s or the address’s', () => {
    const counted = routes.filter((route) => !route.isPublic || route.addressLimit !== undefined);
    // Guards against a discovery that loses the per-address limits, which would pass it vacuously.
    expect(
      routes.filter((route) => route.addressLimit !== undefined).map((route) => route.handler),
    ).toEqual(['AuthController.accessToken', 'JwksController.jwks']);
    const headersOf = (route: DeclaredRoute) =>
      Object.entries(
        (document.paths[route.path] as Record<string, Operation> | undefined)?.[route.method]
          ?.responses ?? {},
      ).map(([status, response]) => [status, Object.keys(response.headers ?? {}).sort()]);
    for (const route of counted) {
      for (const [, headers] of headersOf(route)) {
        expect(headers).toEqual(
          expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
        );
      }
    }
    // A public route counted against nothing says nothing of a limit.
    for (const route of routes.filter((each) => each.isPublic && each.addressLimit === undefined)) {
      for (const [, headers] of headersOf(route)) {
        expect(headers).not.toContain('RateLimit-Limit');
      }
    }
  });

  test('describes no route the controllers do not declare', () => {
    const declared = new Set(routes.map((route) => `${route.method} ${route.path}`));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(key))
        .map((method) => `${method} ${path}`),
    );
    expect(documented.filter((operation) => !declared.has(operation))).toEqual([]);
  });

  test('every JSON body a handler parses is the body its operation documents, from the same schema', () => {
    const parsing = routes.filter((route) => route.jsonBody !== undefined);
    // Guards the comparison below against a discovery that finds no body, which would pass it vacuously.
    expect(parsing.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining(['post /v1/function', 'post /v1/schedule', 'patch /v1/schedule/{id}']),
    );
    const documented = (route: DeclaredRoute) =>
      (document.paths[route.path] as Record<string, Operation> | undefined)?.[route.method]
        ?.requestBody;
    expect(
      parsing.map((route) => {
        const body = documented(route);
        return {
          route: route.handler,
          required: body?.required,
          content: Object.keys(body?.content ?? {}),
          schema: body?.content?.['application/json']?.schema,
        };
      }),
    ).toEqual(
      parsing.map((route) => ({
        route: route.handler,
        required: route.jsonBody?.optional !== true,
        content: ['application/json'],
        schema:
          route.jsonBody === undefined ? undefined : openApiSchema(route.jsonBody.schema, 'input'),
      })),
    );
    // And a documented JSON body no @JsonBody parses: the task's, which is passed on as bytes, and
    // the batch's, an array whose entries are parsed one by one with the documented entry schema.
    const unparsed = routes
      .filter((route) => route.jsonBody === undefined)
      .filter((route) => documented(route)?.content?.['application/json'] !== undefined);
    expect(unparsed.map((route) => route.handler)).toEqual([
      'TaskController.issue',
      'TaskController.issueBatch',
    ]);
    const batch = unparsed.find((route) => route.handler === 'TaskController.issueBatch');
    expect(batch && documented(batch)?.content?.['application/json']?.schema).toEqual(
      openApiSchema(taskBatchBodySchema, 'input'),
    );
  });

  test('every error response has the one ApiError body', () => {
    const reference = { $ref: `#/components/schemas/${API_ERROR_SCHEMA}` };
    const offenders = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Operation>).flatMap(([method, operation]) =>
        Object.entries(operation.responses ?? {})
          .filter(([status]) => /^[45]\d\d$/.test(status))
          .filter(([, response]) => {
            const content = Object.values(response.content ?? {});
            return (
              content.length === 0 || content.some((media) => !isEqual(media.schema, reference))
            );
          })
          .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
    expect(offenders).toEqual([]);
  });

  test('every example of a body is accepted by the schema it illustrates (an independent JSON Schema validator)', () => {
    const committed = JSON.parse(readFileSync(committedPath, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats.default(ajv);
    ajv.addSchema({ ...committed, $id: 'openapi.json' });
    const examples = bodyExamples(committed['paths'] as Record<string, Record<string, Operation>>);
    expect(examples.length).toBeGreaterThan(20);
    const refused = examples.flatMap(({ where, pointer, example }) => {
      const validate = ajv.compile({ $ref: `openapi.json#${pointer}` });
      return validate(example) ? [] : [{ where, errors: ajv.errorsText(validate.errors) }];
    });
    expect(refused).toEqual([]);
  });
});

describe("apps/gateway/README.md's JSON examples", () => {
  test('each is accepted by the schema of the body it shows, as docs/openapi.json has it', () => {
    const committed = JSON.parse(readFileSync(committedPath, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats.default(ajv);
    ajv.addSchema({ ...committed, $id: 'openapi.json' });
    const paths = committed['paths'] as Record<string, Record<string, Operation>>;
    const examples = readmeExamples(readFileSync(gatewayReadme, 'utf8'));
    // The README's one example that is no API body: the signing key set, a file of the operator's.
    expect(examples.filter((example) => example.operation === undefined)).toEqual([
      expect.objectContaining({ json: expect.objectContaining({ active: expect.any(String) }) }),
    ]);
    const shown = examples.flatMap(({ operation, json }) =>
      operation === undefined ? [] : [{ operation, json }],
    );
    expect(shown.length).toBeGreaterThanOrEqual(4);
    const refused = shown.flatMap(({ operation, json }) => {
      const { method, path, body } = operation;
      // The README names parameters as routes do (`:taskId`), the document as OpenAPI does (`{id}`).
      const shape = (route: string) => route.replace(/:\w+|\{[^}]+\}/g, '{}');
      const apiPath =
        Object.keys(paths).find((candidate) => shape(candidate) === shape(path)) ?? path;
      const defined = paths[apiPath]?.[method];
      if (defined === undefined)
        return [{ where: `${method} ${path}`, errors: 'no such operation' }];
      const at =
        body === 'request'
          ? ['requestBody']
          : [
              'responses',
              Object.keys(defined.responses ?? {}).find((status) => /^2/.test(status)) ?? '',
            ];
      const pointer = fragment([
        'paths',
        apiPath,
        method,
        ...at,
        'content',
        'application/json',
        'schema',
      ]);
      const validate = ajv.compile({ $ref: `openapi.json#${pointer}` });
      return validate(json)
        ? []
        : [{ where: `${method} ${path} ${body}`, errors: ajv.errorsText(validate.errors) }];
    });
    expect(refused).toEqual([]);
  });
});

interface ReadmeExample {
  /** The operation the paragraph before the block names (`METHOD /path`), and which body it shows. */
  readonly operation:
    | { readonly method: string; readonly path: string; readonly body: 'request' | 'response' }
    | undefined;
  readonly json: unknown;
}

/** Every ```json block of a README, with the operation named by the paragraph that leads to it. */
function readmeExamples(markdown: string): ReadmeExample[] {
  return [...markdown.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((block) => {
    const before = markdown.slice(0, block.index).trimEnd();
    const lead = before.slice(before.lastIndexOf('\n\n') + 2);
    const named = /`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)/.exec(lead);
    return {
      json: JSON.parse(block[1] ?? '') as unknown,
      operation:
        named === null
          ? undefined
          : {
              method: (named[1] ?? '').toLowerCase(),
              path: named[2] ?? '',
              body: /\bbody:\s*$/.test(lead) ? 'request' : 'response',
            },
    };
  });
}

interface BodyExample {
  /** The operation, status (or `request`) and media type, for the failure message. */
  readonly where: string;
  /** JSON pointer (as a URI fragment) to the schema the example illustrates. */
  readonly pointer: string;
  readonly example: unknown;
}

interface Media {
  readonly schema?: unknown;
  readonly example?: unknown;
  readonly examples?: Record<string, { readonly value?: unknown }>;
}

/** Every example of a request or response body in the document's paths. */
function bodyExamples(paths: Record<string, Record<string, Operation>>): BodyExample[] {
  const found: BodyExample[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const bodies: [string, string[], Record<string, Media> | undefined][] = [
        ['request', ['requestBody'], operation.requestBody?.content as Record<string, Media>],
        ...Object.entries(operation.responses ?? {}).map(
          ([status, response]): [string, string[], Record<string, Media> | undefined] => [
            status,
            ['responses', status],
            response.content as Record<string, Media> | undefined,
          ],
        ),
      ];
      for (const [label, at, content] of bodies) {
        for (const [mediaType, media] of Object.entries(content ?? {})) {
          if (media.schema === undefined) continue;
          const where = `${method.toUpperCase()} ${path} ${label} ${mediaType}`;
          const pointer = fragment(['paths', path, method, ...at, 'content', mediaType, 'schema']);
          if (media.example !== undefined) found.push({ where, pointer, example: media.example });
          for (const [name, example] of Object.entries(media.examples ?? {})) {
            if (example.value !== undefined)
              found.push({ where: `${where} (${name})`, pointer, example: example.value });
          }
        }
      }
    }
  }
  return found;
}

/** A JSON pointer to the document's node at `segments`, as a URI fragment. */
function fragment(segments: readonly string[]): string {
  return segments
    .map((segment) => `/${encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'))}`)
    .join('');
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
