import { writeFile } from 'node:fs/promises';
import { clientTypesPath, currentClientTypes } from './client-types.js';

// `npm run generate:client`: rewrites src/generated/canopy-api.ts from docs/openapi.json.
await writeFile(clientTypesPath, await currentClientTypes());
process.stdout.write(`wrote ${clientTypesPath}\n`);
