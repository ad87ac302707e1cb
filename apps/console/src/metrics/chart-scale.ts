// The vertical scale of the metrics page's charts: a round top (1, 2 or 5 times a power of ten, at
// least the largest value) and the lines drawn at 0, half and the top.

export function niceCeiling(largest: number): number {
  if (!Number.isFinite(largest) || largest <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(largest));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= largest) return step * power;
  }
  return 10 * power;
}

export function gridLines(ceiling: number): number[] {
  return [0, ceiling / 2, ceiling];
}

/** The largest of the values, nulls (no data) left out; 0 when there is none. */
export function largestValue(series: readonly (readonly (number | null)[])[]): number {
  let largest = 0;
  for (const values of series) {
    for (const value of values) if (value !== null && value > largest) largest = value;
  }
  return largest;
}

/** A number for an axis or a table: integers as they are, fractions to 3 significant digits. */
export function axisNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}
