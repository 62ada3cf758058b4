import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import { EncryptionKey } from "../../modules/encryption-key";
import { KeyUseAlarms, KeyUseAlarmsProps, deniedKeyUsePattern, keyChangePattern, keyUseClauses } from "../../modules/key-use-alarms";
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
    allowedPrincipalArns: [EXEC_ROLE],
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

/** The selecting clauses of the unexpected-key-use pattern, spelled out by hand. */
function keyUseHead(keyArn: string): string {
  return (
    `{ ($.eventSource = kms.amazonaws.com) && (($.eventName = Decrypt) || ($.eventName = ReEncrypt) || ($.eventName = GenerateDataKey*))` +
    ` && ($.resources[0].ARN = "${keyArn}") && ($.errorCode NOT EXISTS) && ($.userIdentity.type != "AWSService")`
  );
}

/** `count` distinct role ARNs, each name `nameLength` characters long. */
function roles(count: number, nameLength = 40, prefix = "r"): string[] {
  return Array.from({ length: count }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/${`${prefix}${i}-`.padEnd(nameLength, "x")}`);
}

describe("metric filters", () => {
  test("the unexpected-key-use filter counts successful Decrypt, ReEncrypt from the key and GenerateDataKey* by anyone not listed, as CloudTrail names them", () => {
    const { resources, keyArnRef } = synth(build({ allowedPrincipalArns: [EXEC_ROLE, PATHED_ROLE, USER, ROOT] }).stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "unexpected-key-use")).toEqual({
      name: "lambda-env-eu-west-1-unexpected-key-use",
      log_group_name: LOG_GROUP,
      pattern:
        keyUseHead(keyArnRef) +
        ` && (($.userIdentity.arn NOT EXISTS) || (($.userIdentity.arn != "arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/*")` +
        ` && ($.userIdentity.arn != "arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/*")` +
        ` && ($.userIdentity.arn != "arn:aws:iam::${ACCOUNT}:user/ops/reader")` +
        ` && ($.userIdentity.arn != "arn:aws:iam::${ACCOUNT}:root"))) }`,
      metric_transformation: { name: "UnexpectedKeyUse-lambda-env-eu-west-1", namespace: "LambdaKmsAudit", value: "1" },
      provider: "aws.audit",
    });
  });

  test("the denied-key-use filter counts refused Decrypt, ReEncrypt and GenerateDataKey* on the key by anyone", () => {
    const { resources, keyArnRef } = synth(build().stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "denied-key-use")).toEqual({
      name: "lambda-env-eu-west-1-denied-key-use",
      log_group_name: LOG_GROUP,
      pattern:
        `{ ($.eventSource = kms.amazonaws.com) && (($.eventName = Decrypt) || ($.eventName = ReEncrypt) || ($.eventName = GenerateDataKey*))` +
        ` && ($.resources[0].ARN = "${keyArnRef}") && ($.errorCode = "*") }`,
      metric_transformation: { name: "DeniedKeyUse-lambda-env-eu-west-1", namespace: "LambdaKmsAudit", value: "1" },
      provider: "aws.audit",
    });
  });

  test("the key-change filter matches policy, rotation, state and non-service grant changes of the key, and changes of its aliases in its region", () => {
    const { stack, audit } = newStack();
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env", "team/orders"], preventDestroy: false });
    new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedPrincipalArns: [], provider: audit });
    const { resources, keyArnRef } = synth(stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "key-change")).toEqual({
      name: "lambda-env-eu-west-1-key-change",
      log_group_name: LOG_GROUP,
      pattern:
        `{ ($.eventSource = kms.amazonaws.com) && ((($.resources[0].ARN = "${keyArnRef}") && (($.eventName = PutKeyPolicy) || ($.eventName = DisableKeyRotation)` +
        ` || ($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion) || (($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS))))` +
        ` || (($.awsRegion = "eu-west-1") && (($.eventName = CreateAlias) || ($.eventName = UpdateAlias) || ($.eventName = DeleteAlias))` +
        ` && (($.requestParameters.aliasName = "alias/lambda-env") || ($.requestParameters.aliasName = "alias/team/orders")))) }`,
      metric_transformation: { name: "WorkloadKeyChange-lambda-env-eu-west-1", namespace: "LambdaKmsAudit", value: "1" },
      provider: "aws.audit",
    });
  });

  test("a custom namespace is used by every filter and alarm", () => {
    const { resources } = synth(build({ metricNamespace: "Security/Kms" }).stack);
    for (const part of ["unexpected-key-use", "denied-key-use", "key-change"]) {
      expect((resource(resources, "aws_cloudwatch_log_metric_filter", part).metric_transformation as Resource).namespace).toBe("Security/Kms");
      expect(resource(resources, "aws_cloudwatch_metric_alarm", part).namespace).toBe("Security/Kms");
    }
  });

  test("names carry the key's region and first alias, so several regions share one namespace", () => {
    const { stack } = newStack();
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "ap-southeast-2", aliases: ["team/orders", "other"] });
    new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedPrincipalArns: [] });
    const { resources } = synth(stack);
    const filters = Object.values(resources.aws_cloudwatch_log_metric_filter).map((f) => [f.name, (f.metric_transformation as Resource).name]);
    expect(filters.sort()).toEqual([
      ["team/orders-ap-southeast-2-denied-key-use", "DeniedKeyUse-team/orders-ap-southeast-2"],
      ["team/orders-ap-southeast-2-key-change", "WorkloadKeyChange-team/orders-ap-southeast-2"],
      ["team/orders-ap-southeast-2-unexpected-key-use", "UnexpectedKeyUse-team/orders-ap-southeast-2"],
    ]);
  });

  test("without allowed principals every successful non-service use counts", () => {
    const { resources, keyArnRef } = synth(build({ allowedPrincipalArns: [] }).stack);
    expect(resource(resources, "aws_cloudwatch_log_metric_filter", "unexpected-key-use").pattern).toBe(`${keyUseHead(keyArnRef)} }`);
  });

  test("principals are deduplicated, also roles that differ only in their path (role names are unique in an account)", () => {
    const { alarms } = build({ allowedPrincipalArns: [EXEC_ROLE, USER, EXEC_ROLE, `arn:aws:iam::${ACCOUNT}:role/other/path/orders-eu-west-1`, USER] });
    expect(alarms.unexpectedKeyUse.patterns).toHaveLength(1);
    const tail = `&& (($.userIdentity.arn NOT EXISTS) || (($.userIdentity.arn != "arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/*") && ($.userIdentity.arn != "${USER}"))) }`;
    expect(alarms.unexpectedKeyUse.patterns[0].slice(-tail.length)).toBe(tail);
  });

  test("keeps the partition of the principal", () => {
    const { stack } = newStack();
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "cn-north-1", aliases: ["lambda-env"] });
    const alarms = new KeyUseAlarms(stack, "key-alarms", {
      key,
      trailLogGroupName: LOG_GROUP,
      alarmTopicArn: `arn:aws-cn:sns:cn-north-1:${ACCOUNT}:alarms`,
      allowedPrincipalArns: [`arn:aws-cn:iam::${ACCOUNT}:role/app/fn`, `arn:aws-cn:iam::${ACCOUNT}:user/ops`],
    });
    expect(alarms.unexpectedKeyUse.patterns[0]).toContain(
      `($.userIdentity.arn != "arn:aws-cn:sts::${ACCOUNT}:assumed-role/fn/*") && ($.userIdentity.arn != "arn:aws-cn:iam::${ACCOUNT}:user/ops")`,
    );
  });
});

describe("any number of principals", () => {
  // 20 key users, 5 deployers, 40 execution roles: far over one pattern's 1,024 characters.
  const keyUsers = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${ACCOUNT}:user/people/key-user-${String(i).padStart(2, "0")}`);
  const deployers = roles(5, 30, "deploy");
  const executionRoles = Array.from({ length: 40 }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/payments/eu-west-1/function-${String(i).padStart(2, "0")}-eu-west-1`);
  const principals = [...keyUsers, ...deployers, ...executionRoles];

  function buildMany() {
    const built = build({ allowedPrincipalArns: principals });
    return { ...built, ...synth(built.stack) };
  }

  test("splits the principals over several filters, each under 1,024 characters with a real key ARN, each principal listed exactly once", () => {
    const { resources, keyArnRef } = buildMany();
    const filters = Object.values(resources.aws_cloudwatch_log_metric_filter).filter((f) => String(f.name).includes("unexpected-key-use"));
    const patterns = filters.map((f) => String(f.pattern));
    expect(patterns.length).toBeGreaterThan(2);
    // The first filter counts every selected event; the others each exclude one list.
    expect(patterns[0]).toBe(`${keyUseHead(keyArnRef)} }`);
    for (const pattern of patterns) expect(pattern.split(keyArnRef).join(LITERAL_KEY_ARN).length).toBeLessThanOrEqual(FILTER_PATTERN_MAX_LENGTH);
    const listed = patterns.slice(1).flatMap((pattern) => [...pattern.matchAll(/\$\.userIdentity\.arn != "([^"]+)"/g)].map((m) => m[1]));
    const expected = [...keyUsers, ...[...deployers, ...executionRoles].map((arn) => `arn:aws:sts::${ACCOUNT}:assumed-role/${arn.slice(arn.lastIndexOf("/") + 1)}/*`)];
    expect(listed).toEqual(expected);
    // No path or wildcard principal: the only wildcard is the session name of a role.
    for (const principal of listed) expect(principal.replace(/assumed-role\/[^/*]+\/\*$/, "")).not.toContain("*");
    expect(filters.map((f) => f.name)).toEqual([
      "lambda-env-eu-west-1-unexpected-key-use-all",
      ...patterns.slice(1).map((_, i) => `lambda-env-eu-west-1-unexpected-key-use-list-${i + 1}`),
    ]);
  });

  test("the alarm adds the lists up with metric math: l1 + … + lk − (k−1) × all, each metric the one its filter writes", () => {
    const { alarms, resources } = buildMany();
    const k = alarms.unexpectedKeyUse.patterns.length - 1;
    const alarm = resource(resources, "aws_cloudwatch_metric_alarm", "unexpected-key-use");
    const lists = Array.from({ length: k }, (_, i) => `FILL(l${i + 1}, 0)`).join(" + ");
    expect(alarm).toMatchObject({
      alarm_name: "lambda-env-eu-west-1-unexpected-key-use",
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      evaluation_periods: 1,
      treat_missing_data: "notBreaching",
      alarm_actions: [TOPIC],
    });
    expect(alarm).not.toHaveProperty("metric_name");
    const queries = alarm.metric_query as Resource[];
    expect(queries[0]).toEqual({ id: "unlisted", expression: `${lists} - ${k - 1} * FILL(all, 0)`, label: "Events by unlisted callers", return_data: true });
    const filters = Object.values(resources.aws_cloudwatch_log_metric_filter).filter((f) => String(f.name).includes("unexpected-key-use"));
    expect(queries.slice(1)).toEqual(
      filters.map((filter, i) => ({
        id: i === 0 ? "all" : `l${i}`,
        return_data: false,
        metric: { metric_name: (filter.metric_transformation as Resource).name, namespace: "LambdaKmsAudit", period: 300, stat: "Sum" },
      })),
    );
  });
});

describe("alarms", () => {
  test("the unexpected-key-use and key-change alarms fire on the first event in 5 minutes; the denied-use alarm counts per hour", () => {
    const { resources } = synth(build().stack);
    const common = {
      statistic: "Sum",
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
      actions_enabled: true,
      alarm_actions: [TOPIC],
      namespace: "LambdaKmsAudit",
      provider: "aws.audit",
    };
    expect(resource(resources, "aws_cloudwatch_metric_alarm", "unexpected-key-use")).toMatchObject({
      ...common,
      period: 300,
      alarm_name: "lambda-env-eu-west-1-unexpected-key-use",
      metric_name: "UnexpectedKeyUse-lambda-env-eu-west-1",
      alarm_description: expect.stringMatching(
        /^High severity: a principal outside the allowed list decrypted, re-encrypted from, or generated a data key with KMS key alias\/lambda-env in eu-west-1/,
      ),
    });
    expect(resource(resources, "aws_cloudwatch_metric_alarm", "denied-key-use")).toMatchObject({
      ...common,
      period: 3600,
      alarm_name: "lambda-env-eu-west-1-denied-key-use",
      metric_name: "DeniedKeyUse-lambda-env-eu-west-1",
      alarm_description: expect.stringMatching(
        /^Low severity: KMS refused .* Reading a function's configuration \(console, AWS Config, scanners\) makes Lambda try to decrypt as the reader/,
      ),
    });
    expect(resource(resources, "aws_cloudwatch_metric_alarm", "key-change")).toMatchObject({
      ...common,
      period: 300,
      alarm_name: "lambda-env-eu-west-1-key-change",
      metric_name: "WorkloadKeyChange-lambda-env-eu-west-1",
    });
    for (const alarm of Object.values(resources.aws_cloudwatch_metric_alarm)) expect(String(alarm.alarm_description).length).toBeLessThanOrEqual(1024);
  });

  test("each alarm watches exactly the metric its filter writes", () => {
    const { alarms } = build();
    for (const { alarm, filter } of [alarms.deniedKeyUse, alarms.keyChange, { alarm: alarms.unexpectedKeyUse.alarm, filter: alarms.unexpectedKeyUse.filters[0] }]) {
      expect(alarm.metricNameInput).toBe(filter.metricTransformation.nameInput);
      expect(alarm.namespaceInput).toBe(filter.metricTransformation.namespaceInput);
    }
  });
});

describe("provider", () => {
  test("all six resources use the aliased audit-region provider; the key stays on the default one", () => {
    const { resources } = synth(build().stack);
    for (const type of ["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm"]) {
      const all = Object.values(resources[type]);
      expect(all).toHaveLength(3);
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

describe("pattern functions", () => {
  test("keyUseClauses and deniedKeyUsePattern name the key exactly", () => {
    expect(`{ ${keyUseClauses(LITERAL_KEY_ARN).join(" && ")} }`).toBe(`${keyUseHead(LITERAL_KEY_ARN)} }`);
    expect(deniedKeyUsePattern(LITERAL_KEY_ARN)).toContain(`($.resources[0].ARN = "${LITERAL_KEY_ARN}") && ($.errorCode = "*")`);
  });

  test("keyChangePattern without aliases watches the key alone", () => {
    expect(keyChangePattern(LITERAL_KEY_ARN, REGION, [])).toBe(
      `{ ($.eventSource = kms.amazonaws.com) && (($.resources[0].ARN = "${LITERAL_KEY_ARN}") && (($.eventName = PutKeyPolicy) || ($.eventName = DisableKeyRotation)` +
        " || ($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion) || (($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS)))) }",
    );
  });

  test("keyChangePattern refuses more aliases than fit in 1,024 characters, measuring a token as a real key ARN", () => {
    const aliases = Array.from({ length: 12 }, (_, i) => `alias/team-${i}-${"x".repeat(20)}`);
    expect(() => keyChangePattern(LITERAL_KEY_ARN, REGION, aliases.slice(0, 6))).not.toThrow();
    expect(() => keyChangePattern(LITERAL_KEY_ARN, REGION, aliases)).toThrow(
      /with 12 alias\(es\) the pattern is \d+ characters, over the CloudWatch Logs limit of 1024; give the key fewer or shorter aliases/,
    );
    expect(() => keyChangePattern("${aws_kms_key.k.arn}", REGION, aliases)).toThrow(/with 12 alias\(es\)/);
  });
});

describe("bad input", () => {
  test("fails when an allowed role ARN is an unresolved token, asking for literal ARNs", () => {
    const { stack, audit } = newStack();
    const key = newKey(stack);
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    expect(
      () => new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedPrincipalArns: [EXEC_ROLE, role.roleArn], provider: audit }),
    ).toThrow(/allowedPrincipalArns contains an unresolved Terraform reference .*pass literal ARNs such as arn:aws:iam::111111111111:role\//);
  });

  test.each([
    ["a Lambda function ARN", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`],
    ["an STS session ARN", `arn:aws:sts::${ACCOUNT}:assumed-role/orders-eu-west-1/orders`],
    ["a role name", "orders-eu-west-1"],
  ])("fails when an allowed principal is %s", (_what, arn) => {
    expect(() => build({ allowedPrincipalArns: [EXEC_ROLE, arn] })).toThrow(
      `allowedPrincipalArns contains "${arn}", which is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`,
    );
  });

  test("fails when the key has too many aliases for the key-change pattern, naming the construct", () => {
    const { stack } = newStack();
    const aliases = Array.from({ length: 14 }, (_, i) => `team-${i}-${"x".repeat(24)}`);
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases });
    expect(() => new KeyUseAlarms(stack, "key-alarms", { key, trailLogGroupName: LOG_GROUP, alarmTopicArn: TOPIC, allowedPrincipalArns: [] })).toThrow(
      /^key use alarms "key-alarms": key-change pattern: with 14 alias\(es\)/,
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
  test("validates and plans with the real provider: key, alias, and split filters with a metric-math alarm in the audit region", async () => {
    const outdir = fs.mkdtempSync(path.join(OUTDIR, "tf-"));
    const app = new App({ outdir });
    const { stack, audit } = newStack(app);
    const key = newKey(stack);
    const alarms = new KeyUseAlarms(stack, "key-alarms", {
      key,
      trailLogGroupName: LOG_GROUP,
      alarmTopicArn: TOPIC,
      allowedPrincipalArns: [EXEC_ROLE, PATHED_ROLE, USER, ROOT, ...roles(20)],
      provider: audit,
    });
    app.synth();
    const filters = alarms.unexpectedKeyUse.filters.length + 2;
    expect(filters).toBeGreaterThan(4);

    const result = await checkStack(path.join(outdir, "stacks", "workload"), { requirePlan: true, validate: false });

    expect(result.validate).toEqual({ valid: true, warnings: [] });
    expect(result.awsProviders).toEqual([
      { region: REGION, assumesRole: false },
      { alias: "audit", region: "us-east-1", assumesRole: false },
    ]);
    if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
    expect(result.plan).toMatchObject({ exitCode: 2, resourcesToAdd: 2 + filters + 3, resourcesToChange: 0, resourcesToDestroy: 0 });
    const types = result.plan.changes.map((c) => c.address.split(".")[0]);
    expect(types.filter((t) => t === "aws_cloudwatch_log_metric_filter")).toHaveLength(filters);
    expect(types.filter((t) => t === "aws_cloudwatch_metric_alarm")).toHaveLength(3);
  }, 120_000);
});
