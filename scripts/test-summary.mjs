// Prints vitest's totals as one plain closing line, "N passed, N failed, N skipped", for CI logs.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const file = process.argv[2] ?? '.vitest-results.json';
const report = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
process.stdout.write(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped\n`);
process.exitCode = report.success ? 0 : 1;
