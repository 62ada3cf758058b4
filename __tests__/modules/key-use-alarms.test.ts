import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing, Token } from "cdktf";
import { EncryptionKey } from "../../modules/encryption-key";
import {
  KeyUseAlarms,
  KeyUseAlarmsProps,
  cloudTrailPrincipalPattern,
  keyPolicyChangePattern,
  unexpectedDecryptPattern,
} from "../../modules/key-use-alarms";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";
import { checkStack } from "../../tooling/stack-check";

/** CloudWatch Logs' limit on a filter pattern (PutMetricFilter `filterPattern`). */
const FILTER_PATTERN_MAX_LENGTH = 1024;

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "key-use-alarms-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:kms-audit-alarms`;
const LOG_GROUP = "cloudtrail/audit";
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/orders-eu-west-1`;
const PATHED_ROLE = `arn:aws:iam::${ACCOUNT}:role/pipelines/deploy/deploy-pipeline`;
const USER = `arn:aws:iam::${ACCOUNT}:user/ops/reader`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
/** A key ARN as long as a real one in eu-west-1 (75 characters). */
const LITERAL_KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

type Resource = Record<string, unknown>;
type Resources = Record<string, Record<string, Resource>>;

interface Built {
  readonly stack: TerraformStack;
  readonly key: EncryptionKey;
  readonly alarms: KeyUseAlarms;
}

function newStack(app: App = Testing.app({ outdir: OUTDIR })): { stack: TerraformStack; audit: AwsProvider } {
  const stack = new TerraformStack(app, "workload");
  new AwsProvider(stack, "aws", { region: REGION });
  const audit = new AwsProvider(stack, "audit", { region: "us-east-1", alias: "audit" });
  return { stack, audit };
}

function newKey(stack: TerraformStack): EncryptionKey {
  return new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"], preventDestroy: false });
}

function build(overrides: Partial<KeyUseAlarmsProps> = {}, useAuditProvider = true): Built {
  const { stack, audit } = newStack();
  const key = newKey(stack);
  const alarms = new KeyUseAlarms(stack, "key-alarms", {
    key,
    trailLogGroupName: LOG_GROUP,
    alarmTopicArn: TOPIC,
    allowedDecryptPrincipalArns: [EXEC_ROLE],
    provider: useAuditProvider ? audit : undefined,
    ...overrides,
  });
  return { stack, key, alarms };
}

function synth(stack: TerraformStack): { resources: Resources; keyArnRef: string } {
  const json = JSON.parse(Testing.synth(stack, true));
  const resources = json.resource as Resources;
  const keyIds = Object.keys(resources.aws_kms_key);
  expect(keyIds).toHaveLength(1);
  return { resources, keyArnRef: `\${aws_kms_key.${keyIds[0]}.arn}` };
}

/** The one resource of `type` whose logical ID contains `part`. */
function resource(resources: Resources, type: string, part: string): Resource {
  const matches = Object.entries(resources[type] ?? {}).filter(([id]) => id.includes(part));
  expect(matches).toHaveLength(1);
  return matches[0][1];
}

/** What the stack renders for `unexpectedDecryptPattern`, spelled out by hand. */
function decryptPattern(keyArn: string, allowed: string[]): string {
  const head = `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = Decrypt) && ($.resources[0].ARN = "${keyArn}") && ($.userIdentity.type != "AWSService")`;
  if (allowed.length === 0) return `${head} }`;
  const clauses = allowed.map((a) => `($.userIdentity.arn != "${a}")`).join(" && ");
  return `${head} && (($.userIdentity.arn NOT EXISTS) || (${clauses})) }`;
}

/** `count` distinct role ARNs, each name `nameLength` characters long. */
function roles(count: number, nameLength = 40): string[] {
  return Array.from({ length: count }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/${`r${i}-`.padEnd(nameLength, "x")}`);
}

