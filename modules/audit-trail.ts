import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { TerraformProvider, dependable } from "cdktf";
import { Construct } from "constructs";
import { AccessLogBucket } from "./access-log-bucket";
import { LogBucketReplication } from "./log-bucket-replication";
import { LogDeliveryTopic } from "./log-delivery-topic";
import { AlarmTopic } from "./alarm-topic";
import { AwsEnvironment, checkPrincipalArns, checkPrincipalPartitions, formatArn } from "./aws-environment";
import { CIS_MONITORING_CONTROLS, CisMonitoringControl } from "./cis-monitoring-controls";
import { ALLOW_SHORT_LOG_RETENTION, LOG_RETENTION, logRetentionProblem } from "./private/aws-limits";
import { booleanSetting, resolveSetting, textSetting } from "./private/setting";
import { EncryptionKey } from "./encryption-key";
import { keyChangePattern } from "./key-use-alarms";
import { LogMetricAlarm } from "./log-metric-alarm";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { ASSUME_ROLE_ACTIONS, KEY_DECRYPT_ACTIONS, KEY_DESCRIBE_ACTIONS, LOG_STREAM_WRITE_ACTIONS, TRAIL_KEY_ENCRYPT_ACTIONS } from "./private/perms";
import { ObjectLockOptions, TrailLogBucket } from "./trail-log-bucket";

