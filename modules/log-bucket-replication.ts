import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketObjectLockConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { AccessLogBucket } from "./access-log-bucket";
import { checkPrincipalArns } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { REGION_PATTERN, partitionForRegion, s3BucketNameProblem } from "./private/aws-limits";
import {
  ASSUME_ROLE_ACTIONS,
  KEY_DECRYPT_ACTIONS,
  REPLICATION_DESTINATION_ACTIONS,
  REPLICATION_ENCRYPT_ACTIONS,
  REPLICATION_SOURCE_BUCKET_ACTIONS,
  REPLICATION_SOURCE_OBJECT_ACTIONS,
  REPLICATION_SOURCE_OBJECT_LOCK_ACTIONS,
} from "./private/perms";
import { addBucketBaseline } from "./private/bucket-baseline";
import { resolveSetting } from "./private/setting";
import { ObjectLockOptions, TRAIL_LOG_BUCKET_SETTINGS, TrailLogBucket, denyInsecureTransport, logExpiryRule, logProtectionStatements } from "./trail-log-bucket";

/** Props of {@link LogBucketReplication}. */
export interface LogBucketReplicationProps {
  /** The bucket to replicate (the trail's log bucket); it must be versioned, as `TrailLogBucket` is. */
  readonly sourceBucket: TrailLogBucket;
  /** The source bucket's name, as a literal: the role's policy and the key statements are scoped to it. */
  readonly sourceBucketName: string;
  /** The key the source bucket's objects are encrypted with (the audit key); its environment is the source's account, region and partition. */
  readonly sourceKey: EncryptionKey;
  /** The destination region: another region of the source key's partition. */
  readonly region: string;
  /** An AWS provider for `region` (e.g. an aliased provider of the stack); it creates the replica key and bucket. */
  readonly provider: TerraformProvider;
  /** Globally unique name of the replica bucket (S3 naming rules, see `s3BucketNameProblem`). */
  readonly bucketName: string;
  /** Aliases of the replica key, in the destination region. */
  readonly keyAliases: readonly string[];
  /** Name of the replication role (IAM role naming rules). */
  readonly roleName: string;
  /** Principals that administer the replica key (no key use). @default none */
  readonly keyAdministratorArns?: readonly string[];
  /** Deploy pipeline principals, listed on the replica key like on the source key (see `EncryptionKeyProps.deployerArns`). @default none */
  readonly deployerArns?: readonly string[];
  /** Rotation period of the replica key; limits as `EncryptionKey`'s. @default 365 */
  readonly keyRotationPeriodDays?: number;
  /** Deletion window of the replica key; limits as `EncryptionKey`'s. @default 30 */
  readonly keyDeletionWindowDays?: number;
  /** Let IAM policies give use of the replica key to principals its policy does not name (see `EncryptionKeyProps.allowIamToGrantKeyUse`). @default false */
  readonly allowIamToGrantKeyUse?: boolean;
  /** Days replicas are kept (current and noncurrent versions); use the source bucket's retention. @default 365 */
  readonly retentionDays?: number;
  /**
   * The source bucket's Object Lock. Replicating locked objects needs Object
   * Lock on the destination bucket too, and the role may then read each
   * version's retention and legal hold
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication);
   * the replica bucket gets the same default retention.
   * @default no Object Lock
   */
  readonly objectLock?: ObjectLockOptions;
  /** Principals that may still delete replicas (see `TrailLogBucketProps.breakGlassPrincipalArns`). @default none: nobody deletes replicas */
  readonly breakGlassPrincipalArns?: readonly string[];
  /** Principals that manage the replica bucket with Terraform (see `TrailLogBucketProps.managerPrincipalArns`). @default none */
  readonly managerPrincipalArns?: readonly string[];
  /**
   * S3 server access logging of the replica bucket into a hardened
   * `AccessLogBucket` of this name that this construct creates in the
   * destination region (S3 delivers access logs only within a region), as
   * the log bucket logs into its own.
   * @default no access logging of the replica bucket
   */
  readonly accessLogBucketName?: string;
  /** Send the replica bucket's (and its access-log bucket's) S3 event notifications to Amazon EventBridge in the destination region. @default false */
  readonly eventNotifications?: boolean;
  /** Permissions boundary of the replication role. @default none */
  readonly rolePermissionsBoundaryArn?: string;
  /** Terraform `prevent_destroy` on the replica key and bucket. @default true */
  readonly preventDestroy?: boolean;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Replication rule ID; stable, because changing it replaces the rule in S3. */
const REPLICATION_RULE_ID = "replicate-audit-logs";

/**
 * Cross-region replication of the trail's log bucket (checkov CKV_AWS_144),
 * secure by construction:
 * - a replica key in the destination region (an `EncryptionKey`: rotation
 *   on, the same administrators, `DenyKeyUseByUnlistedPrincipals`);
 * - a replica bucket hardened like the log bucket: public access blocked,
 *   ACLs disabled, versioned, SSE-KMS with the replica key and S3 Bucket
 *   Keys, the same lifecycle, Object Lock when the source has it, and a
 *   bucket policy that refuses plain HTTP, deleting replicas (but for the
 *   break-glass principals) and changing its protections (but for the
 *   managers and break-glass principals); with `accessLogBucketName`, S3
 *   server access logging into an `AccessLogBucket` in the destination region;
 * - a replication role that only S3 of this account may assume, for the
 *   source bucket (`aws:SourceAccount`, `aws:SourceArn`), with exactly the
 *   permissions https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 *   lists: read the source bucket's replication configuration and object
 *   versions, write replicas, delete markers and tags to the replica
 *   bucket; and, per https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html,
 *   decrypt with the source key only through S3 in the source region for
 *   the source bucket, encrypt with the replica key only through S3 in the
 *   destination region for the replica bucket (`kms:ViaService` and
 *   `kms:EncryptionContext:aws:s3:arn`; with S3 Bucket Keys the context is
 *   the bucket's ARN, without them the object's, so both are allowed:
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html);
 * - the matching key-policy statements on both keys, with the role named
 *   as a listed principal of each;
 * - the replication configuration: every object, objects encrypted with
 *   SSE-KMS included, delete markers too, replicas encrypted with the
 *   replica key.
 *
 * Objects written before the configuration exists are not replicated (that
 * takes S3 Batch Replication). Delete markers that the lifecycle rule
 * creates are not replicated; the replica bucket expires its objects with
 * its own, identical rule.
 */
export class LogBucketReplication extends Construct {
  /** The replica key, in the destination region. */
  public readonly key: EncryptionKey;
  /** The replica bucket (escape hatch). */
  public readonly bucket: S3Bucket;
  /** The replica bucket's versioning (the replication configuration depends on it). */
  public readonly versioning: S3BucketVersioningA;
  /** The replica bucket's default encryption. */
  public readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  /** The replica bucket's policy as typed statements. */
  public readonly policyDocument: PolicyDocument;
  public readonly bucketPolicy: S3BucketPolicy;
  /** The replica bucket's Object Lock configuration; undefined without `objectLock`. */
  public readonly objectLockConfiguration?: S3BucketObjectLockConfigurationA;
  /** The replica bucket's EventBridge notifications; undefined without `eventNotifications`. */
  public readonly eventNotifications?: S3BucketNotification;
  /** The replica bucket's access-logging configuration; undefined without `accessLogBucketName`. */
  public readonly accessLogging?: S3BucketLoggingA;
  /** The bucket that receives the replica bucket's access logs; undefined without `accessLogBucketName`. */
  public readonly accessLogBucket?: AccessLogBucket;
  /** The role S3 replicates with. */
  public readonly role: IamRole;
  /** The role's only policy, as typed statements. */
  public readonly rolePolicyDocument: PolicyDocument;
  public readonly rolePolicy: IamRolePolicy;
  /** The `aws_s3_bucket_replication_configuration` of the source bucket. */
  public readonly configuration: S3BucketReplicationConfigurationA;

