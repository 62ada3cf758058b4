import { CIS_4_7_PATTERN, kmsDeletionAlarm } from "../../../modules/compliance/rules/kms-deletion-alarm";
import { trailBucket } from "../../../modules/compliance/rules/trail-bucket";
import { trailBucketReplication } from "../../../modules/compliance/rules/trail-bucket-replication";
import { trailCloudWatchLogs } from "../../../modules/compliance/rules/trail-cloudwatch-logs";
import { trailKmsEncryption } from "../../../modules/compliance/rules/trail-kms-encryption";
import { trailLogFileValidation } from "../../../modules/compliance/rules/trail-log-file-validation";
import { trailMultiRegionManagementEvents } from "../../../modules/compliance/rules/trail-multi-region";
import { findings, stackOf } from "./helpers";

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const meta = (path: string) => ({ "//": { metadata: { path } } });

const GOOD_TRAIL = {
  ...meta("s/audit/trail"),
  is_multi_region_trail: true,
  enable_log_file_validation: true,
  kms_key_id: "${aws_kms_key.k.arn}",
  cloud_watch_logs_group_arn: "${aws_cloudwatch_log_group.logs.arn}:*",
  event_selector: [{ include_management_events: true, read_write_type: "All" }],
  s3_bucket_name: "${aws_s3_bucket.bucket.bucket}",
};
const ref = "${aws_s3_bucket.bucket.id}";
const GOOD_BUCKET: Resources = {
  aws_s3_bucket: { bucket: { ...meta("s/audit/bucket/bucket"), bucket: "audit-logs" } },
  aws_s3_bucket_public_access_block: { pab: { bucket: ref, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } },
  aws_s3_bucket_versioning: { v: { bucket: ref, versioning_configuration: { status: "Enabled" } } },
  aws_s3_bucket_server_side_encryption_configuration: {
    e: { bucket: ref, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "k" } }] },
  },
  aws_s3_bucket_ownership_controls: { o: { bucket: "audit-logs", rule: { object_ownership: "BucketOwnerEnforced" } } },
  aws_s3_bucket_policy: {
    p: {
      bucket: ref,
      policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] }),
    },
  },
};
const ALARM: Resources = {
  aws_cloudwatch_log_group: { logs: { name: "/aws/cloudtrail/audit" } },
  aws_cloudwatch_log_metric_filter: {
    f: { log_group_name: "${aws_cloudwatch_log_group.logs.name}", pattern: CIS_4_7_PATTERN, metric_transformation: { name: "KmsKeyGone", namespace: "Audit", value: "1" } },
  },
  aws_cloudwatch_metric_alarm: { a: { metric_name: "KmsKeyGone", namespace: "Audit", alarm_actions: ["${aws_sns_topic.t.arn}"] } },
};
const trailStack = (trail: Record<string, unknown>, others: Resources = { ...GOOD_BUCKET, ...ALARM }) => stackOf({ aws_cloudtrail: { trail }, ...others });

