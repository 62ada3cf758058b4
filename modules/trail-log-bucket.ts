import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration, S3BucketLifecycleConfigurationRule } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketObjectLockConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { checkPrincipalArns } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { PolicyDocument, PolicyStatement, denyWithoutTls } from "./policy-document";
import { LOG_FILE_DELETE_ACTIONS, LOG_PROTECTION_CHANGE_ACTIONS, TRAIL_BUCKET_ACL_CHECK_ACTIONS, TRAIL_LOG_WRITE_ACTIONS } from "./private/perms";
import { LIFECYCLE_DAYS, REGION_PATTERN, isCloudTrailName, partitionForRegion, s3BucketNameProblem } from "./private/aws-limits";
import { addBucketBaseline } from "./private/bucket-baseline";
import { booleanSetting, choiceSetting, integerSetting, resolveSetting } from "./private/setting";

/** Props of {@link TrailLogBucket}. */
export interface TrailLogBucketProps {
  /**
   * Globally unique bucket name. S3 naming rules
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
   * 3–63 characters; lowercase letters, digits, "." and "-"; starts and ends
   * with a letter or digit; no ".."; not an IP address; no reserved prefix
   * ("xn--", "sthree-", "amzn-s3-demo-") or suffix ("-s3alias", "--ol-s3",
   * ".mrap", "--x-s3", "--table-s3").
   */
  readonly bucketName: string;
  /**
   * The audit key: the bucket's default encryption is SSE-KMS with this key
   * and S3 Bucket Keys. The key's environment (account, region, partition)
   * also scopes the CloudTrail statements of the bucket policy. The key must
   * live in the bucket's region.
   */
  readonly key: EncryptionKey;
  /**
   * ARN of the trail that writes here, built as a string to avoid a
   * dependency cycle (the trail depends on this bucket's policy):
   * `arn:<partition>:cloudtrail:<home region>:<account>:trail/<name>`, in the
   * key's account and partition. It becomes the `aws:SourceArn` condition of
   * both CloudTrail statements.
   */
  readonly trailArn: string;
  /** Days to keep log objects (current and noncurrent versions); limits in `TRAIL_LOG_BUCKET_SETTINGS`. @default 365 */
  readonly retentionDays?: number;
  /**
   * Name of an existing bucket that receives the S3 server access logs of this
   * bucket, under the prefix `<bucketName>/`. It must be in the same account
   * and region, and its bucket policy must let `logging.s3.amazonaws.com` write.
   * @default no access logging
   */
  readonly accessLogBucketName?: string;
  /**
   * Principals that may still delete log objects and versions (a break-glass
   * role). The bucket policy refuses `s3:DeleteObject`/`DeleteObjectVersion`
   * to everyone else, whatever their IAM policies allow (an explicit Deny
   * wins: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
   * Expiry by the lifecycle rule is done by S3 itself and goes on.
   * @default none: nobody deletes log objects
   */
  readonly breakGlassPrincipalArns?: readonly string[];
  /**
   * Principals that manage the bucket with Terraform (the deploy pipeline).
   * When this or `breakGlassPrincipalArns` names anyone, the bucket policy
   * also refuses changing or removing the bucket policy, the lifecycle
   * rules, versioning, Object Lock and access logging to everyone not named
   * in either list. With both empty that Deny is left out, because it would
   * lock out whoever runs Terraform.
   * @default none
   */
  readonly managerPrincipalArns?: readonly string[];
  /**
   * S3 Object Lock with a default retention for every new log object:
   * "GOVERNANCE" (principals with `s3:BypassGovernanceRetention` may still
   * delete) or "COMPLIANCE" (nobody, not even the root user, can delete a
   * locked version before its retention ends:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
   * Object Lock can only be turned on for a new bucket; an existing trail
   * bucket must be replaced (see the docs).
   * `retentionDays` must not be above `retentionDays` of the bucket.
   * @default no Object Lock
   */
  readonly objectLock?: ObjectLockOptions;
  /**
   * Terraform `prevent_destroy` on the bucket: audit logs are evidence. Turn it
   * off only for throw-away environments (tests, emulators).
   * @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * Send the bucket's S3 event notifications to Amazon EventBridge
   * (`aws_s3_bucket_notification` with `eventbridge = true`:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
   * @default false
   */
  readonly eventNotifications?: boolean;
  /** Tags of the bucket. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** S3 Object Lock of the trail's log bucket: a default retention for every new log object version. */
export interface ObjectLockOptions {
  /** `GOVERNANCE` (principals with `s3:BypassGovernanceRetention` may still delete) or `COMPLIANCE` (nobody can delete a locked version before its retention ends). */
  readonly mode: "GOVERNANCE" | "COMPLIANCE";
  /** Default retention of each new object version, in days; limits in `TRAIL_LOG_BUCKET_SETTINGS`. */
  readonly retentionDays: number;
}

/** Lifecycle rule ID; stable, because changing it replaces the rule in S3. */
const LIFECYCLE_RULE_ID = "expire-audit-logs";
/** Incomplete multipart uploads are invisible, billed storage; CloudTrail never resumes them. */
const ABORT_MULTIPART_AFTER_DAYS = 7;

/**
 * The bucket's settings; the config file's `audit` section applies the same
 * ones (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
 */
export const TRAIL_LOG_BUCKET_SETTINGS = {
  retentionDays: LIFECYCLE_DAYS,
  objectLockMode: choiceSetting({
    code: "OBJECT_LOCK_MODE",
    doc: "`GOVERNANCE` (principals with `s3:BypassGovernanceRetention` may still delete) or `COMPLIANCE` (nobody can delete a locked version before its retention ends).",
    values: ["GOVERNANCE", "COMPLIANCE"] as const,
  }),
  objectLockRetentionDays: integerSetting({
    ...LIFECYCLE_DAYS,
    code: "OBJECT_LOCK_RETENTION",
    doc: "Default retention of each new log object version; at most the bucket's retention.",
    default: undefined,
  }),
  preventDestroy: booleanSetting({ code: "BUCKET_PREVENT_DESTROY", doc: "Terraform `prevent_destroy` on the bucket: logs are evidence.", default: true }),
} as const;

const TRAIL_ARN_PATTERN = /^arn:([^:]+):cloudtrail:([^:]*):([^:]*):trail\/(.*)$/;

/**
 * A hardened S3 bucket for CloudTrail log files:
 * - public access blocked (all four flags), ACLs disabled (`BucketOwnerEnforced`);
 * - versioned, SSE-KMS with the audit key and S3 Bucket Keys;
 * - log objects (current and noncurrent versions) expire after
 *   `retentionDays`; incomplete multipart uploads are aborted after 7 days;
 * - optional S3 server access logging into another bucket, optional Object Lock;
 * - a bucket policy that refuses plain HTTP, lets only the named trail
 *   check the ACL and write under `AWSLogs/<account>/`, per
 *   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html,
 *   refuses deleting log objects to all but the break-glass principals, and
 *   (with managers or break-glass principals named) refuses changing the
 *   bucket's protections to everyone else.
 *
 * CloudTrail checks the bucket policy when the trail is created, so the trail
 * must depend on {@link TrailLogBucket.bucketPolicy} (`depends_on`).
 */
export class TrailLogBucket extends Construct {
  /** The underlying `aws_s3_bucket` (escape hatch). */
  public readonly resource: S3Bucket;
  /** The `aws_s3_bucket_policy`; the trail must depend on it (CreateTrail checks the policy). */
  public readonly bucketPolicy: S3BucketPolicy;
  /** The bucket policy as typed statements. */
  public readonly policyDocument: PolicyDocument;
  public readonly publicAccessBlock: S3BucketPublicAccessBlock;
  public readonly ownershipControls: S3BucketOwnershipControls;
  public readonly versioning: S3BucketVersioningA;
  public readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  public readonly lifecycleConfiguration: S3BucketLifecycleConfiguration;
  /** The access-logging configuration; undefined without `accessLogBucketName`. */
  public readonly accessLogging?: S3BucketLoggingA;
  /** The Object Lock configuration; undefined without `objectLock`. */
  public readonly objectLockConfiguration?: S3BucketObjectLockConfigurationA;
  /** The EventBridge notification configuration; undefined without `eventNotifications`. */
  public readonly eventNotifications?: S3BucketNotification;

