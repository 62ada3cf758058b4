import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { AwsEnvironment, checkPrincipalArns, checkPrincipalPartitions, formatArn, resolveEnvironment } from "./aws-environment";
import { actionMatches } from "./compliance/rules/support";
import { GrantDecryptOptions, IEncryptionKey, cloudWatchLogsStatement, decryptStatement, secretRotationStatement } from "./encryption-key-interface";
import { Grant } from "./grant";
import { IGrantable, grantPrincipalOf } from "./grantable";
import { ImportedEncryptionKey } from "./imported-encryption-key";
import { KeyGrant, KeyGrantProps } from "./key-grant";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import {
  DEPLOYER_GRANT_ACTIONS,
  DEPLOYER_GRANT_MANAGEMENT_ACTIONS,
  DEPLOYER_LAMBDA_KEY_ACTIONS,
  DEPLOYER_LOG_GROUP_KEY_ACTIONS,
  DEPLOYER_PARAMETER_KEY_ACTIONS,
  DEPLOYER_SECRET_KEY_ACTIONS,
  GRANTEE_DENIED_ACTIONS,
  GRANT_OPERATIONS,
  HELPER_ENCRYPTER_ACTIONS,
  HELPER_ENCRYPTER_DENIED_ACTIONS,
  KEY_ACCOUNT_ROOT_ACTIONS,
  KEY_ADMIN_ACTIONS,
  KEY_DESCRIBE_ACTIONS,
  KEY_MANAGEMENT_ACTIONS,
  KEY_USE_ACTIONS,
  KEY_REPLICATION_ACTIONS,
  KEY_USER_ACTIONS,
  RE_ENCRYPT_FROM_ACTIONS,
  RE_ENCRYPT_INTO_ACTIONS,
  RETIRING_KEY_DENIED_ACTIONS,
  RETIRING_KEY_DEPLOYER_LAMBDA_ACTIONS,
  RETIRING_KEY_USER_ACTIONS,
} from "./private/perms";
import { FUNCTION_NAME_CONTEXT_CONDITION_KEY } from "../runtime/contract";
import {
  ACCOUNT_ID_PATTERN,
  ALIAS_NAME,
  KEY_DELETION_WINDOW,
  KEY_ROTATION_PERIOD,
  aliasConstructId,
  aliasNameProblem,
  normalizeAliasName,
  partitionForRegion,
} from "./private/aws-limits";
import { booleanSetting, resolveSetting, show } from "./private/setting";

