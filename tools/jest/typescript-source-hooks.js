// Node module hooks that let Jest's parent process (global setup and teardown) import our
// workspace packages from their TypeScript sources, as the type checker and the test workers do:
// the "@canopy/source" export condition, `./x.js` specifiers that name `./x.ts`, and SWC to strip
// types. Registered with `module.register()`; they run on Node's loader thread.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc/core';

const SOURCE_CONDITION = '@canopy/source';

const isOurTypeScript = (url) =>
  url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/');

export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes(SOURCE_CONDITION)
    ? context.conditions
    : [...context.conditions, SOURCE_CONDITION];
  try {
    return await nextResolve(specifier, { ...context, conditions });
  } catch (error) {
    const fromTypeScript = context.parentURL !== undefined && isOurTypeScript(context.parentURL);
    if (
      error?.code === 'ERR_MODULE_NOT_FOUND' &&
      fromTypeScript &&
      specifier.startsWith('.') &&
      specifier.endsWith('.js')
    ) {
      return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, { ...context, conditions });
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!isOurTypeScript(url)) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const { code } = await transform(await readFile(filename, 'utf8'), {
    filename,
    swcrc: false,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}
