import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../../config/load-config";
import { DEFAULT_RULES } from "../../../modules/compliance/rules";
import { synthesizeApp } from "../../../stacks/synthesize-app";
import { stackView } from "./helpers";

describe("DEFAULT_RULES", () => {
  it("have unique ids and full documentation", () => {
    const ids = DEFAULT_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      "KMS-001",
      "KMS-002",
      "KMS-003",
      "LAMBDA-001",
      "LAMBDA-002",
      "LAMBDA-003",
      "LAMBDA-004",
      "IAM-001",
      "TRAIL-001",
      "TRAIL-002",
      "TRAIL-003",
      "TRAIL-004",
      "S3-001",
      "S3-002",
      "SECRET-001",
      "SQS-001",
      "ALARM-001",
      "ALARM-002",
      "ALARM-003",
    ]);
    for (const rule of DEFAULT_RULES) {
      expect(rule.id).toMatch(/^[A-Z0-9]+-\d{3}$/);
      expect(["error", "warning"]).toContain(rule.severity);
      for (const text of [rule.description, rule.rationale, rule.remediation]) expect(text.trim().length).toBeGreaterThan(10);
      expect(rule.controls.length).toBeGreaterThan(0);
    }
  });

  it("find nothing in the default app", async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "compliance-rules-"));
    try {
      const { stacks } = await synthesizeApp(loadConfig(DEFAULT_CONFIG_FILE), outdir);
      expect(stacks.length).toBeGreaterThan(0);
      const found = stacks.flatMap((name) => {
        const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
        const view = stackView(json, name);
        return DEFAULT_RULES.flatMap((rule) => rule.check(view).map((violation) => `${rule.severity} ${rule.id} ${violation.resource.path}: ${violation.message}`));
      });
      // Warnings too: the default app is meant to be fully compliant.
      expect(found).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
