/**
 * The audit stack of each account (stacks/audit-stack.ts) as the app builds
 * it from the configuration, and the parts of the workload stacks that point
 * at it: the KeyUseAlarms filters on the trail's log group, the alarm topic
 * ARN, the allowed decrypt principals, and the stack dependencies.
 * The constructs themselves are tested in __tests__/modules.
 */
import * as fs from "fs";
import * as path from "path";
import { App, TerraformStack, Testing } from "cdktf";
import { AppConfig } from "../../config/app-config";
import { validateConfig } from "../../config/validate-config";
import { CIS_MONITORING_CONTROLS } from "../../modules/cis-monitoring-controls";
import { AuditStack } from "../../stacks/audit-stack";
import { addStacks } from "../../stacks/synthesize-app";
import { WorkloadStack } from "../../stacks/workload-stack";
import { defaultConfigDocument as doc, Json, makeStackTestFolder } from "../support/stack-config";

let tmp: string;
let configFile: string;
let outdir: string;
const appOutdirs: string[] = [];

beforeAll(() => {
  ({ tmp, configFile, outdir } = makeStackTestFolder("audit-stack-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const folder of appOutdirs) fs.rmSync(folder, { recursive: true, force: true });
});

interface Synthesized {
  readonly app: App;
  readonly stacks: TerraformStack[];
  /** Synthesized Terraform JSON by stack name. */
  readonly json: Record<string, Json>;
}

function synthesize(config: AppConfig): Synthesized {
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const stacks = addStacks(app, config, outdir);
  const json: Record<string, Json> = {};
  // With validations: a stack that synthesizes but fails a construct check would be useless.
  for (const stack of stacks) json[stack.node.id] = JSON.parse(Testing.synth(stack, true));
  return { app, stacks, json };
}

function synthesizeDocument(document: Json): Synthesized {
  return synthesize(validateConfig(document, configFile));
}

function resourcesOf(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** The single resource of a type, leaving out the access-log bucket's (tested on its own): its logical id and its configuration. */
function only(json: Json, type: string): { id: string; config: Json } {
  // The access-log bucket and the log delivery topic repeat the bucket's and the alarm topic's types; they have tests of their own.
  const entries = Object.entries(resourcesOf(json, type)).filter(([id]) => !id.startsWith("audit_access-logs_") && !id.startsWith("audit_log-files_"));
  expect(entries.map(([id]) => id)).toHaveLength(1);
  return { id: entries[0][0], config: entries[0][1] };
}

/** The resource of a type whose attribute equals a value. */
function findBy(json: Json, type: string, attribute: string, value: unknown): { id: string; config: Json } {
  const matches = Object.entries(resourcesOf(json, type)).filter(([, config]) => config[attribute] === value);
  expect(matches.map(([id]) => id)).toHaveLength(1);
  return { id: matches[0][0], config: matches[0][1] };
}

/** The key policy of the stack's only key, statements by Sid. */
function keyPolicyStatements(json: Json): Record<string, Json> {
  const policy = JSON.parse(only(json, "aws_kms_key").config.policy);
  return Object.fromEntries(policy.Statement.map((s: Json) => [s.Sid, s]));
}

/** The `$.userIdentity.arn != "…"` values of an unexpected-key-use pattern, in order. */
function allowedPrincipals(pattern: string): string[] {
  return [...pattern.matchAll(/\(\$\.userIdentity\.arn != "([^"]+)"\)/g)].map((m) => m[1]);
}

const ACCOUNT_IDS = { staging: "111111111111", production: "222222222222" } as const;

describe("AuditStack: the stack", () => {
  test("is one per account, named <account>-audit, before the account's workload stacks", () => {
    const { stacks } = synthesizeDocument(doc());
    const audit = stacks.filter((s) => s instanceof AuditStack).map((s) => s.node.id);
    expect(audit).toEqual(["staging-audit", "production-audit"]);
    const ids = stacks.map((s) => s.node.id);
    expect(ids.indexOf("staging-audit")).toBeLessThan(ids.indexOf("staging-eu-west-1"));
    expect(ids.indexOf("production-audit")).toBeLessThan(ids.indexOf("production-eu-west-1"));
  });

  test("has one provider, pinned to the account, in the audit home region (the first region by default), with the merged default tags", () => {
    const { json } = synthesizeDocument(doc());
    expect(json["staging-audit"].provider).toEqual({
      aws: [
        {
          region: "eu-west-1",
          allowed_account_ids: ["111111111111"],
          default_tags: [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "staging" } }],
        },
      ],
    });
    expect(json["production-audit"].provider).toEqual({
      aws: [
        {
          region: "eu-west-1",
          allowed_account_ids: ["222222222222"],
          default_tags: [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production" } }],
        },
      ],
    });
    // No resource picks another provider.
    for (const byId of Object.values(json["production-audit"].resource) as Record<string, Json>[]) {
      for (const config of Object.values(byId)) expect(config).not.toHaveProperty("provider");
    }
  });

  test("follows a configured homeRegion, an account's tags and its assume-role block", () => {
    const document = doc();
    document.accounts[1].regions = ["us-east-1", "eu-west-1"];
    document.accounts[1].audit.homeRegion = "eu-central-1";
    document.accounts[1].tags = { Environment: "production", CostCenter: "4711" };
    document.accounts[1].assumeRole = { roleArn: "arn:aws:iam::222222222222:role/terraform-deploy", sessionName: "lambda-kms-ci" };
    const { json } = synthesizeDocument(document);
    expect(json["production-audit"].provider.aws).toEqual([
      {
        region: "eu-central-1",
        allowed_account_ids: ["222222222222"],
        assume_role: [{ role_arn: "arn:aws:iam::222222222222:role/terraform-deploy", session_name: "lambda-kms-ci" }],
        default_tags: [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production", CostCenter: "4711" } }],
      },
    ]);
    // The trail's resources are named in and for the home region.
    expect(only(json["production-audit"], "aws_s3_bucket_policy").config.policy).toContain("arn:aws:cloudtrail:eu-central-1:222222222222:trail/payments-audit");
  });

  test("requires the aws provider at exactly 5.100.0", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ["staging-audit", "production-audit"]) {
      expect(json[name].terraform.required_providers).toEqual({ aws: { source: "aws", version: "5.100.0" } });
    }
  });

  test("local backend: <state dir>/<account>-audit.tfstate, relative to the stack folder", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ["staging-audit", "production-audit"]) {
      expect(json[name].terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate`, workspace_dir: `../../../state/${name}.tfstate.d` } });
      expect(path.resolve(outdir, "stacks", name, json[name].terraform.backend.local.path)).toBe(path.join(tmp, "state", `${name}.tfstate`));
    }
  });

  test("s3 backend: key <prefix>/<account>-audit.tfstate with encryption and locking", () => {
    const document = doc();
    document.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-central-1", keyPrefix: "platform/lambda-kms" };
    const { json } = synthesizeDocument(document);
    expect(json["production-audit"].terraform.backend).toEqual({
      s3: { bucket: "acme-terraform-state", key: "platform/lambda-kms/production-audit.tfstate", region: "eu-central-1", encrypt: true, use_lockfile: true },
    });
  });

  test("needs no network: no data sources and no references to any", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ["staging-audit", "production-audit"]) {
      expect(json[name]).not.toHaveProperty("data");
      expect(JSON.stringify(json[name])).not.toMatch(/\$\{data\./);
    }
  });
});

describe("AuditStack: names and settings from the config defaults", () => {
  test.each(Object.entries(ACCOUNT_IDS))(
    "%s: trail <project>-audit, bucket <project>-audit-logs-<accountId>, /aws/cloudtrail/<trail>, topic <trail>-alarms",
    (account, accountId) => {
      const { json } = synthesizeDocument(doc());
      const stack = json[`${account}-audit`];
      const key = only(stack, "aws_kms_key");
      const bucket = only(stack, "aws_s3_bucket");
      const logGroup = only(stack, "aws_cloudwatch_log_group");
      const role = only(stack, "aws_iam_role");
      const topic = only(stack, "aws_sns_topic");

      const trail = only(stack, "aws_cloudtrail").config;
      expect(trail).toMatchObject({
        name: "payments-audit",
        s3_bucket_name: `\${aws_s3_bucket.${bucket.id}.bucket}`,
        kms_key_id: `\${aws_kms_key.${key.id}.arn}`,
        is_multi_region_trail: true,
        include_global_service_events: true,
        enable_log_file_validation: true,
        enable_logging: true,
        cloud_watch_logs_group_arn: `\${aws_cloudwatch_log_group.${logGroup.id}.arn}:*`,
        cloud_watch_logs_role_arn: `\${aws_iam_role.${role.id}.arn}`,
      });
      // All management events, none excluded.
      expect(trail.event_selector).toEqual([{ read_write_type: "All", include_management_events: true }]);
      expect(trail.depends_on).toContain(`aws_s3_bucket_policy.${only(stack, "aws_s3_bucket_policy").id}`);

      expect(bucket.config).toMatchObject({ bucket: `payments-audit-logs-${accountId}`, force_destroy: false, lifecycle: { prevent_destroy: true } });
      expect(only(stack, "aws_s3_bucket_lifecycle_configuration").config.rule[0]).toMatchObject({
        expiration: [{ days: 365 }],
        noncurrent_version_expiration: [{ noncurrent_days: 365 }],
      });
      // Access logs go to the access-log bucket the stack creates.
      const accessBucket = Object.entries(resourcesOf(stack, "aws_s3_bucket")).find(([, b]) => b.bucket === `payments-audit-logs-${accountId}-access`)!;
      expect(Object.values(resourcesOf(stack, "aws_s3_bucket_logging"))).toEqual([
        expect.objectContaining({ target_bucket: `\${aws_s3_bucket.${accessBucket[0]}.bucket}`, target_prefix: `payments-audit-logs-${accountId}/` }),
      ]);

      expect(logGroup.config).toEqual(expect.objectContaining({ name: "/aws/cloudtrail/payments-audit", retention_in_days: 365, kms_key_id: `\${aws_kms_key.${key.id}.arn}` }));
      expect(role.config.name).toBe("payments-audit-to-cloudwatch");
      expect(topic.config).toEqual(expect.objectContaining({ name: "payments-audit-alarms", kms_master_key_id: `\${aws_kms_key.${key.id}.arn}` }));
      expect(only(stack, "aws_kms_alias").config.name).toBe("alias/payments-audit");
      // Rotation period and deletion window of config.key (365 and 30 in config/default.json).
      expect(key.config).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });

      // The trail ARN in the bucket policy and key policy is built from the names: home region, account, trail.
      const trailArn = `arn:aws:cloudtrail:eu-west-1:${accountId}:trail/payments-audit`;
      const bucketPolicy = JSON.parse(only(stack, "aws_s3_bucket_policy").config.policy);
      const write = bucketPolicy.Statement.find((s: Json) => s.Sid === "AWSCloudTrailWrite20150319");
      expect(write.Condition.StringEquals).toEqual({ "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn });
      expect(write.Resource).toEqual([`arn:aws:s3:::payments-audit-logs-${accountId}/AWSLogs/${accountId}/*`]);
      expect(keyPolicyStatements(stack).CloudTrailEncryptsLogFiles.Condition.StringEquals).toEqual({ "aws:SourceArn": trailArn });

      // Fifteen alarms, each a filter and an alarm named <trail>-…: the fourteen CIS monitoring controls and the
      // audit key's changes. The filters read the trail's log group, the alarms notify the topic.
      const alarmNames = ["payments-audit-audit-key-change", ...CIS_MONITORING_CONTROLS.map((control) => `payments-audit-${control.id}`)].sort();
      const filters = Object.values(resourcesOf(stack, "aws_cloudwatch_log_metric_filter"));
      const alarms = Object.values(resourcesOf(stack, "aws_cloudwatch_metric_alarm"));
      expect(filters.map((f) => f.name).sort()).toEqual(alarmNames);
      expect(alarms.map((a) => a.alarm_name).sort()).toEqual(alarmNames);
      for (const filter of filters) expect(filter.log_group_name).toBe(`\${aws_cloudwatch_log_group.${logGroup.id}.name}`);
      for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topic.id}.arn}`]);
      // Security Hub's CloudWatch.7 and CloudWatch.5, character for character.
      expect(findBy(stack, "aws_cloudwatch_log_metric_filter", "name", "payments-audit-cmk-disable-or-deletion").config.pattern).toBe(
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
      );
      expect(findBy(stack, "aws_cloudwatch_log_metric_filter", "name", "payments-audit-cloudtrail-changes").config.pattern).toBe(
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
      );
      // The key-change alarm watches this stack's audit key and its alias in the home region, not a workload key.
      const keyChange = findBy(stack, "aws_cloudwatch_log_metric_filter", "name", "payments-audit-audit-key-change").config.pattern;
      expect(keyChange).toContain(`($.resources[0].ARN = "\${aws_kms_key.${key.id}.arn}")`);
      expect(keyChange).toContain('($.awsRegion = "eu-west-1")');
      expect(keyChange).toContain('($.requestParameters.aliasName = "alias/payments-audit")');
    },
  );

  test("the audit key's rotation period and deletion window come from config.key", () => {
    const document = doc();
    document.key.rotationPeriodDays = 730;
    document.key.deletionWindowDays = 14;
    const { json } = synthesizeDocument(document);
    for (const name of ["staging-audit", "production-audit"]) {
      expect(only(json[name], "aws_kms_key").config).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 730, deletion_window_in_days: 14 });
    }
  });

  test("the key administrators of the account administer the audit key", () => {
    const { json } = synthesizeDocument(doc());
    expect(keyPolicyStatements(json["production-audit"]).KeyAdministration.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:role/platform-key-admin"] });
    expect(keyPolicyStatements(json["staging-audit"]).KeyAdministration.Principal).toEqual({ AWS: ["arn:aws:iam::111111111111:role/platform-key-admin"] });
    // No principal of the other account.
    expect(only(json["production-audit"], "aws_kms_key").config.policy).not.toContain("111111111111");
  });

  test("email subscriptions and readers come from the config: production has one of each, staging one email and no reader", () => {
    const { json } = synthesizeDocument(doc());
    const production = json["production-audit"];
    const topic = only(production, "aws_sns_topic");
    expect(Object.values(resourcesOf(production, "aws_sns_topic_subscription"))).toEqual([
      expect.objectContaining({ protocol: "email", endpoint: "security-alerts@example.com", topic_arn: `\${aws_sns_topic.${topic.id}.arn}` }),
    ]);
    const readers = keyPolicyStatements(production).ReadersDecryptLogFiles;
    expect(readers.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:role/security-auditor"] });
    expect(readers.Action).toEqual(["kms:Decrypt"]);

    const staging = json["staging-audit"];
    expect(Object.values(resourcesOf(staging, "aws_sns_topic_subscription")).map((s) => s.endpoint)).toEqual(["staging-alerts@example.com"]);
    expect(keyPolicyStatements(staging)).not.toHaveProperty("ReadersDecryptLogFiles");
  });

  test("by default: the access-log bucket <bucketName>-access, the fourteen CIS alarms, no Object Lock, and the deployers as the only managers of the bucket's protections", () => {
    const { json } = synthesizeDocument(doc());
    const stack = json["production-audit"];
    const buckets = Object.values(resourcesOf(stack, "aws_s3_bucket")).map((b) => b.bucket);
    expect(buckets.sort()).toEqual(["payments-audit-logs-222222222222", "payments-audit-logs-222222222222-access"]);
    const accessBucketId = Object.entries(resourcesOf(stack, "aws_s3_bucket")).find(([, b]) => b.bucket === "payments-audit-logs-222222222222-access")![0];
    expect(only(stack, "aws_s3_bucket_logging").config).toMatchObject({ target_bucket: `\${aws_s3_bucket.${accessBucketId}.bucket}` });
    const filters = Object.values(resourcesOf(stack, "aws_cloudwatch_log_metric_filter")).map((f) => f.pattern);
    for (const control of CIS_MONITORING_CONTROLS) expect(filters).toContain(control.pattern);
    expect(resourcesOf(stack, "aws_s3_bucket_object_lock_configuration")).toEqual({});
    const policy = JSON.parse(only(stack, "aws_s3_bucket_policy").config.policy);
    expect(policy.Statement.find((s: Json) => s.Sid === "DenyChangingLogProtection").Condition).toEqual({
      ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::222222222222:role/terraform-deploy"] },
    });
  });

  test("accessLogging, breakGlassRoleArns, objectLock and cisAlarms flow from the config", () => {
    const document = doc();
    const breakGlass = "arn:aws:iam::222222222222:role/audit-break-glass";
    document.accounts[1].audit = {
      ...document.accounts[1].audit,
      accessLogging: false,
      breakGlassRoleArns: [breakGlass],
      objectLock: { mode: "COMPLIANCE", retentionDays: 30 },
      cisAlarms: false,
    };
    const stack = synthesizeDocument(document).json["production-audit"];
    expect(Object.keys(resourcesOf(stack, "aws_s3_bucket"))).toHaveLength(1);
    expect(resourcesOf(stack, "aws_s3_bucket_logging")).toEqual({});
    expect(only(stack, "aws_s3_bucket").config.object_lock_enabled).toBe(true);
    expect(only(stack, "aws_s3_bucket_object_lock_configuration").config.rule).toEqual({ default_retention: { mode: "COMPLIANCE", days: 30 } });
    const policy = JSON.parse(only(stack, "aws_s3_bucket_policy").config.policy);
    expect(policy.Statement.find((s: Json) => s.Sid === "DenyDeletingLogFiles").Condition).toEqual({ ArnNotEquals: { "aws:PrincipalArn": [breakGlass] } });
    // CloudWatch.5, CloudWatch.7 and the audit key's change alarm.
    expect(Object.keys(resourcesOf(stack, "aws_cloudwatch_metric_alarm"))).toHaveLength(3);
  });

  test("outputs the trail ARN, the audit key ARN, the bucket, the log group and the alarm topic ARN", () => {
    const { json } = synthesizeDocument(doc());
    const stack = json["production-audit"];
    expect(stack.output).toEqual({
      trail_arn: { description: "ARN of the audit trail", value: `\${aws_cloudtrail.${only(stack, "aws_cloudtrail").id}.arn}` },
      audit_key_arn: { description: "ARN of the audit key", value: `\${aws_kms_key.${only(stack, "aws_kms_key").id}.arn}` },
      log_bucket: { description: "Bucket that stores the log files", value: `\${aws_s3_bucket.${only(stack, "aws_s3_bucket").id}.bucket}` },
      log_group: { description: "CloudWatch Logs group of the trail", value: `\${aws_cloudwatch_log_group.${only(stack, "aws_cloudwatch_log_group").id}.name}` },
      alarm_topic_arn: { description: "SNS topic of the alarms", value: `\${aws_sns_topic.${only(stack, "aws_sns_topic").id}.arn}` },
    });
  });
});

describe("AuditStack: audit.replication", () => {
  function withReplication(): Json {
    const document = doc();
    document.accounts[1].audit.replication = { region: "eu-central-1" };
    return document;
  }

  test("off by default: one provider, no replication resources", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ["staging-audit", "production-audit"]) {
      expect(json[name].provider.aws).toHaveLength(1);
      expect(resourcesOf(json[name], "aws_s3_bucket_replication_configuration")).toEqual({});
    }
  });

  test("adds an aliased provider for the destination region, pinned to the account like the default one", () => {
    const { json } = synthesizeDocument(withReplication());
    expect(json["production-audit"].provider.aws).toEqual([
      { region: "eu-west-1", allowed_account_ids: ["222222222222"], default_tags: [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production" } }] },
      {
        alias: "replica",
        region: "eu-central-1",
        allowed_account_ids: ["222222222222"],
        default_tags: [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production" } }],
      },
    ]);
    // Only the production account replicates.
    expect(json["staging-audit"].provider.aws).toHaveLength(1);
  });

  test("the replica bucket <bucketName>-replica and its key (<alias>-replica) are in the destination region; the role carries the deployed-role boundary", () => {
    const { json } = synthesizeDocument(withReplication());
    const audit = json["production-audit"];
    const replicaBucket = Object.values(resourcesOf(audit, "aws_s3_bucket")).find((b) => b.bucket === "payments-audit-logs-222222222222-replica");
    expect(replicaBucket).toMatchObject({ provider: "aws.replica", force_destroy: false });
    const replicaAlias = Object.values(resourcesOf(audit, "aws_kms_alias")).find((a) => a.name === "alias/payments-audit-replica");
    expect(replicaAlias).toMatchObject({ provider: "aws.replica" });
    const replicaKey = Object.values(resourcesOf(audit, "aws_kms_key")).find((k) => k.provider === "aws.replica");
    expect(replicaKey).toMatchObject({ enable_key_rotation: true });
    const role = Object.values(resourcesOf(audit, "aws_iam_role")).find((r) => r.name === "payments-audit-replication");
    expect(role.permissions_boundary).toBe("arn:aws:iam::222222222222:policy/payments-deployed-role-boundary");
    const [configuration] = Object.values(resourcesOf(audit, "aws_s3_bucket_replication_configuration"));
    expect(configuration.rule[0]).toMatchObject({ status: "Enabled", source_selection_criteria: { sse_kms_encrypted_objects: { status: "Enabled" } } });
    // The key administrators of the account administer the replica key too.
    const administration = JSON.parse(replicaKey.policy).Statement.find((s: Json) => s.Sid === "KeyAdministration");
    expect(administration.Principal.AWS).toEqual(doc().accounts[1].keyAdministratorArns);
  });

  test("with an emulator, the replica provider sends every request to it too, like the default provider", () => {
    const document = withReplication();
    document.emulator = { endpoint: "http://127.0.0.1:5000" };
    const { json } = synthesizeDocument(document);
    const [home, replica] = json["production-audit"].provider.aws;
    expect(replica.region).toBe("eu-central-1");
    expect(replica.endpoints).toEqual(home.endpoints);
    expect(Object.values(replica.endpoints[0]).every((endpoint) => endpoint === "http://127.0.0.1:5000")).toBe(true);
    expect({ ...replica, alias: undefined, region: undefined }).toEqual({ ...home, alias: undefined, region: undefined });
  });

  test("with objectLock, the replica bucket has Object Lock with the same retention", () => {
    const document = withReplication();
    document.accounts[1].audit.objectLock = { mode: "GOVERNANCE", retentionDays: 30 };
    const { json } = synthesizeDocument(document);
    const locks = Object.values(resourcesOf(json["production-audit"], "aws_s3_bucket_object_lock_configuration"));
    expect(locks.map((l) => [l.provider, l.rule.default_retention])).toEqual([
      [undefined, { mode: "GOVERNANCE", days: 30 }],
      ["aws.replica", { mode: "GOVERNANCE", days: 30 }],
    ]);
  });
});

describe("AuditStack: custom audit values flow through", () => {
  const custom = {
    homeRegion: "us-east-1",
    trailName: "org-kms-trail",
    bucketName: "acme-kms-trail-logs",
    keyAliases: ["acme/audit", "alias/acme-audit-2"],
    logRetentionDays: 90,
    allowShortLogRetention: true,
    bucketRetentionDays: 2555,
    accessLogBucketName: "acme-access-logs",
    alarmEmails: ["secops@example.com", "kms-oncall@example.org"],
    readerArns: ["arn:aws:iam::222222222222:role/auditor", "arn:aws:iam::222222222222:user/external-auditor"],
    excludeManagementEventSources: ["rdsdata.amazonaws.com"],
  };

  let json: Record<string, Json>;

  beforeAll(() => {
    const document = doc();
    document.accounts[1].audit = structuredClone(custom);
    document.key.preventDestroy = false;
    json = synthesizeDocument(document).json;
  });

  test("in the audit stack: region, trail, bucket, aliases, retentions, access logging, event selector, readers, subscriptions, prevent_destroy", () => {
    const stack = json["production-audit"];
    expect(stack.provider.aws[0].region).toBe("us-east-1");
    const bucket = only(stack, "aws_s3_bucket");
    const trail = only(stack, "aws_cloudtrail").config;
    expect(trail.name).toBe("org-kms-trail");
    expect(trail.event_selector).toEqual([{ read_write_type: "All", include_management_events: true, exclude_management_event_sources: ["rdsdata.amazonaws.com"] }]);
    expect(bucket.config).toMatchObject({ bucket: "acme-kms-trail-logs", lifecycle: { prevent_destroy: false } });
    expect(only(stack, "aws_kms_key").config.lifecycle).toEqual({ prevent_destroy: false });
    expect(
      Object.values(resourcesOf(stack, "aws_kms_alias"))
        .map((a) => a.name)
        .sort(),
    ).toEqual(["alias/acme-audit-2", "alias/acme/audit"]);
    expect(only(stack, "aws_cloudwatch_log_group").config).toMatchObject({ name: "/aws/cloudtrail/org-kms-trail", retention_in_days: 90 });
    expect(only(stack, "aws_iam_role").config.name).toBe("org-kms-trail-to-cloudwatch");
    expect(only(stack, "aws_sns_topic").config.name).toBe("org-kms-trail-alarms");
    const alarmNames = ["org-kms-trail-audit-key-change", ...CIS_MONITORING_CONTROLS.map((control) => `org-kms-trail-${control.id}`)].sort();
    expect(
      Object.values(resourcesOf(stack, "aws_cloudwatch_log_metric_filter"))
        .map((f) => f.name)
        .sort(),
    ).toEqual(alarmNames);
    expect(
      Object.values(resourcesOf(stack, "aws_cloudwatch_metric_alarm"))
        .map((a) => a.alarm_name)
        .sort(),
    ).toEqual(alarmNames);
    expect(only(stack, "aws_s3_bucket_lifecycle_configuration").config.rule[0]).toMatchObject({
      expiration: [{ days: 2555 }],
      noncurrent_version_expiration: [{ noncurrent_days: 2555 }],
    });
    expect(only(stack, "aws_s3_bucket_logging").config).toEqual(
      expect.objectContaining({ bucket: `\${aws_s3_bucket.${bucket.id}.id}`, target_bucket: "acme-access-logs", target_prefix: "acme-kms-trail-logs/" }),
    );
    // An existing access-log bucket is named: the stack creates none.
    expect(Object.keys(resourcesOf(stack, "aws_s3_bucket"))).toEqual([bucket.id]);
    expect(keyPolicyStatements(stack).ReadersDecryptLogFiles.Principal).toEqual({ AWS: custom.readerArns });
    expect(
      Object.values(resourcesOf(stack, "aws_sns_topic_subscription"))
        .map((s) => `${s.protocol}:${s.endpoint}`)
        .sort(),
    ).toEqual(["email:kms-oncall@example.org", "email:secops@example.com"]);
    const trailArn = "arn:aws:cloudtrail:us-east-1:222222222222:trail/org-kms-trail";
    expect(JSON.parse(only(stack, "aws_s3_bucket_policy").config.policy).Statement.find((s: Json) => s.Sid === "AWSCloudTrailAclCheck20150319").Condition).toEqual({
      StringEquals: { "aws:SourceArn": trailArn },
    });
  });

  test("in the workload stacks: the audit provider, the log group and the topic ARN follow the custom home region and trail name", () => {
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      const stack = json[name];
      expect(stack.provider.aws[1]).toMatchObject({ alias: "audit", region: "us-east-1", allowed_account_ids: ["222222222222"] });
      for (const filter of Object.values(resourcesOf(stack, "aws_cloudwatch_log_metric_filter"))) {
        expect(filter.log_group_name).toBe("/aws/cloudtrail/org-kms-trail");
      }
      for (const alarm of Object.values(resourcesOf(stack, "aws_cloudwatch_metric_alarm"))) {
        expect(alarm.alarm_actions).toEqual(["arn:aws:sns:us-east-1:222222222222:org-kms-trail-alarms"]);
      }
    }
    // The staging account keeps its defaults.
    for (const alarm of Object.values(resourcesOf(json["staging-us-east-1"], "aws_cloudwatch_metric_alarm"))) {
      expect(alarm.alarm_actions).toEqual(["arn:aws:sns:eu-west-1:111111111111:payments-audit-alarms"]);
    }
  });
});

describe("WorkloadStack: KeyUseAlarms point at the account's trail", () => {
  const WORKLOADS = ["staging-eu-west-1", "staging-us-east-1", "production-eu-west-1", "production-us-east-1"];

  test("each workload stack has the 3 filters and 3 alarms, on the aliased audit provider", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of WORKLOADS) {
      const filters = Object.values(resourcesOf(json[name], "aws_cloudwatch_log_metric_filter"));
      const alarms = Object.values(resourcesOf(json[name], "aws_cloudwatch_metric_alarm"));
      expect(filters).toHaveLength(3);
      expect(alarms).toHaveLength(3);
      for (const resource of [...filters, ...alarms]) expect(resource.provider).toBe("aws.audit");
      // Nothing else uses the audit provider: the key and the functions stay in the stack's region.
      for (const [type, byId] of Object.entries(json[name].resource as Record<string, Record<string, Json>>)) {
        if (type === "aws_cloudwatch_log_metric_filter" || type === "aws_cloudwatch_metric_alarm") continue;
        for (const config of Object.values(byId)) expect(config).not.toHaveProperty("provider");
      }
    }
  });

  test("the filters read the trail's log group by name and the alarms notify arn:aws:sns:<home>:<account>:<trail>-alarms, the audit stack's topic", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of WORKLOADS) {
      const account = name.split("-")[0] as keyof typeof ACCOUNT_IDS;
      const audit = json[`${account}-audit`];
      const logGroupName = only(audit, "aws_cloudwatch_log_group").config.name;
      const topicName = only(audit, "aws_sns_topic").config.name;
      expect(logGroupName).toBe("/aws/cloudtrail/payments-audit");
      expect(topicName).toBe("payments-audit-alarms");
      for (const filter of Object.values(resourcesOf(json[name], "aws_cloudwatch_log_metric_filter"))) {
        // A literal string: a reference into another stack would need remote state.
        expect(filter.log_group_name).toBe(logGroupName);
      }
      for (const alarm of Object.values(resourcesOf(json[name], "aws_cloudwatch_metric_alarm"))) {
        expect(alarm.alarm_actions).toEqual([`arn:aws:sns:eu-west-1:${ACCOUNT_IDS[account]}:${topicName}`]);
      }
    }
  });

  test("the unexpected-key-use pattern lists exactly the stack's execution roles, the key users and the deployers: no path, no other role", () => {
    const { json } = synthesizeDocument(doc());
    const session = (account: string, role: string) => `arn:aws:sts::${account}:assumed-role/${role}/*`;
    const expected: Record<string, string[]> = {
      "staging-eu-west-1": [session("111111111111", "orders-api-eu-west-1"), session("111111111111", "terraform-deploy")],
      "staging-us-east-1": [session("111111111111", "orders-api-us-east-1"), session("111111111111", "terraform-deploy")],
      "production-eu-west-1": [
        session("222222222222", "orders-api-eu-west-1"),
        session("222222222222", "nightly-report-eu-west-1"),
        session("222222222222", "incident-responder"),
        session("222222222222", "terraform-deploy"),
      ],
      "production-us-east-1": [
        session("222222222222", "orders-api-us-east-1"),
        session("222222222222", "nightly-report-us-east-1"),
        session("222222222222", "incident-responder"),
        session("222222222222", "terraform-deploy"),
      ],
    };
    for (const [name, principals] of Object.entries(expected)) {
      const key = only(json[name], "aws_kms_key");
      const region = name.replace(/^[a-z]+-/, "");
      const filter = findBy(json[name], "aws_cloudwatch_log_metric_filter", "name", `payments-lambda-env-${region}-unexpected-key-use`).config;
      expect(allowedPrincipals(filter.pattern)).toEqual(principals);
      expect(filter.pattern).not.toContain("sessionIssuer");
      // The workload key of this stack.
      expect(filter.pattern).toContain(`($.resources[0].ARN = "\${aws_kms_key.${key.id}.arn}")`);
      // Administrators have no key use, so they are not allowed users.
      expect(filter.pattern).not.toContain("platform-key-admin");
      // The key-change filter watches the same key.
      const keyChange = findBy(json[name], "aws_cloudwatch_log_metric_filter", "name", `payments-lambda-env-${region}-key-change`).config;
      expect(keyChange.pattern).toContain(`($.resources[0].ARN = "\${aws_kms_key.${key.id}.arn}")`);
      expect(keyChange.pattern).toContain(`($.awsRegion = "${region}")`);
    }
  });

  test("converts role ARNs (with paths) to session patterns and keeps user ARNs as they are", () => {
    const document = doc();
    document.accounts[1].keyUserArns = ["arn:aws:iam::222222222222:role/team/ops/incident-responder", "arn:aws:iam::222222222222:user/break-glass"];
    document.accounts[1].deployerArns = ["arn:aws:iam::222222222222:role/ci/terraform-deploy"];
    const { json } = synthesizeDocument(document);
    const filter = findBy(json["production-eu-west-1"], "aws_cloudwatch_log_metric_filter", "name", "payments-lambda-env-eu-west-1-unexpected-key-use").config;
    expect(allowedPrincipals(filter.pattern)).toEqual([
      "arn:aws:sts::222222222222:assumed-role/orders-api-eu-west-1/*",
      "arn:aws:sts::222222222222:assumed-role/nightly-report-eu-west-1/*",
      "arn:aws:sts::222222222222:assumed-role/incident-responder/*",
      "arn:aws:iam::222222222222:user/break-glass",
      "arn:aws:sts::222222222222:assumed-role/terraform-deploy/*",
    ]);
  });

  test("an account without functions, key users or deployers allows nobody: every non-service decrypt alarms", () => {
    const document = doc();
    document.accounts[0].deployerArns = [];
    delete document.accounts[0].deployer;
    document.functions[0].accounts = ["production"];
    // Encrypted values and environment overrides exist only for the accounts and stacks a function runs in.
    delete document.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"];
    delete document.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-us-east-1"];
    delete document.functions[0].environmentOverrides.staging;
    const { json } = synthesizeDocument(document);
    const filter = findBy(json["staging-eu-west-1"], "aws_cloudwatch_log_metric_filter", "name", "payments-lambda-env-eu-west-1-unexpected-key-use").config;
    expect(allowedPrincipals(filter.pattern)).toEqual([]);
    expect(filter.pattern).toContain('($.userIdentity.type != "AWSService")');
  });

  test("uses the partition of the account in the topic ARN and the session patterns", () => {
    const document = doc();
    document.accounts.push({ name: "china", accountId: "333333333333", regions: ["cn-north-1"], deployerArns: ["arn:aws-cn:iam::333333333333:role/deploy"] });
    // orders-api runs in every account and needs an encrypted value per stack: a placeholder, as in config/default.json.
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["china-cn-north-1"] = Buffer.from("placeholder ciphertext for the china-cn-north-1 key").toString("base64");
    const { json } = synthesizeDocument(document);
    const stack = json["china-cn-north-1"];
    for (const alarm of Object.values(resourcesOf(stack, "aws_cloudwatch_metric_alarm"))) {
      expect(alarm.alarm_actions).toEqual(["arn:aws-cn:sns:cn-north-1:333333333333:payments-audit-alarms"]);
    }
    const filter = findBy(stack, "aws_cloudwatch_log_metric_filter", "name", "payments-lambda-env-cn-north-1-unexpected-key-use").config;
    expect(allowedPrincipals(filter.pattern)).toEqual(["arn:aws-cn:sts::333333333333:assumed-role/orders-api-cn-north-1/*", "arn:aws-cn:sts::333333333333:assumed-role/deploy/*"]);
    expect(json["china-audit"].provider.aws[0]).toMatchObject({ region: "cn-north-1", allowed_account_ids: ["333333333333"] });
  });
});

describe("stack dependencies", () => {
  test("each workload stack depends on its own account's audit stack only; audit stacks depend on nothing", () => {
    const { stacks } = synthesizeDocument(doc());
    const byName = Object.fromEntries(stacks.map((s) => [s.node.id, s]));
    for (const stack of stacks) {
      const deps = stack.dependencies.map((d) => d.node.id);
      if (stack instanceof AuditStack) {
        expect(deps).toEqual([]);
      } else {
        expect(stack).toBeInstanceOf(WorkloadStack);
        const account = stack.node.id.split("-")[0];
        expect(deps).toEqual([`${account}-audit`]);
        expect(stack.dependencies[0]).toBe(byName[`${account}-audit`]);
      }
    }
  });

  test("the manifest records the same dependencies (cdktf deploy orders stacks by them)", () => {
    const { app } = synthesizeDocument(doc());
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, "manifest.json"), "utf8"));
    expect(Object.fromEntries(Object.entries(manifest.stacks as Record<string, Json>).map(([name, s]) => [name, s.dependencies]))).toEqual({
      "staging-audit": [],
      "staging-eu-west-1": ["staging-audit"],
      "staging-us-east-1": ["staging-audit"],
      "production-audit": [],
      "production-eu-west-1": ["production-audit"],
      "production-us-east-1": ["production-audit"],
    });
  });

  test("the dependency carries no cross-stack reference: no remote state, no outputs added for other stacks", () => {
    const { json } = synthesizeDocument(doc());
    for (const [name, stack] of Object.entries(json)) {
      expect(stack).not.toHaveProperty("data");
      expect(JSON.stringify(stack)).not.toContain("terraform_remote_state");
      if (name.endsWith("-audit")) expect(Object.keys(stack.output).sort()).toEqual(["alarm_topic_arn", "audit_key_arn", "log_bucket", "log_group", "trail_arn"]);
    }
  });
});