describe("trail rules TRAIL-001..004", () => {
  const rules = [trailMultiRegionManagementEvents, trailLogFileValidation, trailKmsEncryption, trailCloudWatchLogs];

  it("pass a compliant trail, also without event selectors", () => {
    for (const rule of rules) {
      expect(findings(rule, trailStack(GOOD_TRAIL))).toEqual([]);
      expect(findings(rule, trailStack({ ...GOOD_TRAIL, event_selector: undefined }))).toEqual([]);
    }
  });

  it("TRAIL-001 flags single-Region, write-only, excluded KMS events and no management events", () => {
    const bad = {
      ...GOOD_TRAIL,
      is_multi_region_trail: false,
      event_selector: [{ include_management_events: false, read_write_type: "WriteOnly", exclude_management_event_sources: ["kms.amazonaws.com"] }],
    };
    expect(findings(trailMultiRegionManagementEvents, trailStack(bad))).toEqual([
      { path: "s/audit/trail", message: "CloudTrail trail aws_cloudtrail.trail is not multi-Region (is_multi_region_trail is not true)" },
      { path: "s/audit/trail", message: "CloudTrail trail aws_cloudtrail.trail an event_selector sets include_management_events = false" },
      { path: "s/audit/trail", message: "CloudTrail trail aws_cloudtrail.trail an event_selector records only WriteOnly events" },
      { path: "s/audit/trail", message: "CloudTrail trail aws_cloudtrail.trail an event_selector excludes management event sources (kms.amazonaws.com)" },
    ]);
  });

  it("TRAIL-001 reads advanced event selectors", () => {
    const dataOnly = { ...GOOD_TRAIL, event_selector: undefined, advanced_event_selector: [{ field_selector: [{ field: "eventCategory", equals: ["Data"] }] }] };
    expect(findings(trailMultiRegionManagementEvents, trailStack(dataOnly))).toEqual([
      { path: "s/audit/trail", message: expect.stringContaining("no advanced_event_selector records management events") },
    ]);
  });

  it.each([
    [trailLogFileValidation, "TRAIL-002", { enable_log_file_validation: false }, "does not enable log file validation"],
    [trailKmsEncryption, "TRAIL-003", { kms_key_id: undefined }, "does not encrypt log files with a KMS key"],
    [trailCloudWatchLogs, "TRAIL-004", { cloud_watch_logs_group_arn: undefined }, "does not deliver to CloudWatch Logs"],
  ])("%#: %s flags the missing setting", (rule, id, change, message) => {
    expect(rule.id).toBe(id);
    expect(findings(rule, trailStack({ ...GOOD_TRAIL, ...change }))).toEqual([{ path: "s/audit/trail", message: expect.stringContaining(message) }]);
  });
});

describe("S3-001 trail bucket", () => {
  it("passes a fully configured bucket", () => {
    expect(findings(trailBucket, trailStack(GOOD_TRAIL))).toEqual([]);
  });

  it("flags every missing protection on the bucket", () => {
    const bare = { aws_s3_bucket: GOOD_BUCKET.aws_s3_bucket };
    const result = findings(trailBucket, trailStack(GOOD_TRAIL, bare));
    expect(result.map((finding) => finding.path)).toEqual(Array(5).fill("s/audit/bucket/bucket"));
    expect(result.map((finding) => finding.message)).toEqual([
      expect.stringMatching(/^Trail bucket aws_s3_bucket.bucket \(of aws_cloudtrail.trail\) has no aws_s3_bucket_public_access_block/),
      expect.stringContaining("has no versioning"),
      expect.stringContaining("has no default SSE-KMS encryption"),
      expect.stringContaining("does not disable ACLs"),
      expect.stringContaining("denies requests without TLS"),
    ]);
  });

  it("counts only a Deny for everyone on s3:* (or *) with aws:SecureTransport false as TLS-only", () => {
    const withStatement = (statement: Record<string, unknown>) => ({
      ...GOOD_BUCKET,
      aws_s3_bucket_policy: {
        p: { bucket: ref, policy: JSON.stringify({ Statement: [{ Effect: "Deny", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } }, ...statement }] }) },
      },
    });
    for (const statement of [
      { Principal: "*", Action: "s3:PutObject" },
      { Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "s3:*" },
      { Effect: "Allow", Principal: "*", Action: "s3:*" },
    ]) {
      expect(findings(trailBucket, trailStack(GOOD_TRAIL, withStatement(statement)))).toEqual([
        { path: "s/audit/bucket/bucket", message: expect.stringContaining("denies requests without TLS") },
      ]);
    }
    for (const statement of [
      { Principal: { AWS: "*" }, Action: "*" },
      { Principal: { AWS: ["*"] }, Action: ["s3:*"] },
    ]) {
      expect(findings(trailBucket, trailStack(GOOD_TRAIL, withStatement(statement)))).toEqual([]);
    }
  });

  it("flags a partial public access block and AES256 encryption", () => {
    const weaker = {
      ...GOOD_BUCKET,
      aws_s3_bucket_public_access_block: { pab: { bucket: ref, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: false } },
      aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: ref, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] } },
    };
    expect(findings(trailBucket, trailStack(GOOD_TRAIL, weaker)).map((finding) => finding.message)).toEqual([
      expect.stringContaining("public_access_block"),
      expect.stringContaining("SSE-KMS"),
    ]);
  });

  it("flags a trail whose bucket is not in the stack", () => {
    expect(findings(trailBucket, trailStack({ ...GOOD_TRAIL, s3_bucket_name: "central-logs" }, {}))).toEqual([
      {
        path: "s/audit/trail",
        message: 'CloudTrail trail aws_cloudtrail.trail delivers to "central-logs", which is not an aws_s3_bucket of this stack; its bucket settings cannot be checked',
      },
    ]);
  });
});

