/**
 * Every stack of the default app passes `terraform validate` and `terraform
 * plan` with the real hashicorp/aws 5.100.0 provider, offline. The harness
 * (tooling/stack-check.ts) adds dummy credentials through an override file
 * in the synthesized copy; the production JSON is not changed.
 */
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, DEFAULT_CONFIG_FILE } from "../../config/load-config";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { StackCheckResult, checkStacks } from "../../tooling/stack-check";

type ResourceCounts = Readonly<Record<string, number>>;

/** The secrets of config/default.json an account gets (a secret without `accounts` is created in every account). */
interface SecretCounts {
  /** SecretsManagerSecret: 1 aws_secretsmanager_secret each. */
  readonly secretsManager: number;
  /** Of those, the ones with seedFromVariable: 1 aws_secretsmanager_secret_version each (and a variable, not a resource). */
  readonly seeded: number;
  /** SecureStringParameter: 1 aws_ssm_parameter each, seeded or not. */
  readonly ssm: number;
}

/**
 * Resources of a workload stack, derived from the constructs: the workload key
 * (1 aws_kms_key + 1 aws_kms_alias for the one alias of config/default.json),
 * per function an execution role, its inline policy (one policy, however many
 * statements the secrets add), its log group and the function, the key's
 * KeyUseAlarms (unexpected key use, with few enough principals for one
 * filter; denied key use; key change: 3 metric filters + 3 alarms, in the
 * audit home region), and the account's secrets (see
 * {@link SecretCounts}; no rotation is configured, so no
 * aws_secretsmanager_secret_rotation).
 */
function workloadResources(functions: number, secrets: SecretCounts): ResourceCounts {
  const counts: Record<string, number> = {
    aws_kms_key: 1,
    aws_kms_alias: 1,
    aws_iam_role: functions,
    aws_iam_role_policy: functions,
    aws_cloudwatch_log_group: functions,
    aws_lambda_function: functions,
    // Every function of the default configuration has a dead-letter queue: the queue and its policy.
    aws_sqs_queue: functions,
    aws_sqs_queue_policy: functions,
    aws_cloudwatch_log_metric_filter: 3,
    aws_cloudwatch_metric_alarm: 3,
  };
  if (secrets.secretsManager > 0) counts.aws_secretsmanager_secret = secrets.secretsManager;
  if (secrets.seeded > 0) counts.aws_secretsmanager_secret_version = secrets.seeded;
  if (secrets.ssm > 0) counts.aws_ssm_parameter = secrets.ssm;
  return counts;
}

/**
 * Resources of an audit stack (AuditTrail), derived from the constructs: the
 * audit key and its one default alias; the TrailLogBucket's bucket and its 7
 * sub-resources (public access block, ownership controls, versioning,
 * encryption, lifecycle, policy, logging into the access-log bucket) and
 * its EventBridge notifications; the AccessLogBucket with the same 6 minus
 * logging, plus notifications; the trail's log group; the delivery role and
 * its policy; the trail; the LogDeliveryTopic's topic and topic policy; the
 * AlarmTopic's topic, topic policy and one subscription per alarm email;
 * fifteen LogMetricAlarms (the
 * fourteen CIS monitoring controls and the audit key's changes), each 1
 * metric filter + 1 alarm.
 */
function auditResources(alarmEmails: number): ResourceCounts {
  const counts: Record<string, number> = {
    aws_kms_key: 1,
    aws_kms_alias: 1,
    aws_s3_bucket: 2,
    aws_s3_bucket_public_access_block: 2,
    aws_s3_bucket_ownership_controls: 2,
    aws_s3_bucket_versioning: 2,
    aws_s3_bucket_server_side_encryption_configuration: 2,
    aws_s3_bucket_lifecycle_configuration: 2,
    aws_s3_bucket_policy: 2,
    aws_s3_bucket_logging: 1,
    aws_s3_bucket_notification: 2,
    aws_cloudwatch_log_group: 1,
    aws_iam_role: 1,
    aws_iam_role_policy: 1,
    aws_cloudtrail: 1,
    aws_sns_topic: 2,
    aws_sns_topic_policy: 2,
    aws_cloudwatch_log_metric_filter: 15,
    aws_cloudwatch_metric_alarm: 15,
  };
  if (alarmEmails > 0) counts.aws_sns_topic_subscription = alarmEmails;
  return counts;
}

