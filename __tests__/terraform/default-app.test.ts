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

type ResourceCounts = Readonly<Record<string, number>>;

/**
 * Resources of a workload stack, derived from the constructs: the workload key
 * (1 aws_kms_key + 1 aws_kms_alias for the one alias of config/default.json),
 * per function an execution role, its inline policy, its log group and the
 * function, and the key's KeyUseAlarms (policy change + unexpected decrypt:
 * 2 metric filters + 2 alarms, in the audit home region).
 */
function workloadResources(functions: number): ResourceCounts {
  return {
    aws_kms_key: 1,
    aws_kms_alias: 1,
    aws_iam_role: functions,
    aws_iam_role_policy: functions,
    aws_cloudwatch_log_group: functions,
    aws_lambda_function: functions,
    aws_cloudwatch_log_metric_filter: 2,
    aws_cloudwatch_metric_alarm: 2,
  };
}

/**
 * Resources of an audit stack (AuditTrail), derived from the constructs: the
 * audit key and its one default alias; the TrailLogBucket's bucket and its 6
 * sub-resources (public access block, ownership controls, versioning,
 * encryption, lifecycle, policy; aws_s3_bucket_logging only with
 * accessLogBucketName, which the default config does not set); the trail's
 * log group; the delivery role and its policy; the trail; the AlarmTopic's
 * topic, topic policy and one subscription per alarm email; the CIS 4.7
 * metric filter and alarm.
 */
function auditResources(alarmEmails: number): ResourceCounts {
  const counts: Record<string, number> = {
    aws_kms_key: 1,
    aws_kms_alias: 1,
    aws_s3_bucket: 1,
    aws_s3_bucket_public_access_block: 1,
    aws_s3_bucket_ownership_controls: 1,
    aws_s3_bucket_versioning: 1,
    aws_s3_bucket_server_side_encryption_configuration: 1,
    aws_s3_bucket_lifecycle_configuration: 1,
    aws_s3_bucket_policy: 1,
    aws_cloudwatch_log_group: 1,
    aws_iam_role: 1,
    aws_iam_role_policy: 1,
    aws_cloudtrail: 1,
    aws_sns_topic: 1,
    aws_sns_topic_policy: 1,
    aws_cloudwatch_log_metric_filter: 1,
    aws_cloudwatch_metric_alarm: 1,
  };
  if (alarmEmails > 0) counts.aws_sns_topic_subscription = alarmEmails;
  return counts;
}

// config/default.json: staging has orders-api and no alarm emails; production has orders-api and
// nightly-report and one alarm email (security-alerts@example.com).
const EXPECTED: Record<string, ResourceCounts> = {
  "staging-audit": auditResources(0), // 17
  "staging-eu-west-1": workloadResources(1), // 10
  "staging-us-east-1": workloadResources(1), // 10
  "production-audit": auditResources(1), // 18
  "production-eu-west-1": workloadResources(2), // 14
  "production-us-east-1": workloadResources(2), // 14
};

const total = (counts: ResourceCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The audit home region of both accounts: their first region, the default. */
const AUDIT_HOME_REGION = "eu-west-1";
const ACCOUNT_IDS: Record<string, string> = { staging: "111111111111", production: "222222222222" };

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

function countBy(types: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of types) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

test("the default app has an audit stack per account and one stack per account × region", () => {
  expect(Object.keys(results).sort()).toEqual(Object.keys(EXPECTED).sort());
  expect(Object.fromEntries(Object.entries(EXPECTED).map(([stack, counts]) => [stack, total(counts)]))).toEqual({
    "staging-audit": 17,
    "staging-eu-west-1": 10,
    "staging-us-east-1": 10,
    "production-audit": 18,
    "production-eu-west-1": 14,
    "production-us-east-1": 14,
  });
});

test.each(Object.entries(EXPECTED).map(([stack, counts]) => [stack, total(counts), counts] as const))(
  "%s validates and plans offline, creating %i resources",
  (stack, count, counts) => {
    // The synthesized JSON holds exactly the resources derived from the constructs...
    const json = JSON.parse(jsonBefore[stack]);
    const synthesized = Object.fromEntries(Object.entries(json.resource as Record<string, object>).map(([type, byId]) => [type, Object.keys(byId).length]));
    expect(synthesized).toEqual(counts);

    // ...and Terraform plans to create exactly those.
    const result = results[stack];
    expect(result.validate.valid).toBe(true);
    expect(result.validate.warnings).toEqual([]);
    expect(result.plan.ran).toBe(true);
    if (!result.plan.ran) return;
    expect(result.plan.warnings).toEqual([]);
    expect(result.plan.exitCode).toBe(2);
    expect(result.plan.resourcesToAdd).toBe(count);
    expect(result.plan.resourcesToChange).toBe(0);
    expect(result.plan.resourcesToDestroy).toBe(0);
    expect(result.plan.changes.every((c) => c.action === "create")).toBe(true);
    expect(countBy(result.plan.changes.map((c) => c.address.split(".")[0]))).toEqual(counts);
  },
);

test("each stack's providers are pinned to its account: the default one to its region, the aliased audit one to the audit home region", () => {
  for (const [stack, result] of Object.entries(results)) {
    const [account] = stack.split("-");
    const allowedAccountIds = [ACCOUNT_IDS[account]];
    if (stack.endsWith("-audit")) {
      expect(result.awsProviders).toEqual([{ region: AUDIT_HOME_REGION, allowedAccountIds, assumesRole: false }]);
    } else {
      const region = stack.slice(account.length + 1);
      expect(result.awsProviders).toEqual([
        { region, allowedAccountIds, assumesRole: false },
        { alias: "audit", region: AUDIT_HOME_REGION, allowedAccountIds, assumesRole: false },
      ]);
    }
  }
});

test("the checks leave the synthesized JSON untouched", () => {
  for (const [stack, json] of Object.entries(jsonBefore)) {
    expect(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")).toBe(json);
  }
});
