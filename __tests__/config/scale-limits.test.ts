/**
 * config/scale-limits.ts against real synths: for each limit, the largest
 * configuration it accepts really builds (and its key policy really
 * synthesizes to the predicted number of bytes, under KMS's limit), and one
 * function, region or alias more is refused with the path and the numbers.
 * Each test builds at most one workload stack at a time, and synthesizes
 * only where the bytes of the policy are the point.
 */
import * as fs from "fs";
import * as path from "path";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { TerraformStack, Testing, Token } from "cdktf";
import { AppConfig } from "../../config/app-config";
import {
  KEY_POLICY_BUDGET_BYTES,
  METRIC_FILTERS_PER_LOG_GROUP,
  StackScale,
  auditTrailMetricFilters,
  executionRoleArn,
  scaleProblems,
  scaleReport,
} from "../../config/scale-limits";
import { validateConfig } from "../../config/validate-config";
import { KEY_POLICY_MAX_BYTES } from "../../modules/encryption-key";
import { FILTER_PATTERN_MAX_LENGTH } from "../../modules/log-metric-alarm";
import { MAX_METRICS_PER_ALARM, MAX_PRINCIPAL_LISTS } from "../../modules/unlisted-caller-alarm";
import { AuditStack } from "../../stacks/audit-stack";
import { WorkloadStack } from "../../stacks/workload-stack";
import { CODE, DEFAULT_DOCUMENT, Json, REPO } from "../support/stack-config";

/**
 * Where the test configurations claim to live; never written. Paths resolve
 * from its folder, inside the repository, which is also the default code
 * root, so the function code in functions/ is accepted.
 */
const SOURCE = path.join(REPO, "config", "scale-limits.test.json");

/** The account the functions run in (config/default.json's second account) and its first region. */
const ACCOUNT = "production";
const ACCOUNT_INDEX = 1;
const REGION = "eu-west-1";

const appOutdirs: string[] = [];
afterAll(() => {
  for (const folder of appOutdirs) fs.rmSync(folder, { recursive: true, force: true });
});

/** `count` function names of 7 characters: fn-0000, fn-0001, ... */
function functionNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `fn-${String(i).padStart(4, "0")}`);
}

/** config/default.json with `functions` functions in production only, no secrets; `edit` changes the rest. */
function document(functions: number, edit: (doc: Json) => void = () => {}): Json {
  const doc = structuredClone(DEFAULT_DOCUMENT);
  doc.backend.directory = "state";
  doc.secrets = [];
  doc.functions = functionNames(functions).map((name) => ({ name, codeDirectory: CODE, accounts: [ACCOUNT] }));
  edit(doc);
  return doc;
}

/** A valid configuration, over the limits or not: loading would refuse one over them, so the limits are not checked here. */
function configOf(doc: Json): AppConfig {
  return validateConfig(doc, SOURCE, { checkScale: false });
}

/** The measurements of production's first region. */
function stackScaleOf(config: AppConfig): StackScale {
  return scaleReport(config)[ACCOUNT_INDEX].stacks[0];
}

/** A workload stack as synthesizeApp builds it, in an app of its own (its folder removed after the tests). */
function workloadStack(config: AppConfig, region = REGION): WorkloadStack {
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const account = config.accounts[ACCOUNT_INDEX];
  return new WorkloadStack(app, {
    config,
    account,
    region,
    stackDirectory: path.join(app.outdir, "stacks", `${account.name}-${region}`),
    trailLogGroupName: `/aws/cloudtrail/${account.audit.trailName}`,
    alarmTopicArn: `arn:aws:sns:${account.audit.homeRegion}:${account.accountId}:${account.audit.trailName}-alarms`,
  });
}

/** The synthesized JSON of a stack, construct validations run (the key's own 32,768-byte check among them). */
function synthesized(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack, true));
}

/** The `policy` of the stack's one KMS key, as Terraform receives it. */
function keyPolicyBytes(json: Json): number {
  const keys = Object.values(json.resource.aws_kms_key) as Json[];
  expect(keys).toHaveLength(1);
  return Buffer.byteLength(keys[0].policy, "utf8");
}

function metricFilters(stack: TerraformStack): number {
  return stack.node.findAll().filter((c) => c instanceof CloudwatchLogMetricFilter).length;
}

