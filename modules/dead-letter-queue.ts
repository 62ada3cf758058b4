import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { IEncryptionKey } from "./encryption-key-interface";
import { IGrantable } from "./grantable";
import { PolicyDocument, PolicyStatement, denyWithoutTls } from "./policy-document";
import { DEAD_LETTER_ENCRYPT_ACTIONS, DEAD_LETTER_SEND_ACTIONS } from "./private/perms";
import { integerSetting, resolveSetting, show } from "./private/setting";

/** Props of {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Queue name: 1–80 letters, digits, `-` or `_` (no FIFO queue: Lambda sends to standard queues only). */
  readonly queueName: string;
  /** The customer-managed key that encrypts the messages; the queue is in its account and region. */
  readonly key: IEncryptionKey;
  /** Days SQS keeps a message; limits in `DEAD_LETTER_QUEUE_SETTINGS`. @default 14 */
  readonly retentionDays?: number;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The queue's settings (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html). */
export const DEAD_LETTER_QUEUE_SETTINGS = {
  retentionDays: integerSetting({
    code: "DLQ_RETENTION",
    doc: "Days SQS keeps a failed event before deleting it (SQS's maximum is 14).",
    default: 14,
    min: 1,
    max: 14,
    unit: "days",
  }),
} as const;

const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * An SQS queue that receives the events a Lambda function failed to process
 * after its asynchronous retries
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq):
 * - encrypted with the customer-managed key (SSE-KMS), so reading a message
 *   needs `kms:Decrypt` on that key as well as `sqs:ReceiveMessage`;
 * - kept for `retentionDays` (14 by default, SQS's maximum);
 * - a queue policy that refuses every request without TLS
 *   (`aws:SecureTransport`).
 *
 * `grantSend` gives a function's role exactly what Lambda needs to deliver
 * a message: `sqs:SendMessage` on this queue, and `kms:GenerateDataKey` and
 * `kms:Decrypt` on the key only through SQS in the queue's region
 * (`kms:ViaService`).
 */
export class DeadLetterQueue extends Construct {
  /** The underlying `aws_sqs_queue` (escape hatch). */
  public readonly resource: SqsQueue;
  /** The `aws_sqs_queue_policy` that denies requests without TLS. */
  public readonly queuePolicy: SqsQueuePolicy;
  /** The queue policy as typed statements. */
  public readonly policyDocument: PolicyDocument;
  /** The queue's ARN, built from its name (known at synth). */
  public readonly queueArn: string;
  /** The key that encrypts the messages. */
  public readonly key: IEncryptionKey;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    const what = `dead-letter queue "${id}"`;
    if (!Token.isUnresolved(props.queueName) && !QUEUE_NAME_PATTERN.test(props.queueName)) {
      throw new Error(`${what}: queueName ${show(props.queueName)} is invalid; use 1–80 letters, digits, "-" or "_"`);
    }
    const retentionDays = resolveSetting(what, "retentionDays", DEAD_LETTER_QUEUE_SETTINGS.retentionDays, props.retentionDays);
    this.key = props.key;
    this.queueArn = formatArn(props.key.environment, "sqs", props.queueName);
    this.resource = new SqsQueue(this, "queue", {
      name: props.queueName,
      kmsMasterKeyId: props.key.keyArn,
      // SQS reuses a data key for this long before it asks KMS again (the default, said explicitly).
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: retentionDays * 24 * 60 * 60,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    this.policyDocument = new PolicyDocument([denyWithoutTls(["sqs:*"], [this.queueArn])]);
    this.queuePolicy = new SqsQueuePolicy(this, "policy", { queueUrl: this.resource.url, policy: this.policyDocument.toJsonString() });
  }

  /**
   * Lets `grantee` (a function's execution role) send messages to the
   * queue: `sqs:SendMessage` on it, and the key's `kms:GenerateDataKey` and
   * `kms:Decrypt` through SQS only. The Decrypt statement goes through the
   * key's `grantDecrypt`, so the grantee joins the principals the key policy names.
   */
  public grantSend(grantee: IGrantable): void {
    const viaService = `sqs.${this.key.environment.region}.amazonaws.com`;
    grantee.addToPrincipalPolicy(new PolicyStatement({ sid: "SendToDeadLetterQueue", actions: DEAD_LETTER_SEND_ACTIONS, resources: [this.queueArn] }));
    this.key.grantDecrypt(grantee, { sid: "DecryptForDeadLetterQueue", viaService });
    grantee.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "EncryptForDeadLetterQueue",
        actions: DEAD_LETTER_ENCRYPT_ACTIONS,
        resources: [this.key.keyArn],
        conditions: { StringEquals: { "kms:ViaService": viaService } },
      }),
    );
  }
}