/** Props of {@link EncryptionKey}: the key's account and region, its aliases, and who may do what with it. */
export interface EncryptionKeyProps extends AwsEnvironment {
  /**
   * Alias names, with or without the `alias/` prefix. At least one: people and
   * pipelines find keys by alias. Names under `alias/aws/` are reserved by AWS.
   */
  readonly aliases: readonly string[];
  /** @default "Customer-managed key for Lambda environment variables and logs" */
  readonly description?: string;
  /** Days between automatic rotations of the key material; limits in `ENCRYPTION_KEY_SETTINGS`. @default 365 */
  readonly rotationPeriodDays?: number;
  /** Waiting period before a scheduled deletion completes; limits in `ENCRYPTION_KEY_SETTINGS`. @default 30 */
  readonly deletionWindowDays?: number;
  /**
   * Terraform refuses to destroy the key while this is on. Turn it off only
   * for throw-away environments (tests, emulators).
   * @default true
   */
  readonly preventDestroy?: boolean;
  /** Principals that administer the key (no encrypt/decrypt). @default none: the account's IAM policies decide */
  readonly administratorArns?: readonly string[];
  /** Principals that may decrypt with the key directly. @default none */
  readonly userArns?: readonly string[];
  /**
   * Deploy pipeline principals: they get what Lambda needs to configure
   * environment encryption with this key (encrypt, decrypt, create grants for
   * AWS resources only).
   * @default none
   */
  readonly deployerArns?: readonly string[];
  /**
   * Operators who encrypt helper values (`npm run encrypt`): `kms:Encrypt`
   * only, and only with a `LambdaFunctionName` encryption context, the one
   * the functions' runtime decrypts with. They cannot decrypt.
   * @default none
   */
  readonly helperEncrypterArns?: readonly string[];
  /**
   * Let IAM policies give key use to principals this key's policy does not
   * name. Off by default: the key policy then denies encrypt, decrypt,
   * re-encrypt and data-key generation to every principal outside
   * `userArns`, `deployerArns` and the roles given access with
   * `grantDecrypt` or `addListedPrincipal`, whatever their IAM policies say
   * (AWS services calling as themselves, and calls through CloudWatch Logs,
   * are not affected). Turn it on only if people outside the config must use
   * the key, e.g. to read encrypted environment variables in the Lambda
   * console; IAM then decides who else may use the key.
   * @default false
   */
  readonly allowIamToGrantKeyUse?: boolean;
  /**
   * A key being retired after a manual rotation: values encrypted under it
   * can still be decrypted (by the principals and services the policy names,
   * as before), but no principal may encrypt with it any more, whatever its
   * IAM policies say (`DenyEncryptionWithRetiringKey`), helper encrypters get
   * nothing, the deploy pipeline may only read function environments back
   * through Lambda, and key users may also re-encrypt from it
   * (`kms:ReEncryptFrom`), to move values to the new key without the
   * plaintext leaving KMS. AWS services calling as themselves (CloudWatch
   * Logs for the log groups registered with `allowCloudWatchLogs`) keep
   * their statements, so no log event is lost while the groups move.
   * @default false
   */
  readonly decryptOnly?: boolean;
  /**
   * Create the key as the primary key of a multi-Region key
   * (`multi_region = true`): `replicaOf` keys in other regions share its key
   * material, so a ciphertext made under it decrypts in each of them
   * (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html).
   * A key cannot become multi-Region after it is created: changing this
   * replaces the key (which `preventDestroy` stops).
   * @default false
   */
  readonly multiRegion?: boolean;
  /**
   * The regions a `multiRegion` key may be replicated to. The deploy
   * pipeline may replicate it there (`DeployPipelineReplicatesKey`), and
   * nobody may replicate it anywhere else, whatever IAM allows
   * (`DenyReplicationToOtherRegions`, on `kms:ReplicaRegion`:
   * https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-auth.html#mrk-auth-replicate):
   * replicating moves the key material to another region.
   * @default none: the key may not be replicated
   */
  readonly replicaRegions?: readonly string[];
  /**
   * Create the key as a replica (`aws_kms_replica_key`) of this multi-Region
   * primary key, given by its key ARN (`arn:<partition>:kms:<region>:<account-id>:key/mrk-...`,
   * a literal or a reference), in this key's `region`. The replica has its
   * own policy, built for its region like any key's, its own aliases and
   * deletion window; rotation follows the primary.
   * @default none: a key of its own
   */
  readonly replicaOf?: string;
  /**
   * The AWS provider that creates the key and its aliases, when it is not the
   * stack's default provider, e.g. an aliased provider for another region
   * (`region` must be that provider's region).
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** "Key policy document size: 32 KB (32,768 bytes)", not adjustable (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-limit). */
export const KEY_POLICY_MAX_BYTES = 32_768;

/** The key's settings; the config file's `key` section applies the same ones. */
export const ENCRYPTION_KEY_SETTINGS = {
  aliases: ALIAS_NAME,
  rotationPeriodDays: KEY_ROTATION_PERIOD,
  deletionWindowDays: KEY_DELETION_WINDOW,
  preventDestroy: booleanSetting({
    code: "KEY_PREVENT_DESTROY",
    doc: "Terraform `prevent_destroy` on the key; turn it off only for throw-away environments (tests, emulators).",
    default: true,
  }),
  allowIamToGrantKeyUse: booleanSetting({
    code: "ALLOW_IAM_TO_GRANT_KEY_USE",
    doc: "Explicit opt-out: drops `DenyKeyUseByUnlistedPrincipals`, so that IAM policies decide who else may use the key.",
    default: false,
  }),
} as const;

export type { GrantDecryptOptions } from "./encryption-key-interface";

/**
 * A symmetric customer-managed KMS key with aliases and an explicit,
 * lockout-safe key policy, secure by default: rotation on, 30-day deletion
 * window, `prevent_destroy`.
 *
 * Key policy statements:
 * - `EnableIamPoliciesForAccount`: the account root may do everything, which
 *   keeps the key manageable (no lockout) and lets IAM policies grant access
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html);
 * - `KeyAdministration`: administrators, management actions only;
 * - `KeyUsage`: users may decrypt;
 * - `OperatorsEncryptHelperValues`: helper encrypters may encrypt with a
 *   `LambdaFunctionName` encryption context, nothing else;
 * - `DeployPipelineConfiguresLambda` / `DeployPipelineCreatesGrantsForAwsResources`:
 *   what the deploy identity needs to set `kms_key_arn` on a function
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html);
 * - `DeployPipelineCreatesEncryptedLogGroups`: the deploy identity, through
 *   CloudWatch Logs only and only for the registered log groups: Logs uses the
 *   key as the caller when it creates an encrypted group;
 * - `DeployPipelineManagesSecrets` / `DeployPipelineManagesParameters`: the
 *   deploy identity, through Secrets Manager or Systems Manager only and only
 *   for the registered secrets and parameters, which Terraform writes and
 *   reads back;
 * - `CloudWatchLogsEncryptsLogGroups`: the regional Logs service, only for the
 *   log groups registered with `allowCloudWatchLogs`
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html);
 * - `DenyKeyUseByUnlistedPrincipals` (unless `allowIamToGrantKeyUse`),
 *   `DenyKeyUseByAdministrators`, `DenyDeployPipelineKeyUseOutsideServices`,
 *   `DenyHelperEncryptersReadingValues` and `DenyGrantsForNonAwsResources`:
 *   explicit Denies, which no IAM policy can override, unlike the limits of
 *   the Allow statements, which the account statement lets IAM widen
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 *   They cover key use only, never key management, so the account can
 *   always manage the key;
 * - with `decryptOnly` (a key retiring after a manual rotation):
 *   `DenyEncryptionWithRetiringKey`, `KeyUsage` with `kms:ReEncryptFrom`,
 *   and `DeployPipelineReadsLambdaEnvironments` instead of the deployer's
 *   Lambda statements, no `OperatorsEncryptHelperValues`; on the key that
 *   replaces it, `allowReEncryptionInto` adds `ReEncryptIntoThisKey` and
 *   `ReEncryptWithinThisKey`;
 * - on a multi-Region primary (`multiRegion`): `DeployPipelineReplicatesKey`
 *   and `DenyReplicationToOtherRegions`, on `kms:ReplicaRegion`. A replica
 *   (`replicaOf`) gets the same statements as any key, built for its region.
 *
 * Principals are refused at construction (and in `addToKeyPolicy` and
 * `addListedPrincipal`) when their ARN is in another partition than the
 * key's region (an account belongs to one partition:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html), and
 * another account (its root ARN or bare account ID) is refused key
 * management (`administratorArns`, or `kms:*` and the management actions in
 * a statement added with `addToKeyPolicy`): KMS honours only key use across
 * accounts (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html),
 * which `userArns` gives. The key's own account root keeps `kms:*`.
 *
 * A key created elsewhere is used through `EncryptionKey.fromKeyArn`.
 */
export class EncryptionKey extends Construct implements IEncryptionKey {
  /**
   * Uses an existing key, created outside this app, by its key ARN
   * (`arn:<partition>:kms:<region>:<account-id>:key/<key-id>`; not an alias
   * ARN). The account, region and partition are read from the ARN; a token
   * ARN needs `accountId` and `region` in `options`. The key's policy is not
   * managed here: statements the constructs would add to it are collected in
   * `requiredKeyPolicyStatements` for the key's owner, and named in a
   * warning at synth. Throws, naming the value and the fix, when the ARN is
   * not a key ARN.
   *
   * @param options - The key's account, region and partition. Needed (as
   * literals) only when `keyArn` is a token; with a literal ARN they are read
   * from it, and any given must match it.
   */
  public static fromKeyArn(scope: Construct, id: string, keyArn: string, options: Partial<AwsEnvironment> = {}): IEncryptionKey {
    return new ImportedEncryptionKey(scope, id, { ...options, keyArn });
  }