describe("ALARM-001 CIS 4.7 alarm", () => {
  it("is a warning, passes the exact filter with an alarm, and ignores stacks without a trail", () => {
    expect(kmsDeletionAlarm.severity).toBe("warning");
    expect(findings(kmsDeletionAlarm, trailStack(GOOD_TRAIL))).toEqual([]);
    expect(findings(kmsDeletionAlarm, stackOf({}))).toEqual([]);
  });

  it("flags a missing filter, a near-miss pattern, and a filter without an alarm action", () => {
    const message = (why: string) => [{ path: "s/audit/trail", message: `Stack test has CloudTrail trail aws_cloudtrail.trail but ${why}` }];
    expect(findings(kmsDeletionAlarm, trailStack(GOOD_TRAIL, GOOD_BUCKET))).toEqual(message("no aws_cloudwatch_log_metric_filter with the exact CIS 4.7 pattern"));
    const nearMiss = {
      ...ALARM,
      aws_cloudwatch_log_metric_filter: { f: { ...ALARM.aws_cloudwatch_log_metric_filter.f, pattern: "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKey) }" } },
    };
    expect(findings(kmsDeletionAlarm, trailStack(GOOD_TRAIL, nearMiss))).toEqual(message("no aws_cloudwatch_log_metric_filter with the exact CIS 4.7 pattern"));
    const silent = { ...ALARM, aws_cloudwatch_metric_alarm: { a: { metric_name: "KmsKeyGone", namespace: "Audit", alarm_actions: [] } } };
    expect(findings(kmsDeletionAlarm, trailStack(GOOD_TRAIL, silent))).toEqual(
      message("a CIS 4.7 metric filter but no aws_cloudwatch_metric_alarm with alarm_actions on its metric"),
    );
    const elsewhere = { ...ALARM, aws_cloudwatch_log_metric_filter: { f: { ...ALARM.aws_cloudwatch_log_metric_filter.f, log_group_name: "/other" } } };
    expect(findings(kmsDeletionAlarm, trailStack(GOOD_TRAIL, elsewhere))).toEqual(message("a CIS 4.7 metric filter, but not on the log group a trail delivers to"));
  });
});