/** 200 key administrators: they fill the key policy without adding to the alarm, so that the key policy is the first limit a growing function list meets. */
function withAdministrators(doc: Json): void {
  doc.accounts[ACCOUNT_INDEX].keyAdministratorArns = Array.from({ length: 200 }, (_, i) => `arn:aws:iam::222222222222:role/key-admin-${String(i).padStart(3, "0")}`);
}

describe("scaleProblems: the workload key policy", () => {
  // The largest number of functions the check accepts, measured once on a configuration with more.
  const probe = stackScaleOf(configOf(document(120, withAdministrators)));
  const max = probe.keyPolicy!.maxFunctions;

  test("with 200 key administrators the key policy is the limit functions meet first", () => {
    expect(max).toBeGreaterThan(10);
    expect(max).toBeLessThan(probe.alarm.maxFunctions);
    // Each function is listed twice by its log group ARN (the CloudWatch Logs and the deployer statements) and once by its role ARN.
    expect(probe.keyPolicy).toMatchObject({ logGroupArnCopies: 2, roleArnCopies: 1 });
  });

  test("the most functions it accepts synthesize to the predicted policy, under the limit", () => {
    const config = configOf(document(max, withAdministrators));
    expect(scaleProblems(config)).toEqual([]);
    const predicted = stackScaleOf(config).keyPolicy!;
    const bytes = keyPolicyBytes(synthesized(workloadStack(config)));
    expect(bytes).toBe(predicted.bytes);
    expect(bytes).toBeLessThanOrEqual(KEY_POLICY_BUDGET_BYTES);
  });

  test("one function more is refused at functions, with the numbers; its real policy is over the budget, within the margin", () => {
    const config = configOf(document(max + 1, withAdministrators));
    const issues = scaleProblems(config);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("functions");
    expect(issues[0].message).toContain(`at most ${max} of the ${max + 1} functions of account "${ACCOUNT}" fit in the workload key policy of stack ${ACCOUNT}-${REGION}`);
    expect(issues[0].message).toContain("KMS allows 32,768 bytes per key policy (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-limit)");
    expect(issues[0].message).toContain("log group ARN (2×) and execution role ARN (1×)");
    const bytes = keyPolicyBytes(synthesized(workloadStack(config)));
    expect(bytes).toBe(stackScaleOf(config).keyPolicy!.bytes);
    expect(bytes).toBeGreaterThan(KEY_POLICY_BUDGET_BYTES);
    expect(bytes).toBeLessThanOrEqual(KEY_POLICY_MAX_BYTES);
  });

  test.each([
    [
      "secrets, parameters and helper encrypters",
      (doc: Json) => {
        doc.secrets = [
          { name: "payments/a/db-password", type: "secretsmanager" },
          { name: "payments/b/api-token", type: "secretsmanager" },
          { name: "/payments/c/webhook-token", type: "ssm" },
        ];
        doc.accounts[ACCOUNT_INDEX].helperEncrypterArns = ["arn:aws:iam::222222222222:role/operator-a", "arn:aws:iam::222222222222:role/operator-b"];
      },
    ],
    [
      "allowIamToGrantKeyUse and no deployers",
      (doc: Json) => {
        doc.accounts[ACCOUNT_INDEX].allowIamToGrantKeyUse = true;
        doc.accounts[ACCOUNT_INDEX].deployerArns = [];
        delete doc.accounts[ACCOUNT_INDEX].deployer;
      },
    ],
  ])("predicts the policy of a stack with %s to the byte", (_, edit) => {
    const config = configOf(document(12, edit));
    expect(keyPolicyBytes(synthesized(workloadStack(config)))).toBe(stackScaleOf(config).keyPolicy!.bytes);
  });

  test("a policy full before any function is refused at the principal list that fills it", () => {
    const config = configOf(
      document(0, (doc) => {
        doc.accounts[ACCOUNT_INDEX].keyAdministratorArns = Array.from({ length: 400 }, (_, i) => `arn:aws:iam::222222222222:role/key-admin-${String(i).padStart(3, "0")}`);
      }),
    );
    expect(scaleProblems(config)).toEqual([
      {
        path: `accounts[${ACCOUNT_INDEX}].keyAdministratorArns`,
        message: expect.stringMatching(/^the workload key policy of stack production-eu-west-1 is [\d,]+ bytes before any function/),
      },
    ]);
  });
});

