import { nonEmptyString } from "./support";
import { trailRule } from "./trail-support";

/** TRAIL-003: SSE-KMS with a customer-managed key. */
export const trailKmsEncryption = trailRule(
  {
    id: "TRAIL-003",
    description: "CloudTrail trails encrypt log files with a customer-managed KMS key (kms_key_id).",
    rationale: "With SSE-KMS, reading the logs needs kms:Decrypt on the trail key as well as S3 access, and every read of the logs is itself logged.",
    remediation:
      "Set kms_key_id to the ARN of a customer-managed aws_kms_key whose policy lets cloudtrail.amazonaws.com call kms:GenerateDataKey* for this trail (AuditTrail does this).",
    controls: [
      "CIS AWS Foundations 1.2 2.7",
      "CIS AWS Foundations 1.4 3.7",
      "CIS AWS Foundations 3.0 3.5",
      "Security Hub CloudTrail.2",
      "checkov CKV_AWS_35",
      "cdk-nag CloudTrailEncryptionEnabled",
    ],
  },
  (trail) => (nonEmptyString(trail.config.kms_key_id) ? [] : ["does not encrypt log files with a KMS key (kms_key_id unset)"]),
);