  /** The underlying `aws_kms_key`, or `aws_kms_replica_key` for a replica (escape hatch). */
  public readonly resource: KmsKey | KmsReplicaKey;
  /** The `aws_kms_alias` resources, in the order of `aliasNames`. */
  public readonly aliases: readonly KmsAlias[];
  /** Alias names with the `alias/` prefix, in the order given. */
  public readonly aliasNames: readonly string[];
  /** The key's account, region and partition. */
  public readonly environment: Required<AwsEnvironment>;
  /** The key policy; add statements with `addToKeyPolicy`. */
  public readonly policy: PolicyDocument;
  /** Whether IAM policies may give key use to principals the key policy does not name. */
  public readonly allowIamToGrantKeyUse: boolean;
  /** Whether the key is being retired: decrypt only (see `EncryptionKeyProps.decryptOnly`). */
  public readonly decryptOnly: boolean;

  private readonly deployerArns: readonly string[];
  /** `encryption key "<id>" (<construct path>)`: the start of the messages of the principal checks. */
  private readonly at: string;

  private readonly logGroupArns: string[] = [];
  /** `SecretARN` patterns (the ARN ends in 6 random characters) of the secrets the deployer writes and reads back. */
  private readonly secretArnPatterns: string[] = [];
  /** `PARAMETER_ARN`s of the SecureString parameters the deployer writes and reads back. */
  private readonly parameterArns: string[] = [];
  /** Principals exempt from `DenyKeyUseByUnlistedPrincipals`; grows as access is granted. */
  private readonly listedPrincipalArns: string[] = [];
  /** The listed principals that are not grantees of constrained grants: a grantee must not be one of them. */
  private readonly principalsListedOtherwise = new Set<string>();
  /** The grantees of constrained grants, in the order registered, each with what its grants give. */
  private readonly grantees = new Map<string, GranteeScope>();
  /** The operations of all constrained grants, as `GrantOperations` values; shared with `DenyGrantOperationsNotRegistered`. */
  private readonly grantOperations: string[] = [];

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const where = `encryption key "${id}"`;
    this.environment = resolveEnvironment(props, where);
    const rotationPeriodDays = resolveSetting(where, "rotationPeriodDays", ENCRYPTION_KEY_SETTINGS.rotationPeriodDays, props.rotationPeriodDays);
    const deletionWindowDays = resolveSetting(where, "deletionWindowDays", ENCRYPTION_KEY_SETTINGS.deletionWindowDays, props.deletionWindowDays);
    checkPrincipalArns(`${where}: administratorArns`, props.administratorArns ?? []);
    checkPrincipalArns(`${where}: userArns`, props.userArns ?? []);
    checkPrincipalArns(`${where}: deployerArns`, props.deployerArns ?? []);
    checkPrincipalArns(`${where}: helperEncrypterArns`, props.helperEncrypterArns ?? []);
    this.at = `${where} (${this.node.path})`;
    for (const field of ["administratorArns", "userArns", "deployerArns", "helperEncrypterArns"] as const) {
      checkPrincipalPartitions(`${this.at}: ${field}`, props[field] ?? [], this.environment);
    }
    this.checkForeignAdministrators(props.administratorArns ?? []);
    if (props.aliases.length === 0) {
      throw new Error(`${where}: aliases is empty; give the key at least one alias, e.g. ["lambda-env"]`);
    }
    this.aliasNames = props.aliases.map((alias) => normalizeAlias(where, alias));
    const duplicate = this.aliasNames.find((name, i) => this.aliasNames.indexOf(name) !== i);
    if (duplicate) throw new Error(`${where}: alias "${duplicate}" is listed twice; list each alias once`);

    // Construct IDs are Terraform addresses and must stay stable, so they derive from the alias names.
    const aliasIds = this.aliasNames.map(aliasConstructId);
    aliasIds.forEach((aliasId, i) => {
      const first = aliasIds.indexOf(aliasId);
      if (first !== i) {
        throw new Error(`${where}: aliases "${this.aliasNames[first]}" and "${this.aliasNames[i]}" map to the same Terraform address "${aliasId}"; rename one of them`);
      }
    });

    this.allowIamToGrantKeyUse = resolveSetting(where, "allowIamToGrantKeyUse", ENCRYPTION_KEY_SETTINGS.allowIamToGrantKeyUse, props.allowIamToGrantKeyUse);
    this.decryptOnly = props.decryptOnly ?? false;
    this.deployerArns = props.deployerArns ?? [];
    this.listedPrincipalArns.push(...(props.userArns ?? []), ...(props.deployerArns ?? []), ...(props.helperEncrypterArns ?? []));
    for (const arn of this.listedPrincipalArns) this.principalsListedOtherwise.add(arn);
    this.policy = new PolicyDocument([...this.baseStatements(props), ...this.denyStatements(props), ...this.replicationStatements(props)]);

    const common = {
      description: props.description ?? "Customer-managed key for Lambda environment variables and logs",
      deletionWindowInDays: deletionWindowDays,
      bypassPolicyLockoutSafetyCheck: false,
      policy: this.policy.toJsonString(),
      tags: props.tags ? { ...props.tags } : undefined,
      provider: props.provider,
      lifecycle: { preventDestroy: resolveSetting(where, "preventDestroy", ENCRYPTION_KEY_SETTINGS.preventDestroy, props.preventDestroy) },
    };
    if (props.replicaOf !== undefined) {
      this.checkPrimaryKeyArn(props);
      // Rotation is a property of the primary, which the replicas share (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-manage.html#multi-region-rotate).
      this.resource = new KmsReplicaKey(this, "key", { ...common, primaryKeyArn: props.replicaOf, enabled: true });
    } else {
      this.resource = new KmsKey(this, "key", {
        ...common,
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        keyUsage: "ENCRYPT_DECRYPT",
        isEnabled: true,
        multiRegion: props.multiRegion ?? false,
        enableKeyRotation: true,
        rotationPeriodInDays: rotationPeriodDays,
      });
    }

    this.aliases = this.aliasNames.map((name, i) => new KmsAlias(this, aliasIds[i], { name, targetKeyId: this.resource.keyId, provider: props.provider }));

