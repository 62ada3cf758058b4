import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS, TOPIC_PUBLISH_ACTIONS } from "./private/perms";
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

const TOPIC_NAME_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
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
    if (!Token.isUnresolved(props.topicName) && !TOPIC_NAME_PATTERN.test(props.topicName)) {
      throw new Error(`alarm topic: topicName "${props.topicName}" is invalid; use 1–256 letters, digits, "-" or "_"`);
    }
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
    const env = props.key.environment;
    this.topicArn = formatArn(env, "sns", props.topicName);

    props.key.addToKeyPolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        principals: { Service: ["cloudwatch.amazonaws.com"] },
        actions: ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS,
        resources: ["*"],
        // Only for this topic: SNS encrypts each topic's messages under the context
        // {"aws:sns:topicArn": <topic ARN>} (AWS's key policy for publishers to an encrypted topic:
        // https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html).
        conditions: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": this.topicArn } },
      }),
    );

    this.resource = new SnsTopic(this, "topic", {
      name: props.topicName,
      kmsMasterKeyId: props.key.keyArn,
      tags: props.tags ? { ...props.tags } : undefined,
    });

    const policy = new PolicyDocument([
      new PolicyStatement({
        sid: "CloudWatchAlarmsPublish",
        principals: { Service: ["cloudwatch.amazonaws.com"] },
        actions: TOPIC_PUBLISH_ACTIONS,
        resources: [this.topicArn],
        conditions: { StringEquals: { "aws:SourceAccount": env.accountId } },
      }),
      new PolicyStatement({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: { AWS: ["*"] },
        actions: ["sns:Publish"],
        resources: [this.topicArn],
        conditions: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
    this.topicPolicy = new SnsTopicPolicy(this, "policy", { arn: this.resource.arn, policy: policy.toJsonString() });

    for (const [subscriptionId, email] of subscriptionIds) {
      new SnsTopicSubscription(this, subscriptionId, { topicArn: this.resource.arn, protocol: "email", endpoint: email });
    }
  }
}
