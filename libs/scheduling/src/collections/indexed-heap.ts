/**
 * A binary min-heap whose entries are addressed by key, so an entry's value can change or the entry
 * can leave in O(log n). `before(a, b)` is true when `a` must come out before `b`; it must be a strict
 * weak order, and ties are broken by the caller (for example by id) when the order must be total.
 */
export class IndexedHeap<Key, Value> {
  private readonly keys: Key[] = [];
  private readonly values: Value[] = [];
  private readonly positions = new Map<Key, number>();

  constructor(private readonly before: (a: Value, b: Value) => boolean) {}

  get size(): number {
    return this.keys.length;
  }

  has(key: Key): boolean {
    return this.positions.has(key);
  }

  get(key: Key): Value | undefined {
    const position = this.positions.get(key);
    return position === undefined ? undefined : this.values[position];
  }

  /** Inserts the entry, or moves it to where its new value belongs. */
  set(key: Key, value: Value): void {
    const position = this.positions.get(key);
    if (position === undefined) {
      this.keys.push(key);
      this.values.push(value);
      this.positions.set(key, this.keys.length - 1);
      this.siftUp(this.keys.length - 1);
      return;
    }
    this.values[position] = value;
    this.siftUp(position);
    this.siftDown(position);
  }

  delete(key: Key): boolean {
    const position = this.positions.get(key);
    if (position === undefined) return false;
    const last = this.keys.length - 1;
    if (position !== last) this.swap(position, last);
    this.keys.pop();
    this.values.pop();
    this.positions.delete(key);
    if (position !== last) {
      this.siftUp(position);
      this.siftDown(position);
    }
    return true;
  }

  peek(): { readonly key: Key; readonly value: Value } | undefined {
    if (this.keys.length === 0) return undefined;
    return { key: this.keys[0] as Key, value: this.values[0] as Value };
  }

  private siftUp(start: number): void {
    let child = start;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(this.values[child] as Value, this.values[parent] as Value)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(start: number): void {
    const count = this.keys.length;
    let parent = start;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let first = parent;
      if (left < count && this.before(this.values[left] as Value, this.values[first] as Value))
        first = left;
      if (right < count && this.before(this.values[right] as Value, this.values[first] as Value))
        first = right;
      if (first === parent) return;
      this.swap(parent, first);
      parent = first;
    }
  }

  private swap(i: number, j: number): void {
    const key = this.keys[i] as Key;
    const value = this.values[i] as Value;
    this.keys[i] = this.keys[j] as Key;
    this.values[i] = this.values[j] as Value;
    this.keys[j] = key;
    this.values[j] = value;
    this.positions.set(this.keys[i] as Key, i);
    this.positions.set(key, j);
  }
}
