import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, Aspects, Lazy, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { ComplianceChecker, ComplianceRule, suppressRule } from "../../modules/compliance";
import { formatFindings, writeComplianceReports } from "../../modules/compliance/report";
import { stackView } from "../../modules/compliance/stack-view";
import { suppressionFor } from "../../modules/compliance/suppress";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "compliance-engine-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const REASON = "The key is imported from a legacy account and rotated by its owner.";

/** Test-only rule: flags an aws_kms_key whose enable_key_rotation is not true. */
const rotationRule: ComplianceRule = {
  id: "TEST-001",
  severity: "error",
  description: "KMS keys rotate their key material.",
  rationale: "Rotation limits how much data one key version protects.",
  remediation: "set enableKeyRotation: true on the key",
  controls: ["CIS AWS 3.8", "Security Hub KMS.4", "checkov CKV_AWS_7"],
  check: (stack) =>
    stack
      .ofType("aws_kms_key")
      .filter((r) => r.config.enable_key_rotation !== true)
      .map((resource) => ({ resource, message: `enable_key_rotation is ${JSON.stringify(resource.config.enable_key_rotation)}` })),
};

/** Test-only warning rule: flags a key without a description. */
const descriptionRule: ComplianceRule = {
  id: "TEST-002",
  severity: "warning",
  description: "KMS keys have a description.",
  rationale: "Operators need to know what a key protects before touching it.",
  remediation: "set description on the key",
  controls: ["internal"],
  check: (stack) =>
    stack
      .ofType("aws_kms_key")
      .filter((r) => typeof r.config.description !== "string")
      .map((resource) => ({ resource, message: "the key has no description" })),
};

function newStack(id = "stack", app: App = Testing.app({ outdir: OUTDIR })): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  return stack;
}

function checked(stack: TerraformStack, rules: ComplianceRule[] = [rotationRule], failOnWarnings = false): ComplianceChecker {
  const checker = new ComplianceChecker({ rules, failOnWarnings });
  Aspects.of(stack).add(checker);
  return checker;
}

function synthError(stack: TerraformStack): string {
  try {
    Testing.synth(stack, true);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the synth to fail");
}

describe("stackView", () => {
  test("lists resources with type, name, address, construct path and config without metadata; Lazy values are resolved", () => {
    const stack = newStack();
    const group = new Construct(stack, "group");
    new KmsKey(group, "key", {
      enableKeyRotation: true,
      policy: Lazy.stringValue({ produce: () => JSON.stringify({ Version: "2012-10-17", Statement: [] }) }),
    });
    const view = stackView(stack);
    expect(view.stackName).toBe("stack");
    expect(view.resources).toHaveLength(1);
    const [key] = view.ofType("aws_kms_key");
    expect(key.type).toBe("aws_kms_key");
    expect(key.address).toBe(`aws_kms_key.${key.name}`);
    expect(key.path).toBe("stack/group/key");
    expect(key.config["//"]).toBeUndefined();
    expect(key.config.enable_key_rotation).toBe(true);
    expect(key.config.policy).toBe('{"Version":"2012-10-17","Statement":[]}');
    expect(view.ofType("aws_lambda_function")).toEqual([]);
    expect(view.json.provider).toBeDefined();
  });
});

describe("ComplianceChecker", () => {
  test("fails when a resource breaks an error rule, naming the rule, the construct path, the address and the fix", () => {
    const stack = newStack();
    new KmsKey(stack, "key", { enableKeyRotation: false });
    const checker = checked(stack);
    const message = synthError(stack);
    expect(message).toContain("[TEST-001] stack/key (aws_kms_key.key): enable_key_rotation is false — fix: set enableKeyRotation: true on the key");
    expect(checker.findings).toEqual([
      {
        ruleId: "TEST-001",
        severity: "error",
        stack: "stack",
        address: "aws_kms_key.key",
        path: "stack/key",
        message: "enable_key_rotation is false",
        remediation: "set enableKeyRotation: true on the key",
        controls: ["CIS AWS 3.8", "Security Hub KMS.4", "checkov CKV_AWS_7"],
      },
    ]);
  });

  test("fails app.synth() when enabled on the app with ComplianceChecker.enable", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(OUTDIR, "app-")) });
    new KmsKey(newStack("first", app), "key", {});
    newStack("second", app);
    const checker = ComplianceChecker.enable(app, { rules: [rotationRule] });
    expect(() => app.synth()).toThrow(/\[TEST-001\] first\/key \(aws_kms_key\.key\)/);
    expect(checker.stackNames).toEqual(["first", "second"]);
  });

  test("fails app.synth() when a stack is created after ComplianceChecker.enable", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(OUTDIR, "late-")) });
    newStack("early", app);
    ComplianceChecker.enable(app, { rules: [rotationRule] });
    newStack("late", app);
    expect(() => app.synth()).toThrow(/stack late was not checked for compliance/);
  });

  test("passes a compliant stack and records no findings", () => {
    const stack = newStack();
    new KmsKey(stack, "key", { enableKeyRotation: true });
    const checker = checked(stack);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(checker.findings).toEqual([]);
  });

  test("evaluates the rules once per stack, however often it is synthesized", () => {
    const stack = newStack();
    new KmsKey(stack, "key", { enableKeyRotation: true });
    const check = jest.fn(rotationRule.check);
    const checker = checked(stack, [{ ...rotationRule, check }]);
    Testing.synth(stack, true);
    Testing.synth(stack, true);
    void checker.findings;
    expect(check).toHaveBeenCalledTimes(1);
  });

  test("fails when two rules share an id", () => {
    expect(() => new ComplianceChecker({ rules: [rotationRule, rotationRule] })).toThrow("compliance rule id TEST-001 is used twice");
  });

  test("warnings are annotated but do not fail the synth", () => {
    const stack = newStack();
    const key = new KmsKey(stack, "key", { enableKeyRotation: true });
    const checker = checked(stack, [rotationRule, descriptionRule]);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(checker.findings.map((f) => [f.ruleId, f.severity])).toEqual([["TEST-002", "warning"]]);
    expect(checker.failing).toEqual([]);
    const warnings = key.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data);
    expect(warnings).toEqual(["[TEST-002] aws_kms_key.key: the key has no description — fix: set description on the key"]);
  });

  test("fails on warnings when failOnWarnings is set", () => {
    const stack = newStack();
    new KmsKey(stack, "key", { enableKeyRotation: true });
    checked(stack, [descriptionRule], true);
    expect(synthError(stack)).toContain("[TEST-002] stack/key (aws_kms_key.key): the key has no description — fix: set description on the key");
  });
});