  constructor(scope: Construct, id: string, props: TrailLogBucketProps) {
    super(scope, id);
    const what = `trail log bucket "${id}"`;
    const retentionDays = this.checkProps(what, props);
    this.resource = this.createBucket(what, props);
    // ACLs disabled: CloudTrail still sends bucket-owner-full-control, which BucketOwnerEnforced accepts.
    // Versions protect log files from being overwritten or deleted unnoticed. Bucket Keys: CloudTrail then needs kms:Decrypt on the key.
    ({
      publicAccessBlock: this.publicAccessBlock,
      ownershipControls: this.ownershipControls,
      versioning: this.versioning,
      encryption: this.encryption,
    } = addBucketBaseline(this, this.resource, { kmsKeyArn: props.key.keyArn }));
    this.lifecycleConfiguration = this.createLifecycle(retentionDays);
    if (props.accessLogBucketName !== undefined) this.accessLogging = this.createAccessLogging(props.bucketName, props.accessLogBucketName);
    if (props.objectLock) this.objectLockConfiguration = this.createObjectLock(props.objectLock);
    this.policyDocument = this.createPolicyDocument(props);
    this.bucketPolicy = this.createBucketPolicy();
    if (props.eventNotifications) this.eventNotifications = new S3BucketNotification(this, "event-notifications", { bucket: this.resource.id, eventbridge: true });
  }

