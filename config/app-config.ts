/**
 * The validated, fully defaulted configuration the app builds stacks from.
 * `validateConfig` (config/validate-config.ts) turns the JSON file into this.
 */
import type { FunctionVpcProps } from "../modules/encrypted-function";
import { stackName } from "../stacks/construct-ids";
import { partitionForRegion } from "../modules/private/aws-limits";

// The stack-name and construct-ID rules live with the other Terraform names; re-exported for this module's importers.
export { auditStackName, secretConstructId, stackName } from "../stacks/construct-ids";

export interface AppConfig {
  /** Short project name; prefixes aliases and appears in tags. */
  readonly project: string;
  /** Tags on every taggable resource (provider `default_tags`). */
  readonly defaultTags: Readonly<Record<string, string>>;
  readonly backend: BackendConfig;
  readonly key: KeyConfig;
  readonly accounts: readonly AccountConfig[];
  readonly secrets: readonly SecretConfig[];
  readonly functions: readonly FunctionConfig[];
  /** Set only to deploy to a local AWS API emulator (moto, LocalStack) instead of AWS. */
  readonly emulator?: EmulatorConfig;
  /** Absolute path of the file this was loaded from. */
  readonly sourceFile: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig;

export interface LocalBackendConfig {
  readonly type: "local";
  /** Absolute folder for `<stack>.tfstate` files (outside cdktf.out, which every synth replaces). Unused with `stateInStackFolder`. */
  readonly directory: string;
  /**
   * Keep each stack's state in its own folder (`cdktf.out/stacks/<stack>/terraform.tfstate`),
   * so a pipeline that ships the stack folder ships its state; synth carries it across.
   */
  readonly stateInStackFolder: boolean;
}

/** The state file of a stack with `stateInStackFolder`, relative to the stack folder (Terraform's own default name). */
export const STACK_FOLDER_STATE_FILE = "terraform.tfstate";

export interface S3BackendConfig {
  readonly type: "s3";
  readonly bucket: string;
  readonly region: string;
  /** State object key is `<keyPrefix>/<stack>.tfstate`. */
  readonly keyPrefix: string;
  /** S3-native state locking (Terraform ≥ 1.10). */
  readonly useLockfile: boolean;
  readonly dynamodbTable?: string;
  readonly kmsKeyId?: string;
  readonly roleArn?: string;
}

export interface KeyConfig {
  readonly aliases: readonly string[];
  readonly rotationPeriodDays: number;
  readonly deletionWindowDays: number;
  readonly preventDestroy: boolean;
}

/**
 * A local AWS API emulator that every provider of the app talks to instead
 * of AWS: each service endpoint the app uses points at `endpoint`, the
 * credentials are dummies whose access key ID is the account ID (the
 * emulator's way to tell accounts apart), and the provider skips the checks
 * that need real AWS (credential validation, instance metadata, region list).
 */
export interface EmulatorConfig {
  /** Base URL of the emulator, e.g. `http://127.0.0.1:5000`. */
  readonly endpoint: string;
  /** Whether `endpoint` may be plain HTTP to another host (see the configuration reference). */
  readonly allowPlainHttpToRemoteHost: boolean;
  /**
   * `"account-id"`: the dummy credentials above. `"environment"`: the
   * provider takes credentials from the environment (`AWS_ACCESS_KEY_ID`,
   * ...), e.g. a session of the deploy role that the emulator issued, so
   * that the emulator can enforce that role's IAM policy.
   */
  readonly credentials: "account-id" | "environment";
}

/**
 * `accounts[].deployer`: a bootstrap stack `<account>-deployer` creates the
 * deploy role with the generated deployer policy, and the permissions
 * boundary the roles it creates must carry.
 */
export interface DeployerConfig {
  /** @default "<project>-deployer" */
  readonly roleName: string;
  /** `arn:<partition>:iam::<account>:role/<roleName>`; added to the account's deployerArns. */
  readonly roleArn: string;
  /** IAM principals (e.g. a CI runner's role) that may assume the role. */
  readonly trustedPrincipalArns: readonly string[];
  /** A CI system's OIDC identity provider (e.g. GitHub Actions) and the subjects that may assume the role. */
  readonly oidc?: { readonly providerArn: string; readonly subjects: readonly string[]; readonly audience: string };
}

export interface AssumeRoleConfig {
  readonly roleArn: string;
  readonly sessionName?: string;
  readonly externalId?: string;
}

export interface AccountConfig {
  /** Short name; stacks are called `<name>-<region>`. */
  readonly name: string;
  readonly accountId: string;
  readonly regions: readonly string[];
  readonly assumeRole?: AssumeRoleConfig;
  readonly tags: Readonly<Record<string, string>>;
  readonly keyAdministratorArns: readonly string[];
  readonly keyUserArns: readonly string[];
  readonly deployerArns: readonly string[];
  /** Operators who may encrypt helper values (kms:Encrypt with a LambdaFunctionName encryption context only). */
  readonly helperEncrypterArns: readonly string[];
  /** The bootstrap stack's deploy role. @default none: no bootstrap stack */
  readonly deployer?: DeployerConfig;
  /**
   * Let IAM policies give key use to principals the key policies do not name
   * (explicit opt-out of the Deny that keeps them out).
   */
  readonly allowIamToGrantKeyUse: boolean;
  /** Manual rotation: the generation of the account's workload keys (1 until the first manual rotation). */
  readonly keyGeneration: number;
  /** Earlier generations kept as decrypt-only keys, ascending; the others below `keyGeneration` are retired. */
  readonly retiringKeyGenerations: readonly number[];
  /** The generation the account's `encryptedEnvironment` ciphertexts were made with (the earliest, if mixed). */
  readonly encryptedEnvironmentKeyGeneration: number;
  /**
   * The first key generation whose keys are multi-Region: a primary in the
   * account's first region, a replica in each other. @default none: every key is single-Region
   */
  readonly multiRegionKeysFromGeneration?: number;
  readonly audit: AuditConfig;
}

/** The account's audit trail, created by the `<account>-audit` stack in `homeRegion`. */
export interface AuditConfig {
  readonly homeRegion: string;
  readonly trailName: string;
  readonly bucketName: string;
  readonly keyAliases: readonly string[];
  readonly logRetentionDays: number;
  readonly allowShortLogRetention: boolean;
  readonly bucketRetentionDays: number;
  /** An existing bucket for the log bucket's access logs; without it the audit stack creates `<bucketName>-access`. */
  readonly accessLogBucketName?: string;
  /** S3 server access logging of the log bucket; false is the explicit opt-out. */
  readonly accessLogging: boolean;
  /** S3 event notifications of the audit buckets to EventBridge; false is the explicit opt-out. */
  readonly bucketEventNotifications: boolean;
  /** The trail's SNS topic for log file deliveries; false is the explicit opt-out. */
  readonly logFileNotifications: boolean;
  readonly alarmEmails: readonly string[];
  /** Roles that may still delete log files and change the log bucket's protections. */
  readonly breakGlassRoleArns: readonly string[];
  /** S3 Object Lock on the log bucket (only when it is created). */
  readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly retentionDays: number };
  /** All fourteen CIS monitoring alarms (CloudWatch.5 and .7 are always on). */
  readonly cisAlarms: boolean;
  /** Cross-region replication of the log bucket into `bucketName` in `region` (not the home region); off without it. */
  readonly replication?: { readonly region: string; readonly bucketName: string };
  readonly readerArns: readonly string[];
  /** Always "All": the other values drop events the trail exists for. */
  readonly readWriteType: "All";
  readonly excludeManagementEventSources: readonly string[];
}

