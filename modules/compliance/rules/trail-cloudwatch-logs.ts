import { nonEmptyString } from "./support";
import { trailRule } from "./trail-support";

/** TRAIL-004: delivery to CloudWatch Logs. */
export const trailCloudWatchLogs = trailRule(
  {
    id: "TRAIL-004",
    description: "CloudTrail trails deliver events to a CloudWatch Logs log group.",
    rationale: "Metric filters and alarms (CIS 4.x, such as the alarm on disabled or deleted KMS keys) can only see trail events delivered to CloudWatch Logs.",
    remediation: 'Set cloud_watch_logs_group_arn ("${aws_cloudwatch_log_group.<name>.arn}:*") and cloud_watch_logs_role_arn on the aws_cloudtrail (AuditTrail does this).',
    controls: ["CIS AWS Foundations 1.2 2.4", "CIS AWS Foundations 1.4 3.4", "Security Hub CloudTrail.5", "checkov CKV2_AWS_10", "cdk-nag CloudTrailCloudWatchLogsEnabled"],
  },
  (trail) => (nonEmptyString(trail.config.cloud_watch_logs_group_arn) ? [] : ["does not deliver to CloudWatch Logs (cloud_watch_logs_group_arn unset)"]),
);