  /** Checks the names, the trail ARN, the principals and Object Lock against the retention; returns the retention in days. */
  private checkProps(what: string, props: TrailLogBucketProps): number {
    const env = props.key.environment;
    const retentionDays = resolveSetting(what, "retentionDays", TRAIL_LOG_BUCKET_SETTINGS.retentionDays, props.retentionDays);

    const nameProblem = s3BucketNameProblem(props.bucketName);
    if (nameProblem) throw new Error(`${what}: bucketName ${nameProblem}`);
    if (props.accessLogBucketName !== undefined) {
      const logNameProblem = s3BucketNameProblem(props.accessLogBucketName);
      if (logNameProblem) throw new Error(`${what}: accessLogBucketName ${logNameProblem}`);
      if (!Token.isUnresolved(props.accessLogBucketName) && props.accessLogBucketName === props.bucketName) {
        throw new Error(
          `${what}: accessLogBucketName "${props.accessLogBucketName}" is the bucket itself; a bucket that logs into itself writes a log for every log delivery — name a separate access-log bucket or leave accessLogBucketName out`,
        );
      }
    }
    checkTrailArn(what, props.trailArn, env);
    checkPrincipalArns(`${what}: breakGlassPrincipalArns`, [...(props.breakGlassPrincipalArns ?? [])]);
    checkPrincipalArns(`${what}: managerPrincipalArns`, [...(props.managerPrincipalArns ?? [])]);
    if (props.objectLock) {
      resolveSetting(what, "objectLock.retentionDays", TRAIL_LOG_BUCKET_SETTINGS.objectLockRetentionDays, props.objectLock.retentionDays);
      resolveSetting(what, "objectLock.mode", TRAIL_LOG_BUCKET_SETTINGS.objectLockMode, props.objectLock.mode);
      if (props.objectLock.retentionDays > retentionDays) {
        throw new Error(
          `${what}: objectLock.retentionDays ${props.objectLock.retentionDays} is above retentionDays ${retentionDays}; the lifecycle rule could not expire locked versions — lower objectLock.retentionDays or raise retentionDays`,
        );
      }
    }
    return retentionDays;
  }