  constructor(scope: Construct, id: string, props: LogBucketReplicationProps) {
    super(scope, id);
    const what = `log bucket replication "${id}"`;
    const retentionDays = this.checkProps(what, props);
    const source = props.sourceKey.environment;
    const provider = props.provider;
    const sourceArn = `arn:${source.partition}:s3:::${props.sourceBucketName}`;
    const replicaArn = `arn:${source.partition}:s3:::${props.bucketName}`;
    const preventDestroy = resolveSetting(what, "preventDestroy", TRAIL_LOG_BUCKET_SETTINGS.preventDestroy, props.preventDestroy);
    const tags = props.tags ? { ...props.tags } : undefined;

    this.key = new EncryptionKey(this, "key", {
      accountId: source.accountId,
      region: props.region,
      partition: source.partition,
      provider,
      aliases: props.keyAliases,
      description: `Replica key of log bucket ${props.sourceBucketName}: its replicas in ${props.region}`,
      administratorArns: props.keyAdministratorArns,
      deployerArns: props.deployerArns,
      rotationPeriodDays: props.keyRotationPeriodDays,
      deletionWindowDays: props.keyDeletionWindowDays,
      allowIamToGrantKeyUse: props.allowIamToGrantKeyUse,
      preventDestroy,
      tags: props.tags,
    });

    this.bucket = new S3Bucket(this, "bucket", {
      provider,
      bucket: props.bucketName,
      forceDestroy: false,
      // Replicas of locked objects need Object Lock on the destination, which only a new bucket can have.
      objectLockEnabled: props.objectLock ? true : undefined,
      tags,
      lifecycle: { preventDestroy },
    });
    const bucket = this.bucket.id;
    // The destination of a replication rule must be versioned.
    const baseline = addBucketBaseline(this, this.bucket, { kmsKeyArn: this.key.keyArn });
    const publicAccessBlock = baseline.publicAccessBlock;
    this.versioning = baseline.versioning;
    this.encryption = baseline.encryption;
    new S3BucketLifecycleConfiguration(this, "lifecycle", { provider, bucket, rule: [logExpiryRule(retentionDays)], dependsOn: [this.versioning] });
    if (props.objectLock) {
      this.objectLockConfiguration = new S3BucketObjectLockConfigurationA(this, "object-lock", {
        provider,
        bucket,
        rule: { defaultRetention: { mode: props.objectLock.mode, days: props.objectLock.retentionDays } },
        dependsOn: [this.versioning],
      });
    }
    this.policyDocument = new PolicyDocument([
      denyInsecureTransport(replicaArn),
      ...logProtectionStatements(replicaArn, props.breakGlassPrincipalArns ?? [], props.managerPrincipalArns ?? []),
    ]);
    this.bucketPolicy = new S3BucketPolicy(this, "policy", { provider, bucket, policy: this.policyDocument.toJsonString(), dependsOn: [publicAccessBlock] });
    if (props.eventNotifications) this.eventNotifications = new S3BucketNotification(this, "event-notifications", { provider, bucket, eventbridge: true });
    if (props.accessLogBucketName !== undefined) {
      this.accessLogBucket = new AccessLogBucket(this, "access-logs", {
        provider,
        environment: this.key.environment,
        bucketName: props.accessLogBucketName,
        sourceBucketNames: [props.bucketName],
        retentionDays,
        preventDestroy,
        eventNotifications: props.eventNotifications,
        tags: props.tags,
      });
      // Logging starts once the target bucket admits the S3 logging service.
      this.accessLogging = new S3BucketLoggingA(this, "logging", {
        provider,
        bucket,
        targetBucket: this.accessLogBucket.resource.bucket,
        targetPrefix: `${props.bucketName}/`,
        dependsOn: [this.accessLogBucket.bucketPolicy],
      });
    }

    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: `S3 replicates log bucket ${props.sourceBucketName} to ${props.bucketName} (${props.region})`,
      // Only S3, only for this account's source bucket: aws:SourceAccount and aws:SourceArn against the confused deputy
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
      assumeRolePolicy: new PolicyDocument([
        new PolicyStatement({
          sid: "S3AssumesRoleForReplication",
          principals: { Service: ["s3.amazonaws.com"] },
          actions: ASSUME_ROLE_ACTIONS,
          conditions: { StringEquals: { "aws:SourceAccount": source.accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
        }),
      ]).toJsonString(),
      permissionsBoundary: props.rolePermissionsBoundaryArn,
      tags,
    });
    const roleArn = this.role.arn;
    const sourceContext = { "kms:EncryptionContext:aws:s3:arn": [sourceArn, `${sourceArn}/*`] };
    const replicaContext = { "kms:EncryptionContext:aws:s3:arn": [replicaArn, `${replicaArn}/*`] };
    const viaS3In = (region: string) => ({ "kms:ViaService": `s3.${region}.amazonaws.com` });
    this.rolePolicyDocument = new PolicyDocument([
      new PolicyStatement({ sid: "ReadSourceReplicationConfiguration", actions: REPLICATION_SOURCE_BUCKET_ACTIONS, resources: [sourceArn] }),
      new PolicyStatement({
        sid: "ReadSourceObjectVersions",
        actions: [...REPLICATION_SOURCE_OBJECT_ACTIONS, ...(props.objectLock ? REPLICATION_SOURCE_OBJECT_LOCK_ACTIONS : [])],
        resources: [`${sourceArn}/*`],
      }),
      new PolicyStatement({ sid: "WriteReplicas", actions: REPLICATION_DESTINATION_ACTIONS, resources: [`${replicaArn}/*`] }),
      new PolicyStatement({
        sid: "DecryptSourceObjects",
        actions: KEY_DECRYPT_ACTIONS,
        resources: [props.sourceKey.keyArn],
        conditions: { StringEquals: viaS3In(source.region), StringLike: sourceContext },
      }),
      new PolicyStatement({
        sid: "EncryptReplicas",
        actions: REPLICATION_ENCRYPT_ACTIONS,
        resources: [this.key.keyArn],
        conditions: { StringEquals: viaS3In(props.region), StringLike: replicaContext },
      }),
    ]);
    this.rolePolicy = new IamRolePolicy(this, "role-policy", { name: "replicate-log-files", role: this.role.id, policy: this.rolePolicyDocument.toJsonString() });

    // The keys deny every principal their policies do not name: name the role, and let it use each key as above.
    props.sourceKey.addListedPrincipal(roleArn);
    props.sourceKey.addToKeyPolicy(
      new PolicyStatement({
        sid: "ReplicationDecryptsLogFiles",
        principals: { AWS: [roleArn] },
        actions: KEY_DECRYPT_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: viaS3In(source.region), StringLike: sourceContext },
      }),
    );
    this.key.addListedPrincipal(roleArn);
    this.key.addToKeyPolicy(
      new PolicyStatement({
        sid: "ReplicationEncryptsReplicas",
        principals: { AWS: [roleArn] },
        actions: REPLICATION_ENCRYPT_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: viaS3In(props.region), StringLike: replicaContext },
      }),
    );