describe("suppressions", () => {
  test("a suppression with a reason suppresses the finding, which is recorded with its reason", () => {
    const stack = newStack();
    const key = new KmsKey(stack, "key", { enableKeyRotation: false });
    suppressRule(key, "TEST-001", REASON);
    const checker = checked(stack);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(checker.findings).toHaveLength(1);
    expect(checker.findings[0].suppressed).toEqual({ reason: REASON, path: "stack/key" });
    expect(formatFindings(checker)).toContain(`SUPPRESSED [TEST-001] stack/key (aws_kms_key.key): enable_key_rotation is false (reason: ${REASON})`);
  });

  test("a suppression on a parent is inherited by its children, and only for that rule", () => {
    const stack = newStack();
    const legacy = new Construct(stack, "legacy");
    new KmsKey(new Construct(legacy, "inner"), "key", { enableKeyRotation: false });
    new KmsKey(stack, "other", { enableKeyRotation: false });
    suppressRule(legacy, "TEST-001", REASON);
    suppressRule(legacy, "TEST-999", "A different rule is suppressed here on purpose.");
    const checker = checked(stack);
    const message = synthError(stack);
    expect(message).toContain("[TEST-001] stack/other (aws_kms_key.other)");
    expect(message).not.toContain("stack/legacy/inner/key");
    const byPath = Object.fromEntries(checker.findings.map((f) => [f.path, f.suppressed]));
    expect(byPath).toEqual({ "stack/legacy/inner/key": { reason: REASON, path: "stack/legacy" }, "stack/other": undefined });
    expect(suppressionFor(stack.node.root, "stack/legacy/inner/key", "TEST-001")?.path).toBe("stack/legacy");
    expect(suppressionFor(stack.node.root, "stack/other", "TEST-001")).toBeUndefined();
  });

  test("the nearest suppression wins", () => {
    const stack = newStack();
    const outer = new Construct(stack, "outer");
    const inner = new Construct(outer, "inner");
    suppressRule(outer, "TEST-001", "The outer reason applies to everything below it.");
    suppressRule(inner, "TEST-001", "The inner reason is closer and therefore wins.");
    expect(suppressionFor(stack.node.root, "stack/outer/inner/key", "TEST-001")?.reason).toBe("The inner reason is closer and therefore wins.");
  });

  test.each([
    ["missing", undefined],
    ["empty", ""],
    ["short", "legacy key"],
    ["without a space", "legacy-key-imported-from-elsewhere"],
  ])("fails when the reason is %s", (_label, reason) => {
    const stack = newStack();
    const key = new KmsKey(stack, "key", {});
    expect(() => suppressRule(key, "TEST-001", reason as unknown as string)).toThrow(
      /suppression of TEST-001 on stack\/key is refused: a suppression needs a written reason of at least a sentence/,
    );
    expect(suppressionFor(stack.node.root, "stack/key", "TEST-001")).toBeUndefined();
  });
});

type Json = Record<string, unknown>;

