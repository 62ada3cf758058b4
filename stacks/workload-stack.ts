import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { AccountConfig, AppConfig, stackName } from "../config/app-config";
import { EncryptedFunction, EncryptionKey } from "../modules";

export interface WorkloadStackProps {
  readonly config: AppConfig;
  readonly account: AccountConfig;
  readonly region: string;
  /**
   * Absolute path of the folder the stack is finally written to
   * (`<outdir>/stacks/<stack>`); a local state path is made relative to it so
   * that `terraform -chdir=<that folder>` finds the state from any checkout.
   */
  readonly stackDirectory: string;
}

/**
 * One account in one region: the AWS provider pinned to that account, the
 * backend, the workload key and every function of the config that targets
 * the account.
 */
export class WorkloadStack extends TerraformStack {
  public readonly key: EncryptionKey;
  public readonly functions: readonly EncryptedFunction[];

  constructor(scope: Construct, props: WorkloadStackProps) {
    const { config, account, region } = props;
    const name = stackName(account, region);
    super(scope, name);

    new AwsProvider(this, "aws", {
      region,
      // Refuses to run against any other account, whatever credentials are active.
      allowedAccountIds: [account.accountId],
      assumeRole: account.assumeRole
        ? [{ roleArn: account.assumeRole.roleArn, sessionName: account.assumeRole.sessionName, externalId: account.assumeRole.externalId }]
        : undefined,
      defaultTags: [{ tags: { ...config.defaultTags, ...account.tags } }],
    });

    const backend = config.backend;
    if (backend.type === "local") {
      new LocalBackend(this, {
        path: path.relative(props.stackDirectory, path.join(backend.directory, `${name}.tfstate`)),
      });
    } else {
      const s3 = new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}/${name}.tfstate`,
        region: backend.region,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
        dynamodbTable: backend.dynamodbTable,
      });
      // Not in cdktf 0.21's typed S3 backend config; both need Terraform ≥ 1.10 / 1.6.
      if (backend.useLockfile) s3.addOverride("use_lockfile", true);
      if (backend.roleArn) s3.addOverride("assume_role", { role_arn: backend.roleArn });
    }

    this.key = new EncryptionKey(this, "workload-key", {
      accountId: account.accountId,
      region,
      aliases: config.key.aliases,
      description: `${config.project}: Lambda environment variables and logs in ${account.name}/${region}`,
      rotationPeriodDays: config.key.rotationPeriodDays,
      deletionWindowDays: config.key.deletionWindowDays,
      preventDestroy: config.key.preventDestroy,
      administratorArns: account.keyAdministratorArns,
      userArns: account.keyUserArns,
      deployerArns: account.deployerArns,
    });

    this.functions = config.functions
      .filter((fn) => fn.accounts.includes(account.name))
      .map(
        (fn) =>
          new EncryptedFunction(this, fn.name, {
            functionName: fn.name,
            key: this.key,
            codeDirectory: fn.codeDirectory,
            handler: fn.handler,
            runtime: fn.runtime,
            memorySize: fn.memorySize,
            timeout: fn.timeout,
            architecture: fn.architecture,
            environment: fn.environment,
            logRetentionDays: fn.logRetentionDays,
            allowShortLogRetention: fn.allowShortLogRetention,
            permissionsBoundaryArn: fn.permissionsBoundaryPolicyName
              ? `arn:${this.key.environment.partition}:iam::${account.accountId}:policy/${fn.permissionsBoundaryPolicyName}`
              : undefined,
          }),
      );

    new TerraformOutput(this, "key_arn", { value: this.key.keyArn, description: "ARN of the workload key" });
    new TerraformOutput(this, "key_aliases", { value: this.key.aliasNames, description: "Aliases of the workload key" });
    for (const fn of this.functions) {
      new TerraformOutput(this, `${fn.node.id}_function_arn`, { value: fn.functionArn, description: `ARN of function ${fn.node.id}` });
      new TerraformOutput(this, `${fn.node.id}_role_arn`, { value: fn.role.roleArn, description: `Execution role of function ${fn.node.id}` });
    }
  }
}
