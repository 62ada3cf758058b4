/**
 * The default app runs the compliance rules on every synth: a raw provider
 * resource added next to the app's constructs that breaks a rule makes the
 * synth fail with the rule, the construct path and the fix, and nothing is
 * written: a failed synth leaves the output folder as it was, reports included.
 */
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { TerraformStack } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { synthesizeApp } from "../../stacks/synthesize-app";

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "compliance-app-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = loadConfig(DEFAULT_CONFIG_FILE);

test("the default app synthesizes with zero compliance errors and writes the three reports", async () => {
  const outdir = path.join(tmp, "clean");
  const result = await synthesizeApp(config, outdir);
  expect(result.compliance.failing).toEqual([]);
  const report = JSON.parse(fs.readFileSync(path.join(outdir, "compliance.json"), "utf8"));
  expect(report.rules.length).toBeGreaterThanOrEqual(14);
  const sarif = JSON.parse(fs.readFileSync(path.join(outdir, "compliance.sarif"), "utf8"));
  expect(sarif.version).toBe("2.1.0");
  expect(sarif.runs[0].results).toEqual([]);
  expect(fs.readFileSync(path.join(outdir, "compliance.md"), "utf8")).toContain("**0 errors**");
});

test.each([
  [
    "a raw LambdaFunction with environment variables but no kmsKeyArn",
    "LAMBDA-001",
    "raw-function",
    (stack: TerraformStack) =>
      new LambdaFunction(stack, "raw-function", {
        functionName: "raw",
        role: "arn:aws:iam::111111111111:role/raw",
        handler: "index.handler",
        runtime: "nodejs22.x",
        filename: "x.zip",
        environment: { variables: { MODE: "raw" } },
      }),
  ],
  ["a raw KmsKey without rotation", "KMS-001", "raw-key", (stack: TerraformStack) => new KmsKey(stack, "raw-key", { description: "no rotation" })],
])("fails when a stack gets %s: the rule, the path and the fix; nothing is written", async (_what, ruleId, id, add) => {
  const outdir = path.join(tmp, ruleId);
  let message = "";
  try {
    await synthesizeApp(config, outdir, { extendStacks: (stacks) => add(stacks.find((s) => s.node.id === "staging-eu-west-1")!) });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(new RegExp(`\\[${ruleId}\\] staging-eu-west-1/${id} \\(\\S+\\): .+ — fix: .+`));
  expect(fs.existsSync(outdir)).toBe(false);
  expect(fs.readdirSync(tmp).filter((name) => name.includes("staging"))).toEqual([]);
});
