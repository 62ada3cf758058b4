import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { AwsEnvironment } from "./aws-environment";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { ACCESS_LOG_WRITE_ACTIONS } from "./private/perms";
import { s3BucketNameProblem } from "./private/aws-limits";
import { addBucketBaseline } from "./private/bucket-baseline";
import { resolveSetting } from "./private/setting";
import { TRAIL_LOG_BUCKET_SETTINGS, denyInsecureTransport } from "./trail-log-bucket";

export interface AccessLogBucketProps {
  /** Account, region and partition of the bucket (the same as the source buckets'). */
  readonly environment: AwsEnvironment;
  /** Globally unique bucket name (S3 naming rules, see `s3BucketNameProblem`). */
  readonly bucketName: string;
  /** Names of the buckets whose S3 server access logs are written here; the bucket policy admits only them. */
  readonly sourceBucketNames: readonly string[];
  /** Days to keep access-log objects (current and noncurrent versions); limits as the trail log bucket's. @default 365 */
  readonly retentionDays?: number;
  /** Terraform `prevent_destroy` on the bucket: access logs are evidence. @default true */
  readonly preventDestroy?: boolean;
  /**
   * Send the bucket's S3 event notifications to Amazon EventBridge
   * (`aws_s3_bucket_notification` with `eventbridge = true`:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
   * @default false
   */
  readonly eventNotifications?: boolean;
  /** The AWS provider of the bucket's region, when it is not the stack's default provider (e.g. for a replica bucket in another region). @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
  /** Tags of the bucket. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A bucket that receives S3 server access logs: who read, wrote or deleted
 * which object of the source buckets (a trail records management events
 * only, so reads and deletes of log objects are recorded nowhere else).
 * Hardened like the trail's bucket: public access blocked, ACLs disabled,
 * versioned, TLS only, expiring after `retentionDays`, and a bucket policy
 * that lets only the S3 logging service write, only for the named source
 * buckets of this account (`aws:SourceArn`, `aws:SourceAccount`), as
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * describes. It does not log into itself: that would write a log for every
 * log delivery.
 *
 * Default encryption is SSE-S3: the S3 logging service writes with it
 * without any key-policy statement (access logs hold request metadata, not
 * the log files).
 */
export class AccessLogBucket extends Construct {
  /** The underlying `aws_s3_bucket` (escape hatch). */
  public readonly resource: S3Bucket;
  public readonly bucketPolicy: S3BucketPolicy;
  /** The bucket policy as typed statements. */
  public readonly policyDocument: PolicyDocument;
  /** The EventBridge notification configuration; undefined without `eventNotifications`. */
  public readonly eventNotifications?: S3BucketNotification;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const what = `access log bucket "${id}"`;
    const env = props.environment;
    const retentionDays = resolveSetting(what, "retentionDays", TRAIL_LOG_BUCKET_SETTINGS.retentionDays, props.retentionDays);
    const nameProblem = s3BucketNameProblem(props.bucketName);
    if (nameProblem) throw new Error(`${what}: bucketName ${nameProblem}`);
    if (props.sourceBucketNames.length === 0) throw new Error(`${what}: sourceBucketNames is empty; name the buckets whose access logs go here`);
    if (!Token.isUnresolved(props.bucketName) && props.sourceBucketNames.includes(props.bucketName)) {
      throw new Error(`${what}: sourceBucketNames contains the bucket itself ("${props.bucketName}"); a bucket that logs into itself writes a log for every log delivery`);
    }

    const provider = props.provider;
    this.resource = new S3Bucket(this, "bucket", {
      provider,
      bucket: props.bucketName,
      forceDestroy: false,
      tags: props.tags ? { ...props.tags } : undefined,
      lifecycle: { preventDestroy: resolveSetting(what, "preventDestroy", TRAIL_LOG_BUCKET_SETTINGS.preventDestroy, props.preventDestroy) },
    });
    const bucket = this.resource.id;
    // With ACLs disabled, log delivery is granted by the bucket policy below, not by the log-delivery group ACL.
    const { publicAccessBlock, versioning } = addBucketBaseline(this, this.resource, "AES256");
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      provider,
      bucket,
      rule: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: [{}],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: retentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      dependsOn: [versioning],
    });

    const bucketArn = `arn:${env.partition}:s3:::${props.bucketName}`;
    this.policyDocument = new PolicyDocument([
      denyInsecureTransport(bucketArn),
      new PolicyStatement({
        sid: "S3ServerAccessLogsPolicy",
        principals: { Service: ["logging.s3.amazonaws.com"] },
        actions: ACCESS_LOG_WRITE_ACTIONS,
        resources: props.sourceBucketNames.map((source) => `${bucketArn}/${source}/*`),
        conditions: {
          ArnLike: { "aws:SourceArn": props.sourceBucketNames.map((source) => `arn:${env.partition}:s3:::${source}`) },
          StringEquals: { "aws:SourceAccount": env.accountId },
        },
      }),
    ]);
    this.bucketPolicy = new S3BucketPolicy(this, "policy", {
      provider,
      bucket,
      policy: this.policyDocument.toJsonString(),
      dependsOn: [publicAccessBlock],
    });
    if (props.eventNotifications) this.eventNotifications = new S3BucketNotification(this, "event-notifications", { provider, bucket, eventbridge: true });
  }

  /** The bucket name, as a reference to the bucket resource (consumers get an implicit dependency). */
  public get bucketName(): string {
    return this.resource.bucket;
  }
}
