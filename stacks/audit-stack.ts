import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AuditTrail } from "../modules";
import { AccountStackSettings, addAccountProvider, addBackend } from "./account-provider";
import { AUDIT_STACK_IDS, auditStackName } from "./construct-ids";
import { deployedRoleBoundaryArn } from "./deployer-stack";

export type AuditStackProps = AccountStackSettings;

/** Alias of the AWS provider of the log bucket's replica region (`audit.replication.region`). */
export const REPLICA_PROVIDER_ALIAS = "replica";

/**
 * The account's audit trail in its home region: one multi-region trail
 * records every use of every key in the account. Deployed before the
 * account's workload stacks, whose key alarms read the trail's log group.
 */
export class AuditStack extends TerraformStack {
  public readonly trail: AuditTrail;

  constructor(scope: Construct, props: AuditStackProps) {
    const { config, account } = props;
    const audit = account.audit;
    super(scope, auditStackName(account));
    addAccountProvider(this, props, audit.homeRegion);
    addBackend(this, props);
    // The log bucket's replica and its key live in another region: they get a provider of their own.
    const replicaProvider = audit.replication ? addAccountProvider(this, props, audit.replication.region, REPLICA_PROVIDER_ALIAS) : undefined;

    this.trail = new AuditTrail(this, AUDIT_STACK_IDS.trail, {
      accountId: account.accountId,
      region: audit.homeRegion,
      trailName: audit.trailName,
      bucketName: audit.bucketName,
      keyAliases: audit.keyAliases,
      keyAdministratorArns: account.keyAdministratorArns,
      deployerArns: account.deployerArns,
      readerArns: audit.readerArns,
      logRetentionDays: audit.logRetentionDays,
      allowShortLogRetention: audit.allowShortLogRetention,
      bucketRetentionDays: audit.bucketRetentionDays,
      accessLogBucketName: audit.accessLogBucketName,
      accessLogging: audit.accessLogging,
      bucketEventNotifications: audit.bucketEventNotifications,
      logFileNotifications: audit.logFileNotifications,
      breakGlassRoleArns: audit.breakGlassRoleArns,
      objectLock: audit.objectLock,
      replication: audit.replication && replicaProvider ? { region: audit.replication.region, bucketName: audit.replication.bucketName, provider: replicaProvider } : undefined,
      cisAlarms: audit.cisAlarms,
      readWriteType: audit.readWriteType,
      excludeManagementEventSources: audit.excludeManagementEventSources,
      alarmEmails: audit.alarmEmails,
      keyRotationPeriodDays: config.key.rotationPeriodDays,
      keyDeletionWindowDays: config.key.deletionWindowDays,
      preventDestroy: config.key.preventDestroy,
      allowIamToGrantKeyUse: account.allowIamToGrantKeyUse,
      rolePermissionsBoundaryArn: deployedRoleBoundaryArn(config, account),
    });

    new TerraformOutput(this, AUDIT_STACK_IDS.trailArnOutput, { value: this.trail.resource.arn, description: "ARN of the audit trail" });
    new TerraformOutput(this, AUDIT_STACK_IDS.auditKeyArnOutput, { value: this.trail.key.keyArn, description: "ARN of the audit key" });
    new TerraformOutput(this, AUDIT_STACK_IDS.logBucketOutput, { value: this.trail.bucket.resource.bucket, description: "Bucket that stores the log files" });
    new TerraformOutput(this, AUDIT_STACK_IDS.logGroupOutput, { value: this.trail.logGroup.name, description: "CloudWatch Logs group of the trail" });
    new TerraformOutput(this, AUDIT_STACK_IDS.alarmTopicArnOutput, { value: this.trail.alarmTopic.resource.arn, description: "SNS topic of the alarms" });
  }
}