    this.node.addValidation({
      validate: () =>
        [...this.grantees.keys()]
          .filter((grantee) => this.principalsListedOtherwise.has(grantee))
          .map(
            (grantee) =>
              `encryption key "${id}": ${show(grantee)} is the grantee of a constrained grant and also a principal the key policy names for other access (a key user, deployer, helper encrypter, grantDecrypt grantee or re-encrypter); the grant's Deny statements would take that access away — give the grant a role of its own`,
          ),
    });
    this.node.addValidation({
      validate: () => {
        const size = Buffer.byteLength(JSON.stringify(this.policy.toJSON()), "utf8");
        if (size <= KEY_POLICY_MAX_BYTES) return [];
        // Each registered log group (one per function) is listed by ARN, once for CloudWatch Logs and once for the deployers.
        const logGroups = this.logGroupArns.length > 0 ? `, ${this.logGroupArns.length} log groups of them listed by ARN` : "";
        return [
          `encryption key "${id}": key policy is ${size} bytes, over the ${KEY_POLICY_MAX_BYTES}-byte limit${logGroups}; give fewer functions (log groups) this key, or use fewer principals or group them in roles`,
        ];
      },
    });
  }

  /** The key's ARN, a reference resolved by Terraform. */
  public get keyArn(): string {
    return this.resource.arn;
  }

  /** The key's ID, a reference resolved by Terraform. */
  public get keyId(): string {
    return this.resource.keyId;
  }

  /** Always empty: this key's own policy gets every statement the constructs need. */
  public get requiredKeyPolicyStatements(): readonly PolicyStatement[] {
    return [];
  }

  /**
   * Adds a statement to the key policy (used by other constructs, e.g. service
   * presets). PolicyStatement itself refuses a wildcard principal without a
   * condition that restricts the caller. Refused here: an AWS principal ARN
   * in another partition than the key's, and an `Allow` that gives another
   * account (its root ARN or bare account ID) `kms:*` or a key management
   * action (see `KEY_MANAGEMENT_ACTIONS`), which KMS never honours across
   * accounts; give other accounts key use only.
   */
  public addToKeyPolicy(statement: PolicyStatement): void {
    const field = `${this.at}: addToKeyPolicy statement ${show(statement.sid ?? "")}`;
    checkPrincipalPartitions(`${field} principals.AWS`, statement.principals?.AWS ?? [], this.environment);
    if (statement.effect === "Allow") this.checkForeignManagement(field, statement.principals?.AWS ?? [], statement.actions);
    this.policy.addStatements(statement);
  }

  /**
   * Lets CloudWatch Logs in this key's region encrypt the named log group with
   * the key. All registered groups share one statement, conditioned on
   * `kms:EncryptionContext:aws:logs:arn`.
   */
  public allowCloudWatchLogs(logGroupName: string): void {
    const arn = formatArn(this.environment, "logs", `log-group:${logGroupName}`);
    if (this.logGroupArns.includes(arn)) return;
    this.logGroupArns.push(arn);
    // The array is shared, so groups registered later join this statement.
    if (this.logGroupArns.length === 1) {
      this.policy.addStatements(cloudWatchLogsStatement(this.environment, this.logGroupArns));
      // A retiring key's groups already exist; the pipeline moves them to the new key.
      if (this.deployerArns.length > 0 && !this.decryptOnly) this.policy.addStatements(...this.deployerLogGroupStatements());
    }
  }

  /**
   * Lets the deploy pipeline use the key through Secrets Manager for this
   * secret only: `kms:GenerateDataKey` when it writes a value, `kms:Decrypt`
   * when Terraform reads the version back on every refresh
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
   * All registered secrets share one statement, conditioned on
   * `kms:EncryptionContext:SecretARN`. Nothing is added without `deployerArns`.
   */
  public allowDeployerToManageSecret(secretName: string): void {
    const pattern = `${formatArn(this.environment, "secretsmanager", `secret:${secretName}`)}-??????`;
    this.addDeployerStatement(this.secretArnPatterns, pattern, () => [
      new PolicyStatement({
        sid: "DeployPipelineManagesSecrets",
        principals: { AWS: this.deployerArns },
        actions: DEPLOYER_SECRET_KEY_ACTIONS,
        resources: ["*"],
        conditions: {
          StringEquals: { "kms:ViaService": `secretsmanager.${this.environment.region}.amazonaws.com` },
          StringLike: { "kms:EncryptionContext:SecretARN": this.secretArnPatterns },
        },
      }),
    ]);
  }

