import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { AuditTrail, AuditTrailProps, CIS_KMS_KEY_DISABLE_OR_DELETION_PATTERN, CIS_TRAIL_CONFIGURATION_CHANGE_PATTERN, trailNameProblem } from "../../modules/audit-trail";
import { CIS_MONITORING_CONTROLS } from "../../modules/cis-monitoring-controls";
import { keyChangePattern } from "../../modules/key-use-alarms";
import { fullSynthStackDir, Json, newStack as newStackIn, PolicyJson, synthJson, statementBySid as statement } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "audit-trail-test-"));
const extraDirs: string[] = [];
afterAll(() => {
  for (const dir of [OUTDIR, ...extraDirs]) fs.rmSync(dir, { recursive: true, force: true });
});

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const TRAIL = "org-audit";
const BUCKET = "acme-audit-logs-111111111111";
const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL}`;
const LOG_GROUP = `/aws/cloudtrail/${TRAIL}`;
const READER = `arn:aws:iam::${ACCOUNT}:role/security-auditor`;
const READER_2 = `arn:aws:iam::222222222222:user/auditor`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/audit-break-glass`;
const TERRAFORM_TIMEOUT = 180_000;

/**
 * Security Hub CloudWatch.5 and CloudWatch.7, written out here (from
 * https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html)
 * rather than taken from the module: Security Hub compares patterns exactly.
 */
const CLOUDWATCH_5_PATTERN = "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}";
const CLOUDWATCH_7_PATTERN = "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}";

function newStack(region = REGION): TerraformStack {
  return newStackIn(OUTDIR, region);
}

function baseProps(overrides: Partial<AuditTrailProps> = {}): AuditTrailProps {
  return { accountId: ACCOUNT, region: REGION, trailName: TRAIL, bucketName: BUCKET, keyAliases: ["audit"], ...overrides };
}

/** The synthesized stack, with the one resource of each type the trail creates and the references to them. */
function synthesize(stack: TerraformStack) {
  const json = synthJson(stack);
  const resources = json.resource;
  // The access-log bucket (its own describe block below) repeats the bucket's resource types.
  const only = (type: string): { id: string; body: Json } => {
    const entries = Object.entries(resources[type] ?? {}).filter(([id]) => !id.startsWith("audit_access-logs_") && !id.startsWith("audit_log-files_"));
    expect(entries).toHaveLength(1);
    return { id: entries[0][0], body: entries[0][1] };
  };
  const key = only("aws_kms_key");
  const bucket = only("aws_s3_bucket");
  const bucketPolicy = only("aws_s3_bucket_policy");
  const logGroup = only("aws_cloudwatch_log_group");
  const role = only("aws_iam_role");
  const rolePolicy = only("aws_iam_role_policy");
  const trail = only("aws_cloudtrail");
  const topic = only("aws_sns_topic");
  /** The resources of a type by the value of one attribute (filter name, alarm name), which must be unique. */
  const byName = (type: string, attribute: string): Record<string, { id: string; body: Json }> => {
    const entries = Object.entries(resources[type] ?? {}).map(([id, body]) => [body[attribute] as string, { id, body }] as const);
    const named = Object.fromEntries(entries);
    expect(Object.keys(named)).toHaveLength(entries.length);
    return named;
  };
  return {
    json,
    resources,
    key,
    keyPolicy: JSON.parse(key.body.policy as string) as PolicyJson,
    keyArnRef: `\${aws_kms_key.${key.id}.arn}`,
    bucket,
    bucketPolicy,
    bucketPolicyJson: JSON.parse(bucketPolicy.body.policy as string) as PolicyJson,
    logGroup,
    role,
    trustPolicy: JSON.parse(role.body.assume_role_policy as string) as PolicyJson,
    rolePolicy,
    rolePolicyJson: JSON.parse(rolePolicy.body.policy as string) as PolicyJson,
    trail,
    topic,
    topicArnRef: `\${aws_sns_topic.${topic.id}.arn}`,
    filters: byName("aws_cloudwatch_log_metric_filter", "name"),
    alarms: byName("aws_cloudwatch_metric_alarm", "alarm_name"),
  };
}

function build(overrides: Partial<AuditTrailProps> = {}) {
  const stack = newStack();
  const construct = new AuditTrail(stack, "audit", baseProps(overrides));
  return { stack, construct, ...synthesize(stack) };
}

// ---------------------------------------------------------------------------

