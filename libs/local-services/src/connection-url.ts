/** Hides the password of a connection URL, so the URL can appear in logs and error messages. */
export function redactConnectionUrl(url: string): string {
  // Without scheme://authority we cannot tell where a secret would sit (libpq's "key=value"
  // strings, typos), so such a string is never echoed.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return '<invalid URL>';
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid URL>';
  }
}
