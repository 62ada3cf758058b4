import { TerraformOutput, TerraformProvider, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { stackEnvironment } from "../config/app-config";
import { EncryptedFunction, EncryptionKey, ISecret, KeyUseAlarms, SecretsManagerSecret, SecureStringParameter } from "../modules";
import { formatArn } from "../modules/aws-environment";
import { AccountStackSettings, addAccountProvider, addBackend } from "./account-provider";
import { AUDIT_PROVIDER_ALIAS, WORKLOAD_STACK_IDS, executionRolePath, functionConstructId, functionOutputIds, secretConstructId, stackName } from "./construct-ids";
import { deployedRoleBoundaryArn } from "./deployer-stack";

export interface WorkloadStackProps extends AccountStackSettings {
  readonly region: string;
  /** The account's trail log group and alarm topic, as literal strings from its AuditTrail (no cross-stack reference). */
  readonly trailLogGroupName: string;
  readonly alarmTopicArn: string;
}

/**
 * One account in one region: the AWS provider pinned to that account, the
 * backend, the workload key, every function of the config that targets the
 * account, and the alarms on this key's use, which live with the account's
 * trail log group in the audit home region (so this stack deploys after the
 * account's audit stack).
 */
export class WorkloadStack extends TerraformStack {
  public readonly key: EncryptionKey;
  public readonly functions: readonly EncryptedFunction[];
  public readonly keyUseAlarms: KeyUseAlarms;

  constructor(scope: Construct, props: WorkloadStackProps) {
    const { account, region } = props;
    const name = stackName(account, region);
    super(scope, name);
    addAccountProvider(this, props, region);
    const auditRegion = addAccountProvider(this, props, account.audit.homeRegion, AUDIT_PROVIDER_ALIAS);
    addBackend(this, props);
    this.key = this.createKey(props);
    const secrets = this.createSecrets(props);
    this.functions = this.createFunctions(props, secrets);
    this.keyUseAlarms = this.createKeyUseAlarms(props, auditRegion);
    this.addOutputs();
  }

  private createKey({ config, account, region }: WorkloadStackProps): EncryptionKey {
    return new EncryptionKey(this, WORKLOAD_STACK_IDS.key, {
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
      helperEncrypterArns: account.helperEncrypterArns,
      allowIamToGrantKeyUse: account.allowIamToGrantKeyUse,
    });
  }

  /** Each stack has its own copy of every secret of its account, encrypted with its own key; by secret name. */
  private createSecrets({ config, account }: WorkloadStackProps): Map<string, ISecret> {
    const secrets = new Map<string, ISecret>();
    for (const secret of config.secrets.filter((s) => s.accounts.includes(account.name))) {
      const id = secretConstructId(secret.name);
      secrets.set(
        secret.name,
        secret.type === "ssm"
          ? new SecureStringParameter(this, id, {
              parameterName: secret.name,
              key: this.key,
              description: secret.description,
              tier: secret.tier,
              seedFromVariable: secret.seedFromVariable,
            })
          : new SecretsManagerSecret(this, id, {
              secretName: secret.name,
              key: this.key,
              description: secret.description,
              recoveryWindowDays: secret.recoveryWindowDays,
              seedFromVariable: secret.seedFromVariable,
            }),
      );
    }
    return secrets;
  }

  /** Every function of the config that targets this stack's account. */
  private createFunctions({ config, account, region }: WorkloadStackProps, secrets: ReadonlyMap<string, ISecret>): EncryptedFunction[] {
    const env = this.key.environment;
    const rolePath = executionRolePath(config.project, region);
    return config.functions
      .filter((fn) => fn.accounts.includes(account.name))
      .map(
        (fn) =>
          new EncryptedFunction(this, functionConstructId(fn.name), {
            functionName: fn.name,
            key: this.key,
            codeDirectory: fn.codeDirectory,
            handler: fn.handler,
            runtime: fn.runtime,
            memorySize: fn.memorySize,
            timeout: fn.timeout,
            architecture: fn.architecture,
            environment: stackEnvironment(fn, account, region),
            logRetentionDays: fn.logRetentionDays,
            allowShortLogRetention: fn.allowShortLogRetention,
            rolePath,
            permissionsBoundaryArn: fn.permissionsBoundaryPolicyName
              ? formatArn(env, "iam", `policy/${fn.permissionsBoundaryPolicyName}`, { global: true })
              : deployedRoleBoundaryArn(config, account),
            secrets: Object.fromEntries(Object.entries(fn.secrets).map(([variable, secretName]) => [variable, secrets.get(secretName)!])),
            encryptedEnvironment: Object.fromEntries(Object.entries(fn.encryptedEnvironment).map(([variable, perStack]) => [variable, perStack[this.node.id]])),
          }),
      );
  }

  /** Alarms on this key's use, next to the account's trail log group in the audit home region (through `auditRegion`). */
  private createKeyUseAlarms({ account, trailLogGroupName, alarmTopicArn }: WorkloadStackProps, auditRegion: TerraformProvider): KeyUseAlarms {
    return new KeyUseAlarms(this, WORKLOAD_STACK_IDS.keyUseAlarms, {
      key: this.key,
      provider: auditRegion,
      trailLogGroupName,
      alarmTopicArn,
      // Every principal exactly: a path would also admit any role someone creates under it later.
      allowedPrincipalArns: [...this.functions.map((fn) => fn.role.principalArn), ...account.keyUserArns, ...account.deployerArns],
    });
  }

  private addOutputs(): void {
    new TerraformOutput(this, WORKLOAD_STACK_IDS.keyArnOutput, { value: this.key.keyArn, description: "ARN of the workload key" });
    new TerraformOutput(this, WORKLOAD_STACK_IDS.keyAliasesOutput, { value: this.key.aliasNames, description: "Aliases of the workload key" });
    for (const fn of this.functions) {
      const outputs = functionOutputIds(fn.node.id);
      new TerraformOutput(this, outputs.functionArn, { value: fn.functionArn, description: `ARN of function ${fn.node.id}` });
      new TerraformOutput(this, outputs.roleArn, { value: fn.role.roleArn, description: `Execution role of function ${fn.node.id}` });
    }
  }
}
