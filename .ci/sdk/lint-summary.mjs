// Findings per rule from a linter's JSON report; exit status 1 when there is any finding.
// usage: node lint-summary.mjs spectral|redocly <report.json>
import { readFileSync } from "node:fs";

const [tool, path] = process.argv.slice(2);
const report = JSON.parse(readFileSync(path, "utf8"));
const spectralSeverities = ["error", "warning", "info", "hint"];
const findings =
  tool === "spectral"
    ? report.map((finding) => `${spectralSeverities[finding.severity] ?? finding.severity} ${finding.code}`)
    : report.problems.map((problem) => `${problem.severity} ${problem.ruleId}`);
const counts = new Map();
for (const finding of findings) counts.set(finding, (counts.get(finding) ?? 0) + 1);
for (const [rule, count] of [...counts].sort((a, b) => b[1] - a[1])) {
  console.log(`${String(count).padStart(5)}  ${rule}`);
}
console.log(`${tool}: ${findings.length} finding(s)`);
process.exit(findings.length === 0 ? 0 : 1);