/**
 * A bootstrap stack: the deploy role, the boundary of the roles it creates,
 * and the generated deployer policy split into `parts` managed policies
 * (under IAM's 6,144 characters each), each attached to the role.
 */
function deployerResources(parts: number): ResourceCounts {
  return { aws_iam_role: 1, aws_iam_policy: 1 + parts, aws_iam_role_policy_attachment: parts };
}

// config/default.json: staging has orders-api and one alarm email (staging-alerts@example.com); production has
// orders-api and nightly-report and one alarm email (security-alerts@example.com). Both secrets have no `accounts`,
// so every workload stack gets them: payments/orders-api/db-password (Secrets Manager, seeded from
// a variable) and /payments/orders-api/partner-webhook-token (SSM, not seeded).
const DEFAULT_SECRETS: SecretCounts = { secretsManager: 1, seeded: 1, ssm: 1 };
const EXPECTED: Record<string, ResourceCounts> = {
  "staging-deployer": deployerResources(2), // 6
  "staging-audit": auditResources(1), // 58
  "staging-eu-west-1": workloadResources(1, DEFAULT_SECRETS), // 17
  "staging-us-east-1": workloadResources(1, DEFAULT_SECRETS), // 17
  "production-deployer": deployerResources(2), // 6
  "production-audit": auditResources(1), // 58
  "production-eu-west-1": workloadResources(2, DEFAULT_SECRETS), // 23
  "production-us-east-1": workloadResources(2, DEFAULT_SECRETS), // 23
};

/**
 * The ephemeral, sensitive variable SecretsManagerSecret declares for the seeded secret (named after
 * the construct path secret-payments-orders-api-db-password). Plan needs a value; it must never be
 * written anywhere Terraform or the harness leaves or returns.
 */
const SEED_VARIABLE = "secret_payments_orders_api_db_password_value";
const SEED_ENV = `TF_VAR_${SEED_VARIABLE}`;
const SEED_PLAINTEXT = `default-app-test-plaintext-${randomUUID()}`;
/** The stack whose plan is also read back with `terraform show -json`. */
const SHOWN_STACK = "staging-eu-west-1";