/** Props of {@link AuditTrail}: the account and home region, and the trail's settings. */
export interface AuditTrailProps extends AwsEnvironment {
  /** Trail name (CloudTrail naming rules, 3–128 characters). The `region` is the trail's home region. */
  readonly trailName: string;
  /** Globally unique name of the log bucket. */
  readonly bucketName: string;
  /** Aliases of the dedicated audit key. */
  readonly keyAliases: readonly string[];
  /** Principals that administer the audit key (no decrypt). @default none */
  readonly keyAdministratorArns?: readonly string[];
  /**
   * Deploy pipeline principals. CloudWatch Logs uses the audit key as the
   * caller when the pipeline creates the trail's encrypted log group, so
   * the key policy lets them do that (see `EncryptionKeyProps.deployerArns`).
   * @default none
   */
  readonly deployerArns?: readonly string[];
  /** Principals that may decrypt the trail's log files. @default none */
  readonly readerArns?: readonly string[];
  /** Retention of the trail's CloudWatch Logs group. @default 365 */
  readonly logRetentionDays?: number;
  /** Allow a log group retention below the default (explicit opt-out). @default false */
  readonly allowShortLogRetention?: boolean;
  /** Days log files are kept in the bucket; limits as `TrailLogBucket`'s `retentionDays`. @default 365 */
  readonly bucketRetentionDays?: number;
  /**
   * An existing bucket that receives the log bucket's S3 access logs (same
   * account and region; its policy must let `logging.s3.amazonaws.com` write).
   * @default a bucket this construct creates (see `accessLogging`)
   */
  readonly accessLogBucketName?: string;
  /**
   * S3 server access logging of the log bucket (CIS 3.6 / Security Hub
   * CloudTrail.7): without `accessLogBucketName`, into a hardened
   * `AccessLogBucket` named `<bucketName>-access` that this construct
   * creates. `false` is an explicit opt-out: reads and deletes of log files
   * are then recorded nowhere.
   * @default true
   */
  readonly accessLogging?: boolean;
  /**
   * S3 event notifications of the log bucket (and of the access-log bucket
   * this construct creates) to Amazon EventBridge: every object created or
   * deleted becomes an event on the account's default bus, where a rule can
   * alert on deleted log files or feed a SIEM
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
   * `false` is an explicit opt-out.
   * @default true
   */
  readonly bucketEventNotifications?: boolean;
  /**
   * An SNS topic `<trailName>-log-files`, encrypted with the audit key, that
   * the trail notifies of every log file it delivers (see
   * `LogDeliveryTopic`). `false` is an explicit opt-out.
   * @default true
   */
  readonly logFileNotifications?: boolean;
  /**
   * Roles that may still delete log files (break glass); everyone else is
   * refused by the bucket policy (see `TrailLogBucketProps.breakGlassPrincipalArns`).
   * With `deployerArns`, they are also the only ones who may change the
   * bucket's policy, lifecycle, versioning, Object Lock and logging.
   * @default none
   */
  readonly breakGlassRoleArns?: readonly string[];
  /** S3 Object Lock on the log bucket (new buckets only). @default none */
  readonly objectLock?: ObjectLockOptions;
  /**
   * Cross-region replication of the log bucket (checkov CKV_AWS_144; see
   * `LogBucketReplication`): `region` is the destination, another region
   * than the home region in the same partition; `provider` an AWS provider
   * for it (an aliased provider of the stack), which creates the replica key
   * and bucket; `bucketName` the replica bucket (S3 naming rules, default
   * `<bucketName>-replica`). The replica bucket is hardened like the log
   * bucket and encrypted with a replica key of its own (aliases
   * `<keyAlias>-replica`, the same administrators); a role
   * `<trailName>-replication` replicates with exactly the permissions
   * replication needs. When this construct creates the log bucket's
   * access-log bucket (`accessLogging`), the replica bucket logs into
   * `<replica bucketName>-access` in its own region. It doubles the audit
   * storage. The access-log bucket is not replicated.
   * @default no replication
   */
  readonly replication?: { readonly region: string; readonly provider: TerraformProvider; readonly bucketName?: string };
  /**
   * The CIS monitoring set: a metric filter and alarm for each of Security
   * Hub's CloudWatch.1–14 controls, with their exact patterns
   * (`CIS_MONITORING_CONTROLS`). CloudWatch.5 (trail changes) and
   * CloudWatch.7 (keys disabled or scheduled for deletion) are always
   * created; `false` leaves out the other twelve.
   * @default true
   */
  readonly cisAlarms?: boolean;
  /**
   * Management events to record. Only "All" is accepted: "WriteOnly" drops
   * `Decrypt` (a read event), "ReadOnly" drops `DisableKey`,
   * `ScheduleKeyDeletion` and `PutKeyPolicy`, which the alarms watch. The
   * property exists so that such a setting fails loudly instead of silently.
   * @default "All"
   */
  readonly readWriteType?: "All" | "ReadOnly" | "WriteOnly";
  /**
   * Management event sources to leave out. Only `rdsdata.amazonaws.com` may
   * be given: excluding `kms.amazonaws.com` would drop every key use and is
   * refused (CIS 3.1 / Security Hub CloudTrail.1 and CloudWatch.7 fail then).
   * @default none
   */
  readonly excludeManagementEventSources?: readonly string[];
  /** Email addresses that receive the alarms. @default none */
  readonly alarmEmails?: readonly string[];
  /** Rotation period of the audit key; limits as `EncryptionKey`'s. @default 365 */
  readonly keyRotationPeriodDays?: number;
  /** Deletion window of the audit key; limits as `EncryptionKey`'s. @default 30 */
  readonly keyDeletionWindowDays?: number;
  /**
   * Let IAM policies give use of the audit key to principals its policy does
   * not name (see `EncryptionKeyProps.allowIamToGrantKeyUse`).
   * @default false
   */
  readonly allowIamToGrantKeyUse?: boolean;
  /** Permissions boundary of the delivery role (e.g. one a deploy pipeline must attach to every role it creates). @default none */
  readonly rolePermissionsBoundaryArn?: string;
  /** Terraform prevent_destroy on the audit key and the log bucket. @default true */
  readonly preventDestroy?: boolean;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

function cisControl(control: string): CisMonitoringControl {
  return CIS_MONITORING_CONTROLS.find((c) => c.control === control)!;
}

/** CIS AWS Foundations 4.7 / Security Hub CloudWatch.7: the pattern must match exactly. */
export const CIS_KMS_KEY_DISABLE_OR_DELETION_PATTERN = cisControl("CloudWatch.7").pattern;

/** CIS AWS Foundations 4.5 / Security Hub CloudWatch.5: CloudTrail configuration changes. */
export const CIS_TRAIL_CONFIGURATION_CHANGE_PATTERN = cisControl("CloudWatch.5").pattern;

/** Controls whose alarms every trail has, whatever `cisAlarms` says; their construct IDs predate the CIS set. */
const ALWAYS_ON_CIS_CONTROLS: Readonly<Record<string, string>> = { "CloudWatch.7": "cis-4-7", "CloudWatch.5": "cis-4-5" };

/** The replica bucket's default name: `<bucketName>-replica`. */
export function replicaBucketName(bucketName: string): string {
  return `${bucketName}-replica`;
}

export const EXCLUDABLE_EVENT_SOURCES: readonly string[] = ["rdsdata.amazonaws.com"];

/**
 * Why a management-event `readWriteType` other than "All" defeats the trail
 * (undefined for "All"). Shared by the construct and the config validation.
 */
export function readWriteTypeProblem(readWriteType: string): string | undefined {
  if (readWriteType === "WriteOnly") return '"WriteOnly" would drop KMS Decrypt events, which are read events; use "All"';
  if (readWriteType === "ReadOnly") return '"ReadOnly" would drop the write events (DisableKey, ScheduleKeyDeletion, PutKeyPolicy) the alarms watch; use "All"';
  return undefined;
}

/**
 * Why a trail name is refused, or undefined. CloudTrail allows 3–128
 * characters including "." (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html),
 * but the name also names the delivery role "<name>-to-cloudwatch" (IAM: 64
 * characters) and the alarm topic "<name>-alarms" (SNS: no "."), here and in
 * the workload stacks' alarm ARNs.
 */
export function trailNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{1,48}[A-Za-z0-9]$/.test(name) && !/[_-]{2}/.test(name)) return undefined;
  return `"${name}" is invalid; use 3–50 letters, digits, "_" or "-", starting and ending with a letter or digit, with no two "_" or "-" in a row, e.g. "payments-audit"`;
}

