#!/usr/bin/env node
// The `canopy` command. It runs the built CLI; `npm run build` (or `npm start`) builds it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('canopy: not built yet; run `npm run build` in the repository first\n');
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