describe("aws_cloudtrail", () => {
  test("is multi-region, records global service events and all management events, validates log files, logs", () => {
    const { trail, keyArnRef, bucket, logGroup, role, bucketPolicy, rolePolicy, resources } = build();
    const logFilesTopicId = Object.keys(resources.aws_sns_topic).find((id) => id.startsWith("audit_log-files_"));
    const logFilesPolicyId = Object.keys(resources.aws_sns_topic_policy).find((id) => id.startsWith("audit_log-files_"));
    expect(trail.body).toEqual({
      name: TRAIL,
      is_multi_region_trail: true,
      include_global_service_events: true,
      enable_log_file_validation: true,
      enable_logging: true,
      // Decrypt is a read event: only "All" keeps it together with DisableKey/ScheduleKeyDeletion.
      event_selector: [{ read_write_type: "All", include_management_events: true }],
      kms_key_id: keyArnRef,
      s3_bucket_name: `\${aws_s3_bucket.${bucket.id}.bucket}`,
      // The provider's log group ARN has no ":*"; CloudTrail needs it.
      cloud_watch_logs_group_arn: `\${aws_cloudwatch_log_group.${logGroup.id}.arn}:*`,
      cloud_watch_logs_role_arn: `\${aws_iam_role.${role.id}.arn}`,
      sns_topic_name: `\${aws_sns_topic.${logFilesTopicId}.name}`,
      depends_on: [`aws_s3_bucket_policy.${bucketPolicy.id}`, `aws_iam_role_policy.${rolePolicy.id}`, `aws_sns_topic_policy.${logFilesPolicyId}`],
    });
  });

  test("depends on the bucket policy and on the delivery role's policy (CloudTrail checks both at CreateTrail)", () => {
    const { trail, bucketPolicy, rolePolicy } = build();
    const dependsOn = trail.body.depends_on as string[];
    expect(dependsOn).toContain(`aws_s3_bucket_policy.${bucketPolicy.id}`);
    expect(dependsOn).toContain(`aws_iam_role_policy.${rolePolicy.id}`);
  });

  test("has no exclude list by default, and excludes rdsdata.amazonaws.com when asked", () => {
    expect((build().trail.body.event_selector as Json[])[0]).not.toHaveProperty("exclude_management_event_sources");
    expect((build({ excludeManagementEventSources: [] }).trail.body.event_selector as Json[])[0]).not.toHaveProperty("exclude_management_event_sources");
    const { trail } = build({ excludeManagementEventSources: ["rdsdata.amazonaws.com"] });
    expect(trail.body.event_selector).toEqual([{ read_write_type: "All", include_management_events: true, exclude_management_event_sources: ["rdsdata.amazonaws.com"] }]);
  });

  test("carries tags on the trail, the key, the bucket, the log group, the role and the topic", () => {
    const tags = { team: "platform" };
    const { trail, key, bucket, logGroup, role, topic } = build({ tags });
    for (const resource of [trail, key, bucket, logGroup, role, topic]) expect(resource.body.tags).toEqual(tags);
  });

  test("trailArn and logGroupName are literal strings; resource is the escape hatch", () => {
    const { construct } = build();
    expect(construct.trailArn).toBe(TRAIL_ARN);
    expect(construct.logGroupName).toBe(LOG_GROUP);
    expect(construct.resource.terraformResourceType).toBe("aws_cloudtrail");
  });

  test("the trail ARN in every condition is the literal arn:aws:cloudtrail:<region>:<account>:trail/<name>, never a reference to the trail", () => {
    const { keyPolicy, bucketPolicyJson, key, bucketPolicy } = build({ readerArns: [READER] });
    for (const text of [key.body.policy as string, bucketPolicy.body.policy as string]) {
      expect(text).not.toContain("aws_cloudtrail");
      expect(text).not.toContain("${");
    }
    const sourceArns = [...keyPolicy.Statement, ...bucketPolicyJson.Statement].map((s) => s.Condition?.StringEquals?.["aws:SourceArn"]).filter((v) => v !== undefined);
    // CloudTrailEncryptsLogFiles, CloudTrailDescribesKey, CloudTrailDecryptsWithBucketKey, AclCheck, Write.
    expect(sourceArns).toEqual([TRAIL_ARN, TRAIL_ARN, TRAIL_ARN, TRAIL_ARN, TRAIL_ARN]);
  });

  test("builds the trail ARN in the region's partition (GovCloud)", () => {
    const stack = newStack("us-gov-west-1");
    const construct = new AuditTrail(stack, "audit", baseProps({ region: "us-gov-west-1" }));
    const { keyPolicy, bucketPolicyJson, rolePolicyJson } = synthesize(stack);
    const govTrailArn = `arn:aws-us-gov:cloudtrail:us-gov-west-1:${ACCOUNT}:trail/${TRAIL}`;
    expect(construct.trailArn).toBe(govTrailArn);
    expect(statement(keyPolicy, "CloudTrailEncryptsLogFiles").Condition).toEqual({
      StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws-us-gov:cloudtrail:*:${ACCOUNT}:trail/*` },
      StringEquals: { "aws:SourceArn": govTrailArn },
    });
    expect(statement(bucketPolicyJson, "AWSCloudTrailAclCheck20150319").Condition).toEqual({ StringEquals: { "aws:SourceArn": govTrailArn } });
    expect(rolePolicyJson.Statement[0].Resource).toEqual([`arn:aws-us-gov:logs:us-gov-west-1:${ACCOUNT}:log-group:${LOG_GROUP}:log-stream:${ACCOUNT}_CloudTrail_*`]);
  });
});

describe("audit key", () => {
  test("is a dedicated key with its own alias, rotation on, prevent_destroy on", () => {
    const { key, resources } = build({ keyAliases: ["org-audit", "alias/security/audit"] });
    expect(key.body).toEqual({
      description: `Audit key of trail ${TRAIL}: CloudTrail log files, its log group and alarm topic`,
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      key_usage: "ENCRYPT_DECRYPT",
      is_enabled: true,
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
      bypass_policy_lockout_safety_check: false,
      multi_region: false,
      policy: key.body.policy,
      lifecycle: { prevent_destroy: true },
    });
    const aliases = Object.values(resources.aws_kms_alias).map((a) => a.name);
    expect(aliases.sort()).toEqual(["alias/org-audit", "alias/security/audit"]);
    for (const alias of Object.values(resources.aws_kms_alias)) expect(alias.target_key_id).toBe(`\${aws_kms_key.${key.id}.key_id}`);
  });

  test("keyRotationPeriodDays and keyDeletionWindowDays reach the audit key", () => {
    const { key } = build({ keyRotationPeriodDays: 180, keyDeletionWindowDays: 7 });
    expect(key.body).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 180, deletion_window_in_days: 7 });
  });

  test.each([
    [{ keyRotationPeriodDays: 89 }, 'encryption key "key": rotationPeriodDays 89 is out of range; use a whole number from 90 to 2560'],
    [{ keyDeletionWindowDays: 31 }, 'encryption key "key": deletionWindowDays 31 is out of range; use a whole number from 7 to 30'],
  ])("the audit key refuses %p", (overrides, message) => {
    expect(() => new AuditTrail(newStack(), "audit", baseProps(overrides))).toThrow(message);
  });

  test("the policy holds exactly these statements, in this order, without readers", () => {
    const { keyPolicy } = build();
    expect(keyPolicy.Version).toBe("2012-10-17");
    expect(keyPolicy.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Sid)).toEqual([
      "EnableIamPoliciesForAccount",
      "CloudTrailEncryptsLogFiles",
      "CloudTrailDescribesKey",
      "CloudTrailDecryptsWithBucketKey",
      "CloudWatchLogsEncryptsLogGroups",
      "CloudTrailPublishesToLogDeliveryTopic",
      "CloudWatchAlarmsPublishToEncryptedTopics",
    ]);
  });

  test("with readers and administrators, the policy adds KeyAdministration and ReadersDecryptLogFiles", () => {
    const { keyPolicy } = build({ readerArns: [READER, READER_2], keyAdministratorArns: [ADMIN] });
    expect(keyPolicy.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Sid)).toEqual([
      "EnableIamPoliciesForAccount",
      "KeyAdministration",
      "CloudTrailEncryptsLogFiles",
      "CloudTrailDescribesKey",
      "CloudTrailDecryptsWithBucketKey",
      "ReadersDecryptLogFiles",
      "CloudWatchLogsEncryptsLogGroups",
      "CloudTrailPublishesToLogDeliveryTopic",
      "CloudWatchAlarmsPublishToEncryptedTopics",
    ]);
    expect(statement(keyPolicy, "KeyAdministration").Principal).toEqual({ AWS: [ADMIN] });
    // Administrators get no cryptographic action through the audit key.
    expect(statement(keyPolicy, "KeyAdministration").Action).not.toContain("kms:Decrypt");
  });

  test("the account statement keeps the key manageable", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "EnableIamPoliciesForAccount")).toEqual({
      Sid: "EnableIamPoliciesForAccount",
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] },
      Action: ["kms:*"],
      Resource: ["*"],
    });
  });

  test("CloudTrail may generate data keys only with its encryption context and only for this trail", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudTrailEncryptsLogFiles")).toEqual({
      Sid: "CloudTrailEncryptsLogFiles",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: {
        StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` },
        StringEquals: { "aws:SourceArn": TRAIL_ARN },
      },
    });
  });

  test("CloudTrail may describe the key, for this trail only", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudTrailDescribesKey")).toEqual({
      Sid: "CloudTrailDescribesKey",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["kms:DescribeKey"],
      Resource: ["*"],
      Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
    });
  });

  test("CloudTrail may decrypt (S3 Bucket Keys), for this trail only", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudTrailDecryptsWithBucketKey")).toEqual({
      Sid: "CloudTrailDecryptsWithBucketKey",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["kms:Decrypt"],
      Resource: ["*"],
      Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
    });
  });

  test("readers may decrypt only through S3, i.e. by reading the log files", () => {
    const { keyPolicy } = build({ readerArns: [READER, READER_2, READER] });
    expect(statement(keyPolicy, "ReadersDecryptLogFiles")).toEqual({
      Sid: "ReadersDecryptLogFiles",
      Effect: "Allow",
      Principal: { AWS: [READER, READER_2] },
      Action: ["kms:Decrypt"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
  });

  test("no reader statement without readers (an empty list included)", () => {
    for (const readerArns of [undefined, []]) {
      const { keyPolicy } = build({ readerArns });
      expect(keyPolicy.Statement.map((s) => s.Sid)).not.toContain("ReadersDecryptLogFiles");
    }
  });

  test("CloudWatch Logs of the region may use the key for exactly the trail's log group", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudWatchLogsEncryptsLogGroups")).toEqual({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: [`logs.${REGION}.amazonaws.com`] },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: ["*"],
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}`] } },
    });
  });

  test("CloudWatch alarms may publish to the encrypted alarm topic, and only to it (SNS's encryption context names the topic)", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudWatchAlarmsPublishToEncryptedTopics")).toEqual({
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": `arn:aws:sns:${REGION}:${ACCOUNT}:${TRAIL}-alarms` } },
    });
  });

  test("no statement names a wildcard principal", () => {
    const { keyPolicy } = build({ readerArns: [READER] });
    for (const s of keyPolicy.Statement.filter((x) => x.Effect === "Allow")) expect(JSON.stringify(s.Principal)).not.toContain("*");
  });
});

describe("log bucket", () => {
  test("is the hardened TrailLogBucket, encrypted with the audit key, prevent_destroy on, logging into the access-log bucket", () => {
    const { bucket, resources, keyArnRef } = build();
    expect(bucket.body).toEqual({ bucket: BUCKET, force_destroy: false, lifecycle: { prevent_destroy: true } });
    const bucketRef = `\${aws_s3_bucket.${bucket.id}.id}`;
    const forBucket = (type: string) => Object.values(resources[type]).filter((r) => r.bucket === bucketRef);
    expect(forBucket("aws_s3_bucket_public_access_block")).toEqual([
      { bucket: bucketRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
    ]);
    expect(forBucket("aws_s3_bucket_ownership_controls")).toEqual([{ bucket: bucketRef, rule: { object_ownership: "BucketOwnerEnforced" } }]);
    expect(forBucket("aws_s3_bucket_versioning")).toEqual([{ bucket: bucketRef, versioning_configuration: { status: "Enabled" } }]);
    expect(forBucket("aws_s3_bucket_server_side_encryption_configuration")).toEqual([
      { bucket: bucketRef, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: keyArnRef }, bucket_key_enabled: true }] },
    ]);
    expect(resources.aws_s3_bucket_object_lock_configuration).toBeUndefined();
    const [[, logging]] = Object.entries(resources.aws_s3_bucket_logging);
    const accessPolicyId = Object.keys(resources.aws_s3_bucket_policy).find((id) => id.startsWith("audit_access-logs_"));
    const accessBucketId = Object.keys(resources.aws_s3_bucket).find((id) => id.startsWith("audit_access-logs_"));
    // The target by reference: the same name, and the logging resource is linked to the bucket it writes into.
    expect(resources.aws_s3_bucket[accessBucketId!].bucket).toBe(`${BUCKET}-access`);
    expect(logging).toEqual({
      bucket: bucketRef,
      target_bucket: `\${aws_s3_bucket.${accessBucketId}.bucket}`,
      target_prefix: `${BUCKET}/`,
      depends_on: [`aws_s3_bucket_policy.${accessPolicyId}`],
    });
  });

  test("bucketRetentionDays and accessLogBucketName reach the bucket", () => {
    const { resources, bucket } = build({ bucketRetentionDays: 2557, accessLogBucketName: "acme-access-logs" });
    const [lifecycle] = Object.values(resources.aws_s3_bucket_lifecycle_configuration);
    const [rule] = lifecycle.rule as Json[];
    expect(rule.expiration).toEqual([{ days: 2557 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 2557 }]);
    expect(Object.values(resources.aws_s3_bucket_logging)).toEqual([
      { bucket: `\${aws_s3_bucket.${bucket.id}.id}`, target_bucket: "acme-access-logs", target_prefix: `${BUCKET}/` },
    ]);
    // An existing bucket receives the logs: none is created.
    expect(Object.keys(resources.aws_s3_bucket)).toEqual([bucket.id]);
  });

  test("creates the access-log bucket <bucketName>-access: hardened, SSE-S3, and only the S3 logging service of this account may write, only the trail bucket's logs", () => {
    const { resources, construct } = build({ bucketRetentionDays: 730 });
    const accessBucket = construct.accessLogBucket!;
    const id = accessBucket.resource.friendlyUniqueId;
    const ref = `\${aws_s3_bucket.${id}.id}`;
    expect(resources.aws_s3_bucket[id]).toEqual({ bucket: `${BUCKET}-access`, force_destroy: false, lifecycle: { prevent_destroy: true } });
    const forBucket = (type: string) => Object.values(resources[type]).filter((r) => r.bucket === ref);
    expect(forBucket("aws_s3_bucket_public_access_block")).toEqual([
      { bucket: ref, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
    ]);
    expect(forBucket("aws_s3_bucket_ownership_controls")).toEqual([{ bucket: ref, rule: { object_ownership: "BucketOwnerEnforced" } }]);
    expect(forBucket("aws_s3_bucket_versioning")).toEqual([{ bucket: ref, versioning_configuration: { status: "Enabled" } }]);
    expect(forBucket("aws_s3_bucket_server_side_encryption_configuration")).toEqual([
      { bucket: ref, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] },
    ]);
    const [lifecycle] = forBucket("aws_s3_bucket_lifecycle_configuration");
    expect((lifecycle.rule as Json[])[0]).toMatchObject({ status: "Enabled", expiration: [{ days: 730 }], noncurrent_version_expiration: [{ noncurrent_days: 730 }] });
    // It does not log into itself.
    expect(Object.values(resources.aws_s3_bucket_logging).filter((l) => l.bucket === ref)).toEqual([]);
    const [policy] = forBucket("aws_s3_bucket_policy");
    const document = JSON.parse(policy.policy as string) as PolicyJson;
    const accessArn = `arn:aws:s3:::${BUCKET}-access`;
    expect(document.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: ["*"] },
        Action: ["s3:*"],
        Resource: [accessArn, `${accessArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "S3ServerAccessLogsPolicy",
        Effect: "Allow",
        Principal: { Service: ["logging.s3.amazonaws.com"] },
        Action: ["s3:PutObject"],
        Resource: [`${accessArn}/${BUCKET}/*`],
        Condition: { ArnLike: { "aws:SourceArn": [`arn:aws:s3:::${BUCKET}`] }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
  });

  test("accessLogging: false creates no access-log bucket and no logging (explicit opt-out)", () => {
    const { resources, construct, bucket } = build({ accessLogging: false });
    expect(construct.accessLogBucket).toBeUndefined();
    expect(resources.aws_s3_bucket_logging).toBeUndefined();
    expect(Object.keys(resources.aws_s3_bucket)).toEqual([bucket.id]);
  });

  test("the bucket policy refuses deleting log files to everyone but the break-glass roles, and changing its protections to all but them and the deployers", () => {
    const { bucketPolicyJson } = build({ deployerArns: [DEPLOYER], breakGlassRoleArns: [BREAK_GLASS] });
    const bucketArn = `arn:aws:s3:::${BUCKET}`;
    expect(statement(bucketPolicyJson, "DenyDeletingLogFiles")).toEqual({
      Sid: "DenyDeletingLogFiles",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: [`${bucketArn}/*`],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [BREAK_GLASS] } },
    });
    expect(statement(bucketPolicyJson, "DenyChangingLogProtection")).toEqual({
      Sid: "DenyChangingLogProtection",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: [
        "s3:DeleteBucketPolicy",
        "s3:PutBucketLogging",
        // The EventBridge notifications report deleted log files: turning them off is a change of protection too.
        "s3:PutBucketNotification",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketPolicy",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
        // Removing or redirecting the replication (audit.replication) would stop the copy of the log files.
        "s3:PutReplicationConfiguration",
      ],
      Resource: [bucketArn],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [DEPLOYER, BREAK_GLASS] } },
    });
  });

  test("without deployers or break-glass roles nobody may delete log files, and the protection Deny is left out (it would lock out whoever runs Terraform)", () => {
    const { bucketPolicyJson } = build();
    expect(statement(bucketPolicyJson, "DenyDeletingLogFiles").Condition).toBeUndefined();
    expect(bucketPolicyJson.Statement.map((s) => s.Sid)).not.toContain("DenyChangingLogProtection");
  });

  test("objectLock turns Object Lock on at creation with the default retention", () => {
    const { resources, bucket } = build({ objectLock: { mode: "COMPLIANCE", retentionDays: 365 } });
    expect(bucket.body).toMatchObject({ object_lock_enabled: true });
    const [lock] = Object.values(resources.aws_s3_bucket_object_lock_configuration);
    expect(lock).toMatchObject({ bucket: `\${aws_s3_bucket.${bucket.id}.id}`, rule: { default_retention: { mode: "COMPLIANCE", days: 365 } } });
  });

  test("both CloudTrail statements of the bucket policy are conditioned on the same trail ARN string", () => {
    const { bucketPolicyJson } = build();
    const bucketArn = `arn:aws:s3:::${BUCKET}`;
    expect(bucketPolicyJson.Statement.map((s) => s.Sid)).toEqual(["DenyInsecureTransport", "AWSCloudTrailAclCheck20150319", "AWSCloudTrailWrite20150319", "DenyDeletingLogFiles"]);
    expect(statement(bucketPolicyJson, "AWSCloudTrailAclCheck20150319")).toEqual({
      Sid: "AWSCloudTrailAclCheck20150319",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["s3:GetBucketAcl"],
      Resource: [bucketArn],
      Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
    });
    expect(statement(bucketPolicyJson, "AWSCloudTrailWrite20150319")).toEqual({
      Sid: "AWSCloudTrailWrite20150319",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["s3:PutObject"],
      Resource: [`${bucketArn}/AWSLogs/${ACCOUNT}/*`],
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN } },
    });
  });
});

describe("log delivery topic", () => {
  const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${TRAIL}-log-files`;
  const logFilesTopic = (resources: Json) => Object.entries(resources.aws_sns_topic ?? {}).find(([id]) => id.startsWith("audit_log-files_"));

  test("is <trailName>-log-files, encrypted with the audit key, without subscribers", () => {
    const { resources, keyArnRef } = build();
    const [id, topic] = logFilesTopic(resources)!;
    expect(topic).toEqual({ name: `${TRAIL}-log-files`, kms_master_key_id: keyArnRef });
    expect(Object.values(resources.aws_sns_topic_subscription ?? {}).filter((s) => (s as Json).topic_arn === `\${aws_sns_topic.${id}.arn}`)).toEqual([]);
  });

  test("only this trail may publish (aws:SourceArn), and never without TLS", () => {
    const { resources } = build();
    const [id] = logFilesTopic(resources)!;
    const [policy] = Object.values(resources.aws_sns_topic_policy).filter((p) => (p as Json).arn === `\${aws_sns_topic.${id}.arn}`) as Json[];
    expect(JSON.parse(policy.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudTrailPublishes",
          Effect: "Allow",
          Principal: { Service: ["cloudtrail.amazonaws.com"] },
          Action: ["sns:Publish"],
          Resource: [TOPIC_ARN],
          Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: { AWS: ["*"] },
          Action: ["sns:Publish"],
          Resource: [TOPIC_ARN],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });

  test("CloudTrail may use the audit key for this topic only (SNS's encryption context names the topic)", () => {
    const { keyPolicy } = build();
    expect(statement(keyPolicy, "CloudTrailPublishesToLogDeliveryTopic")).toEqual({
      Sid: "CloudTrailPublishesToLogDeliveryTopic",
      Effect: "Allow",
      Principal: { Service: ["cloudtrail.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN } },
    });
  });

  test("logFileNotifications: false leaves out the topic, its key statement and sns_topic_name (explicit opt-out)", () => {
    const { resources, trail, keyPolicy } = build({ logFileNotifications: false });
    expect(logFilesTopic(resources)).toBeUndefined();
    expect(trail.body).not.toHaveProperty("sns_topic_name");
    expect(keyPolicy.Statement.map((s) => s.Sid)).not.toContain("CloudTrailPublishesToLogDeliveryTopic");
  });
});

describe("bucket event notifications", () => {
  test("the log bucket and the access-log bucket send their events to EventBridge", () => {
    const { resources } = build();
    const bucketIds = Object.keys(resources.aws_s3_bucket);
    expect(Object.values(resources.aws_s3_bucket_notification).sort((a, b) => String((a as Json).bucket).localeCompare(String((b as Json).bucket)))).toEqual(
      bucketIds.map((id) => ({ bucket: `\${aws_s3_bucket.${id}.id}`, eventbridge: true })).sort((a, b) => a.bucket.localeCompare(b.bucket)),
    );
  });

  test("bucketEventNotifications: false sends nothing (explicit opt-out)", () => {
    expect(build({ bucketEventNotifications: false }).resources.aws_s3_bucket_notification).toBeUndefined();
  });
});

describe("prevent_destroy", () => {
  test("is on for the key and the bucket by default", () => {
    const { key, bucket } = build();
    expect(key.body.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.body.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("is off for both when opted out", () => {
    const { key, bucket } = build({ preventDestroy: false });
    expect(key.body.lifecycle).toEqual({ prevent_destroy: false });
    expect(bucket.body.lifecycle).toEqual({ prevent_destroy: false });
  });
});

describe("CloudWatch Logs delivery", () => {
  test("the log group is /aws/cloudtrail/<name>, encrypted with the audit key, kept 365 days by default", () => {
    const { logGroup, keyArnRef } = build();
    expect(logGroup.body).toEqual({ name: LOG_GROUP, kms_key_id: keyArnRef, retention_in_days: 365 });
  });

  test.each([
    [{ logRetentionDays: 3653 }, 3653],
    [{ logRetentionDays: 0 }, 0],
    [{ logRetentionDays: 30, allowShortLogRetention: true }, 30],
  ])("retention follows %p", (overrides, days) => {
    const { logGroup } = build(overrides);
    expect(logGroup.body.retention_in_days).toBe(days);
  });

  test("the delivery role trusts exactly cloudtrail.amazonaws.com, for this trail only, to assume it, with no Resource", () => {
    const { role, trustPolicy } = build();
    expect(role.body).toEqual({
      name: `${TRAIL}-to-cloudwatch`,
      description: `CloudTrail delivers trail ${TRAIL} to CloudWatch Logs`,
      assume_role_policy: role.body.assume_role_policy,
    });
    expect(trustPolicy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudTrailAssumesRole",
          Effect: "Allow",
          Principal: { Service: ["cloudtrail.amazonaws.com"] },
          Action: ["sts:AssumeRole"],
          // Only for this trail (confused-deputy protection).
          Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
        },
      ],
    });
  });

  test("the delivery role may only create streams and put events in the trail's streams", () => {
    const { rolePolicy, rolePolicyJson, role } = build();
    expect(rolePolicy.body).toEqual({ name: "write-trail-log-streams", role: `\${aws_iam_role.${role.id}.id}`, policy: rolePolicy.body.policy });
    expect(rolePolicyJson).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteTrailLogStreams",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}:log-stream:${ACCOUNT}_CloudTrail_*`],
        },
      ],
    });
  });

  test("a 50-character trail name gives a 64-character role name", () => {
    const trailName = `a${"b".repeat(48)}c`;
    const { role } = build({ trailName });
    expect(role.body.name).toBe(`${trailName}-to-cloudwatch`);
    expect((role.body.name as string).length).toBe(64);
  });
});

describe("alarms and alarm topic", () => {
  const CIS_4_7 = `${TRAIL}-cmk-disable-or-deletion`;
  const CIS_4_5 = `${TRAIL}-cloudtrail-changes`;
  const AUDIT_KEY_CHANGE = `${TRAIL}-audit-key-change`;
  const CIS_NAMES = CIS_MONITORING_CONTROLS.map((control) => `${TRAIL}-${control.id}`);

  /** The shape every LogMetricAlarm alarm shares: fires on the first event in 5 minutes, notifies the topic. */
  function alarmBody(name: string, metricName: string, description: unknown, topicArnRef: string): Json {
    return {
      alarm_name: name,
      alarm_description: description,
      namespace: "LambdaKmsAudit",
      metric_name: metricName,
      statistic: "Sum",
      period: 300,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
      actions_enabled: true,
      alarm_actions: [topicArnRef],
    };
  }

  test("fifteen filters and alarms: the fourteen CIS controls and the audit key's changes, all on the trail's log group, all notifying the topic", () => {
    const { filters, alarms, logGroup, topicArnRef } = build();
    expect(CIS_NAMES).toHaveLength(14);
    expect(Object.keys(filters).sort()).toEqual([AUDIT_KEY_CHANGE, ...CIS_NAMES].sort());
    expect(Object.keys(alarms).sort()).toEqual([AUDIT_KEY_CHANGE, ...CIS_NAMES].sort());
    for (const filter of Object.values(filters)) expect(filter.body.log_group_name).toBe(`\${aws_cloudwatch_log_group.${logGroup.id}.name}`);
    for (const alarm of Object.values(alarms)) expect(alarm.body.alarm_actions).toEqual([topicArnRef]);
    for (const alarm of Object.values(alarms)) expect(String(alarm.body.alarm_description).length).toBeLessThanOrEqual(1024);
  });

  test("each CIS filter carries its control's pattern and metric, and its alarm names the control", () => {
    const { filters, alarms, topicArnRef, construct } = build();
    for (const control of CIS_MONITORING_CONTROLS) {
      const name = `${TRAIL}-${control.id}`;
      expect(filters[name].body).toMatchObject({ pattern: control.pattern, metric_transformation: { name: control.metricName, namespace: "LambdaKmsAudit", value: "1" } });
      expect(alarms[name].body).toEqual(alarmBody(name, control.metricName, `${control.cis} / Security Hub ${control.control}: ${control.description}`, topicArnRef));
      expect(construct.cisAlarms[control.control].filter.friendlyUniqueId).toBe(filters[name].id);
    }
  });

  test("cisAlarms: false keeps only CloudWatch.5 and CloudWatch.7 (and the audit key's), under their original construct IDs", () => {
    const { filters, construct, resources } = build({ cisAlarms: false });
    expect(Object.keys(filters).sort()).toEqual([AUDIT_KEY_CHANGE, CIS_4_7, CIS_4_5].sort());
    expect(Object.keys(construct.cisAlarms).sort()).toEqual(["CloudWatch.5", "CloudWatch.7"]);
    expect(Object.keys(resources.aws_cloudwatch_log_metric_filter).sort()).toEqual([filters[CIS_4_7].id, filters[CIS_4_5].id, filters[AUDIT_KEY_CHANGE].id].sort());
    expect(filters[CIS_4_7].id).toMatch(/^audit_cis-4-7_filter_/);
    expect(filters[CIS_4_5].id).toMatch(/^audit_cis-4-5_filter_/);
  });

  test("the CIS 4.7 / CloudWatch.7 filter has Security Hub's exact pattern; keyDeletionAlarm is it", () => {
    const { filters, alarms, logGroup, construct } = build();
    expect(filters[CIS_4_7].body).toEqual({
      name: CIS_4_7,
      log_group_name: `\${aws_cloudwatch_log_group.${logGroup.id}.name}`,
      pattern: CLOUDWATCH_7_PATTERN,
      metric_transformation: { name: "DisableOrDeleteCMK", namespace: "LambdaKmsAudit", value: "1" },
    });
    expect(CIS_KMS_KEY_DISABLE_OR_DELETION_PATTERN).toBe(CLOUDWATCH_7_PATTERN);
    expect(construct.keyDeletionAlarm.alarm.terraformResourceType).toBe("aws_cloudwatch_metric_alarm");
    expect(construct.keyDeletionAlarm.filter.friendlyUniqueId).toBe(filters[CIS_4_7].id);
    expect(construct.keyDeletionAlarm.alarm.friendlyUniqueId).toBe(alarms[CIS_4_7].id);
  });

  test("the CIS 4.5 / CloudWatch.5 filter has Security Hub's exact pattern (trail created, updated, deleted, started or stopped); trailChangeAlarm is it", () => {
    const { filters, alarms, construct } = build();
    expect(filters[CIS_4_5].body.pattern).toBe(CLOUDWATCH_5_PATTERN);
    expect(CIS_TRAIL_CONFIGURATION_CHANGE_PATTERN).toBe(CLOUDWATCH_5_PATTERN);
    expect(construct.trailChangeAlarm.filter.friendlyUniqueId).toBe(filters[CIS_4_5].id);
    expect(construct.trailChangeAlarm.alarm.friendlyUniqueId).toBe(alarms[CIS_4_5].id);
  });

  test("the audit-key-change filter watches the audit key and its aliases in the home region; auditKeyChangeAlarm is it", () => {
    const { filters, alarms, logGroup, keyArnRef, topicArnRef, construct } = build();
    expect(filters[AUDIT_KEY_CHANGE].body).toEqual({
      name: AUDIT_KEY_CHANGE,
      log_group_name: `\${aws_cloudwatch_log_group.${logGroup.id}.name}`,
      pattern: keyChangePattern(keyArnRef, REGION, construct.key.aliasNames),
      metric_transformation: { name: "AuditKeyChange", namespace: "LambdaKmsAudit", value: "1" },
    });
    expect(filters[AUDIT_KEY_CHANGE].body.pattern).toContain(`($.resources[0].ARN = "${keyArnRef}")`);
    expect(filters[AUDIT_KEY_CHANGE].body.pattern).toContain(`($.awsRegion = "${REGION}")`);
    for (const alias of construct.key.aliasNames) expect(filters[AUDIT_KEY_CHANGE].body.pattern).toContain(`($.requestParameters.aliasName = "${alias}")`);
    expect(alarms[AUDIT_KEY_CHANGE].body).toEqual(alarmBody(AUDIT_KEY_CHANGE, "AuditKeyChange", expect.stringContaining("The audit key or its aliases changed"), topicArnRef));
    expect(construct.auditKeyChangeAlarm.filter.friendlyUniqueId).toBe(filters[AUDIT_KEY_CHANGE].id);
  });

  test("the alarm names follow the trail name", () => {
    const trailName = "other-trail";
    const { filters, alarms } = build({ trailName });
    const expected = [`${trailName}-audit-key-change`, ...CIS_MONITORING_CONTROLS.map((control) => `${trailName}-${control.id}`)].sort();
    expect(Object.keys(filters).sort()).toEqual(expected);
    expect(Object.keys(alarms).sort()).toEqual(expected);
  });

  test("the alarm topic is <name>-alarms, encrypted with the audit key, with one email subscription per address", () => {
    const { topic, keyArnRef, topicArnRef, resources, construct } = build({ alarmEmails: ["sec@example.com", "ops@example.com", "sec@example.com"] });
    expect(topic.body).toEqual({ name: `${TRAIL}-alarms`, kms_master_key_id: keyArnRef });
    expect(construct.alarmTopic.topicArn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:${TRAIL}-alarms`);
    const subscriptions = Object.values(resources.aws_sns_topic_subscription).map((s) => [s.protocol, s.endpoint, s.topic_arn]);
    expect(subscriptions.sort()).toEqual([
      ["email", "ops@example.com", topicArnRef],
      ["email", "sec@example.com", topicArnRef],
    ]);
  });

  test("no subscriptions without emails", () => {
    const { resources } = build();
    expect(resources.aws_sns_topic_subscription).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------

describe("trailNameProblem", () => {
  test.each(["abc", TRAIL, "Org_Audit-1", "a1b", "t".repeat(50)])("accepts %p", (name) => {
    expect(trailNameProblem(name)).toBeUndefined();
  });

  // "." and names of 51–128 characters are valid for CloudTrail, but not for the topic and role named after the trail.
  test.each(["ab", "-audit", "audit-", "bad name", "t".repeat(51), "a__b", "a_-b", "org.audit", "192.168.1.1"])("refuses %p", (name) => {
    expect(trailNameProblem(name)).toBe(
      `"${name}" is invalid; use 3–50 letters, digits, "_" or "-", starting and ending with a letter or digit, with no two "_" or "-" in a row, e.g. "payments-audit"`,
    );
  });
});

describe("validation", () => {
  function attempt(overrides: Partial<AuditTrailProps>) {
    const stack = newStack();
    return () => new AuditTrail(stack, "audit", baseProps(overrides));
  }

  test.each(["ab", "t".repeat(51), "a_-b", "org.audit"])("fails when trailName is %p, naming the field and the value", (trailName) => {
    expect(attempt({ trailName })).toThrow(`audit trail "${trailName}": trailName "${trailName}" is invalid; use 3–50 letters`);
  });

  test('fails when readWriteType is "WriteOnly"', () => {
    expect(attempt({ readWriteType: "WriteOnly" })).toThrow(`audit trail "${TRAIL}": readWriteType "WriteOnly" would drop KMS Decrypt events, which are read events; use "All"`);
  });

  test('fails when readWriteType is "ReadOnly"', () => {
    expect(attempt({ readWriteType: "ReadOnly" })).toThrow(
      `audit trail "${TRAIL}": readWriteType "ReadOnly" would drop the write events (DisableKey, ScheduleKeyDeletion, PutKeyPolicy) the alarms watch; use "All"`,
    );
  });

  test("fails when excludeManagementEventSources contains kms.amazonaws.com, and says why", () => {
    expect(attempt({ excludeManagementEventSources: ["rdsdata.amazonaws.com", "kms.amazonaws.com"] })).toThrow(
      `audit trail "${TRAIL}": excludeManagementEventSources "kms.amazonaws.com" must not be excluded: the trail exists to record every use of the keys; remove it`,
    );
  });

  test("fails when excludeManagementEventSources contains s3.amazonaws.com", () => {
    expect(attempt({ excludeManagementEventSources: ["s3.amazonaws.com"] })).toThrow(
      `audit trail "${TRAIL}": excludeManagementEventSources "s3.amazonaws.com" cannot be excluded; CloudTrail only allows "rdsdata.amazonaws.com" here`,
    );
  });

  test.each(["security-auditor", `arn:aws:s3:::${BUCKET}`, `arn:aws:iam::${ACCOUNT}:group/auditors`, "*"])("fails when a reader is not an IAM principal ARN: %p", (reader) => {
    expect(attempt({ readerArns: [READER, reader] })).toThrow(
      `audit trail "${TRAIL}": readerArns: "${reader}" is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`,
    );
  });

  test("fails when a reader's ARN is in another partition than the home region, naming the construct path and the fix", () => {
    const stack = newStack("cn-north-1");
    expect(() => new AuditTrail(stack, "audit", baseProps({ region: "cn-north-1", readerArns: [READER] }))).toThrow(
      `audit trail "${TRAIL}" (stack/audit): readerArns: "${READER}" is in partition "aws", but region "cn-north-1" is in partition "aws-cn", and an account belongs to one partition only; write it as "arn:aws-cn:iam::${ACCOUNT}:role/security-auditor"`,
    );
    expect(
      () => new AuditTrail(newStack("cn-north-1"), "audit", baseProps({ region: "cn-north-1", readerArns: [`arn:aws-cn:iam::${ACCOUNT}:role/security-auditor`] })),
    ).not.toThrow();
  });

  test("fails when logRetentionDays is 7 without allowShortLogRetention", () => {
    expect(attempt({ logRetentionDays: 7 })).toThrow(
      `audit trail "${TRAIL}": logRetentionDays 7 is below the 365-day default; set allowShortLogRetention to true to accept shorter retention explicitly`,
    );
  });

  test("fails when logRetentionDays is not a CloudWatch Logs retention value", () => {
    expect(attempt({ logRetentionDays: 366 })).toThrow(`audit trail "${TRAIL}": logRetentionDays 366 is not a CloudWatch Logs retention value; use one of`);
  });

  test("fails when an alarm email is not an email address", () => {
    expect(attempt({ alarmEmails: ["security"] })).toThrow(
      `alarm topic "${TRAIL}-alarms": emailAddresses "security" is invalid; use an email address such as security@example.com`,
    );
  });

  test("passes the bucket's own checks through (bucket name)", () => {
    expect(attempt({ bucketName: "Audit_Logs" })).toThrow('trail log bucket "bucket": bucketName "Audit_Logs" is invalid');
  });

  test("lets a token trail name through to Terraform", () => {
    const stack = newStack();
    const trailName = new TerraformVariable(stack, "trail_name", { type: "string" }).stringValue;
    // The bucket policy needs the trail ARN, which then holds a token: TrailLogBucket lets it through too.
    expect(() => new AuditTrail(stack, "audit", baseProps({ trailName }))).not.toThrow();
  });
});

// ---------------------------------------------------------------------------

describe("terraform", () => {
  test(
    "validates and plans offline with provider 5.100.0 (readers, emails, CIS set, created access-log bucket, Object Lock, break glass, log delivery topic, bucket event notifications): 60 resources to add",
    async () => {
      const stack = newStack();
      new AuditTrail(
        stack,
        "audit",
        baseProps({
          readerArns: [READER],
          keyAdministratorArns: [ADMIN],
          deployerArns: [DEPLOYER],
          breakGlassRoleArns: [BREAK_GLASS],
          alarmEmails: ["security@example.com", "ops@example.com"],
          objectLock: { mode: "GOVERNANCE", retentionDays: 90 },
        }),
      );
      const result = await checkStack(fullSynthStackDir(stack, extraDirs), { validate: false });

      expect(result.validate).toEqual({ valid: true, warnings: [] });
      if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
      expect(result.plan).toMatchObject({ exitCode: 2, resourcesToAdd: 60, resourcesToChange: 0, resourcesToDestroy: 0, warnings: [] });
      const counts: Record<string, number> = {};
      for (const change of result.plan.changes) counts[change.address.split(".")[0]] = (counts[change.address.split(".")[0]] ?? 0) + 1;
      expect(counts).toEqual({
        aws_cloudtrail: 1,
        aws_cloudwatch_log_group: 1,
        // The fourteen CIS controls and the audit key's changes: a filter and an alarm each.
        aws_cloudwatch_log_metric_filter: 15,
        aws_cloudwatch_metric_alarm: 15,
        aws_iam_role: 1,
        aws_iam_role_policy: 1,
        aws_kms_alias: 1,
        aws_kms_key: 1,
        // The trail's bucket and the access-log bucket.
        aws_s3_bucket: 2,
        aws_s3_bucket_lifecycle_configuration: 2,
        aws_s3_bucket_logging: 1,
        aws_s3_bucket_notification: 2,
        aws_s3_bucket_object_lock_configuration: 1,
        aws_s3_bucket_ownership_controls: 2,
        aws_s3_bucket_policy: 2,
        aws_s3_bucket_public_access_block: 2,
        aws_s3_bucket_server_side_encryption_configuration: 2,
        aws_s3_bucket_versioning: 2,
        // The alarm topic and the log delivery topic.
        aws_sns_topic: 2,
        aws_sns_topic_policy: 2,
        aws_sns_topic_subscription: 2,
      });
      expect(result.plan.changes.every((c) => c.action === "create")).toBe(true);
    },
    TERRAFORM_TIMEOUT,
  );
});
