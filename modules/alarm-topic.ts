import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { EncryptionKey } from "./encryption-key";
import { createEncryptedTopic } from "./private/encrypted-topic";
import { resolveSetting, textSetting } from "./private/setting";

export interface AlarmTopicProps {
  /** Topic name: 1–256 letters, digits, `-` or `_`. */
  readonly topicName: string;
  /**
   * Key that encrypts the topic. Its policy gains the statement CloudWatch
   * alarms need to publish to an encrypted topic.
   */
  readonly key: EncryptionKey;
  /** Email addresses subscribed to the topic (each must confirm the subscription). @default none */
  readonly emailAddresses?: readonly string[];
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A plausible email address (SNS confirms each subscription, which is the real check). */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const ALARM_EMAIL = textSetting({
  code: "ALARM_EMAIL",
  doc: "An email address subscribed to the alarm topic; each address confirms its subscription once.",
  pattern: EMAIL_PATTERN,
  hint: "use an email address such as security@example.com",
});

/**
 * The construct ID (and so the Terraform address) of an address's
 * subscription: it derives from the address, so reordering the list moves no
 * subscription; addresses that differ only in punctuation share one.
 */
export function emailSubscriptionId(email: string): string {
  return `email-${email.replace(/[^A-Za-z0-9]/g, "-")}`;
}

/**
 * An SNS topic for security alarms, encrypted with a customer-managed key:
 * - the key policy lets `cloudwatch.amazonaws.com` use the key for this
 *   topic only (SNS's encryption context `aws:sns:topicArn`), which an
 *   alarm needs to publish to an encrypted topic
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
 * - the topic policy lets CloudWatch alarms of this account publish, and
 *   refuses publishing over plain HTTP.
 */
export class AlarmTopic extends Construct {
  /** The underlying `aws_sns_topic` (escape hatch). */
  public readonly resource: SnsTopic;
  public readonly topicPolicy: SnsTopicPolicy;
  /** The topic ARN, built as a string so other stacks can use it without a reference. */
  public readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const emails = props.emailAddresses ?? [];
    for (const email of emails) resolveSetting(`alarm topic "${props.topicName}"`, "emailAddresses", ALARM_EMAIL, email);
    // IDs derive from the address, so reordering the list moves no subscription.
    const subscriptionIds = new Map<string, string>();
    for (const email of new Set(emails)) {
      const subscriptionId = emailSubscriptionId(email);
      const other = subscriptionIds.get(subscriptionId);
      if (other !== undefined) {
        throw new Error(
          `alarm topic "${props.topicName}": emailAddresses "${other}" and "${email}" map to the same Terraform address "${subscriptionId}"; subscribe one of them through a distribution list instead`,
        );
      }
      subscriptionIds.set(subscriptionId, email);
    }
    const topic = createEncryptedTopic(this, "alarm topic", {
      topicName: props.topicName,
      key: props.key,
      tags: props.tags,
      publisher: {
        service: "cloudwatch.amazonaws.com",
        topicSid: "CloudWatchAlarmsPublish",
        conditions: { StringEquals: { "aws:SourceAccount": props.key.environment.accountId } },
        keySid: "CloudWatchAlarmsPublishToEncryptedTopics",
      },
    });
    this.resource = topic.resource;
    this.topicPolicy = topic.topicPolicy;
    this.topicArn = topic.topicArn;

    for (const [subscriptionId, email] of subscriptionIds) {
      new SnsTopicSubscription(this, subscriptionId, { topicArn: this.resource.arn, protocol: "email", endpoint: email });
    }
  }
}
