import { isTrue } from "./support";
import { trailRule } from "./trail-support";

/** TRAIL-002: log file integrity validation. */
export const trailLogFileValidation = trailRule(
  {
    id: "TRAIL-002",
    description: "CloudTrail trails have log file integrity validation enabled.",
    rationale: "Digest files let you prove that log files were not modified or deleted after CloudTrail delivered them, which audits of key use rely on.",
    remediation: "Set enable_log_file_validation = true on the aws_cloudtrail.",
    controls: [
      "CIS AWS Foundations 1.2 2.2",
      "CIS AWS Foundations 1.4 3.2",
      "CIS AWS Foundations 3.0 3.2",
      "Security Hub CloudTrail.4",
      "checkov CKV_AWS_36",
      "cdk-nag CloudTrailLogFileValidationEnabled",
    ],
  },
  (trail) => (isTrue(trail.config.enable_log_file_validation) ? [] : ["does not enable log file validation (enable_log_file_validation is not true)"]),
);