  /**
   * Lets the deploy pipeline use the key through Systems Manager for this
   * SecureString parameter only: `kms:Encrypt` (standard tier) or
   * `kms:GenerateDataKey` (advanced tier) when it writes the value,
   * `kms:Decrypt` when Terraform reads it back
   * (https://docs.aws.amazon.com/systems-manager/latest/userguide/secure-string-parameter-kms-encryption.html).
   * All registered parameters share one statement, conditioned on
   * `kms:EncryptionContext:PARAMETER_ARN`. Nothing is added without `deployerArns`.
   */
  public allowDeployerToManageParameter(parameterName: string): void {
    const arn = formatArn(this.environment, "ssm", `parameter/${parameterName.replace(/^\//, "")}`);
    this.addDeployerStatement(this.parameterArns, arn, () => [
      new PolicyStatement({
        sid: "DeployPipelineManagesParameters",
        principals: { AWS: this.deployerArns },
        actions: DEPLOYER_PARAMETER_KEY_ACTIONS,
        resources: ["*"],
        conditions: {
          StringEquals: { "kms:ViaService": `ssm.${this.environment.region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": this.parameterArns },
        },
      }),
    ]);
  }

  /**
   * Lets a secret's rotation function, by its execution role, use the key
   * through Secrets Manager for that secret only (statement
   * `RotationOf<SecretName>`); the role joins the principals the key policy
   * names, so `DenyKeyUseByUnlistedPrincipals` does not stop the rotation.
   */
  public allowSecretRotation(secretName: string, rotationRoleArn: string): void {
    checkPrincipalArns(`${this.at}: allowSecretRotation`, [rotationRoleArn]);
    this.addListedPrincipal(rotationRoleArn);
    this.policy.addStatements(secretRotationStatement(this.environment, secretName, rotationRoleArn));
  }

  /**
   * Lets `principalArns` re-encrypt ciphertexts into this key
   * (`kms:ReEncryptTo`, statement `ReEncryptIntoThisKey`), as the re-encrypt
   * command does after a manual rotation: KMS decrypts with the old key and
   * encrypts with this one, and the plaintext never leaves KMS
   * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html),
   * and re-encrypt a value already under this key onto this key only
   * (`ReEncryptWithinThisKey`, `kms:ReEncryptOnSameKey`:
   * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
   * The principals join the ones the key policy names. Their permission on
   * the old key (`kms:ReEncryptFrom`) is the old key's to give: a
   * `decryptOnly` key gives it to its users.
   */
  public allowReEncryptionInto(principalArns: readonly string[]): void {
    if (this.decryptOnly) throw new Error(`${this.at}: allowReEncryptionInto on a decryptOnly key; values move out of a retiring key, not into it`);
    checkPrincipalArns(`${this.at}: allowReEncryptionInto`, principalArns);
    checkPrincipalPartitions(`${this.at}: allowReEncryptionInto`, principalArns, this.environment);
    if (principalArns.length === 0) return;
    for (const arn of principalArns) this.addListedPrincipal(arn);
    this.policy.addStatements(
      new PolicyStatement({ sid: "ReEncryptIntoThisKey", principals: { AWS: [...principalArns] }, actions: RE_ENCRYPT_INTO_ACTIONS, resources: ["*"] }),
      // A value already under this key (encrypted after the rotation) can go through the same command, onto this key only.
      new PolicyStatement({
        sid: "ReEncryptWithinThisKey",
        principals: { AWS: [...principalArns] },
        actions: RE_ENCRYPT_FROM_ACTIONS,
        resources: ["*"],
        conditions: { Bool: { "kms:ReEncryptOnSameKey": "true" } },
      }),
    );
  }

  /**
   * Names `principalArn` (a role or user ARN, as `aws:PrincipalArn` carries
   * it) as a user of the key, so that `DenyKeyUseByUnlistedPrincipals` does
   * not apply to it. This grants nothing by itself: an Allow in the key
   * policy or in the principal's IAM policy must still give the access.
   * `grantDecrypt` calls it for the grantee.
   */
  public addListedPrincipal(principalArn: string): void {
    checkPrincipalPartitions(`${this.at}: addListedPrincipal`, [principalArn], this.environment);
    this.principalsListedOtherwise.add(principalArn);
    if (!this.listedPrincipalArns.includes(principalArn)) this.listedPrincipalArns.push(principalArn);
  }

  /**
   * Adds a KMS grant with an encryption-context constraint (see
   * {@link KeyGrant}): a narrow, revocable permission for one role or user,
   * e.g. a batch job that decrypts one function's helper values:
   * `key.addConstrainedGrant("orders-batch", { granteePrincipalArn, encryptionContextEquals: { LambdaFunctionName: "orders-api" } })`.
   */
  public addConstrainedGrant(id: string, options: Omit<KeyGrantProps, "key">): KeyGrant {
    return new KeyGrant(this, id, { ...options, key: this });
  }

  /**
   * Fits the key policy to a constrained grant; `KeyGrant` calls it. Every
   * grant of one grantee must use the same constraint type and
   * encryption-context keys, because the grantee's Deny statements bound
   * each context key to the values of its grants.
   *
   * @internal called by KeyGrant, not in the package's API
   */
  public registerGrant(grant: KeyGrant): void {
    const at = `${this.at}: key grant "${grant.node.id}"`;
    const contextKeys = Object.keys(grant.encryptionContext).sort();
    let scope = this.grantees.get(grant.granteePrincipalArn);
    if (scope === undefined) {
      scope = { constraintType: grant.constraintType, operations: [], contextValues: new Map(contextKeys.map((name) => [name, []])) };
      this.grantees.set(grant.granteePrincipalArn, scope);
      this.listedPrincipalArns.push(grant.granteePrincipalArn);
      if (this.grantees.size === 1) this.policy.addStatements(...this.constrainedGrantStatements());
      this.policy.addStatements(...granteeDenyStatements(this.grantees.size, grant.granteePrincipalArn, scope));
    } else if (scope.constraintType !== grant.constraintType || contextKeys.join() !== [...scope.contextValues.keys()].join()) {
      throw new Error(
        `${at}: grantee ${show(grant.granteePrincipalArn)} already has a grant on this key with ${scope.constraintType} on ${JSON.stringify([...scope.contextValues.keys()])}, and this one has ${grant.constraintType} on ${JSON.stringify(contextKeys)}; give all grants of one grantee the same constraint type and encryption-context keys, or use another role`,
      );
    }
    for (const op of grant.operations) {
      if (!scope.operations.includes(op)) scope.operations.push(op);
      if (!this.grantOperations.includes(op)) this.grantOperations.push(op);
    }
    for (const [name, value] of Object.entries(grant.encryptionContext)) {
      const values = scope.contextValues.get(name)!;
      if (!values.includes(value)) values.push(value);
    }
  }

  /**
   * Writes the least-privilege statement into the grantee's identity policy:
   * `kms:Decrypt` on exactly this key's ARN, optionally bound to an encryption
   * context and a calling service. The key policy's account statement makes
   * such IAM statements effective. The grantee's `principalArn` joins the
   * principals the key policy names (see `addListedPrincipal`); a grantee
   * without one is refused while the key denies unlisted principals.
   * Returns the grant: the grantable whose policy received the statement, and the statement.
   */
  public grantDecrypt(grantee: IGrantable, options: GrantDecryptOptions = {}): Grant {
    const principal = grantPrincipalOf(grantee);
    const principalArn = principal.principalArn;
    if (principalArn !== undefined) {
      this.addListedPrincipal(principalArn);
    } else if (!this.allowIamToGrantKeyUse) {
      throw new Error(
        `encryption key "${this.node.id}": grantDecrypt to a grantee without principalArn; the key policy denies key use to principals it does not name, so the grant would never work — give the grantee a principalArn, or set allowIamToGrantKeyUse: true on the key`,
      );
    }
    const statement = decryptStatement(this.keyArn, this.aliasNames[0].slice("alias/".length), options);
    grantee.addToPrincipalPolicy(statement);
    return { grantee: principal, statements: [statement] };
  }

  /** For a multi-Region primary: who may replicate it, and to which regions (see `replicaRegions`). */
  private replicationStatements(props: EncryptionKeyProps): PolicyStatement[] {
    const regions = props.replicaRegions ?? [];
    if (!props.multiRegion) {
      if (regions.length > 0) throw new Error(`${this.at}: replicaRegions is set but multiRegion is not; only a multi-Region primary key can be replicated`);
      return [];
    }
    for (const region of regions) {
      if (Token.isUnresolved(region)) continue;
      if (region === this.environment.region)
        throw new Error(`${this.at}: replicaRegions lists ${show(region)}, the key's own region; list the other regions the key is replicated to`);
      if (!Token.isUnresolved(this.environment.partition) && partitionForRegion(region) !== this.environment.partition) {
        throw new Error(
          `${this.at}: replicaRegions lists ${show(region)}, which is not in the key's partition "${this.environment.partition}"; a multi-Region key is replicated within its partition`,
        );
      }
    }
    const statements = [
      new PolicyStatement({
        sid: "DenyReplicationToOtherRegions",
        effect: "Deny",
        principals: { AWS: ["*"] },
        actions: KEY_REPLICATION_ACTIONS,
        resources: ["*"],
        conditions: regions.length > 0 ? { StringNotEquals: { "kms:ReplicaRegion": [...regions] } } : undefined,
      }),
    ];
    if (this.deployerArns.length > 0 && regions.length > 0) {
      statements.unshift(
        new PolicyStatement({
          sid: "DeployPipelineReplicatesKey",
          principals: { AWS: this.deployerArns },
          actions: KEY_REPLICATION_ACTIONS,
          resources: ["*"],
          conditions: { StringEquals: { "kms:ReplicaRegion": [...regions] } },
        }),
      );
    }
    return statements;
  }

  /**
   * A replica's primary: not also `multiRegion`, and, when the ARN is a
   * literal, a multi-Region key ARN (`key/mrk-`) of the key's account and
   * partition in another region.
   */
  private checkPrimaryKeyArn(props: EncryptionKeyProps): void {
    const arn = props.replicaOf!;
    if (props.multiRegion) throw new Error(`${this.at}: multiRegion and replicaOf are both set; a key is either a primary (multiRegion) or a replica of one (replicaOf)`);
    if (Token.isUnresolved(arn)) return;
    const match = /^arn:([^:]+):kms:([^:]+):(\d{12}):key\/mrk-[0-9a-f]{32}$/.exec(arn);
    const { accountId, region, partition } = this.environment;
    const problem = !match
      ? "is not the key ARN of a multi-Region key (arn:<partition>:kms:<region>:<account-id>:key/mrk-<32 hex digits>)"
      : match[1] !== partition
        ? `is in partition "${match[1]}", not the key's "${partition}"`
        : !Token.isUnresolved(accountId) && match[3] !== accountId
          ? `is in account ${match[3]}; a replica is created in the primary's account, ${accountId} here`
          : !Token.isUnresolved(region) && match[2] === region
            ? `is in region ${region}, the replica's own; a replica goes to another region than its primary`
            : undefined;
    if (problem) throw new Error(`${this.at}: replicaOf ${show(arn)} ${problem}`);
  }

  /**
   * Refuses the root of another account as an administrator. KMS does not
   * honour key management across accounts
   * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html),
   * and an account root would hand the key's administration to whoever that
   * account's IAM policies choose. (Bare account IDs are no IAM principal
   * ARN and are refused before.) Skipped while the key's account is a token.
   */
  private checkForeignAdministrators(administratorArns: readonly string[]): void {
    const own = this.environment.accountId;
    if (Token.isUnresolved(own)) return;
    for (const arn of administratorArns) {
      const account = accountOfPrincipal(arn);
      if (account !== undefined && account !== own) {
        throw new Error(
          `${this.at}: administratorArns: ${show(arn)} is the root of account ${account}, not of the key's account ${own}; KMS does not let another account manage a key — name administrator roles of account ${own}, or give account ${account} key use only, with userArns`,
        );
      }
    }
  }

  /**
   * Refuses an `Allow` that gives another account (an account root ARN or a
   * bare account ID) an action covering key management (`kms:*`,
   * `kms:Put*`, `kms:PutKeyPolicy`, ...). Roles and users of other accounts
   * are left to the statement's author.
   */
  private checkForeignManagement(field: string, principals: readonly string[], actions: readonly string[]): void {
    const own = this.environment.accountId;
    if (Token.isUnresolved(own)) return;
    const foreign = principals.map((principal) => [principal, accountOfPrincipal(principal)] as const).find(([, account]) => account !== undefined && account !== own);
    if (foreign === undefined) return;
    const [principal, account] = foreign;
    for (const action of actions) {
      const managed = Token.isUnresolved(action) ? undefined : KEY_MANAGEMENT_ACTIONS.find((name) => actionMatches(action, name));
      if (managed !== undefined) {
        throw new Error(
          `${field}: principal ${show(principal)} is account ${account}, not the key's account ${own}, and the statement gives it ${show(action)}, which covers key management (${managed}); KMS does not let another account manage a key — give account ${account} key use only, e.g. ["kms:Decrypt", "kms:DescribeKey"], or name it in userArns`,
        );
      }
    }
  }

  /**
   * Adds `value` to `registered`, a list a deployer statement conditions on;
   * the first registration adds the statements, later ones join them (they
   * share the array).
   */
  private addDeployerStatement(registered: string[], value: string, statements: () => PolicyStatement[]): void {
    if (this.deployerArns.length === 0 || registered.includes(value)) return;
    registered.push(value);
    if (registered.length === 1) this.policy.addStatements(...statements());
  }

  private deployerLogGroupStatements(): PolicyStatement[] {
    const viaLogs = { "kms:ViaService": `logs.${this.environment.region}.amazonaws.com` };
    return [
      // CloudWatch Logs makes KMS calls as the caller of CreateLogGroup/AssociateKmsKey:
      // "You should add this to your roles which call CloudWatch Logs in either your Key Policy or in IAM"
      // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
      new PolicyStatement({
        sid: "DeployPipelineCreatesEncryptedLogGroups",
        principals: { AWS: this.deployerArns },
        actions: DEPLOYER_LOG_GROUP_KEY_ACTIONS,
        resources: ["*"],
        // The shared array: log groups registered later join the statement.
        conditions: { StringEquals: viaLogs, ArnEquals: { "kms:EncryptionContext:aws:logs:arn": this.logGroupArns } },
      }),
      // DescribeKey carries no encryption context.
      new PolicyStatement({
        sid: "DeployPipelineDescribesKeyForCloudWatchLogs",
        principals: { AWS: this.deployerArns },
        actions: KEY_DESCRIBE_ACTIONS,
        resources: ["*"],
        conditions: { StringEquals: viaLogs },
      }),
    ];
  }

  /** The explicit Denies; see the class comment. */
  private denyStatements(props: EncryptionKeyProps): PolicyStatement[] {
    const region = this.environment.region;
    const notThroughLogs = { "kms:ViaService": [`logs.${region}.amazonaws.com`] };
    const users = new Set([...(props.userArns ?? []), ...this.deployerArns]);
    const administrators = (props.administratorArns ?? []).filter((arn) => !users.has(arn));
    const deployers = this.deployerArns.filter((arn) => !(props.userArns ?? []).includes(arn));
    const statements: PolicyStatement[] = [];
    if (!this.allowIamToGrantKeyUse) {
      statements.push(new UnlistedPrincipalsDenyStatement(this.listedPrincipalArns, notThroughLogs));
    }
    const denyKeyUse = (sid: string, principals: readonly string[], services: readonly string[]) =>
      new PolicyStatement({
        sid,
        effect: "Deny",
        principals: { AWS: principals },
        actions: KEY_USE_ACTIONS,
        resources: ["*"],
        conditions: { StringNotEquals: { "kms:ViaService": services.map((service) => `${service}.${region}.amazonaws.com`) } },
      });
    if (administrators.length > 0) statements.push(denyKeyUse("DenyKeyUseByAdministrators", administrators, ["logs"]));
    // Helper encrypters are listed principals, so without this an IAM policy could let them decrypt.
    const encrypters = (props.helperEncrypterArns ?? []).filter((arn) => !users.has(arn));
    if (encrypters.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: "DenyHelperEncryptersReadingValues",
          effect: "Deny",
          principals: { AWS: encrypters },
          actions: HELPER_ENCRYPTER_DENIED_ACTIONS,
          resources: ["*"],
        }),
      );
    }
    // The services that use the key as the deployer: Lambda (function environments), CloudWatch Logs
    // (log groups), Secrets Manager and Systems Manager (seeding and reading back secrets).
    if (deployers.length > 0) statements.push(denyKeyUse("DenyDeployPipelineKeyUseOutsideServices", deployers, ["lambda", "logs", "secretsmanager", "ssm"]));
    if (this.decryptOnly) {
      statements.push(
        new PolicyStatement({
          sid: "DenyEncryptionWithRetiringKey",
          effect: "Deny",
          principals: { AWS: ["*"] },
          actions: RETIRING_KEY_DENIED_ACTIONS,
          resources: ["*"],
          conditions: { Bool: { "aws:PrincipalIsAWSService": "false" } },
        }),
      );
    }
    statements.push(new NonAwsResourceGrantsDenyStatement(this.grantees));
    return statements;
  }

  /** Added with the first constrained grant; the lists they condition on grow with later grants. */
  private constrainedGrantStatements(): PolicyStatement[] {
    const notForAwsResource = { Bool: { "kms:GrantIsForAWSResource": "false" } };
    const statements = [
      new PolicyStatement({
        sid: "DenyUnconstrainedGrants",
        effect: "Deny",
        principals: { AWS: ["*"] },
        actions: DEPLOYER_GRANT_ACTIONS,
        resources: ["*"],
        // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-constraint-type
        conditions: { ...notForAwsResource, Null: { "kms:GrantConstraintType": "true" } },
      }),
      new PolicyStatement({
        sid: "DenyGrantOperationsNotRegistered",
        effect: "Deny",
        principals: { AWS: ["*"] },
        actions: DEPLOYER_GRANT_ACTIONS,
        resources: ["*"],
        // The shared array: operations of grants registered later join it.
        conditions: { ...notForAwsResource, "ForAnyValue:StringNotEquals": { "kms:GrantOperations": this.grantOperations } },
      }),
    ];
    if (this.deployerArns.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: "DeployPipelineCreatesConstrainedGrants",
          principals: { AWS: this.deployerArns },
          actions: DEPLOYER_GRANT_ACTIONS,
          resources: ["*"],
          conditions: { ...notForAwsResource, Null: { "kms:GrantConstraintType": "false" } },
        }),
        new PolicyStatement({
          sid: "DeployPipelineManagesConstrainedGrants",
          principals: { AWS: this.deployerArns },
          actions: DEPLOYER_GRANT_MANAGEMENT_ACTIONS,
          resources: ["*"],
        }),
      );
    }
    return statements;
  }

  private baseStatements(props: EncryptionKeyProps): PolicyStatement[] {
    const viaLambda = `lambda.${this.environment.region}.amazonaws.com`;
    const statements = [
      new PolicyStatement({
        sid: "EnableIamPoliciesForAccount",
        principals: { AWS: [formatArn(this.environment, "iam", "root", { global: true })] },
        actions: KEY_ACCOUNT_ROOT_ACTIONS,
        resources: ["*"],
      }),
    ];
    if (props.administratorArns?.length) {
      statements.push(
        new PolicyStatement({
          sid: "KeyAdministration",
          principals: { AWS: props.administratorArns },
          actions: KEY_ADMIN_ACTIONS,
          resources: ["*"],
        }),
      );
    }
    if (props.userArns?.length) {
      statements.push(
        new PolicyStatement({
          sid: "KeyUsage",
          principals: { AWS: props.userArns },
          actions: this.decryptOnly ? RETIRING_KEY_USER_ACTIONS : KEY_USER_ACTIONS,
          resources: ["*"],
        }),
      );
    }
    if (props.helperEncrypterArns?.length && !this.decryptOnly) {
      statements.push(
        new PolicyStatement({
          sid: "OperatorsEncryptHelperValues",
          principals: { AWS: props.helperEncrypterArns },
          actions: HELPER_ENCRYPTER_ACTIONS,
          resources: ["*"],
          conditions: { Null: { [FUNCTION_NAME_CONTEXT_CONDITION_KEY]: "false" } },
        }),
      );
    }
    if (props.deployerArns?.length && this.decryptOnly) {
      // Terraform reads a function's environment back (through Lambda, as the deployer) until the function moves to the new key.
      statements.push(
        new PolicyStatement({
          sid: "DeployPipelineReadsLambdaEnvironments",
          principals: { AWS: props.deployerArns },
          actions: RETIRING_KEY_DEPLOYER_LAMBDA_ACTIONS,
          resources: ["*"],
          conditions: { StringEquals: { "kms:ViaService": viaLambda } },
        }),
      );
    } else if (props.deployerArns?.length) {
      statements.push(
        // Only through Lambda: the pipeline can configure and read function environments. That it cannot
        // decrypt by calling KMS directly is DenyDeployPipelineKeyUseOutsideServices's doing: an Allow's
        // condition limits only what this statement gives, and IAM policies can give more.
        new PolicyStatement({
          sid: "DeployPipelineConfiguresLambda",
          principals: { AWS: props.deployerArns },
          actions: DEPLOYER_LAMBDA_KEY_ACTIONS,
          resources: ["*"],
          conditions: { StringEquals: { "kms:ViaService": viaLambda } },
        }),
        new PolicyStatement({
          sid: "DeployPipelineCreatesGrantsForAwsResources",
          principals: { AWS: props.deployerArns },
          actions: DEPLOYER_GRANT_ACTIONS,
          resources: ["*"],
          // Lambda creates the grant on the deployer's behalf; nobody may create grants for themselves.
          conditions: { Bool: { "kms:GrantIsForAWSResource": "true" }, StringEquals: { "kms:ViaService": viaLambda } },
        }),
      );
    }
    return statements;
  }
}