describe("metric filters", () => {
  test("the policy-change filter matches PutKeyPolicy on this key only", () => {
    const { resources, keyArnRef } = synth(build().stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "policy-change")).toEqual({
      name: "lambda-env-eu-west-1-policy-change",
      log_group_name: LOG_GROUP,
      pattern: `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) && ($.resources[0].ARN = "${keyArnRef}") }`,
      metric_transformation: { name: "WorkloadKeyPolicyChange-lambda-env-eu-west-1", namespace: "LambdaKmsAudit", value: "1" },
      provider: "aws.audit",
    });
  });

  test("the unexpected-decrypt filter excludes AWS services and the allowed principals, as CloudTrail names them", () => {
    const { resources, keyArnRef } = synth(build({ allowedDecryptPrincipalArns: [EXEC_ROLE, PATHED_ROLE, USER, ROOT] }).stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "unexpected-decrypt")).toEqual({
      name: "lambda-env-eu-west-1-unexpected-decrypt",
      log_group_name: LOG_GROUP,
      pattern:
        `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = Decrypt) && ($.resources[0].ARN = "${keyArnRef}") && ($.userIdentity.type != "AWSService")` +
        ` && (($.userIdentity.arn NOT EXISTS) || (($.userIdentity.arn != "arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/*")` +
        ` && ($.userIdentity.arn != "arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/*")` +
        ` && ($.userIdentity.arn != "arn:aws:iam::${ACCOUNT}:user/ops/reader")` +
        ` && ($.userIdentity.arn != "arn:aws:iam::${ACCOUNT}:root"))) }`,
      metric_transformation: { name: "UnexpectedDecrypt-lambda-env-eu-west-1", namespace: "LambdaKmsAudit", value: "1" },
      provider: "aws.audit",
    });
  });

  test("a custom namespace is used by both filters and both alarms", () => {
    const { resources } = synth(build({ metricNamespace: "Security/Kms" }).stack);
    for (const part of ["policy-change", "unexpected-decrypt"]) {
      expect((resource(resources, "aws_cloudwatch_log_metric_filter", part).metric_transformation as Resource).namespace).toBe("Security/Kms");
      expect(resource(resources, "aws_cloudwatch_metric_alarm", part).namespace).toBe("Security/Kms");
    }
  });

  test("names carry the key's region and first alias, so several regions share one namespace", () => {
    const { stack } = newStack();
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "ap-southeast-2", aliases: ["team/orders", "other"] });
    new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedDecryptPrincipalArns: [] });
    const { resources } = synth(stack);
    const filters = Object.values(resources.aws_cloudwatch_log_metric_filter).map((f) => [f.name, (f.metric_transformation as Resource).name]);
    expect(filters.sort()).toEqual([
      ["team/orders-ap-southeast-2-policy-change", "WorkloadKeyPolicyChange-team/orders-ap-southeast-2"],
      ["team/orders-ap-southeast-2-unexpected-decrypt", "UnexpectedDecrypt-team/orders-ap-southeast-2"],
    ]);
  });
});

describe("alarms", () => {
  test("both alarms fire on the first event in 5 minutes and notify the topic", () => {
    const { resources } = synth(build().stack);
    const common = {
      statistic: "Sum",
      period: 300,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
      actions_enabled: true,
      alarm_actions: [TOPIC],
      namespace: "LambdaKmsAudit",
      provider: "aws.audit",
    };
    expect(resource(resources, "aws_cloudwatch_metric_alarm", "policy-change")).toEqual({
      ...common,
      alarm_name: "lambda-env-eu-west-1-policy-change",
      metric_name: "WorkloadKeyPolicyChange-lambda-env-eu-west-1",
      alarm_description:
        "The key policy of KMS key alias/lambda-env in eu-west-1 was replaced (PutKeyPolicy). " +
        "Find the PutKeyPolicy event for this key in CloudTrail (log group cloudtrail/audit) to see who changed it and how. " +
        "If the change did not come from the deploy pipeline, revert it (terraform apply restores the policy) and investigate the caller.",
    });
    expect(resource(resources, "aws_cloudwatch_metric_alarm", "unexpected-decrypt")).toEqual({
      ...common,
      alarm_name: "lambda-env-eu-west-1-unexpected-decrypt",
      metric_name: "UnexpectedDecrypt-lambda-env-eu-west-1",
      alarm_description:
        "A principal outside the allowed list decrypted with KMS key alias/lambda-env in eu-west-1. " +
        "Find the Decrypt events for this key in CloudTrail (log group cloudtrail/audit) and check userIdentity and sourceIPAddress. " +
        "If the caller should not have access, remove its permission (key policy or IAM), rotate the secrets it could read, and investigate; if it should, add it to the allowed principals.",
    });
  });

  test("each alarm watches exactly the metric its filter writes", () => {
    const { alarms } = build();
    expect(alarms.policyChange.alarm.metricNameInput).toBe(alarms.policyChange.filter.metricTransformation.nameInput);
    expect(alarms.unexpectedDecrypt.alarm.metricNameInput).toBe(alarms.unexpectedDecrypt.filter.metricTransformation.nameInput);
    expect(alarms.policyChange.alarm.namespaceInput).toBe(alarms.policyChange.filter.metricTransformation.namespaceInput);
    expect(alarms.unexpectedDecrypt.alarm.namespaceInput).toBe(alarms.unexpectedDecrypt.filter.metricTransformation.namespaceInput);
  });
});

