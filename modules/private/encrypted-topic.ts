import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "../aws-environment";
import { EncryptionKey } from "../encryption-key";
import { PolicyConditions, PolicyDocument, PolicyStatement, denyWithoutTls } from "../policy-document";
import { ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS, TOPIC_PUBLISH_ACTIONS } from "./perms";

const TOPIC_NAME_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/** The one AWS service that publishes to a topic, and the statements that let it. */
export interface TopicPublisher {
  /** Service principal, e.g. `cloudwatch.amazonaws.com`. */
  readonly service: string;
  /** Sid of the topic-policy statement that lets it publish. */
  readonly topicSid: string;
  /** Conditions of that statement (`aws:SourceAccount`, `aws:SourceArn`). */
  readonly conditions: PolicyConditions;
  /** Sid of the key-policy statement that lets it use the key for this topic. */
  readonly keySid: string;
}

/**
 * An SNS topic encrypted with `key`, which one AWS service publishes to,
 * under `scope` as `topic` and `policy`:
 * - the key policy lets the service use the key for this topic only: a
 *   publisher to an encrypted topic needs a data key
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
 *   and SNS encrypts each topic's messages under the encryption context
 *   `{"aws:sns:topicArn": <topic ARN>}` (AWS's key policy for publishers to
 *   an encrypted topic: https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html);
 * - the topic policy lets the service publish, with the publisher's
 *   conditions, and refuses publishing over plain HTTP.
 * Throws `<what>: topicName … is invalid` for a name SNS refuses.
 */
export function createEncryptedTopic(
  scope: Construct,
  what: string,
  props: { readonly topicName: string; readonly key: EncryptionKey; readonly tags?: Readonly<Record<string, string>>; readonly publisher: TopicPublisher },
): { readonly resource: SnsTopic; readonly topicPolicy: SnsTopicPolicy; readonly topicArn: string } {
  if (!Token.isUnresolved(props.topicName) && !TOPIC_NAME_PATTERN.test(props.topicName)) {
    throw new Error(`${what}: topicName "${props.topicName}" is invalid; use 1–256 letters, digits, "-" or "_"`);
  }
  const topicArn = formatArn(props.key.environment, "sns", props.topicName);
  const { publisher } = props;
  props.key.addToKeyPolicy(
    new PolicyStatement({
      sid: publisher.keySid,
      principals: { Service: [publisher.service] },
      actions: ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS,
      resources: ["*"],
      conditions: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
    }),
  );
  const resource = new SnsTopic(scope, "topic", { name: props.topicName, kmsMasterKeyId: props.key.keyArn, tags: props.tags ? { ...props.tags } : undefined });
  const policy = new PolicyDocument([
    new PolicyStatement({
      sid: publisher.topicSid,
      principals: { Service: [publisher.service] },
      actions: TOPIC_PUBLISH_ACTIONS,
      resources: [topicArn],
      conditions: publisher.conditions,
    }),
    denyWithoutTls(TOPIC_PUBLISH_ACTIONS, [topicArn]),
  ]);
  const topicPolicy = new SnsTopicPolicy(scope, "policy", { arn: resource.arn, policy: policy.toJsonString() });
  return { resource, topicPolicy, topicArn };
}
