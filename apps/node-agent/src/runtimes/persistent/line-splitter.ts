const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines at '\n' (a '\r' before it is dropped too; empty lines are
 * skipped), holding at most `maxLineBytes` of an unfinished line.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /**
   * The lines `chunk` completes, in order, or 'too-long' as soon as one line (finished or not) is
   * longer than the limit; the splitter is of no further use then.
   */
  push(chunk: Buffer): Buffer[] | 'too-long' {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, newline === -1 ? chunk.length : newline);
      if (this.partialBytes + piece.length > this.maxLineBytes) return 'too-long';
      if (newline === -1) {
        if (piece.length > 0) {
          this.partial.push(piece);
          this.partialBytes += piece.length;
        }
        return lines;
      }
      const line = this.partialBytes === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialBytes = 0;
      const content = line.at(-1) === CARRIAGE_RETURN ? line.subarray(0, -1) : line;
      if (content.length > 0) lines.push(content);
      start = newline + 1;
    }
  }
}
