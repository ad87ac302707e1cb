/** The last `limit` bytes of everything appended. */
export class ByteTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  append(bytes: Buffer): void {
    if (bytes.length === 0 || this.limit === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
    // Compact now and then rather than on every append.
    if (this.size > 2 * this.limit) {
      const kept = this.bytes();
      this.chunks = [kept];
      this.size = kept.length;
    }
  }

  bytes(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.length <= this.limit ? all : all.subarray(all.length - this.limit);
  }
}
