import { writeSync } from 'node:fs';

// Prints one plain closing line ("jest: N passed, N failed, N skipped") as the very last line of
// the run, so that scripts reading the end of the output see the counts without parsing Jest's table.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => writeSync(1, line));
  }
}
