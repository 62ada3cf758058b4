import { CIS_KMS_KEY_DISABLE_OR_DELETION_PATTERN } from "../../audit-trail";
import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { hasAlarm, readsTrailLogGroup } from "./trail-support";

/** The CIS 4.7 / Security Hub CloudWatch.7 pattern (the one AuditTrail's filter uses); Security Hub requires this exact text. */
export const CIS_4_7_PATTERN = CIS_KMS_KEY_DISABLE_OR_DELETION_PATTERN;

/**
 * ALARM-001: an account with a trail alarms when a KMS key is disabled or scheduled for deletion.
 *
 * A warning, not an error: the check sees one stack, and an account may keep
 * its alarms in another stack (or a central monitoring account) that this
 * rule cannot see; it also cannot verify that the alarm's SNS topic has a
 * subscriber. The trail settings it depends on are errors (TRAIL-001, TRAIL-004).
 */
export const kmsDeletionAlarm: ComplianceRule = {
  id: "ALARM-001",
  severity: "warning",
  description:
    "A stack with a CloudTrail trail has the CIS 4.7 metric filter (KMS DisableKey/ScheduleKeyDeletion) on the trail's log group and an alarm with an action on its metric.",
  rationale:
    "Disabling or scheduling the deletion of a customer-managed key makes everything encrypted with it — Lambda environments, secrets, logs — unreadable; the alarm gives the 7–30 day deletion window to react. Security Hub accepts only the exact CIS pattern.",
  remediation: `Add an aws_cloudwatch_log_metric_filter on the trail's log group with pattern ${CIS_4_7_PATTERN} and an aws_cloudwatch_metric_alarm on its metric with alarm_actions (an SNS topic with a subscriber); AuditTrail adds both.`,
  controls: ["CIS AWS Foundations 1.2 3.7", "CIS AWS Foundations 1.4 4.7", "CIS AWS Foundations 3.0 4.7", "Security Hub CloudWatch.7", "checkov CKV_AWS_319"],
  check(stack: StackView): readonly RuleViolation[] {
    const trails = stack.ofType("aws_cloudtrail");
    if (trails.length === 0) return [];
    const filters = stack.ofType("aws_cloudwatch_log_metric_filter").filter((filter) => filter.config.pattern === CIS_4_7_PATTERN);
    const covered = trails.some((trail) => filters.some((filter) => readsTrailLogGroup(stack, trail, filter) && hasAlarm(stack, filter)));
    if (covered) return [];
    const trail = trails[0];
    const why =
      filters.length === 0
        ? "no aws_cloudwatch_log_metric_filter with the exact CIS 4.7 pattern"
        : filters.some((filter) => trails.some((candidate) => readsTrailLogGroup(stack, candidate, filter)))
          ? "a CIS 4.7 metric filter but no aws_cloudwatch_metric_alarm with alarm_actions on its metric"
          : "a CIS 4.7 metric filter, but not on the log group a trail delivers to";
    return [{ resource: trail, message: `Stack ${stack.stackName} has CloudTrail trail ${trail.address} but ${why}` }];
  },
};