/**
 * The account a principal stands for as a whole: a bare account ID or an
 * account root ARN (both mean the account:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts);
 * undefined for roles, users, `"*"` and tokens.
 */
function accountOfPrincipal(principal: string): string | undefined {
  if (Token.isUnresolved(principal)) return undefined;
  if (ACCOUNT_ID_PATTERN.test(principal)) return principal;
  return /^arn:[^:]+:iam::(\d{12}):root$/.exec(principal)?.[1];
}

function normalizeAlias(what: string, alias: string): string {
  const problem = aliasNameProblem(alias);
  if (problem) throw new Error(`${what}: alias ${problem}`);
  return normalizeAliasName(alias);
}

/**
 * `DenyKeyUseByUnlistedPrincipals`: key use is denied to every principal
 * that is not an AWS service calling as itself
 * (`aws:PrincipalIsAWSService`) and not in `listedPrincipalArns`
 * (`aws:PrincipalArn`, which for a role session is the role's ARN:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 * The list is read when the policy is rendered, so principals listed later
 * are included; while it is empty, the statement covers every principal.
 */
class UnlistedPrincipalsDenyStatement extends PolicyStatement {
  constructor(
    private readonly listedPrincipalArns: readonly string[],
    notThroughLogs: Record<string, string[]>,
  ) {
    super({
      sid: "DenyKeyUseByUnlistedPrincipals",
      effect: "Deny",
      principals: { AWS: ["*"] },
      actions: KEY_USE_ACTIONS,
      resources: ["*"],
      conditions: { Bool: { "aws:PrincipalIsAWSService": "false" }, StringNotEquals: notThroughLogs },
    });
  }

