/**
 * After `cdktf destroy`: lists, per account and region of the app, every
 * kind of resource the app creates. Only KMS keys pending deletion (AWS
 * never deletes a key at once: ScheduleKeyDeletion waits 7–30 days) and
 * Secrets Manager secrets in their recovery window may remain.
 */
import { CloudTrailClient, DescribeTrailsCommand } from "@aws-sdk/client-cloudtrail";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { IAMClient, ListPoliciesCommand, ListRolesCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { DescribeParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AppConfig } from "../config/app-config";
import { EmulatorClients } from "./emulator-clients";

export interface TeardownReport {
  /** Keys in state PendingDeletion, over all accounts and regions. */
  readonly keysPendingDeletion: number;
  /** Secrets scheduled for deletion (recovery window). */
  readonly secretsPendingDeletion: number;
  /** Anything else still there, one line each. */
  readonly leftovers: readonly string[];
}

/**
 * @param otherAccountIds accounts outside the config to sweep as well, in
 *   every region of the app: moto's default account 123456789012 catches any
 *   request that was not attributed to a configured account. @default none
 */
export async function verifyTeardown(config: AppConfig, clients: EmulatorClients, otherAccountIds: readonly string[] = []): Promise<TeardownReport> {
  let keysPendingDeletion = 0;
  let secretsPendingDeletion = 0;
  const leftovers: string[] = [];
  const allRegions = [...new Set(config.accounts.flatMap((account) => [...account.regions, account.audit.homeRegion]))];
  const sweeps = [
    ...config.accounts.map((account) => ({ name: account.name, id: account.accountId, regions: [...new Set([...account.regions, account.audit.homeRegion])] })),
    ...otherAccountIds.map((id) => ({ name: "unconfigured account", id, regions: allRegions })),
  ];
  for (const { name, id, regions } of sweeps) {
    const where = (region: string) => `${name} (${id}) ${region}`;
    // IAM and S3 bucket names are global to the account.
    const iam = clients.get(IAMClient, id, regions[0]);
    const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
    roles.forEach((role) => leftovers.push(`${where("global")}: IAM role ${role.Path}${role.RoleName}`));
    const policies = (await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? [];
    policies.forEach((policy) => leftovers.push(`${where("global")}: IAM policy ${policy.PolicyName}`));
    const users = (await iam.send(new ListUsersCommand({}))).Users ?? [];
    users.forEach((user) => leftovers.push(`${where("global")}: IAM user ${user.UserName}`));
    const buckets = (await clients.get(S3Client, id, regions[0]).send(new ListBucketsCommand({}))).Buckets ?? [];
    buckets.forEach((bucket) => leftovers.push(`${where("global")}: S3 bucket ${bucket.Name}`));

    for (const region of regions) {
      const kms = clients.get(KMSClient, id, region);
      for (const key of (await kms.send(new ListKeysCommand({}))).Keys ?? []) {
        const state = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState;
        if (state === "PendingDeletion") keysPendingDeletion += 1;
        else leftovers.push(`${where(region)}: KMS key ${key.KeyId} in state ${state}`);
      }
      const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
      aliases.filter((alias) => !alias.AliasName?.startsWith("alias/aws/")).forEach((alias) => leftovers.push(`${where(region)}: KMS alias ${alias.AliasName}`));

      const functions = (await clients.get(LambdaClient, id, region).send(new ListFunctionsCommand({}))).Functions ?? [];
      functions.forEach((fn) => leftovers.push(`${where(region)}: Lambda function ${fn.FunctionName}`));
      const groups = (await clients.get(CloudWatchLogsClient, id, region).send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
      groups.forEach((group) => leftovers.push(`${where(region)}: log group ${group.logGroupName}`));
      const alarms = (await clients.get(CloudWatchClient, id, region).send(new DescribeAlarmsCommand({}))).MetricAlarms ?? [];
      alarms.forEach((alarm) => leftovers.push(`${where(region)}: alarm ${alarm.AlarmName}`));
      const trails = (await clients.get(CloudTrailClient, id, region).send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList ?? [];
      trails.forEach((trail) => leftovers.push(`${where(region)}: trail ${trail.Name}`));
      const topics = (await clients.get(SNSClient, id, region).send(new ListTopicsCommand({}))).Topics ?? [];
      topics.forEach((topic) => leftovers.push(`${where(region)}: SNS topic ${topic.TopicArn}`));
      const parameters = (await clients.get(SSMClient, id, region).send(new DescribeParametersCommand({}))).Parameters ?? [];
      parameters.forEach((parameter) => leftovers.push(`${where(region)}: SSM parameter ${parameter.Name}`));
      const secrets = (await clients.get(SecretsManagerClient, id, region).send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? [];
      for (const secret of secrets) {
        if (secret.DeletedDate) secretsPendingDeletion += 1;
        else leftovers.push(`${where(region)}: secret ${secret.Name} (not scheduled for deletion)`);
      }
    }
  }
  return { keysPendingDeletion, secretsPendingDeletion, leftovers };
}
