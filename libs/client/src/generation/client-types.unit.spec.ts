import { readFileSync } from 'node:fs';
import { clientTypesPath, currentClientTypes } from './client-types.js';

describe('the generated client types', () => {
  test('src/generated/canopy-api.ts is what docs/openapi.json generates now', async () => {
    const committed = readFileSync(clientTypesPath, 'utf8');
    const current = await currentClientTypes();
    if (committed !== current) {
      throw new Error(
        'libs/client/src/generated/canopy-api.ts is out of date with docs/openapi.json: run `npm run generate:client` and commit the file',
      );
    }
    expect(committed).toContain("'/v1/task/{id}/result'");
  });
});