  private createBucket(what: string, props: TrailLogBucketProps): S3Bucket {
    return new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      // Never delete log objects together with the bucket: emptying an audit bucket must be a deliberate act.
      forceDestroy: false,
      // Object Lock can only be enabled when the bucket is created (the provider replaces the bucket otherwise).
      objectLockEnabled: props.objectLock ? true : undefined,
      tags: props.tags ? { ...props.tags } : undefined,
      lifecycle: { preventDestroy: resolveSetting(what, "preventDestroy", TRAIL_LOG_BUCKET_SETTINGS.preventDestroy, props.preventDestroy) },
    });
  }

  private createLifecycle(retentionDays: number): S3BucketLifecycleConfiguration {
    return new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.resource.id,
      rule: [logExpiryRule(retentionDays)],
      // Noncurrent-version rules need versioning in place first (provider documentation example).
      dependsOn: [this.versioning],
    });
  }

  private createAccessLogging(bucketName: string, accessLogBucketName: string): S3BucketLoggingA {
    return new S3BucketLoggingA(this, "logging", {
      bucket: this.resource.id,
      targetBucket: accessLogBucketName,
      targetPrefix: `${bucketName}/`,
    });
  }

  private createObjectLock(objectLock: ObjectLockOptions): S3BucketObjectLockConfigurationA {
    return new S3BucketObjectLockConfigurationA(this, "object-lock", {
      bucket: this.resource.id,
      rule: { defaultRetention: { mode: objectLock.mode, days: objectLock.retentionDays } },
      dependsOn: [this.versioning],
    });
  }

  /** The bucket policy: TLS only, only the named trail writes, nobody but break-glass principals deletes log files. */
  private createPolicyDocument(props: TrailLogBucketProps): PolicyDocument {
    const env = props.key.environment;
    const bucketArn = `arn:${env.partition}:s3:::${props.bucketName}`;
    const breakGlass = props.breakGlassPrincipalArns ?? [];
    const managers = props.managerPrincipalArns ?? [];
    const cloudTrail = { Service: ["cloudtrail.amazonaws.com"] };
    // aws:SourceArn names the one trail allowed to use the bucket (confused-deputy protection).
    const sourceArn = { "aws:SourceArn": props.trailArn };
    return new PolicyDocument([
      denyInsecureTransport(bucketArn),
      new PolicyStatement({
        sid: "AWSCloudTrailAclCheck20150319",
        principals: cloudTrail,
        actions: TRAIL_BUCKET_ACL_CHECK_ACTIONS,
        resources: [bucketArn],
        conditions: { StringEquals: sourceArn },
      }),
      new PolicyStatement({
        sid: "AWSCloudTrailWrite20150319",
        principals: cloudTrail,
        actions: TRAIL_LOG_WRITE_ACTIONS,
        // Without a trail S3 key prefix, CloudTrail writes under AWSLogs/<account>/.
        resources: [`${bucketArn}/AWSLogs/${env.accountId}/*`],
        conditions: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...sourceArn } },
      }),
      ...logProtectionStatements(bucketArn, breakGlass, managers),
    ]);
  }

  private createBucketPolicy(): S3BucketPolicy {
    return new S3BucketPolicy(this, "policy", {
      bucket: this.resource.id,
      policy: this.policyDocument.toJsonString(),
      // With the public access block being written at the same time, S3 may reject the policy write.
      dependsOn: [this.publicAccessBlock],
    });
  }

  /** The bucket name, as a reference to the bucket resource (consumers get an implicit dependency). */
  public get bucketName(): string {
    return this.resource.bucket;
  }

  /** The bucket ARN, as a reference to the bucket resource. */
  public get bucketArn(): string {
    return this.resource.arn;
  }
}

/**
 * The lifecycle rule of a bucket of log files: every object (current and
 * noncurrent versions) expires after `retentionDays`, incomplete multipart
 * uploads are aborted after 7 days. The log bucket and its replica share it.
 */
