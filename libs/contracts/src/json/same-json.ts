/**
 * Structural equality of JSON values, ignoring key order: how deciders recognise a repeated command
 * (the same data, however its keys were ordered on the way).
 */
export function sameJson(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null)
    return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => sameJson(item, right[index]))
    );
  }
  const leftEntries = Object.entries(left);
  const rightRecord = right as Record<string, unknown>;
  return (
    leftEntries.length === Object.keys(right).length &&
    leftEntries.every(
      ([key, value]) => Object.hasOwn(rightRecord, key) && sameJson(value, rightRecord[key]),
    )
  );
}
