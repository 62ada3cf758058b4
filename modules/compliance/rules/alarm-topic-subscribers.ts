import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { asArray, pointsAt, resolveReference } from "./support";

/**
 * ALARM-003: every SNS topic of the stack that alarms notify has a
 * subscription in the stack.
 *
 * A warning: subscriptions made outside Terraform (a chat integration, a
 * central on-call tool) are invisible here. An email subscription only
 * delivers once its recipient confirms it.
 */
export const alarmTopicSubscribers: ComplianceRule = {
  id: "ALARM-003",
  severity: "warning",
  description: "Every SNS topic of the stack that a CloudWatch alarm notifies has at least one aws_sns_topic_subscription.",
  rationale: "An alarm that notifies a topic nobody subscribes to fires silently: the key-use, key-change and CIS alarms then protect nothing.",
  remediation: 'List who receives the alarms in the account\'s "audit.alarmEmails" (AuditTrailProps.alarmEmails), or subscribe the topic in Terraform.',
  controls: ["Security Hub CloudWatch.1–14 (each requires a subscriber)"],
  check(stack: StackView): readonly RuleViolation[] {
    const subscriptions = stack.ofType("aws_sns_topic_subscription");
    const notified = stack
      .ofType("aws_cloudwatch_metric_alarm")
      .flatMap((alarm) => asArray(alarm.config.alarm_actions))
      .map((action) => resolveReference(stack, action, "aws_sns_topic"))
      .filter((topic) => topic !== undefined);
    const silent = [...new Set(notified)].filter((topic) => !subscriptions.some((s) => pointsAt(s.config.topic_arn, topic, [topic.config.arn])));
    return silent.map((topic) => ({
      resource: topic,
      message: `SNS topic ${topic.address} (${String(topic.config.name)}) receives alarms of stack ${stack.stackName} but has no subscription: the alarms notify nobody`,
    }));
  },
};