/** Checks the SARIF 2.1.0 properties GitHub code scanning requires, by hand (no network for the official schema). */
function expectValidSarif(sarif: Json): void {
  expect(sarif.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
  expect(sarif.version).toBe("2.1.0");
  expect(Array.isArray(sarif.runs)).toBe(true);
  for (const run of sarif.runs as Json[]) {
    const driver = (run.tool as Json).driver as Json;
    expect(typeof driver.name).toBe("string");
    expect(typeof driver.informationUri).toBe("string");
    const rules = driver.rules as Json[];
    expect(Array.isArray(rules)).toBe(true);
    for (const rule of rules) {
      expect(typeof rule.id).toBe("string");
      for (const key of ["shortDescription", "fullDescription", "help"]) expect(typeof (rule[key] as Json).text).toBe("string");
      expect(["none", "note", "warning", "error"]).toContain((rule.defaultConfiguration as Json).level);
      expect(((rule.properties as Json).tags as unknown[]).every((t) => typeof t === "string")).toBe(true);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    for (const result of run.results as Json[]) {
      expect(typeof (result.message as Json).text).toBe("string");
      expect(["none", "note", "warning", "error"]).toContain(result.level);
      expect(typeof result.ruleId).toBe("string");
      expect(Number.isInteger(result.ruleIndex)).toBe(true);
      expect(rules[result.ruleIndex as number].id).toBe(result.ruleId);
      const locations = result.locations as Json[];
      expect(locations.length).toBeGreaterThan(0);
      const uri = ((locations[0].physicalLocation as Json).artifactLocation as Json).uri;
      expect(uri).toMatch(/^stacks\/[^/]+\/cdk\.tf\.json$/);
      for (const logical of locations[0].logicalLocations as Json[]) {
        expect(typeof (logical.fullyQualifiedName ?? logical.name)).toBe("string");
      }
      if (result.suppressions !== undefined) {
        for (const s of result.suppressions as Json[]) {
          expect(["inSource", "external"]).toContain(s.kind);
          expect(typeof s.justification).toBe("string");
        }
      }
    }
  }
}

describe("reports", () => {
  test("writes compliance.json, a valid SARIF 2.1.0 file and compliance.md, with suppressed findings and their reasons", () => {
    const stack = newStack();
    new KmsKey(stack, "bad", { enableKeyRotation: false, description: "bad" });
    const legacy = new KmsKey(stack, "legacy", { enableKeyRotation: false });
    suppressRule(legacy, "TEST-001", REASON);
    const checker = checked(stack, [rotationRule, descriptionRule]);
    expect(() => Testing.synth(stack, true)).toThrow(/TEST-001/);
    const dir = path.join(OUTDIR, "reports");
    const files = writeComplianceReports(dir, checker);
    expect(files).toEqual({
      json: path.join(dir, "compliance.json"),
      sarif: path.join(dir, "compliance.sarif"),
      markdown: path.join(dir, "compliance.md"),
    });

    const report = JSON.parse(fs.readFileSync(files.json, "utf8"));
    expect(report.rules.map((r: Json) => r.id)).toEqual(["TEST-001", "TEST-002"]);
    expect(report.counts).toEqual({ rules: 2, stacks: 1, errors: 1, warnings: 1, suppressed: 1, failing: 1 });
    expect(report.findings.find((f: Json) => f.suppressed)).toMatchObject({
      ruleId: "TEST-001",
      path: "stack/legacy",
      suppressed: { reason: REASON },
    });

    const sarif = JSON.parse(fs.readFileSync(files.sarif, "utf8"));
    expectValidSarif(sarif);
    const results = sarif.runs[0].results as Json[];
    expect(results.map((r) => [r.ruleId, r.level])).toEqual([
      ["TEST-001", "error"],
      ["TEST-001", "note"],
      ["TEST-002", "warning"],
    ]);
    expect(results[0].locations).toEqual([
      {
        physicalLocation: { artifactLocation: { uri: "stacks/stack/cdk.tf.json" } },
        logicalLocations: [{ fullyQualifiedName: "stack/bad" }, { name: "aws_kms_key.bad" }],
      },
    ]);
    expect(results[1].suppressions).toEqual([{ kind: "inSource", justification: REASON }]);
    expect(sarif.runs[0].tool.driver.rules[0].properties.tags).toEqual(["CIS AWS 3.8", "Security Hub KMS.4", "checkov CKV_AWS_7"]);

    const md = fs.readFileSync(files.markdown, "utf8");
    expect(md).toContain("2 rules on 1 stacks: **1 errors**, 1 warnings, 1 suppressed. Synth fails on 1 findings.");
    expect(md).toContain("| TEST-001 | error | 1 | 1 | CIS AWS 3.8, Security Hub KMS.4, checkov CKV_AWS_7 |");
    expect(md).toContain(`suppressed: ${REASON}`);
  });

  test("writes the reports for a compliant app with no results", () => {
    const stack = newStack();
    new KmsKey(stack, "key", { enableKeyRotation: true, description: "ok" });
    const checker = checked(stack, [rotationRule, descriptionRule]);
    Testing.synth(stack, true);
    const dir = path.join(OUTDIR, "clean");
    const files = writeComplianceReports(dir, checker);
    const sarif = JSON.parse(fs.readFileSync(files.sarif, "utf8"));
    expectValidSarif(sarif);
    expect(sarif.runs[0].results).toEqual([]);
    expect(fs.readFileSync(files.markdown, "utf8")).toContain("Synth passes.");
    expect(formatFindings(checker)).toBe("compliance: 2 rules, 1 stacks, 0 errors, 0 warnings, 0 suppressed");
  });
});