  public override toJSON(): Record<string, unknown> {
    const json = super.toJSON();
    if (this.listedPrincipalArns.length === 0) return json;
    return { ...json, Condition: { ...this.conditions, ArnNotEquals: { "aws:PrincipalArn": [...this.listedPrincipalArns] } } };
  }
}

/** What the constrained grants of one grantee give it; the grantee's Deny statements read it when the policy is rendered. */
interface GranteeScope {
  readonly constraintType: KeyGrant["constraintType"];
  /** Grant operation names (`Decrypt`, ...). */
  readonly operations: string[];
  /** Each encryption-context key of the grants, with every value they allow. */
  readonly contextValues: Map<string, string[]>;
}

/**
 * A grantee's Deny statements: every key use its grants do not give
 * (operations outside them, data key pairs, re-encryption), and every use
 * with an encryption-context value outside them, one statement per context
 * key (the keys of one Deny's condition must all match for it to apply).
 * A key-policy Deny also applies to what a grant allows
 * (https://docs.aws.amazon.com/kms/latest/developerguide/policy-evaluation.html).
 */
function granteeDenyStatements(n: number, grantee: string, scope: GranteeScope): PolicyStatement[] {
  return [
    new GranteeOperationsDenyStatement(`DenyGrantee${n}OperationsOutsideGrants`, grantee, scope.operations),
    ...[...scope.contextValues].map(
      ([name, values], i) =>
        new PolicyStatement({
          sid: `DenyGrantee${n}ContextOutsideGrants${scope.contextValues.size > 1 ? i + 1 : ""}`,
          effect: "Deny",
          principals: { AWS: [grantee] },
          actions: KEY_USE_ACTIONS,
          resources: ["*"],
          // A request without the key does not equal any value, so it is denied too; the array is shared.
          conditions: { StringNotEquals: { [`kms:EncryptionContext:${name}`]: values } },
        }),
    ),
  ];
}

