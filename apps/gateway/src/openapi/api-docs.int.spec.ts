import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';
import { API_DOCS_PATH, OPENAPI_DOCUMENT_PATH } from './api-docs-routes.js';
import { currentOpenApiJson } from './openapi-document.js';

describe('the served API documentation', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness('api-docs');
  });

  afterAll(async () => {
    await harness.stop();
  });

  test('GET /docs/openapi.json answers the document the code generates, without a token', async () => {
    const response = await harness.request(OPENAPI_DOCUMENT_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(await currentOpenApiJson()));
  });

  test('GET /docs answers Swagger UI, whose every asset the gateway serves itself', async () => {
    const response = await harness.request(API_DOCS_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map(
      (match) => match[1] ?? '',
    );
    expect(assets).toEqual(
      expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js']),
    );
    // Nothing from another origin: the machine running the gateway may have no internet access.
    expect(assets.filter((asset) => /^(?:[a-z]+:)?\/\//i.test(asset))).toEqual([]);
    for (const asset of assets) {
      const url = new URL(asset, `${harness.gateway.url}${API_DOCS_PATH}`);
      const assetResponse = await harness.request(url.pathname);
      const bytes = (await assetResponse.arrayBuffer()).byteLength;
      expect({ asset, status: assetResponse.status, empty: bytes === 0 }).toEqual({
        asset,
        status: 200,
        empty: false,
      });
    }
  });
});
