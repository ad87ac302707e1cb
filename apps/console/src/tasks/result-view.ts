// How the task page shows a function's response: JSON pretty-printed, text as it is, anything else
// (or text that is not UTF-8) offered as a download.

export type ResultView =
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly size: number };

const TEXTUAL =
  /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|csv|yaml|x-yaml))/i;

export function resultView(contentType: string | null, body: Uint8Array): ResultView {
  const type = (contentType ?? '').trim();
  if (type !== '' && !TEXTUAL.test(type)) return { kind: 'binary', size: body.byteLength };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { kind: 'binary', size: body.byteLength };
  }
  if (/^application\/(?:[\w.+-]*\+)?json/i.test(type)) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(text) as unknown, null, 2) };
    } catch {
      return { kind: 'text', text };
    }
  }
  return { kind: 'text', text };
}

/** A file name for a downloaded result: the task id and an extension its content type suggests. */
export function resultFileName(taskId: string, contentType: string | null): string {
  const subtype = /^[\w.+-]+\/([\w.+-]+)/.exec(contentType ?? '')?.[1]?.toLowerCase();
  const extension =
    subtype === undefined || subtype === 'octet-stream'
      ? 'bin'
      : (subtype.split('+').at(-1) ?? 'bin');
  return `task-${taskId}.${extension.replace(/^x-/, '')}`;
}

/** Bytes for people: `512 B`, `4.0 KiB`, `1.2 MiB`. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
