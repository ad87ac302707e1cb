import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeProtocolAsyncApiJson } from './node-protocol-asyncapi.js';

// `npm run docs:asyncapi`: writes docs/asyncapi.json from the built contracts (dist/nats/ sits at the
// same depth as src/nats/, so the path holds for both).
const target = fileURLToPath(new URL('../../../../docs/asyncapi.json', import.meta.url));
writeFileSync(target, nodeProtocolAsyncApiJson());
process.stdout.write(`wrote ${target}\n`);