describe("S3-002 replication of a trail bucket", () => {
  const replicaRef = "${aws_s3_bucket.replica.id}";
  /** A replica bucket hardened like GOOD_BUCKET. */
  const GOOD_REPLICA: Resources = {
    aws_s3_bucket: { ...GOOD_BUCKET.aws_s3_bucket, replica: { ...meta("s/audit/replication/bucket"), bucket: "audit-logs-replica" } },
    aws_s3_bucket_public_access_block: {
      ...GOOD_BUCKET.aws_s3_bucket_public_access_block,
      rpab: { bucket: replicaRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
    },
    aws_s3_bucket_versioning: { ...GOOD_BUCKET.aws_s3_bucket_versioning, rv: { bucket: replicaRef, versioning_configuration: { status: "Enabled" } } },
    aws_s3_bucket_server_side_encryption_configuration: {
      ...GOOD_BUCKET.aws_s3_bucket_server_side_encryption_configuration,
      re: { bucket: replicaRef, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.replica.arn}" } }] },
    },
    aws_s3_bucket_ownership_controls: { ...GOOD_BUCKET.aws_s3_bucket_ownership_controls, ro: { bucket: replicaRef, rule: { object_ownership: "BucketOwnerEnforced" } } },
    aws_s3_bucket_policy: { ...GOOD_BUCKET.aws_s3_bucket_policy, rp: { bucket: replicaRef, policy: GOOD_BUCKET.aws_s3_bucket_policy.p.policy } },
  };
  const GOOD_RULE = {
    id: "replicate-audit-logs",
    status: "Enabled",
    filter: {},
    delete_marker_replication: { status: "Enabled" },
    source_selection_criteria: { sse_kms_encrypted_objects: { status: "Enabled" } },
    destination: { bucket: "${aws_s3_bucket.replica.arn}", encryption_configuration: { replica_kms_key_id: "${aws_kms_key.replica.arn}" } },
  };
  const withReplication = (rule: Record<string, unknown>, buckets: Resources = GOOD_REPLICA) =>
    trailStack(GOOD_TRAIL, {
      ...buckets,
      aws_s3_bucket_replication_configuration: { r: { ...meta("s/audit/replication/configuration"), bucket: ref, role: "${aws_iam_role.r.arn}", rule: [rule] } },
    });

  it("passes the replication LogBucketReplication writes, and a stack without replication", () => {
    expect(findings(trailBucketReplication, withReplication(GOOD_RULE))).toEqual([]);
    expect(findings(trailBucketReplication, trailStack(GOOD_TRAIL))).toEqual([]);
  });

  it("flags a rule that skips SSE-KMS objects (the log files) or leaves the replicas without a customer-managed key", () => {
    const rule = {
      ...GOOD_RULE,
      source_selection_criteria: undefined,
      destination: { bucket: "arn:aws:s3:::audit-logs-replica", encryption_configuration: { replica_kms_key_id: "alias/aws/s3" } },
    };
    expect(findings(trailBucketReplication, withReplication(rule))).toEqual([
      {
        path: "s/audit/replication/configuration",
        message:
          "Replication aws_s3_bucket_replication_configuration.r of trail bucket aws_s3_bucket.bucket, rule replicate-audit-logs does not replicate SSE-KMS objects (source_selection_criteria.sse_kms_encrypted_objects is not Enabled): the log files are not replicated",
      },
      {
        path: "s/audit/replication/configuration",
        message:
          "Replication aws_s3_bucket_replication_configuration.r of trail bucket aws_s3_bucket.bucket, rule replicate-audit-logs does not encrypt replicas with a customer-managed key (destination.encryption_configuration.replica_kms_key_id)",
      },
    ]);
  });

  it("holds the replica bucket (named by reference or by literal ARN) to S3-001's checks, and says when it is not in the stack", () => {
    const bare: Resources = { ...GOOD_BUCKET, aws_s3_bucket: GOOD_REPLICA.aws_s3_bucket };
    const result = findings(trailBucketReplication, withReplication({ ...GOOD_RULE, destination: { ...GOOD_RULE.destination, bucket: "arn:aws:s3:::audit-logs-replica" } }, bare));
    expect(result.map((f) => f.path)).toEqual(Array(5).fill("s/audit/replication/bucket"));
    expect(result[0].message).toMatch(/^Replica bucket aws_s3_bucket.replica \(of aws_s3_bucket_replication_configuration.r\) has no aws_s3_bucket_public_access_block/);
    expect(findings(trailBucketReplication, withReplication({ ...GOOD_RULE, destination: { ...GOOD_RULE.destination, bucket: "arn:aws:s3:::elsewhere" } }))).toEqual([
      {
        path: "s/audit/replication/configuration",
        message: expect.stringContaining("replicates into arn:aws:s3:::elsewhere, which is not an aws_s3_bucket of this stack; its settings cannot be checked"),
      },
    ]);
  });

  it("ignores disabled rules and the replication of buckets no trail writes to", () => {
    expect(findings(trailBucketReplication, withReplication({ ...GOOD_RULE, status: "Disabled", source_selection_criteria: undefined }))).toEqual([]);
    const other = stackOf({
      ...GOOD_REPLICA,
      aws_s3_bucket_replication_configuration: { r: { bucket: "${aws_s3_bucket.replica.id}", role: "x", rule: [{ ...GOOD_RULE, source_selection_criteria: undefined }] } },
    });
    expect(findings(trailBucketReplication, other)).toEqual([]);
  });
});
