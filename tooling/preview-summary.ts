/**
 * The table `npm run preview` ends with: one row per stack with its result
 * (planned, skipped because unchanged, failed) and its time, then the
 * warnings of each stack and the error of each failed one.
 */
import { StackOutcome, seconds } from "./preview-run";

/** The summary of a run, as printed. */
export function formatSummary(outcomes: readonly StackOutcome[]): string {
  const rows = outcomes.map((o) => {
    switch (o.status) {
      case "planned":
        return [o.stack, o.result, seconds(o.ms)];
      case "skipped":
        return [o.stack, `skipped, unchanged (last: ${o.last.result})`, `0.0 s (was ${seconds(o.last.ms)})`];
      case "failed":
        return [o.stack, "failed", seconds(o.ms)];
    }
  });
  const header = ["stack", "result", "time"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`;
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  for (const o of outcomes) {
    const warnings = o.status === "planned" ? o.warnings : o.status === "skipped" ? o.last.warnings : [];
    for (const warning of warnings) lines.push(`  warning in ${o.stack}: ${warning}`);
  }
  for (const o of outcomes) if (o.status === "failed") lines.push(`  ✗ ${o.stack}\n${indent(o.error.message)}`);
  return lines.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}