/** Why an event source may not be excluded from the trail's management events, or undefined. */
function excludedEventSourceProblem(source: string): string | undefined {
  if (source === "kms.amazonaws.com") return '"kms.amazonaws.com" must not be excluded: the trail exists to record every use of the keys; remove it';
  if (!EXCLUDABLE_EVENT_SOURCES.includes(source)) return `${JSON.stringify(source)} cannot be excluded; CloudTrail only allows "rdsdata.amazonaws.com" here`;
  return undefined;
}

/** The trail's own settings; the config file's `audit` section applies the same ones. */
export const AUDIT_TRAIL_SETTINGS = {
  trailName: textSetting({
    code: "TRAIL_NAME",
    doc: 'Trail name: 3–50 letters, digits, "_" or "-", starting and ending with a letter or digit, no two "_"/"-" in a row (it also names the delivery role `<trail>-to-cloudwatch` and the alarm topic `<trail>-alarms`).',
    problem: trailNameProblem,
    hint: 'use a trail name such as "payments-audit"',
  }),
  logRetentionDays: LOG_RETENTION,
  allowShortLogRetention: ALLOW_SHORT_LOG_RETENTION,
  excludeManagementEventSources: textSetting({
    code: "EXCLUDED_EVENT_SOURCE",
    doc: 'A management event source the trail leaves out: only "rdsdata.amazonaws.com"; "kms.amazonaws.com" is refused.',
    problem: excludedEventSourceProblem,
    hint: 'use "rdsdata.amazonaws.com" or nothing',
  }),
  accessLogging: booleanSetting({
    code: "ACCESS_LOGGING",
    doc: "S3 server access logging of the log bucket (who read or deleted which log file, which the trail does not record); `false` is the explicit opt-out.",
    default: true,
  }),
  bucketEventNotifications: booleanSetting({
    code: "BUCKET_EVENT_NOTIFICATIONS",
    doc: "S3 event notifications of the log bucket and the access-log bucket to Amazon EventBridge (each object created or deleted is an event on the default bus, for rules that alert or feed a SIEM); `false` is the explicit opt-out.",
    default: true,
  }),
  logFileNotifications: booleanSetting({
    code: "LOG_FILE_NOTIFICATIONS",
    doc: "An SNS topic `<trailName>-log-files`, encrypted with the audit key, that the trail notifies of every log file it delivers (subscribe a queue to ingest them); `false` is the explicit opt-out.",
    default: true,
  }),
  cisAlarms: booleanSetting({
    code: "CIS_ALARMS",
    doc: "All fourteen CIS monitoring alarms (Security Hub CloudWatch.1–14); `false` keeps CloudWatch.5 and .7 only.",
    default: true,
  }),
} as const;

