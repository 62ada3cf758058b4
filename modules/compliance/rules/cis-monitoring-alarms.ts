import { CIS_MONITORING_CONTROLS } from "../../cis-monitoring-controls";
import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { hasAlarm, readsTrailLogGroup } from "./trail-support";

/**
 * ALARM-002: an account with a trail has the whole CIS monitoring set
 * (Security Hub CloudWatch.1–14), each with its exact pattern, on the
 * trail's log group and with an alarm action.
 *
 * A warning, like ALARM-001: an account may keep these alarms in another
 * stack or a central monitoring account that this rule cannot see.
 */
export const cisMonitoringAlarms: ComplianceRule = {
  id: "ALARM-002",
  severity: "warning",
  description:
    "A stack with a CloudTrail trail has a metric filter with each CIS monitoring pattern (Security Hub CloudWatch.1–14) on the trail's log group, and an alarm with an action on each.",
  rationale:
    "Auditors check the CIS monitoring controls: root use, refused API calls, sign-in without MFA, IAM, CloudTrail, key, bucket-policy, Config and network changes. Each is how someone would widen access to the keys or hide it; Security Hub accepts only the exact patterns.",
  remediation: 'Keep AuditTrail\'s cisAlarms on (config "audit.cisAlarms": true, the default), or add the missing filters and alarms with the patterns of CIS_MONITORING_CONTROLS.',
  controls: ["CIS AWS Foundations 1.2 3.1–3.14 (Security Hub patterns)", ...CIS_MONITORING_CONTROLS.map((control) => `Security Hub ${control.control}`)],
  check(stack: StackView): readonly RuleViolation[] {
    const trails = stack.ofType("aws_cloudtrail");
    if (trails.length === 0) return [];
    const filters = stack.ofType("aws_cloudwatch_log_metric_filter");
    const missing = CIS_MONITORING_CONTROLS.filter(
      (control) =>
        !filters.some((filter) => filter.config.pattern === control.pattern && trails.some((trail) => readsTrailLogGroup(stack, trail, filter)) && hasAlarm(stack, filter)),
    );
    if (missing.length === 0) return [];
    const list = missing.map((control) => `${control.control} (${control.title})`).join(", ");
    return [{ resource: trails[0], message: `Stack ${stack.stackName} has CloudTrail trail ${trails[0].address} but no alarmed metric filter with the exact pattern of ${list}` }];
  },
};
