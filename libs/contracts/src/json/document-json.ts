/**
 * The committed form of a generated API document (OpenAPI, AsyncAPI): object keys sorted so that the
 * file is the same whatever order the code built it in, except the property lists of schemas
 * (`properties`) and examples, which keep the order of the code; 2-space indentation and a final
 * newline.
 */
export function documentJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value, false), null, 2)}\n`;
}

function sortKeys(value: unknown, keepOrder: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, false));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!keepOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    entries.map(([key, item]) => {
      if (keepOrder) return [key, sortKeys(item, false)];
      if (key === 'example' || key === 'examples') return [key, item];
      return [key, sortKeys(item, key === 'properties')];
    }),
  );
}
