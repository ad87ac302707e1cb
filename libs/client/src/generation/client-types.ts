import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';

// The client's types come from the API's OpenAPI document, never by hand: `npm run generate:client`
// writes them, and a unit test fails while the committed file differs from what this produces.
// src/generation/ and dist/generation/ sit at the same depth, so the paths hold for both.

export const openApiDocumentPath = fileURLToPath(
  new URL('../../../../docs/openapi.json', import.meta.url),
);
export const clientTypesPath = fileURLToPath(
  new URL('../../src/generated/canopy-api.ts', import.meta.url),
);

/** The TypeScript text of `src/generated/canopy-api.ts` for the current `docs/openapi.json`. */
export async function currentClientTypes(): Promise<string> {
  const document = JSON.parse(await readFile(openApiDocumentPath, 'utf8')) as OpenAPI3;
  const nodes = await openapiTS(document);
  const text = `${COMMENT_HEADER}${astToString(nodes)}`;
  const style = await resolveConfig(clientTypesPath);
  return format(text, { ...style, parser: 'typescript' });
}