describe("scaleProblems: the unexpected-key-use alarm (10 metrics per metric-math alarm)", () => {
  const probe = stackScaleOf(configOf(document(100)));
  const max = probe.alarm.maxFunctions;

  test("with the default key users and deployers the alarm is the limit functions meet first", () => {
    expect(max).toBeGreaterThan(10);
    expect(max).toBeLessThan(probe.keyPolicy!.maxFunctions);
  });

  test("the most functions it accepts build an alarm on 10 metrics and filters within 1,024 characters", () => {
    const config = configOf(document(max));
    expect(scaleProblems(config)).toEqual([]);
    const predicted = stackScaleOf(config);
    expect(predicted.alarm.lists).toBe(MAX_PRINCIPAL_LISTS);
    const stack = workloadStack(config);
    const alarm = stack.keyUseAlarms.unexpectedKeyUse;
    expect(alarm.filters).toHaveLength(MAX_METRICS_PER_ALARM);
    expect(metricFilters(stack)).toBe(predicted.metricFilters);
    // Measured as AWS will see them: the key ARN token replaced by an ARN of the real length.
    const keyArn = `arn:aws:kms:${REGION}:222222222222:key/00000000-0000-0000-0000-000000000000`;
    const measured = alarm.patterns.map((pattern) => pattern.replace(/\$\{TfToken\[[^\]]+\]\}/g, keyArn));
    expect(measured.every((pattern) => pattern.includes(keyArn) && !Token.isUnresolved(pattern))).toBe(true);
    for (const pattern of measured) expect(pattern.length).toBeLessThanOrEqual(FILTER_PATTERN_MAX_LENGTH);
    const listed = measured.slice(1).flatMap((pattern) => [...pattern.matchAll(/\(\$\.userIdentity\.arn != "([^"]+)"\)/g)].map((match) => match[1]));
    expect(listed).toEqual([
      ...config.functions.map((fn) => `arn:aws:sts::222222222222:assumed-role/${fn.name}-${REGION}/*`),
      "arn:aws:sts::222222222222:assumed-role/incident-responder/*",
      "arn:aws:sts::222222222222:assumed-role/terraform-deploy/*",
    ]);
    const json = synthesized(stack);
    const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm) as Json[];
    const metrics = Math.max(...alarms.map((a) => (a.metric_query ?? []).filter((q: Json) => q.metric).length));
    expect(metrics).toBe(MAX_METRICS_PER_ALARM);
    expect(keyPolicyBytes(json)).toBe(predicted.keyPolicy!.bytes);
  });

  test("one function more is refused at functions, with the numbers, and by the alarm construct", () => {
    const config = configOf(document(max + 1));
    const issues = scaleProblems(config);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("functions");
    expect(issues[0].message).toContain(`${MAX_PRINCIPAL_LISTS + 1} metric filters`);
    expect(issues[0].message).toContain(
      `${MAX_METRICS_PER_ALARM + 1} metrics, over the ${MAX_METRICS_PER_ALARM} a metric-math alarm may reference (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html)`,
    );
    expect(issues[0].message).toContain(`at most ${max} of the ${max + 1} functions of account "${ACCOUNT}" fit beside its 1 key user(s) and 1 deployer(s)`);
    // The alarm itself refuses them too, when the stack is built.
    expect(() => workloadStack(config)).toThrow(/11 metrics, over the 10 a metric-math alarm may reference/);
  });

  test("the role ARNs it packs are the ones the stack gives its functions", () => {
    const config = configOf(document(2));
    const stack = workloadStack(config);
    expect(stack.functions.map((fn) => fn.role.principalArn)).toEqual(config.functions.map((fn) => executionRoleArn(config, config.accounts[ACCOUNT_INDEX], REGION, fn.name)));
  });

  test("key users that fill the alarm by themselves are refused at keyUserArns", () => {
    const config = configOf(
      document(0, (doc) => {
        doc.accounts[ACCOUNT_INDEX].keyUserArns = Array.from({ length: 120 }, (_, i) => `arn:aws:iam::222222222222:role/responder-${String(i).padStart(3, "0")}`);
      }),
    );
    const alarm = scaleProblems(config).find((issue) => issue.message.includes("unexpected-key-use"));
    expect(alarm).toEqual({ path: `accounts[${ACCOUNT_INDEX}].keyUserArns`, message: expect.stringContaining("the account's 120 key user(s) and 1 deployer(s) alone need") });
  });
});

