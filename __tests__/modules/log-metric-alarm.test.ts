import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { LogMetricAlarm, LogMetricAlarmProps } from "../../modules/log-metric-alarm";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "log-metric-alarm-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const TOPIC = "arn:aws:sns:us-east-1:111111111111:kms-audit-alarms";
const LOG_GROUP = "/aws/cloudtrail/org-audit";
const PATTERN = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}";
const DESCRIPTION = "A customer-managed key was disabled or scheduled for deletion.";

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

const BASE: LogMetricAlarmProps = {
  logGroupName: LOG_GROUP,
  name: "org-audit-kms-key-disabled",
  pattern: PATTERN,
  metricName: "KmsKeyDisabled",
  description: DESCRIPTION,
  alarmTopicArn: TOPIC,
};

function newStack() {
  const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const audit = new AwsProvider(stack, "audit", { region: "us-east-1", alias: "audit" });
  return { stack, audit };
}

function build(overrides: Partial<LogMetricAlarmProps> = {}, withAuditProvider = false) {
  const { stack, audit } = newStack();
  const construct = new LogMetricAlarm(stack, "cis", { ...BASE, provider: withAuditProvider ? audit : undefined, ...overrides });
  const resources = (JSON.parse(Testing.synth(stack, true)) as { resource: Resources }).resource;
  const only = (type: string): Json => {
    const entries = Object.values(resources[type] ?? {});
    expect(entries).toHaveLength(1);
    return entries[0];
  };
  expect(Object.keys(resources).sort()).toEqual(["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm"]);
  return { construct, filter: only("aws_cloudwatch_log_metric_filter"), alarm: only("aws_cloudwatch_metric_alarm") };
}

const EXPECTED_ALARM = {
  alarm_name: "org-audit-kms-key-disabled",
  alarm_description: DESCRIPTION,
  namespace: "LambdaKmsAudit",
  metric_name: "KmsKeyDisabled",
  statistic: "Sum",
  period: 300,
  evaluation_periods: 1,
  threshold: 1,
  comparison_operator: "GreaterThanOrEqualToThreshold",
  treat_missing_data: "notBreaching",
  actions_enabled: true,
  alarm_actions: [TOPIC],
};

describe("metric filter", () => {
  test("counts each matching event as 1 in the LambdaKmsAudit namespace", () => {
    const { filter } = build();
    expect(filter).toEqual({
      name: "org-audit-kms-key-disabled",
      log_group_name: LOG_GROUP,
      pattern: PATTERN,
      metric_transformation: { name: "KmsKeyDisabled", namespace: "LambdaKmsAudit", value: "1" },
    });
  });
});

describe("alarm", () => {
  test("fires on the first matching event in 5 minutes, treats no data as fine, and notifies only the topic", () => {
    const { alarm } = build();
    expect(alarm).toEqual(EXPECTED_ALARM);
  });

  test("the construct exposes both resources", () => {
    const { construct } = build();
    expect(construct.filter.terraformResourceType).toBe("aws_cloudwatch_log_metric_filter");
    expect(construct.alarm.terraformResourceType).toBe("aws_cloudwatch_metric_alarm");
  });
});

describe("options", () => {
  test("a custom namespace is used by the filter and the alarm", () => {
    const { filter, alarm } = build({ metricNamespace: "Security/Kms" });
    expect(filter.metric_transformation).toEqual({ name: "KmsKeyDisabled", namespace: "Security/Kms", value: "1" });
    expect(alarm).toEqual({ ...EXPECTED_ALARM, namespace: "Security/Kms" });
  });

  test("a provider is passed to both resources", () => {
    const { filter, alarm } = build({}, true);
    expect(filter.provider).toBe("aws.audit");
    expect(alarm).toEqual({ ...EXPECTED_ALARM, provider: "aws.audit" });
  });

  test("without a provider neither resource names one (the stack's default provider)", () => {
    const { filter, alarm } = build();
    expect(filter).not.toHaveProperty("provider");
    expect(alarm).not.toHaveProperty("provider");
  });
});
