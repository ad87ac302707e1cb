// Plain-text tables for the benchmarks' output: the first column left-aligned, the others right.

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A titled block of label / value lines. */
export function formatFacts(title: string, facts: readonly (readonly [string, string])[]): string {
  const width = Math.max(...facts.map(([label]) => label.length));
  return [title, ...facts.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}

export function formatMiB(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? `${perSecond.toFixed(0)} tasks/s` : '-';
}