describe("provider", () => {
  test("all four resources use the aliased audit-region provider; the key stays on the default one", () => {
    const { resources } = synth(build().stack);
    for (const type of ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm"]) {
      const all = Object.values(resources[type]);
      expect(all).toHaveLength(2);
      for (const r of all) expect(r.provider).toBe("aws.audit");
    }
    expect(Object.values(resources.aws_kms_key)[0].provider).toBeUndefined();
  });

  test("without a provider the stack's default provider is used", () => {
    const { resources } = synth(build({}, false).stack);
    for (const type of ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm"]) {
      for (const r of Object.values(resources[type])) expect(r).not.toHaveProperty("provider");
    }
  });
});

describe("unexpectedDecryptPattern", () => {
  test("converts roles to their CloudTrail session ARNs (path dropped) and keeps users and root", () => {
    expect(unexpectedDecryptPattern(LITERAL_KEY_ARN, [PATHED_ROLE, USER, ROOT])).toBe(
      decryptPattern(LITERAL_KEY_ARN, [`arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/*`, USER, ROOT]),
    );
  });

  test("keeps the partition of the principal", () => {
    expect(cloudTrailPrincipalPattern(`arn:aws-cn:iam::${ACCOUNT}:role/app/fn`)).toBe(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/fn/*`);
    expect(cloudTrailPrincipalPattern(`arn:aws-us-gov:iam::${ACCOUNT}:user/ops`)).toBe(`arn:aws-us-gov:iam::${ACCOUNT}:user/ops`);
  });

  test("deduplicates principals, also roles that differ only in their path", () => {
    const pattern = unexpectedDecryptPattern(LITERAL_KEY_ARN, [EXEC_ROLE, USER, EXEC_ROLE, `arn:aws:iam::${ACCOUNT}:role/other/path/orders-eu-west-1`, USER]);
    expect(pattern).toBe(decryptPattern(LITERAL_KEY_ARN, [`arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/*`, USER]));
  });

  test("without allowed principals every non-service decrypt matches", () => {
    expect(unexpectedDecryptPattern(LITERAL_KEY_ARN, [])).toBe(
      `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = Decrypt) && ($.resources[0].ARN = "${LITERAL_KEY_ARN}") && ($.userIdentity.type != "AWSService") }`,
    );
  });

  test("keyPolicyChangePattern names the key exactly", () => {
    expect(keyPolicyChangePattern(LITERAL_KEY_ARN)).toBe(
      `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) && ($.resources[0].ARN = "${LITERAL_KEY_ARN}") }`,
    );
  });

  test("a pattern of exactly 1024 characters is accepted, with a literal key ARN and with a token measured as 75 characters", () => {
    // Pad the last role name until the pattern with the 75-character key ARN is exactly at the limit.
    const principals = roles(7, 39);
    const short = unexpectedDecryptPattern(LITERAL_KEY_ARN, principals).length;
    const missing = FILTER_PATTERN_MAX_LENGTH - short;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThanOrEqual(64 - 39); // role names have at most 64 characters
    principals[6] = `${principals[6]}${"y".repeat(missing)}`;
    expect(unexpectedDecryptPattern(LITERAL_KEY_ARN, principals)).toHaveLength(FILTER_PATTERN_MAX_LENGTH);

    const { stack } = newStack();
    const key = newKey(stack);
    expect(Token.isUnresolved(key.keyArn)).toBe(true);
    expect(() => unexpectedDecryptPattern(key.keyArn, principals)).not.toThrow();
    principals[6] = `${principals[6]}z`;
    expect(() => unexpectedDecryptPattern(LITERAL_KEY_ARN, principals)).toThrow(/is 1025 characters, over the CloudWatch Logs limit of 1024/);
    expect(() => unexpectedDecryptPattern(key.keyArn, principals)).toThrow(/is 1025 characters/);
  });

  test("KeyUseAlarms measures with an ARN as long as one in the key's region", () => {
    // Exactly 1024 characters with a 75-character (eu-west-1) key ARN; ap-southeast-2 ARNs are 5 characters longer.
    const principals = roles(7, 39);
    principals[6] += "y".repeat(FILTER_PATTERN_MAX_LENGTH - unexpectedDecryptPattern(LITERAL_KEY_ARN, principals).length);
    const alarmsFor = (region: string) => {
      const { stack } = newStack();
      const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region, aliases: ["lambda-env"] });
      return () => new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedDecryptPrincipalArns: principals });
    };
    expect(alarmsFor("eu-west-1")).not.toThrow();
    expect(alarmsFor("ap-southeast-2")).toThrow(/for 7 allowed principal\(s\) is 1029 characters, over the CloudWatch Logs limit of 1024/);
  });
});

describe("bad input", () => {
  test("fails when an allowed role ARN is an unresolved token, asking for literal ARNs", () => {
    const { stack, audit } = newStack();
    const key = newKey(stack);
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    expect(
      () => new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedDecryptPrincipalArns: [EXEC_ROLE, role.roleArn], provider: audit }),
    ).toThrow(/key use alarms "key-alarms": allowedDecryptPrincipalArns contains an unresolved Terraform reference .*pass literal ARNs such as arn:aws:iam::111111111111:role\//);
  });

  test("fails when there are too many principals for the 1024-character limit, naming the count and the fix", () => {
    expect(() => build({ allowedDecryptPrincipalArns: roles(14) })).toThrow(
      /key use alarms "key-alarms": the unexpected-decrypt filter pattern for 14 allowed principal\(s\) is \d+ characters, over the CloudWatch Logs limit of 1024; put the roles that decrypt with this key under a common IAM path and pass it in allowedRoleArnPrefixes/,
    );
  });

  test("a role ARN prefix allows every role under the path in one clause, on the session issuer (the role ARN with its path)", () => {
    const prefix = `arn:aws:iam::${ACCOUNT}:role/payments/eu-west-1/`;
    const pattern = unexpectedDecryptPattern("KEY", [], [prefix, prefix]);
    expect(pattern).toBe(
      '{ ($.eventSource = kms.amazonaws.com) && ($.eventName = Decrypt) && ($.resources[0].ARN = "KEY") && ($.userIdentity.type != "AWSService") && ' +
        `(($.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS) || (($.userIdentity.sessionContext.sessionIssuer.arn != "${prefix}*"))) }`,
    );
    // Fifty functions cost nothing more than one: the prefix replaces a clause per role.
    expect(() => build({ allowedDecryptPrincipalArns: roles(3), allowedRoleArnPrefixes: [prefix] })).not.toThrow();
  });

  test.each([`arn:aws:iam::${ACCOUNT}:role/payments`, `arn:aws:iam::${ACCOUNT}:role/`, `arn:aws:sts::${ACCOUNT}:assumed-role/x/`])(
    "fails when a role ARN prefix is %p (not arn:...:role/<path>/)",
    (prefix) => {
      expect(() => unexpectedDecryptPattern("KEY", [], [prefix])).toThrow(`allowedRoleArnPrefixes contains "${prefix}", which is not a role ARN prefix`);
    },
  );

  test.each([
    ["a Lambda function ARN", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`],
    ["an STS session ARN", `arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/orders`],
    ["a role name", "orders-eu-west-1"],
  ])("fails when an allowed principal is %s", (_what, arn) => {
    expect(() => build({ allowedDecryptPrincipalArns: [EXEC_ROLE, arn] })).toThrow(
      `key use alarms "key-alarms": allowedDecryptPrincipalArns contains "${arn}", which is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`,
    );
  });

  test("fails when the alarm topic is not an SNS topic ARN", () => {
    expect(() => build({ alarmTopicArn: "kms-audit-alarms" })).toThrow(/alarmTopicArn "kms-audit-alarms" is not an SNS topic ARN; use arn:aws:sns:/);
  });

  test("fails when the trail log group name is invalid", () => {
    expect(() => build({ trailLogGroupName: "cloudtrail audit" })).toThrow(/trailLogGroupName "cloudtrail audit" is not a log group name/);
  });

  test("fails when the metric namespace contains a colon", () => {
    expect(() => build({ metricNamespace: "Lambda:Kms" })).toThrow(/metricNamespace "Lambda:Kms" is invalid/);
  });
});

describe("terraform", () => {
  test(
    "validates and plans with the real provider: key, alias, 2 filters and 2 alarms in the audit region",
    async () => {
      const outdir = fs.mkdtempSync(path.join(OUTDIR, "tf-"));
      const app = new App({ outdir });
      const { stack, audit } = newStack(app);
      const key = newKey(stack);
      new KeyUseAlarms(stack, "key-alarms", {
        key,
        trailLogGroupName: LOG_GROUP,
        alarmTopicArn: TOPIC,
        allowedDecryptPrincipalArns: [EXEC_ROLE, PATHED_ROLE, USER, ROOT],
        provider: audit,
      });
      app.synth();

      const result = await checkStack(path.join(outdir, "stacks", "workload"), { requirePlan: true });

      expect(result.validate).toEqual({ valid: true, warnings: [] });
      expect(result.awsProviders).toEqual([
        { region: REGION, assumesRole: false },
        { alias: "audit", region: "us-east-1", assumesRole: false },
      ]);
      if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
      expect(result.plan).toMatchObject({ exitCode: 2, resourcesToAdd: 6, resourcesToChange: 0, resourcesToDestroy: 0 });
      const types = result.plan.changes.map((c) => c.address.split(".")[0]).sort();
      expect(types).toEqual([
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_metric_alarm",
        "aws_kms_alias",
        "aws_kms_key",
      ]);
    },
    120_000,
  );
});
