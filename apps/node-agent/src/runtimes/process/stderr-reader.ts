import { ByteTail } from '../byte-tail.js';

// Progress lines are short; a longer line cannot be one, so it goes to the tail as it arrives
// instead of being held in memory until its end.
const MAX_PROGRESS_LINE_BYTES = 64;
const PROGRESS_LINE = /^::progress[ \t]+(\d{1,3}(?:\.\d+)?)[ \t]*\r?\n?$/;
const NEWLINE = 0x0a;

/**
 * Reads a function process's stderr: each line `::progress <0..100>` is reported as progress;
 * every other byte is kept, but only the last `tailBytes` of them.
 */
export class StderrReader {
  private readonly tail: ByteTail;
  private line: Buffer[] = [];
  private lineBytes = 0;
  private ordinaryLine = false;

  constructor(
    tailBytes: number,
    private readonly onProgress: (percent: number) => void,
  ) {
    this.tail = new ByteTail(tailBytes);
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.addToLine(chunk.subarray(start, end));
      if (newline !== -1) this.endLine();
      start = end;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    this.endLine();
  }

  /** The last bytes of stderr, progress lines left out. */
  tailBytes(): Buffer {
    return this.tail.bytes();
  }

  private addToLine(piece: Buffer): void {
    if (this.ordinaryLine) {
      this.tail.append(piece);
      return;
    }
    this.line.push(piece);
    this.lineBytes += piece.length;
    if (this.lineBytes > MAX_PROGRESS_LINE_BYTES) {
      this.ordinaryLine = true;
      this.tail.append(Buffer.concat(this.line));
      this.line = [];
    }
  }

  private endLine(): void {
    if (!this.ordinaryLine && this.lineBytes > 0) {
      const line = Buffer.concat(this.line);
      const percent = progressOf(line.toString('latin1'));
      if (percent === undefined) this.tail.append(line);
      else this.onProgress(percent);
    }
    this.line = [];
    this.lineBytes = 0;
    this.ordinaryLine = false;
  }
}

/** The percentage of a `::progress <n>` line, or undefined for any other line. */
export function progressOf(line: string): number | undefined {
  const match = PROGRESS_LINE.exec(line);
  if (match?.[1] === undefined) return undefined;
  const percent = Number(match[1]);
  return percent <= 100 ? percent : undefined;
}