/**
 * One account's audit trail, in its home region, encrypted with a dedicated
 * audit key and correct on the first apply:
 * - a multi-region trail with global service events, log file validation,
 *   all management events (KMS `Decrypt` is a read event) and no KMS
 *   exclusion, delivered to S3 and CloudWatch Logs;
 * - the audit key's policy lets CloudTrail encrypt (bound to this trail by
 *   `aws:SourceArn` and the CloudTrail encryption context), CloudWatch Logs
 *   encrypt the trail's log group, named readers decrypt log files, and
 *   CloudWatch alarms publish to the encrypted alarm topic
 *   (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html);
 * - a hardened log bucket (TrailLogBucket) that refuses deleting log files,
 *   with S3 access logging into an AccessLogBucket and optional Object Lock;
 *   the trail depends on its policy, because CloudTrail checks it at CreateTrail;
 * - a log group and a delivery role, trusted by CloudTrail for this trail
 *   only, that may only write the trail's streams;
 * - alarms: the CIS monitoring set (Security Hub CloudWatch.1–14, or only
 *   .5 and .7 with `cisAlarms: false`) and changes of the audit key and its
 *   aliases.
 */
export class AuditTrail extends Construct {
  /** The underlying `aws_cloudtrail` (escape hatch). */
  public readonly resource: Cloudtrail;
  /** The dedicated audit key (log files, log group, alarm topic). */
  public readonly key: EncryptionKey;
  /**
   * The hardened log bucket.
   * @internal a part of the trail, not in the package's API
   */
  public readonly bucket: TrailLogBucket;
  /** The trail's CloudWatch Logs group, encrypted with the audit key. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The role CloudTrail delivers to the log group with. */
  public readonly deliveryRole: IamRole;
  /**
   * The encrypted SNS topic the alarms notify.
   * @internal a part of the trail, not in the package's API; use `alarmTopicArn`
   */
  public readonly alarmTopic: AlarmTopic;
  /** ARN of the SNS topic the alarms notify, built as a string (no reference), e.g. for the `KeyUseAlarms` of other stacks. */
  public readonly alarmTopicArn: string;
  /** CIS 4.7 / CloudWatch.7: a key was disabled or scheduled for deletion. */
  public readonly keyDeletionAlarm: LogMetricAlarm;
  /** CIS 4.5 / CloudWatch.5: someone changed, stopped or deleted a trail. */
  public readonly trailChangeAlarm: LogMetricAlarm;
  /** Every CIS monitoring alarm, by Security Hub control ("CloudWatch.1" …); includes the two above. */
  public readonly cisAlarms: Readonly<Record<string, LogMetricAlarm>>;
  /** The audit key's policy, rotation, state, grants or aliases changed: whoever can do that can stop log delivery. */
  public readonly auditKeyChangeAlarm: LogMetricAlarm;
  /**
   * The bucket that receives the log bucket's access logs; undefined with `accessLogBucketName` or `accessLogging: false`.
   * @internal a part of the trail, not in the package's API
   */
  public readonly accessLogBucket?: AccessLogBucket;
  /**
   * The topic the trail notifies of each log file it delivers; undefined with `logFileNotifications: false`.
   * @internal a part of the trail, not in the package's API
   */
  public readonly logDeliveryTopic?: LogDeliveryTopic;
  /**
   * The log bucket's cross-region replication; undefined without `replication`.
   * @internal a part of the trail, not in the package's API
   */
  public readonly replication?: LogBucketReplication;
  /** The trail's ARN, built as a string, so that other stacks can point at it without a reference. */
  public readonly trailArn: string;
  /** The trail's log group name, `/aws/cloudtrail/<trailName>` (a string, for the `KeyUseAlarms` of other stacks). */
  public readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const where = `audit trail "${props.trailName}"`;
    const { readWriteType, logRetentionDays } = this.checkProps(where, props);
    this.key = this.createKey(props);
    this.trailArn = formatArn(this.key.environment, "cloudtrail", `trail/${props.trailName}`);
    this.logGroupName = `/aws/cloudtrail/${props.trailName}`;
    this.addAuditKeyStatements(props.readerArns ?? []);
    this.key.allowCloudWatchLogs(this.logGroupName);
    const createAccessLogBucket = props.accessLogBucketName === undefined && resolveSetting(where, "accessLogging", AUDIT_TRAIL_SETTINGS.accessLogging, props.accessLogging);
    const eventNotifications = resolveSetting(where, "bucketEventNotifications", AUDIT_TRAIL_SETTINGS.bucketEventNotifications, props.bucketEventNotifications);
    this.bucket = this.createLogBucket(props, createAccessLogBucket, eventNotifications);
    if (createAccessLogBucket) this.accessLogBucket = this.createAccessLogBucket(props, eventNotifications);
    if (props.replication) this.replication = this.createReplication(props, props.replication, createAccessLogBucket, eventNotifications);
    this.logGroup = this.createLogGroup(props, logRetentionDays);
    this.deliveryRole = this.createDeliveryRole(props);
    const deliveryPolicy = this.createDeliveryPolicy();
    if (resolveSetting(where, "logFileNotifications", AUDIT_TRAIL_SETTINGS.logFileNotifications, props.logFileNotifications)) {
      this.logDeliveryTopic = new LogDeliveryTopic(this, "log-files", { topicName: `${props.trailName}-log-files`, key: this.key, trailArn: this.trailArn, tags: props.tags });
    }
    this.resource = this.createTrail(props, readWriteType, deliveryPolicy);
    this.alarmTopic = this.createAlarmTopic(props);
    this.alarmTopicArn = this.alarmTopic.topicArn;
    this.cisAlarms = this.createCisAlarms(where, props);
    this.keyDeletionAlarm = this.cisAlarms["CloudWatch.7"];
    this.trailChangeAlarm = this.cisAlarms["CloudWatch.5"];
    this.auditKeyChangeAlarm = this.createAuditKeyChangeAlarm(props);
  }

  /** Refuses settings that would defeat the trail; returns the management events to record and the log group's retention. */
  private checkProps(where: string, props: AuditTrailProps): { readonly readWriteType: "All" | "ReadOnly" | "WriteOnly"; readonly logRetentionDays: number } {
    resolveSetting(where, "trailName", AUDIT_TRAIL_SETTINGS.trailName, props.trailName);
    const readWriteType = props.readWriteType ?? "All";
    const readWriteProblem = readWriteTypeProblem(readWriteType);
    if (readWriteProblem) throw new Error(`${where}: readWriteType ${readWriteProblem}`);
    for (const source of props.excludeManagementEventSources ?? [])
      resolveSetting(where, "excludeManagementEventSources", AUDIT_TRAIL_SETTINGS.excludeManagementEventSources, source);
    checkPrincipalArns(`${where}: readerArns`, props.readerArns ?? []);
    checkPrincipalPartitions(`${where} (${this.node.path}): readerArns`, props.readerArns ?? [], props);
    const logRetentionDays = resolveSetting(where, "logRetentionDays", AUDIT_TRAIL_SETTINGS.logRetentionDays, props.logRetentionDays);
    const retentionProblem = logRetentionProblem(
      logRetentionDays,
      resolveSetting(where, "allowShortLogRetention", AUDIT_TRAIL_SETTINGS.allowShortLogRetention, props.allowShortLogRetention),
    );
    if (retentionProblem) throw new Error(`${where}: logRetentionDays ${retentionProblem}`);
    return { readWriteType, logRetentionDays };
  }

  /** The dedicated audit key: log files, the log group and the alarm topic are encrypted with it, nothing else. */
  private createKey(props: AuditTrailProps): EncryptionKey {
    return new EncryptionKey(this, "key", {
      accountId: props.accountId,
      region: props.region,
      partition: props.partition,
      aliases: props.keyAliases,
      description: `Audit key of trail ${props.trailName}: CloudTrail log files, its log group and alarm topic`,
      administratorArns: props.keyAdministratorArns,
      deployerArns: props.deployerArns,
      rotationPeriodDays: props.keyRotationPeriodDays,
      deletionWindowDays: props.keyDeletionWindowDays,
      preventDestroy: props.preventDestroy,
      allowIamToGrantKeyUse: props.allowIamToGrantKeyUse,
      tags: props.tags,
    });
  }

  /** The hardened bucket the trail writes its log files to; with `createAccessLogBucket`, it logs into `<bucketName>-access`. */
  private createLogBucket(props: AuditTrailProps, createAccessLogBucket: boolean, eventNotifications: boolean): TrailLogBucket {
    return new TrailLogBucket(this, "bucket", {
      eventNotifications,
      bucketName: props.bucketName,
      key: this.key,
      trailArn: this.trailArn,
      retentionDays: props.bucketRetentionDays,
      accessLogBucketName: createAccessLogBucket ? `${props.bucketName}-access` : props.accessLogBucketName,
      breakGlassPrincipalArns: props.breakGlassRoleArns,
      managerPrincipalArns: props.deployerArns,
      objectLock: props.objectLock,
      preventDestroy: props.preventDestroy,
      tags: props.tags,
    });
  }

  /** The bucket that receives the log bucket's S3 access logs (who read or deleted which log file). */
  private createAccessLogBucket(props: AuditTrailProps, eventNotifications: boolean): AccessLogBucket {
    const accessLogBucket = new AccessLogBucket(this, "access-logs", {
      eventNotifications,
      environment: this.key.environment,
      bucketName: `${props.bucketName}-access`,
      sourceBucketNames: [props.bucketName],
      retentionDays: props.bucketRetentionDays,
      preventDestroy: props.preventDestroy,
      tags: props.tags,
    });
    // Logging starts once the target bucket admits the S3 logging service. The target is named by
    // reference (the same name). Scanners that follow references (checkov's CKV_AWS_18) then count this
    // logging resource for the access-log bucket too, although that bucket does not log its own requests.
    this.bucket.accessLogging!.targetBucket = accessLogBucket.resource.bucket;
    this.bucket.accessLogging!.dependsOn = [dependable(accessLogBucket.bucketPolicy)];
    return accessLogBucket;
  }

  /** The log bucket's replica in another region, with its own key, and the role S3 replicates with. */
  private createReplication(
    props: AuditTrailProps,
    replication: NonNullable<AuditTrailProps["replication"]>,
    createAccessLogBucket: boolean,
    eventNotifications: boolean,
  ): LogBucketReplication {
    const bucketName = replication.bucketName ?? replicaBucketName(props.bucketName);
    return new LogBucketReplication(this, "replication", {
      sourceBucket: this.bucket,
      sourceBucketName: props.bucketName,
      sourceKey: this.key,
      region: replication.region,
      provider: replication.provider,
      bucketName,
      // Like the log bucket's: into a bucket this construct creates, in the replica's region.
      accessLogBucketName: createAccessLogBucket ? `${bucketName}-access` : undefined,
      keyAliases: this.key.aliasNames.map((alias) => `${alias}-replica`),
      roleName: `${props.trailName}-replication`,
      keyAdministratorArns: props.keyAdministratorArns,
      deployerArns: props.deployerArns,
      keyRotationPeriodDays: props.keyRotationPeriodDays,
      keyDeletionWindowDays: props.keyDeletionWindowDays,
      allowIamToGrantKeyUse: props.allowIamToGrantKeyUse,
      retentionDays: props.bucketRetentionDays,
      objectLock: props.objectLock,
      breakGlassPrincipalArns: props.breakGlassRoleArns,
      managerPrincipalArns: props.deployerArns,
      eventNotifications,
      rolePermissionsBoundaryArn: props.rolePermissionsBoundaryArn,
      preventDestroy: props.preventDestroy,
      tags: props.tags,
    });
  }

  private createLogGroup(props: AuditTrailProps, retentionInDays: number): CloudwatchLogGroup {
    return new CloudwatchLogGroup(this, "logs", {
      name: this.logGroupName,
      kmsKeyId: this.key.keyArn,
      retentionInDays,
      tags: props.tags ? { ...props.tags } : undefined,
    });
  }

  /** The role CloudTrail delivers to CloudWatch Logs with, trusted by CloudTrail for this trail only. */
  private createDeliveryRole(props: AuditTrailProps): IamRole {
    return new IamRole(this, "delivery-role", {
      name: `${props.trailName}-to-cloudwatch`,
      description: `CloudTrail delivers trail ${props.trailName} to CloudWatch Logs`,
      // Only for this trail: "The value of aws:SourceArn must be the ARN of the trail … that is using the resource"
      // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cross-service-confused-deputy-prevention.html).
      assumeRolePolicy: new PolicyDocument([
        new PolicyStatement({
          sid: "CloudTrailAssumesRole",
          principals: { Service: ["cloudtrail.amazonaws.com"] },
          actions: ASSUME_ROLE_ACTIONS,
          conditions: { StringEquals: { "aws:SourceArn": this.trailArn } },
        }),
      ]).toJsonString(),
      permissionsBoundary: props.rolePermissionsBoundaryArn,
      tags: props.tags ? { ...props.tags } : undefined,
    });
  }

  /** The delivery role may only write the trail's log streams. */
  private createDeliveryPolicy(): IamRolePolicy {
    const env = this.key.environment;
    return new IamRolePolicy(this, "delivery-policy", {
      name: "write-trail-log-streams",
      role: this.deliveryRole.id,
      // A multi-region trail writes one stream per region, named <account>_CloudTrail_<region>
      // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html).
      policy: new PolicyDocument([
        new PolicyStatement({
          sid: "WriteTrailLogStreams",
          actions: LOG_STREAM_WRITE_ACTIONS,
          resources: [formatArn(env, "logs", `log-group:${this.logGroupName}:log-stream:${env.accountId}_CloudTrail_*`)],
        }),
      ]).toJsonString(),
    });
  }

  private createTrail(props: AuditTrailProps, readWriteType: "All" | "ReadOnly" | "WriteOnly", deliveryPolicy: IamRolePolicy): Cloudtrail {
    return new Cloudtrail(this, "trail", {
      name: props.trailName,
      s3BucketName: this.bucket.resource.bucket,
      kmsKeyId: this.key.keyArn,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      cloudWatchLogsGroupArn: `${this.logGroup.arn}:*`,
      cloudWatchLogsRoleArn: this.deliveryRole.arn,
      eventSelector: [
        {
          readWriteType,
          includeManagementEvents: true,
          excludeManagementEventSources: props.excludeManagementEventSources?.length ? [...props.excludeManagementEventSources] : undefined,
        },
      ],
      snsTopicName: this.logDeliveryTopic?.resource.name,
      tags: props.tags ? { ...props.tags } : undefined,
      // CloudTrail checks the bucket policy, the delivery role and the topic policy when the trail is created.
      dependsOn: [this.bucket.bucketPolicy, deliveryPolicy, ...(this.logDeliveryTopic ? [this.logDeliveryTopic.topicPolicy] : [])],
    });
  }

  private createAlarmTopic(props: AuditTrailProps): AlarmTopic {
    return new AlarmTopic(this, "alarms", {
      topicName: `${props.trailName}-alarms`,
      key: this.key,
      emailAddresses: props.alarmEmails,
      tags: props.tags,
    });
  }

  /** One alarm per CIS monitoring control: CloudWatch.5 and .7 always, the others unless `cisAlarms` is false. */
  private createCisAlarms(where: string, props: AuditTrailProps): Record<string, LogMetricAlarm> {
    const alarmTopicArn = this.alarmTopic.resource.arn;
    const cisAlarms: Record<string, LogMetricAlarm> = {};
    for (const control of CIS_MONITORING_CONTROLS) {
      const alwaysOnId = ALWAYS_ON_CIS_CONTROLS[control.control];
      if (alwaysOnId === undefined && !resolveSetting(where, "cisAlarms", AUDIT_TRAIL_SETTINGS.cisAlarms, props.cisAlarms)) continue;
      cisAlarms[control.control] = new LogMetricAlarm(this, alwaysOnId ?? `cis-${control.id}`, {
        logGroupName: this.logGroup.name,
        name: `${props.trailName}-${control.id}`,
        pattern: control.pattern,
        metricName: control.metricName,
        description: `${control.cis} / Security Hub ${control.control}: ${control.description}`,
        alarmTopicArn,
      });
    }
    return cisAlarms;
  }

  /** Whoever can change the audit key's policy, state or aliases can stop log delivery. */
  private createAuditKeyChangeAlarm(props: AuditTrailProps): LogMetricAlarm {
    return new LogMetricAlarm(this, "audit-key-change", {
      logGroupName: this.logGroup.name,
      name: `${props.trailName}-audit-key-change`,
      pattern: keyChangePattern(this.key.keyArn, this.key.environment.region, this.key.aliasNames),
      metricName: "AuditKeyChange",
      description:
        "The audit key or its aliases changed (PutKeyPolicy, DisableKeyRotation, DisableKey, ScheduleKeyDeletion, a CreateGrant not made by an AWS service, Create/Update/DeleteAlias; attempts included). " +
        "Without its CloudTrail statements the trail cannot write log files. Find the event in CloudTrail, compare with Terraform (terraform plan on the audit stack) and revert unexpected changes.",
      alarmTopicArn: this.alarmTopic.resource.arn,
    });
  }

  private addAuditKeyStatements(readerArns: readonly string[]): void {
    const { partition, accountId } = this.key.environment;
    const thisTrail = { "aws:SourceArn": this.trailArn };
    const statements = [
      new PolicyStatement({
        sid: "CloudTrailEncryptsLogFiles",
        principals: { Service: ["cloudtrail.amazonaws.com"] },
        actions: TRAIL_KEY_ENCRYPT_ACTIONS,
        resources: ["*"],
        conditions: {
          // Any region: a multi-region trail encrypts the log files of every region.
          StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${partition}:cloudtrail:*:${accountId}:trail/*` },
          StringEquals: thisTrail,
        },
      }),
      new PolicyStatement({
        sid: "CloudTrailDescribesKey",
        principals: { Service: ["cloudtrail.amazonaws.com"] },
        actions: KEY_DESCRIBE_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: thisTrail },
      }),
      // S3 Bucket Keys make CloudTrail decrypt the bucket-level data key it generated.
      new PolicyStatement({
        sid: "CloudTrailDecryptsWithBucketKey",
        principals: { Service: ["cloudtrail.amazonaws.com"] },
        actions: KEY_DECRYPT_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: thisTrail },
      }),
    ];
    if (readerArns.length > 0) {
      for (const reader of readerArns) this.key.addListedPrincipal(reader);
      statements.push(
        new PolicyStatement({
          sid: "ReadersDecryptLogFiles",
          principals: { AWS: readerArns },
          actions: KEY_DECRYPT_ACTIONS,
          resources: ["*"],
          // Only through S3, i.e. by reading log files from the bucket. (An encryption-context
          // condition would break with S3 Bucket Keys, which decrypt under the bucket's context.)
          conditions: { StringEquals: { "kms:ViaService": `s3.${this.key.environment.region}.amazonaws.com` } },
        }),
      );
    }
    for (const statement of statements) this.key.addToKeyPolicy(statement);
  }
}
