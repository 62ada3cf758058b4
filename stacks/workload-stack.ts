import { DataAwsKmsKey } from "@cdktf/provider-aws/lib/data-aws-kms-key";
import { TerraformOutput, TerraformProvider, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { isMultiRegionGeneration, rotationRoleArn, stackCiphertext, stackEnvironment } from "../config/app-config";
import { EncryptedFunction, EncryptionKey, ISecret, KeyUseAlarms, LambdaCodeSigning, SecretsManagerSecret, SecureStringParameter } from "../modules";
import { DERIVED_DEFAULTS } from "../config/config-spec";
import { formatArn } from "../modules/aws-environment";
import { AccountStackSettings, addAccountProvider, addBackend } from "./account-provider";
import { aliasConstructId } from "../modules/private/aws-limits";
import {
  AUDIT_PROVIDER_ALIAS,
  PRIMARY_KEY_PROVIDER_ALIAS,
  WORKLOAD_STACK_IDS,
  executionRolePath,
  functionConstructId,
  functionOutputIds,
  generationAliasName,
  primaryKeyLookupId,
  retiringKeyUseAlarmsId,
  secretConstructId,
  stackName,
  workloadKeyId,
} from "./construct-ids";
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
  /** The key of the account's current generation (`keyGeneration`). */
  public readonly key: EncryptionKey;
  /** The decrypt-only keys of the generations being retired (`retiringKeyGenerations`), by generation. */
  public readonly retiringKeys: ReadonlyMap<number, EncryptionKey>;
  public readonly functions: readonly EncryptedFunction[];
  /** The alarms on the current key's use. */
  public readonly keyUseAlarms: KeyUseAlarms;
  /** The alarms on each retiring key's use, by generation. */
  public readonly retiringKeyUseAlarms: ReadonlyMap<number, KeyUseAlarms>;
  /** The provider of the account's first region, where the primaries of this stack's replica keys are; undefined without replicas. */
  private readonly primaryKeyRegion?: TerraformProvider;

  constructor(scope: Construct, props: WorkloadStackProps) {
    const { account, region } = props;
    const name = stackName(account, region);
    super(scope, name);
    addAccountProvider(this, props, region);
    const auditRegion = addAccountProvider(this, props, account.audit.homeRegion, AUDIT_PROVIDER_ALIAS);
    addBackend(this, props);
    const replicatesKeys = region !== account.regions[0] && [...account.retiringKeyGenerations, account.keyGeneration].some((g) => isMultiRegionGeneration(account, g));
    this.primaryKeyRegion = replicatesKeys ? addAccountProvider(this, props, account.regions[0], PRIMARY_KEY_PROVIDER_ALIAS) : undefined;
    this.retiringKeys = new Map(account.retiringKeyGenerations.map((generation) => [generation, this.createKey(props, generation)]));
    this.key = this.createKey(props, account.keyGeneration);
    this.moveAliasesToCurrentKey(props);
    const secrets = this.createSecrets(props);
    this.functions = this.createFunctions(props, secrets);
    this.keepRetiringKeysReadable(props);
    this.allowKeyUsersToReEncrypt(props);
    this.keyUseAlarms = this.createKeyUseAlarms(props, auditRegion, this.key, WORKLOAD_STACK_IDS.keyUseAlarms);
    this.retiringKeyUseAlarms = new Map(
      [...this.retiringKeys].map(([generation, key]) => [generation, this.createKeyUseAlarms(props, auditRegion, key, retiringKeyUseAlarmsId(generation))]),
    );
    this.addOutputs();
  }

  /**
   * The key of one generation. Until the account's first manual rotation,
   * the one key has the configured aliases, as it always had. After it, the
   * current key has them too, plus `<first alias>-generation-<n>`, and each
   * retiring key only its generation's alias (the re-encrypt command finds
   * the keys by these names), and is decrypt-only. A multi-Region
   * generation's key is the primary in the account's first region and a
   * replica of it elsewhere; it always has its generation's alias, by which
   * the replicas find the primary.
   */
  private createKey({ config, account, region }: WorkloadStackProps, generation: number): EncryptionKey {
    const current = generation === account.keyGeneration;
    const multiRegion = isMultiRegionGeneration(account, generation);
    const rotated = account.keyGeneration > 1 || account.retiringKeyGenerations.length > 0;
    const generationAlias = generationAliasName(config.key.aliases[0], generation);
    const aliases = !rotated && !multiRegion ? config.key.aliases : current ? [...config.key.aliases, generationAlias] : [generationAlias];
    const primary = multiRegion && region === account.regions[0];
    const purpose = current ? "Lambda environment variables and logs" : `decrypt-only (retiring), generation ${generation} of the key for Lambda environment variables and logs`;
    return new EncryptionKey(this, workloadKeyId(generation), {
      accountId: account.accountId,
      region,
      aliases,
      description: `${config.project}: ${purpose} in ${account.name}/${region}`,
      decryptOnly: !current,
      multiRegion: primary,
      replicaRegions: primary ? account.regions.slice(1) : undefined,
      replicaOf: multiRegion && !primary ? this.primaryKeyArn(generationAlias, generation) : undefined,
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

  /**
   * The ARN of a generation's multi-Region primary key, looked up by its
   * generation alias in the account's first region, whose stack creates it
   * (this stack deploys after that one). The lookup fails the plan unless
   * the alias names an enabled, customer-managed multi-Region primary key.
   */
  private primaryKeyArn(generationAlias: string, generation: number): string {
    const lookup = new DataAwsKmsKey(this, primaryKeyLookupId(generation), {
      provider: this.primaryKeyRegion,
      keyId: `alias/${generationAlias}`,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.multi_region && self.multi_region_configuration[0].multi_region_key_type == "PRIMARY" && self.key_manager == "CUSTOMER" && self.enabled}`,
            errorMessage: `alias/${generationAlias} must name the enabled multi-Region primary key of generation ${generation} that the stack of the account's first region creates; deploy that stack first`,
          },
        ],
      },
    });
    return lookup.arn;
  }

  /**
   * The configured aliases belong to the current key, at its address: the
   * `moved` blocks carry each alias of every earlier generation's address
   * there, one generation at a time (Terraform follows the chain from
   * wherever the state has it), so that Terraform updates the alias in place
   * instead of deleting it and creating it again under the same name.
   */
  private moveAliasesToCurrentKey({ config, account }: WorkloadStackProps): void {
    const moved = [];
    for (let generation = 2; generation <= account.keyGeneration; generation++) {
      for (const alias of config.key.aliases) {
        moved.push({ from: `aws_kms_alias.${this.aliasLogicalId(generation - 1, alias)}`, to: `aws_kms_alias.${this.aliasLogicalId(generation, alias)}` });
      }
    }
    if (moved.length > 0) this.addOverride("moved", moved);
  }

  /**
   * The Terraform name of an alias of a generation's key, whether or not
   * that key exists in this synth: the name cdktf derives from the construct
   * path, computed on a detached path (a root named "Default" is left out of
   * names, as cdktf leaves out every "Default").
   */
  private aliasLogicalId(generation: number, alias: string): string {
    const root = new Construct(undefined as unknown as Construct, "Default");
    return this.getLogicalId(new Construct(new Construct(root, workloadKeyId(generation)), aliasConstructId(alias)).node);
  }

  /**
   * What moved to the current key stays readable under each retiring key:
   * CloudWatch Logs still decrypts the log events written before the move
   * (they stay encrypted under the key that wrote them), and the deploy
   * pipeline reads Secrets Manager secrets back until Secrets Manager has
   * re-encrypted them. (SSM parameters keep their retiring keys themselves:
   * `SecureStringParameterProps.previousKeys`.)
   */
  private keepRetiringKeysReadable({ config, account }: WorkloadStackProps): void {
    for (const key of this.retiringKeys.values()) {
      for (const fn of this.functions) key.allowCloudWatchLogs(fn.role.logGroupName);
      for (const secret of config.secrets.filter((s) => s.accounts.includes(account.name) && s.type !== "ssm")) key.allowDeployerToManageSecret(secret.name);
    }
  }

  /** While keys retire, key users may move helper values into the current key (`npm run reencrypt`). */
  private allowKeyUsersToReEncrypt({ account }: WorkloadStackProps): void {
    if (this.retiringKeys.size > 0) this.key.allowReEncryptionInto(account.keyUserArns);
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
              // Terraform leaves a parameter's key as it was created: its value is put again with the new key by hand.
              previousKeys: [...this.retiringKeys.values()],
            })
          : new SecretsManagerSecret(this, id, {
              secretName: secret.name,
              key: this.key,
              description: secret.description,
              recoveryWindowDays: secret.recoveryWindowDays,
              seedFromVariable: secret.seedFromVariable,
              rotationLambdaArn: secret.rotation && formatArn(this.key.environment, "lambda", `function:${secret.rotation.functionName}`),
              rotationRoleArn: secret.rotation && rotationRoleArn(account, secret.rotation.roleName),
              rotationDays: secret.rotation?.days,
            }),
      );
    }
    return secrets;
  }

  /** Every function of the config that targets this stack's account. */
  private createFunctions({ config, account, region }: WorkloadStackProps, secrets: ReadonlyMap<string, ISecret>): EncryptedFunction[] {
    const env = this.key.environment;
    const rolePath = executionRolePath(config.project, region);
    const functions = config.functions.filter((fn) => fn.accounts.includes(account.name));
    const codeSigning = functions.some((fn) => fn.codeSigning)
      ? new LambdaCodeSigning(this, WORKLOAD_STACK_IDS.codeSigning, {
          signingProfileName: DERIVED_DEFAULTS.signingProfileName(config.project),
          bucketName: DERIVED_DEFAULTS.codeSigningBucketName(config.project, account.accountId, region),
        })
      : undefined;
    return functions.map(
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
          reservedConcurrentExecutions: fn.reservedConcurrentExecutions,
          tracing: fn.tracing,
          deadLetterQueue: fn.deadLetterQueue,
          vpc: fn.vpc[stackName(account, region)],
          codeSigning: fn.codeSigning ? codeSigning : undefined,
          rolePath,
          permissionsBoundaryArn: fn.permissionsBoundaryPolicyName
            ? formatArn(env, "iam", `policy/${fn.permissionsBoundaryPolicyName}`, { global: true })
            : deployedRoleBoundaryArn(config, account),
          secrets: Object.fromEntries(Object.entries(fn.secrets).map(([variable, secretName]) => [variable, secrets.get(secretName)!])),
          encryptedEnvironment: Object.fromEntries(Object.entries(fn.encryptedEnvironment).map(([variable, perStack]) => [variable, stackCiphertext(perStack, account, region)!])),
          // Helper values made with a retiring generation's key still decrypt until they are re-encrypted.
          previousHelperValueKeys: [...this.retiringKeys.values()],
        }),
    );
  }

  /** Alarms on a key's use, next to the account's trail log group in the audit home region (through `auditRegion`). */
  private createKeyUseAlarms({ account, trailLogGroupName, alarmTopicArn }: WorkloadStackProps, auditRegion: TerraformProvider, key: EncryptionKey, id: string): KeyUseAlarms {
    return new KeyUseAlarms(this, id, {
      key,
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