const total = (counts: ResourceCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The audit home region of both accounts: their first region, the default. */
const AUDIT_HOME_REGION = "eu-west-1";
const ACCOUNT_IDS: Record<string, string> = { staging: "111111111111", production: "222222222222" };

let outdir: string;
let results: Record<string, StackCheckResult>;
let jsonBefore: Record<string, string>;
let shown: StackCheckResult;
const seedEnvBefore = process.env[SEED_ENV];

beforeAll(async () => {
  outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "default-app-tf-")), "cdktf.out");
  const { stacks } = await synthesizeApp(loadConfig(DEFAULT_CONFIG_FILE), outdir);
  jsonBefore = Object.fromEntries(stacks.map((s) => [s, fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8")]));
  // The harness passes TF_VAR_* through to terraform (it only drops AWS_*, TF_CLI_ARGS*, TF_DATA_DIR and TF_WORKSPACE).
  process.env[SEED_ENV] = SEED_PLAINTEXT;
  // One init and one plan per stack: the plan validates the configuration first (validate: false), and the
  // shown stack's plan is the one read back with `terraform show -json` (showPlanStacks), not a second check of it.
  results = await checkStacks(outdir, { requirePlan: true, concurrency: 2, validate: false, showPlanStacks: [SHOWN_STACK] });
  shown = results[SHOWN_STACK];
}, 300_000);

afterAll(() => {
  if (seedEnvBefore === undefined) delete process.env[SEED_ENV];
  else process.env[SEED_ENV] = seedEnvBefore;
  fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
});

function countBy(types: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of types) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

test("the default app has a bootstrap and an audit stack per account and one stack per account × region", () => {
  expect(Object.keys(results).sort()).toEqual(Object.keys(EXPECTED).sort());
  expect(Object.fromEntries(Object.entries(EXPECTED).map(([stack, counts]) => [stack, total(counts)]))).toEqual({
    "staging-deployer": 6,
    "production-deployer": 6,
    "staging-audit": 58,
    "staging-eu-west-1": 17,
    "staging-us-east-1": 17,
    "production-audit": 58,
    "production-eu-west-1": 23,
    "production-us-east-1": 23,
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
    if (stack.endsWith("-audit") || stack.endsWith("-deployer")) {
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

test("every workload stack declares the seed variable, required, sensitive and ephemeral; audit and bootstrap stacks declare none", () => {
  for (const [stack, text] of Object.entries(jsonBefore)) {
    const json = JSON.parse(text);
    if (stack.endsWith("-audit") || stack.endsWith("-deployer")) {
      expect(json).not.toHaveProperty("variable");
      continue;
    }
    expect(json.variable).toEqual({
      [SEED_VARIABLE]: {
        type: "string",
        sensitive: true,
        ephemeral: true,
        nullable: false,
        description: `Value of the Secrets Manager secret payments/orders-api/db-password. Supplied at apply time (-var or ${SEED_ENV}); never stored in the plan or the state.`,
      },
    });
  }
});

test("the seed plaintext reaches terraform but no synthesized JSON, no harness result, no plan JSON and no file left in the stack folders", () => {
  // Plan ran for every workload stack, and it cannot without a value for the required variable.
  for (const stack of Object.keys(EXPECTED).filter((s) => !s.endsWith("-audit") && !s.endsWith("-deployer"))) {
    const plan = results[stack].plan;
    expect(plan.ran).toBe(true);
    if (plan.ran) expect(plan.changes.filter((c) => c.address.startsWith("aws_secretsmanager_secret_version.")).map((c) => c.action)).toEqual(["create"]);
  }

  for (const text of Object.values(jsonBefore)) expect(text).not.toContain(SEED_PLAINTEXT);
  expect(JSON.stringify(results)).not.toContain(SEED_PLAINTEXT);
  expect(JSON.stringify(shown)).not.toContain(SEED_PLAINTEXT);

  // terraform show -json of the plan file: the secret version is planned, its write-only value is not in it.
  if (!shown.plan.ran) throw new Error(`plan skipped: ${shown.plan.skippedReason}`);
  const planJson = shown.plan.planJson;
  if (!planJson) throw new Error("showPlan returned no plan JSON");
  expect(JSON.stringify(planJson)).not.toContain(SEED_PLAINTEXT);
  const versions = (planJson.resource_changes ?? []).filter((rc) => rc.type === "aws_secretsmanager_secret_version");
  expect(versions.map((rc) => rc.change.actions)).toEqual([["create"]]);
  expect(versions[0].change.after).toEqual({ secret_binary: null, secret_string: null, secret_string_wo: null, secret_string_wo_version: 1 });
  // An ephemeral variable is not recorded in the plan at all.
  expect((planJson.variables as Record<string, unknown> | undefined)?.[SEED_VARIABLE]).toBeUndefined();

  // Nothing terraform wrote into the stack folders (lock files, .terraform/, the CLI config) holds it either.
  // Symlinks (the provider binaries from the mirror) are not followed.
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
    });
  const files = walk(outdir);
  expect(files.length).toBeGreaterThan(Object.keys(EXPECTED).length);
  expect(files.filter((f) => fs.readFileSync(f).includes(SEED_PLAINTEXT))).toEqual([]);
});