export function logExpiryRule(retentionDays: number): S3BucketLifecycleConfigurationRule {
  return {
    id: LIFECYCLE_RULE_ID,
    status: "Enabled",
    // An empty filter applies the rule to every object. Provider 5.x warns when a rule has
    // neither `filter` nor `prefix` (an error in a later version), and `prefix` is deprecated.
    filter: [{}],
    // With `days` set, S3 also removes expired object delete markers once they are old enough.
    expiration: [{ days: retentionDays }],
    noncurrentVersionExpiration: [{ noncurrentDays: retentionDays }],
    abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS }],
  };
}

/**
 * The bucket-policy Denies that protect log files, shared by the log bucket
 * and its replica: `DenyDeletingLogFiles` (all but the break-glass
 * principals) and, when anyone manages the bucket or may break glass,
 * `DenyChangingLogProtection` (all but them).
 */
export function logProtectionStatements(bucketArn: string, breakGlass: readonly string[], managers: readonly string[]): PolicyStatement[] {
  return [
    // aws:PrincipalArn is the role's ARN for a role session (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
    new PolicyStatement({
      sid: "DenyDeletingLogFiles",
      effect: "Deny",
      principals: { AWS: ["*"] },
      actions: LOG_FILE_DELETE_ACTIONS,
      resources: [`${bucketArn}/*`],
      conditions: breakGlass.length > 0 ? { ArnNotEquals: { "aws:PrincipalArn": [...breakGlass] } } : undefined,
    }),
    ...(managers.length + breakGlass.length > 0
      ? [
          new PolicyStatement({
            sid: "DenyChangingLogProtection",
            effect: "Deny",
            principals: { AWS: ["*"] },
            actions: LOG_PROTECTION_CHANGE_ACTIONS,
            resources: [bucketArn],
            conditions: { ArnNotEquals: { "aws:PrincipalArn": [...new Set([...managers, ...breakGlass])] } },
          }),
        ]
      : []),
  ];
}

/** The bucket-policy statement that refuses every request to the bucket and its objects made without TLS. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return denyWithoutTls(["s3:*"], [bucketArn, `${bucketArn}/*`]);
}

/** Throws unless `trailArn` is a trail ARN in the key's account and partition. Tokens pass. */
function checkTrailArn(what: string, trailArn: string, env: EncryptionKey["environment"]): void {
  if (Token.isUnresolved(trailArn)) return;
  const expected = `arn:${env.partition}:cloudtrail:<home region>:${env.accountId}:trail/<name>`;
  const match = TRAIL_ARN_PATTERN.exec(trailArn);
  if (!match) {
    throw new Error(`${what}: trailArn "${trailArn}" is not a CloudTrail trail ARN; write it as ${expected}`);
  }
  const [, partition, region, account, name] = match;
  if (partition !== env.partition) {
    throw new Error(`${what}: trailArn "${trailArn}" is in partition "${partition}", but the key is in "${env.partition}"; write it as ${expected}`);
  }
  if (!REGION_PATTERN.test(region) || partitionForRegion(region) !== partition) {
    throw new Error(`${what}: trailArn "${trailArn}" has region "${region}", which is not a region of partition "${partition}"; use the trail's home region, e.g. "${env.region}"`);
  }
  if (!Token.isUnresolved(env.accountId) && account !== env.accountId) {
    throw new Error(
      `${what}: trailArn "${trailArn}" is in account "${account}", but the key and bucket are in account "${env.accountId}"; the bucket policy only admits a trail of its own account — write it as ${expected}`,
    );
  }
  if (!isCloudTrailName(name)) {
    throw new Error(
      `${what}: trailArn "${trailArn}" has the trail name "${name}", which CloudTrail refuses; use 3–128 letters, digits, ".", "_" or "-", starting and ending with a letter or digit, e.g. "audit-trail"`,
    );
  }
}
