import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { blocks, nonEmptyString, pointsAt } from "./support";
import { bucketProblems } from "./trail-bucket";

/**
 * S3-002: the replication of a trail's bucket keeps the log files'
 * protection: each enabled rule replicates SSE-KMS objects, encrypts the
 * replicas with a customer-managed key, and writes into a bucket of the
 * stack hardened like the trail bucket (S3-001's checks).
 */
export const trailBucketReplication: ComplianceRule = {
  id: "S3-002",
  severity: "error",
  description:
    "A replication configuration of a CloudTrail trail's bucket replicates SSE-KMS objects, encrypts the replicas with a customer-managed KMS key, and writes into a bucket of the stack that blocks public access, is versioned, uses SSE-KMS, denies non-TLS requests and disables ACLs.",
  rationale:
    "Log files are SSE-KMS objects: without source_selection_criteria.sse_kms_encrypted_objects S3 replicates none of them, so the replica that is meant to survive the loss of a region stays empty. A replica without a customer-managed key, or in a public, unversioned or ACL-controlled bucket, is a second and weaker copy of the record of every key use.",
  remediation:
    "In each rule of the aws_s3_bucket_replication_configuration set source_selection_criteria.sse_kms_encrypted_objects.status = Enabled and destination.encryption_configuration.replica_kms_key_id to a customer-managed key of the destination region, and harden the destination bucket like the trail bucket (audit.replication and LogBucketReplication do all of this).",
  controls: ["checkov CKV_AWS_144", "Security Hub S3.7"],
  check(stack: StackView): readonly RuleViolation[] {
    const buckets = stack.ofType("aws_s3_bucket");
    const trailBuckets = buckets.filter((bucket) => stack.ofType("aws_cloudtrail").some((trail) => pointsAt(trail.config.s3_bucket_name, bucket, [bucket.config.bucket])));
    return stack.ofType("aws_s3_bucket_replication_configuration").flatMap((replication): RuleViolation[] => {
      const source = trailBuckets.find((bucket) => pointsAt(replication.config.bucket, bucket, [bucket.config.bucket]));
      if (!source) return [];
      const what = `Replication ${replication.address} of trail bucket ${source.address}`;
      const violations: RuleViolation[] = [];
      blocks(replication.config.rule)
        .filter((rule) => rule.status === "Enabled")
        .forEach((rule, i) => {
          const at = `${what}, rule ${typeof rule.id === "string" ? rule.id : i}`;
          const sseKms = blocks(blocks(rule.source_selection_criteria)[0]?.sse_kms_encrypted_objects)[0]?.status;
          if (sseKms !== "Enabled")
            violations.push({
              resource: replication,
              message: `${at} does not replicate SSE-KMS objects (source_selection_criteria.sse_kms_encrypted_objects is not Enabled): the log files are not replicated`,
            });
          const destination = blocks(rule.destination)[0] ?? {};
          const replicaKey = nonEmptyString(blocks(destination.encryption_configuration)[0]?.replica_kms_key_id);
          if (!replicaKey || replicaKey.includes("alias/aws/")) {
            violations.push({
              resource: replication,
              message: `${at} does not encrypt replicas with a customer-managed key (destination.encryption_configuration.replica_kms_key_id)`,
            });
          }
          const target = buckets.find((bucket) =>
            pointsAt(
              destination.bucket,
              bucket,
              typeof bucket.config.bucket === "string" ? ["aws", "aws-cn", "aws-us-gov"].map((partition) => `arn:${partition}:s3:::${String(bucket.config.bucket)}`) : [],
            ),
          );
          if (!target) {
            violations.push({
              resource: replication,
              message: `${at} replicates into ${String(destination.bucket)}, which is not an aws_s3_bucket of this stack; its settings cannot be checked`,
            });
            return;
          }
          for (const problem of bucketProblems(stack, target))
            violations.push({ resource: target, message: `Replica bucket ${target.address} (of ${replication.address}) ${problem}` });
        });
      return violations;
    });
  },
};
