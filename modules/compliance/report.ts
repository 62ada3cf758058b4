import * as fs from "fs";
import * as path from "path";
import { ComplianceChecker, ComplianceFinding } from "./compliance-checker";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
export const REPORT_TOOL_NAME = "cdktf-lambda-kms compliance";
/** Where the rules are documented (the package README's rule table). */
export const REPORT_INFORMATION_URI = "https://www.npmjs.com/package/cdktf-lambda-kms";

/** What the reports read: a checker, or the findings of several checkers merged (one per group of stacks). */
export type ComplianceResults = Pick<ComplianceChecker, "rules" | "failOnWarnings" | "findings" | "failing" | "stackNames">;

export interface ComplianceReportFiles {
  readonly json: string;
  readonly sarif: string;
  readonly markdown: string;
}

export interface ComplianceCounts {
  readonly rules: number;
  readonly stacks: number;
  readonly errors: number;
  readonly warnings: number;
  readonly suppressed: number;
  readonly failing: number;
}

/** Counts of a checker's findings; `errors`/`warnings` count unsuppressed findings only. */
export function complianceCounts(checker: ComplianceResults): ComplianceCounts {
  const findings = checker.findings;
  const open = findings.filter((f) => !f.suppressed);
  return {
    rules: checker.rules.length,
    stacks: checker.stackNames.length,
    errors: open.filter((f) => f.severity === "error").length,
    warnings: open.filter((f) => f.severity === "warning").length,
    suppressed: findings.length - open.length,
    failing: checker.failing.length,
  };
}

/**
 * Writes compliance.json, compliance.sarif (SARIF 2.1.0, what GitHub code scanning reads) and
 * compliance.md into `outdir` (usually cdktf.out/). The content is deterministic: no timestamps.
 */
export function writeComplianceReports(outdir: string, checker: ComplianceResults): ComplianceReportFiles {
  fs.mkdirSync(outdir, { recursive: true });
  const files = {
    json: path.join(outdir, "compliance.json"),
    sarif: path.join(outdir, "compliance.sarif"),
    markdown: path.join(outdir, "compliance.md"),
  };
  fs.writeFileSync(files.json, `${JSON.stringify(complianceJson(checker), null, 2)}\n`);
  fs.writeFileSync(files.sarif, `${JSON.stringify(complianceSarif(checker), null, 2)}\n`);
  fs.writeFileSync(files.markdown, complianceMarkdown(checker));
  return files;
}

/** The content of compliance.json. */
export function complianceJson(checker: ComplianceResults): Record<string, unknown> {
  return {
    tool: REPORT_TOOL_NAME,
    failOnWarnings: checker.failOnWarnings,
    stacks: [...checker.stackNames],
    rules: checker.rules.map((r) => ({
      id: r.id,
      severity: r.severity,
      description: r.description,
      rationale: r.rationale,
      remediation: r.remediation,
      controls: [...r.controls],
    })),
    counts: complianceCounts(checker),
    findings: checker.findings,
  };
}

/** The content of compliance.sarif: one run, every rule in `tool.driver.rules`, one result per finding. */
export function complianceSarif(checker: ComplianceResults): Record<string, unknown> {
  const ruleIndex = new Map(checker.rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: REPORT_TOOL_NAME,
            informationUri: REPORT_INFORMATION_URI,
            rules: checker.rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.description },
              fullDescription: { text: r.rationale },
              help: { text: r.remediation },
              defaultConfiguration: { level: r.severity },
              properties: { tags: [...r.controls] },
            })),
          },
        },
        results: checker.findings.map((f) => ({
          ruleId: f.ruleId,
          ...(ruleIndex.has(f.ruleId) ? { ruleIndex: ruleIndex.get(f.ruleId) } : {}),
          level: f.suppressed ? "note" : f.severity,
          message: { text: `${f.message} — fix: ${f.remediation}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: `stacks/${f.stack}/cdk.tf.json` } },
              logicalLocations: [{ fullyQualifiedName: f.path }, { name: f.address }],
            },
          ],
          ...(f.suppressed ? { suppressions: [{ kind: "inSource", justification: f.suppressed.reason }] } : {}),
        })),
      },
    ],
  };
}

/** The content of compliance.md: counts, a table per rule, and the open findings. */
export function complianceMarkdown(checker: ComplianceResults): string {
  const c = complianceCounts(checker);
  const findings = checker.findings;
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    "# Compliance report",
    "",
    `${c.rules} rules on ${c.stacks} stacks: **${c.errors} errors**, ${c.warnings} warnings, ${c.suppressed} suppressed.` +
      (c.failing > 0 ? ` Synth fails on ${c.failing} findings.` : " Synth passes."),
    "",
    "| Rule | Severity | Findings | Suppressed | Controls | Description |",
    "|---|---|---|---|---|---|",
    ...checker.rules.map((r) => {
      const mine = findings.filter((f) => f.ruleId === r.id);
      const suppressed = mine.filter((f) => f.suppressed).length;
      return `| ${r.id} | ${r.severity} | ${mine.length - suppressed} | ${suppressed} | ${cell(r.controls.join(", "))} | ${cell(r.description)} |`;
    }),
  ];
  if (findings.length > 0) {
    lines.push("", "## Findings", "", "| Rule | Stack | Construct path | Address | Message | Status |", "|---|---|---|---|---|---|");
    for (const f of findings) {
      const status = f.suppressed ? `suppressed: ${f.suppressed.reason}` : f.severity;
      lines.push(`| ${f.ruleId} | ${f.stack} | ${cell(f.path)} | ${f.address} | ${cell(f.message)} | ${cell(status)} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Human-readable lines for the console: one per finding, then the counts. */
export function formatFindings(checker: ComplianceResults): string {
  const c = complianceCounts(checker);
  const line = (f: ComplianceFinding) => {
    const tag = f.suppressed ? "SUPPRESSED" : f.severity.toUpperCase();
    const tail = f.suppressed ? ` (reason: ${f.suppressed.reason})` : ` — fix: ${f.remediation}`;
    return `${tag} [${f.ruleId}] ${f.path} (${f.address}): ${f.message}${tail}`;
  };
  return [...checker.findings.map(line), `compliance: ${c.rules} rules, ${c.stacks} stacks, ${c.errors} errors, ${c.warnings} warnings, ${c.suppressed} suppressed`].join("\n");
}