export interface FunctionConfig {
  readonly name: string;
  /** Absolute path of the code folder. */
  readonly codeDirectory: string;
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeout: number;
  readonly architecture: "arm64" | "x86_64";
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Account name or stack name (`<account>-<region>`) → variables that replace
   * or add to `environment` there; a stack's entry wins over its account's.
   * {@link stackEnvironment} gives the result for one stack.
   */
  readonly environmentOverrides: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly logRetentionDays: number;
  readonly allowShortLogRetention: boolean;
  /** @default none: the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  readonly tracing: boolean;
  readonly deadLetterQueue: boolean;
  /** Deploy only code signed with the stack's signing profile (see `LambdaCodeSigning`). */
  readonly codeSigning: boolean;
  /** Stack name (`<account>-<region>`) → subnets and security groups there; empty: no VPC. */
  readonly vpc: Readonly<Record<string, FunctionVpcProps>>;
  /** Name of a managed policy in each target account used as permissions boundary. */
  readonly permissionsBoundaryPolicyName?: string;
  /** Environment variable name → name of a secret in `secrets`; the variable holds the secret's ARN (Secrets Manager) or name (SSM). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Environment variable name → stack name → base64 ciphertext made with that stack's key (`npm run encrypt`). */
  readonly encryptedEnvironment: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Names of the accounts that get this function. */
  readonly accounts: readonly string[];
}

