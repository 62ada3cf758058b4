/**
 * Every stack of the default app passes `terraform validate` and `terraform
 * plan` with the real hashicorp/aws 5.100.0 provider, offline. The harness
 * (../support/terraform.ts) adds dummy credentials through an override file
 * in the synthesized copy; the production JSON is not changed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, DEFAULT_CONFIG_FILE } from "../../config/load-config";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { StackCheckResult, checkStacks } from "../support/terraform";

// Resources per stack: key + alias, then per function role, role policy, log group, function.
const EXPECTED_RESOURCES: Record<string, number> = {
  "staging-eu-west-1": 2 + 4,
  "staging-us-east-1": 2 + 4,
  "production-eu-west-1": 2 + 8,
  "production-us-east-1": 2 + 8,
};

let outdir: string;
let results: Record<string, StackCheckResult>;
let jsonBefore: Record<string, string>;

beforeAll(async () => {
  outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "default-app-tf-")), "cdktf.out");
  const { stacks } = synthesizeApp(loadConfig(DEFAULT_CONFIG_FILE), outdir);
  jsonBefore = Object.fromEntries(stacks.map((s) => [s, fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8")]));
  results = await checkStacks(outdir, { requirePlan: true, concurrency: 2 });
}, 300_000);

afterAll(() => fs.rmSync(path.dirname(outdir), { recursive: true, force: true }));

test("the default app has one stack per account × region", () => {
  expect(Object.keys(results).sort()).toEqual(Object.keys(EXPECTED_RESOURCES).sort());
});

test.each(Object.entries(EXPECTED_RESOURCES))("%s validates and plans offline, creating %i resources", (stack, count) => {
  const result = results[stack];
  expect(result.validate.valid).toBe(true);
  expect(result.plan.ran).toBe(true);
  if (!result.plan.ran) return;
  expect(result.plan.exitCode).toBe(2);
  expect(result.plan.resourcesToAdd).toBe(count);
  expect(result.plan.resourcesToChange).toBe(0);
  expect(result.plan.resourcesToDestroy).toBe(0);
  const types = result.plan.changes.map((c) => c.address.split(".")[0]).sort();
  expect(new Set(types)).toEqual(
    new Set(["aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy", "aws_kms_alias", "aws_kms_key", "aws_lambda_function"]),
  );
});

test("each stack's provider is pinned to its account and region", () => {
  for (const [stack, result] of Object.entries(results)) {
    const [account] = stack.split("-");
    const region = stack.slice(account.length + 1);
    expect(result.awsProviders).toEqual([
      { region, allowedAccountIds: [account === "staging" ? "111111111111" : "222222222222"], assumesRole: false },
    ]);
  }
});

test("the checks leave the synthesized JSON untouched", () => {
  for (const [stack, json] of Object.entries(jsonBefore)) {
    expect(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")).toBe(json);
  }
});
