import type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "../compliance-rule";
import { asArray, blocks, isFalse, nonEmptyString, pointsAt, resolveReference } from "./support";

/** Why the trail's event selectors drop management events CIS 3.1 / CloudTrail.1 require, or []. */
export function managementEventProblems(config: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const selector of blocks(config.event_selector)) {
    if (isFalse(selector.include_management_events)) problems.push("an event_selector sets include_management_events = false");
    const readWrite = nonEmptyString(selector.read_write_type);
    if (readWrite && readWrite !== "All") problems.push(`an event_selector records only ${readWrite} events`);
    const excluded = (Array.isArray(selector.exclude_management_event_sources) ? selector.exclude_management_event_sources : []) as unknown[];
    if (excluded.length > 0) problems.push(`an event_selector excludes management event sources (${excluded.map(String).join(", ")})`);
  }
  const advanced = blocks(config.advanced_event_selector);
  if (advanced.length > 0) {
    const fields = (selector: Record<string, unknown>) => blocks(selector.field_selector);
    const management = advanced.filter((selector) =>
      fields(selector).some((field) => field.field === "eventCategory" && Array.isArray(field.equals) && field.equals.includes("Management")),
    );
    if (management.length === 0) problems.push("no advanced_event_selector records management events");
    for (const selector of management) {
      for (const field of fields(selector)) {
        if (field.field === "readOnly") problems.push("an advanced_event_selector for management events records only read-only or write-only events");
        if (field.field === "eventSource") problems.push("an advanced_event_selector for management events filters on eventSource (KMS events may be excluded)");
      }
    }
  }
  return problems;
}

/** A rule that reports each problem `problems` finds on each aws_cloudtrail of the stack. */
export function trailRule(rule: Omit<ComplianceRule, "check" | "severity">, problems: (trail: SynthesizedResource) => readonly string[]): ComplianceRule {
  return {
    ...rule,
    severity: "error",
    check(stack: StackView): readonly RuleViolation[] {
      return stack.ofType("aws_cloudtrail").flatMap((resource) => problems(resource).map((problem) => ({ resource, message: `CloudTrail trail ${resource.address} ${problem}` })));
    },
  };
}

/** Whether a metric filter reads the log group the trail delivers to (unknown delivery: any filter counts). */
export function readsTrailLogGroup(stack: StackView, trail: SynthesizedResource, filter: SynthesizedResource): boolean {
  const arn = nonEmptyString(trail.config.cloud_watch_logs_group_arn);
  if (!arn) return false;
  const logGroup = resolveReference(stack, arn, "aws_cloudwatch_log_group");
  if (logGroup) return pointsAt(filter.config.log_group_name, logGroup, [logGroup.config.name]);
  const literal = /:log-group:([^:]+)(:\*)?$/.exec(arn);
  return literal ? filter.config.log_group_name === literal[1] : true;
}

/** Whether an enabled alarm with an action watches the filter's metric. */
export function hasAlarm(stack: StackView, filter: SynthesizedResource): boolean {
  return blocks(filter.config.metric_transformation).some((metric) =>
    stack
      .ofType("aws_cloudwatch_metric_alarm")
      .some(
        (alarm) =>
          alarm.config.metric_name === metric.name &&
          alarm.config.namespace === metric.namespace &&
          !isFalse(alarm.config.actions_enabled) &&
          asArray(alarm.config.alarm_actions).some((action) => nonEmptyString(action) !== undefined),
      ),
  );
}
