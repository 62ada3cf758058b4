import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS, TOPIC_PUBLISH_ACTIONS } from "./private/perms";

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

const TOPIC_NAME_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

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
    if (!Token.isUnresolved(props.topicName) && !TOPIC_NAME_PATTERN.test(props.topicName)) {
      throw new Error(`log delivery topic: topicName "${props.topicName}" is invalid; use 1–256 letters, digits, "-" or "_"`);
    }
    this.topicArn = formatArn(props.key.environment, "sns", props.topicName);
    props.key.addToKeyPolicy(
      new PolicyStatement({
        sid: "CloudTrailPublishesToLogDeliveryTopic",
        principals: { Service: ["cloudtrail.amazonaws.com"] },
        actions: ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": this.topicArn } },
      }),
    );
    this.resource = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.key.keyArn, tags: props.tags ? { ...props.tags } : undefined });
    const policy = new PolicyDocument([
      new PolicyStatement({
        sid: "CloudTrailPublishes",
        principals: { Service: ["cloudtrail.amazonaws.com"] },
        actions: TOPIC_PUBLISH_ACTIONS,
        resources: [this.topicArn],
        conditions: { StringEquals: { "aws:SourceArn": props.trailArn } },
      }),
      new PolicyStatement({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: { AWS: ["*"] },
        actions: TOPIC_PUBLISH_ACTIONS,
        resources: [this.topicArn],
        conditions: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
    this.topicPolicy = new SnsTopicPolicy(this, "policy", { arn: this.resource.arn, policy: policy.toJsonString() });
  }
}
