// Sums every package's vitest JSON report into the closing "N passed, N failed[, N skipped]" line.
import fs from "node:fs";
import path from "node:path";

const roots = ["packages", "apps"];
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;

for (const root of roots) {
  if (!fs.existsSync(root)) continue;
  for (const name of fs.readdirSync(root)) {
    const file = path.join(root, name, "test-results.json");
    if (!fs.existsSync(file)) continue;
    reports++;
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A file that failed to load has no failed test of its own: count it as one failure.
    for (const suite of report.testResults ?? []) {
      const ownFailures = (suite.assertionResults ?? []).filter((a) => a.status === "failed").length;
      if (suite.status === "failed" && ownFailures === 0) failed++;
    }
  }
}

if (reports === 0) failed++;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
