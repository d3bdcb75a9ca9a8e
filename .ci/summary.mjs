// Prints the plain "N passed, N failed, N skipped" line CI reads, from vitest's JSON report.
import fs from 'node:fs';
const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.error(`no test report at ${file}`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
const failedSuites = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed, ${skipped} skipped`);
