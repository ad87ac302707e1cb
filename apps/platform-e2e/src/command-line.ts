// The command line of the scripts in this app (the benchmarks, the chaos run): --help answered with
// the usage, and a bad option answered with what is wrong, the usage and exit code 2.

export class CommandLine {
  constructor(private readonly usage: string) {}

  /** Prints the usage and exits 0 when --help was given. */
  answerHelp(help: boolean | undefined): void {
    if (help !== true) return;
    process.stdout.write(`${this.usage}\n`);
    process.exit(0);
  }

  fail(message: string): never {
    process.stderr.write(`${message}\n\n${this.usage}\n`);
    process.exit(2);
  }

  /** The option `--name`'s value, a number above 0. */
  positive(name: string, text: string): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) this.fail(`--${name} must be a positive number`);
    return value;
  }

  /** The option `--name`'s value, a whole number above 0. */
  positiveInteger(name: string, text: string): number {
    const value = this.positive(name, text);
    if (!Number.isInteger(value)) this.fail(`--${name} must be a whole number`);
    return value;
  }

  /** The option `--name`'s value, a number, 0 or more. */
  nonNegative(name: string, text: string): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || text.trim() === '')
      this.fail(`--${name} must be a number, 0 or more`);
    return value;
  }

  /** The option `--name`'s value, a whole number, 0 or more. */
  nonNegativeInteger(name: string, text: string): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || text.trim() === '')
      this.fail(`--${name} must be a whole number, 0 or more`);
    return value;
  }
}
