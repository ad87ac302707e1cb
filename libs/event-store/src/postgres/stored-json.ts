// jsonb refuses two things a JavaScript string may hold: U+0000 and unpaired surrogates
// (JSON.stringify writes them as \u0000 and \udXXX escapes, which PostgreSQL rejects). A value that
// contains either is stored as base64 of its JSON text inside a one-key wrapper object, so event
// data round-trips exactly; every other value is stored as plain jsonb that analysts can query.
// A value that itself mentions the wrapper's key is wrapped too, so unwrapping is never ambiguous.

const wrapperKey = '$eventStore.base64Json';
const jsonbRejects = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** JSON text for a jsonb column. */
export function toStoredJson(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  if (!jsonbRejects.test(text) && !text.includes(wrapperKey)) return text;
  return JSON.stringify({ [wrapperKey]: Buffer.from(text, 'utf8').toString('base64') });
}

/** The value stored by `toStoredJson`, from the column's value as JSON.parse returns it. */
export function fromStoredValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && wrapperKey in value) {
    const encoded = (value as Record<string, unknown>)[wrapperKey];
    if (typeof encoded === 'string') {
      return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown;
    }
  }
  return value;
}
