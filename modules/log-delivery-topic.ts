import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Construct } from "constructs";
import { EncryptionKey } from "./encryption-key";
import { createEncryptedTopic } from "./private/encrypted-topic";

export interface LogDeliveryTopicProps {
  /** Topic name: 1–256 letters, digits, `-` or `_`. */
  readonly topicName: string;
  /** Key that encrypts the topic (the audit key). Its policy gains the statement CloudTrail needs to publish to it. */
  readonly key: EncryptionKey;
  /** ARN of the one trail that may publish (`aws:SourceArn`), built as a string. */
  readonly trailArn: string;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The SNS topic a trail notifies of every log file it delivers
 * (`sns_topic_name`), encrypted with the audit key, for consumers that
 * ingest the log files as they arrive (subscribe an SQS queue):
 * - the topic policy lets CloudTrail publish for this trail only
 *   (`aws:SourceArn`), and refuses publishing over plain HTTP;
 * - the key policy lets `cloudtrail.amazonaws.com` use the key for this
 *   topic only (SNS's encryption context `aws:sns:topicArn`)
 *   (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html).
 *
 * It has no subscriber: a notification says which file arrived, not what it holds.
 */
export class LogDeliveryTopic extends Construct {
  /** The underlying `aws_sns_topic` (escape hatch). */
  public readonly resource: SnsTopic;
  /** The topic policy; the trail must be created after it, or CloudTrail refuses the topic. */
  public readonly topicPolicy: SnsTopicPolicy;
  /** The topic ARN, built as a string. */
  public readonly topicArn: string;

  constructor(scope: Construct, id: string, props: LogDeliveryTopicProps) {
    super(scope, id);
    const topic = createEncryptedTopic(this, "log delivery topic", {
      topicName: props.topicName,
      key: props.key,
      tags: props.tags,
      publisher: {
        service: "cloudtrail.amazonaws.com",
        topicSid: "CloudTrailPublishes",
        conditions: { StringEquals: { "aws:SourceArn": props.trailArn } },
        keySid: "CloudTrailPublishesToLogDeliveryTopic",
      },
    });
    this.resource = topic.resource;
    this.topicPolicy = topic.topicPolicy;
    this.topicArn = topic.topicArn;
  }
}