/** Denies the grantee the cryptographic operations its grants do not give; read when the policy is rendered. */
class GranteeOperationsDenyStatement extends PolicyStatement {
  constructor(
    sid: string,
    grantee: string,
    private readonly granted: readonly string[],
  ) {
    super({ sid, effect: "Deny", principals: { AWS: [grantee] }, actions: GRANTEE_DENIED_ACTIONS, resources: ["*"] });
  }

  public override toJSON(): Record<string, unknown> {
    const notGranted = GRANT_OPERATIONS.filter((op) => !this.granted.includes(op)).map((op) => `kms:${op}`);
    return { ...super.toJSON(), Action: [...notGranted, ...GRANTEE_DENIED_ACTIONS] };
  }
}

/**
 * `DenyGrantsForNonAwsResources`: nobody may create a grant that is not for
 * an AWS resource (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html),
 * except to the grantees of constrained grants (`kms:GranteePrincipal`),
 * read when the policy is rendered.
 */
class NonAwsResourceGrantsDenyStatement extends PolicyStatement {
  constructor(private readonly grantees: ReadonlyMap<string, GranteeScope>) {
    super({
      sid: "DenyGrantsForNonAwsResources",
      effect: "Deny",
      principals: { AWS: ["*"] },
      actions: DEPLOYER_GRANT_ACTIONS,
      resources: ["*"],
      conditions: { Bool: { "kms:GrantIsForAWSResource": "false" } },
    });
  }

  public override toJSON(): Record<string, unknown> {
    const json = super.toJSON();
    if (this.grantees.size === 0) return json;
    return { ...json, Condition: { ...this.conditions, StringNotEquals: { "kms:GranteePrincipal": [...this.grantees.keys()] } } };
  }
}