describe("scaleProblems: metric filters on the trail's log group (100)", () => {
  /** 29 regions of the aws partition. */
  const REGIONS = [
    "eu-west-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-east-1",
    "me-south-1",
    "me-central-1",
    "af-south-1",
    "il-central-1",
    "ca-west-1",
  ];
  const withRegions = (count: number, cisAlarms = true) =>
    document(0, (doc) => {
      doc.accounts[ACCOUNT_INDEX].regions = REGIONS.slice(0, count);
      doc.accounts[ACCOUNT_INDEX].audit = { ...doc.accounts[ACCOUNT_INDEX].audit, cisAlarms };
    });

  test("the count is the audit stack's and each workload stack's, as the stacks build them", () => {
    for (const cisAlarms of [true, false]) {
      const config = configOf(withRegions(2, cisAlarms));
      const account = config.accounts[ACCOUNT_INDEX];
      const app = Testing.app();
      appOutdirs.push(app.outdir);
      const audit = new AuditStack(app, { config, account, stackDirectory: path.join(app.outdir, "stacks", "audit") });
      expect(metricFilters(audit)).toBe(auditTrailMetricFilters(account));
    }
    const config = configOf(withRegions(1));
    expect(metricFilters(workloadStack(config))).toBe(stackScaleOf(config).metricFilters);
  });

  test("28 regions fit (15 + 28 × 3 = 99 filters); a 29th is refused at the account's regions", () => {
    expect(scaleReport(configOf(withRegions(28)))[ACCOUNT_INDEX].metricFilters).toBe(99);
    expect(scaleProblems(configOf(withRegions(28)))).toEqual([]);
    expect(scaleProblems(configOf(withRegions(29)))).toEqual([
      {
        path: `accounts[${ACCOUNT_INDEX}].regions`,
        message: expect.stringContaining(
          `would put 102 metric filters on its trail's log group, over the ${METRIC_FILTERS_PER_LOG_GROUP} CloudWatch Logs allows per log group (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html)`,
        ),
      },
    ]);
    expect(scaleProblems(configOf(withRegions(29))).map((issue) => issue.message)).toEqual([
      expect.stringContaining(`set accounts[${ACCOUNT_INDEX}].audit.cisAlarms to false (12 fewer filters)`),
    ]);
  });

  test("with cisAlarms false the 29 regions fit (3 + 29 × 3 = 90)", () => {
    expect(scaleProblems(configOf(withRegions(29, false)))).toEqual([]);
  });
});

describe("scaleProblems: aliases in the key-change pattern (1,024 characters)", () => {
  const aliases = (count: number) => Array.from({ length: count }, (_, i) => `payments-lambda-environment-key-${String(i).padStart(2, "0")}`);
  const withAliases = (count: number) =>
    configOf(
      document(0, (doc) => {
        doc.key = { ...doc.key, aliases: aliases(count) };
      }),
    );
  const aliasIssues = (config: AppConfig) => scaleProblems(config).filter((issue) => issue.path === "key.aliases");

  test("the most aliases it accepts build; one more is refused at key.aliases, as the construct refuses it", () => {
    let max = 0;
    while (aliasIssues(withAliases(max + 1)).length === 0) max++;
    expect(max).toBeGreaterThan(3);
    expect(() => workloadStack(withAliases(max))).not.toThrow();
    expect(aliasIssues(withAliases(max + 1))).toEqual([{ path: "key.aliases", message: expect.stringContaining(`only the first ${max} of the ${max + 1} aliases fit`) }]);
    expect(() => workloadStack(withAliases(max + 1))).toThrow(/key-change pattern: .* over the CloudWatch Logs limit of 1024/);
  });
});

describe("scaleProblems: whole configurations", () => {
  test("config/default.json has no problem", () => {
    expect(scaleProblems(validateConfig(DEFAULT_DOCUMENT, path.join(REPO, "config", "default.json")))).toEqual([]);
  });

  test("5,000 functions are refused by the key policy and the alarm, with the same maxima as a small configuration", () => {
    const small = configOf(document(1));
    const config: AppConfig = { ...small, functions: functionNames(5000).map((name) => ({ ...small.functions[0], name })) };
    const report = stackScaleOf(configOf(document(200)));
    const issues = scaleProblems(config);
    // Not the metric filters too: once the alarm is within its 10 metrics, the two regions need 2 × 12 + 15 filters.
    expect(issues.map((issue) => issue.path)).toEqual(["functions", "functions"]);
    expect(issues[0].message).toContain(`at most ${report.keyPolicy!.maxFunctions} of the 5,000 functions`);
    expect(issues[1].message).toContain(`at most ${report.alarm.maxFunctions} of the 5,000 functions`);
  });
});
