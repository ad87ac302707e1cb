import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentOpenApiJson } from './openapi-document.js';

// `npm run docs:openapi`: writes docs/openapi.json from the built gateway, without a database or NATS
// (openapi-document.ts builds the controllers in Nest's preview mode). dist/openapi/ sits at the same
// depth as src/openapi/, so the path holds for both.
const target = fileURLToPath(new URL('../../../../docs/openapi.json', import.meta.url));
writeFileSync(target, await currentOpenApiJson());
process.stdout.write(`wrote ${target}\n`);