    this.configuration = new S3BucketReplicationConfigurationA(this, "configuration", {
      bucket: props.sourceBucket.resource.id,
      role: roleArn,
      rule: [
        {
          id: REPLICATION_RULE_ID,
          status: "Enabled",
          // An empty filter selects every object; with a filter, S3 needs delete_marker_replication stated.
          filter: {},
          deleteMarkerReplication: { status: "Enabled" },
          // Log files are SSE-KMS objects, which S3 replicates only when told to
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html).
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: this.bucket.arn,
            encryptionConfiguration: { replicaKmsKeyId: this.key.keyArn },
          },
        },
      ],
      // Both buckets must be versioned first; the role's permissions and the destination's Object Lock must be in place
      // before S3 replicates the first object.
      dependsOn: [props.sourceBucket.versioning, this.versioning, this.rolePolicy, ...(this.objectLockConfiguration ? [this.objectLockConfiguration] : [])],
    });
  }

  /** Checks the regions, names and principals; returns the retention in days. */
  private checkProps(what: string, props: LogBucketReplicationProps): number {
    const source = props.sourceKey.environment;
    const retentionDays = resolveSetting(what, "retentionDays", TRAIL_LOG_BUCKET_SETTINGS.retentionDays, props.retentionDays);
    if (!Token.isUnresolved(props.region)) {
      if (!REGION_PATTERN.test(props.region)) throw new Error(`${what}: region "${props.region}" is not a region code; use one such as "eu-central-1"`);
      if (props.region === source.region) {
        throw new Error(
          `${what}: region "${props.region}" is the source bucket's own region; cross-region replication needs another region, e.g. "${otherRegionExample(source.region)}"`,
        );
      }
      if (partitionForRegion(props.region) !== source.partition) {
        throw new Error(
          `${what}: region "${props.region}" is in partition "${partitionForRegion(props.region)}", but the source bucket is in "${source.partition}"; use a region of "${source.partition}"`,
        );
      }
    }
    for (const [field, name] of [
      ["bucketName", props.bucketName],
      ["sourceBucketName", props.sourceBucketName],
      ["accessLogBucketName", props.accessLogBucketName],
    ] as const) {
      const problem = name === undefined ? undefined : s3BucketNameProblem(name);
      if (problem) throw new Error(`${what}: ${field} ${problem}`);
    }
    if (props.accessLogBucketName !== undefined && [props.bucketName, props.sourceBucketName].includes(props.accessLogBucketName)) {
      throw new Error(`${what}: accessLogBucketName "${props.accessLogBucketName}" is a replicated bucket itself; name a bucket of its own, e.g. "${props.bucketName}-access"`);
    }
    if (!Token.isUnresolved(props.bucketName) && props.bucketName === props.sourceBucketName) {
      throw new Error(`${what}: bucketName "${props.bucketName}" is the source bucket itself; name another bucket, e.g. "${props.sourceBucketName}-replica"`);
    }
    checkPrincipalArns(`${what}: breakGlassPrincipalArns`, props.breakGlassPrincipalArns ?? []);
    checkPrincipalArns(`${what}: managerPrincipalArns`, props.managerPrincipalArns ?? []);
    if (props.objectLock && props.objectLock.retentionDays > retentionDays) {
      throw new Error(
        `${what}: objectLock.retentionDays ${props.objectLock.retentionDays} is above retentionDays ${retentionDays}; the lifecycle rule could not expire locked replicas — lower objectLock.retentionDays or raise retentionDays`,
      );
    }
    return retentionDays;
  }
}

/** A region to suggest instead of `region` in an error message. */
function otherRegionExample(region: string): string {
  return region === "eu-central-1" ? "eu-west-1" : "eu-central-1";
}
