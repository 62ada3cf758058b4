/**
 * The validated, fully defaulted configuration the app builds stacks from.
 * `validateConfig` (config/validate-config.ts) turns the JSON file into this.
 */

export interface AppConfig {
  /** Short project name; prefixes aliases and appears in tags. */
  readonly project: string;
  /** Tags on every taggable resource (provider `default_tags`). */
  readonly defaultTags: Readonly<Record<string, string>>;
  readonly backend: BackendConfig;
  readonly key: KeyConfig;
  readonly accounts: readonly AccountConfig[];
  readonly functions: readonly FunctionConfig[];
  /** Absolute path of the file this was loaded from. */
  readonly sourceFile: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig;

export interface LocalBackendConfig {
  readonly type: "local";
  /** Absolute folder for `<stack>.tfstate` files (outside cdktf.out, which every synth replaces). */
  readonly directory: string;
}

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
  readonly accessLogBucketName?: string;
  readonly alarmEmails: readonly string[];
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
  readonly logRetentionDays: number;
  readonly allowShortLogRetention: boolean;
  /** Name of a managed policy in each target account used as permissions boundary. */
  readonly permissionsBoundaryPolicyName?: string;
  /** Names of the accounts that get this function. */
  readonly accounts: readonly string[];
}

/** One stack of the app: an account in one region. */
export function stackName(account: AccountConfig, region: string): string {
  return `${account.name}-${region}`;
}

/** The account's audit stack (its name cannot clash with a region stack: "audit" is no region). */
export function auditStackName(account: AccountConfig): string {
  return `${account.name}-audit`;
}