/** A secret created in every stack of its accounts, encrypted with that stack's workload key. */
export interface SecretConfig {
  /** Secrets Manager secret name, or SSM parameter name (starting with "/"). */
  readonly name: string;
  readonly type: "secretsmanager" | "ssm";
  readonly description?: string;
  /** Secrets Manager only. */
  readonly recoveryWindowDays: number;
  /** SSM only. */
  readonly tier: "Standard" | "Advanced";
  /** Seed the value from a sensitive, ephemeral Terraform variable at apply time (write-only attribute). */
  readonly seedFromVariable: boolean;
  /** Secrets Manager only: the rotation function and its role (the same names in every account and region), and the days between rotations. */
  readonly rotation?: { readonly functionName: string; readonly roleName: string; readonly days: number };
  readonly accounts: readonly string[];
}

/** The stacks of the accounts a function or a secret targets, in config order. */
export function targetStacks(accounts: readonly AccountConfig[], target: { readonly accounts: readonly string[] }): { account: AccountConfig; region: string; name: string }[] {
  return accounts.filter((a) => target.accounts.includes(a.name)).flatMap((account) => account.regions.map((region) => ({ account, region, name: stackName(account, region) })));
}

/** The ARN of a secret's rotation role in `account` (`secrets[].rotation.roleName`, at IAM path `/`). */
export function rotationRoleArn(account: AccountConfig, roleName: string): string {
  return `arn:${partitionForRegion(account.regions[0])}:iam::${account.accountId}:role/${roleName}`;
}

/** Whether the account's keys of `generation` are multi-Region (see `multiRegionKeysFromGeneration`). */
export function isMultiRegionGeneration(account: AccountConfig, generation: number): boolean {
  return account.multiRegionKeysFromGeneration !== undefined && generation >= account.multiRegionKeysFromGeneration;
}

/**
 * A function's ciphertext of one helper variable in one stack: the stack's
 * own (`<account>-<region>`), or the account's (`<account>`), which a
 * multi-Region key decrypts in every region; undefined when there is none.
 */
export function stackCiphertext(perStack: Readonly<Record<string, string>>, account: AccountConfig, region: string): string | undefined {
  const own = stackName(account, region);
  return Object.hasOwn(perStack, own) ? perStack[own] : Object.hasOwn(perStack, account.name) ? perStack[account.name] : undefined;
}

/**
 * The plain environment of a function in one stack: `environment`, then the
 * overrides for the account, then those for the stack (each wins over the
 * one before).
 */
export function stackEnvironment(fn: FunctionConfig, account: AccountConfig, region: string): Record<string, string> {
  const overridesFor = (key: string) => (Object.hasOwn(fn.environmentOverrides, key) ? fn.environmentOverrides[key] : {});
  return { ...fn.environment, ...overridesFor(account.name), ...overridesFor(stackName(account, region)) };
}
