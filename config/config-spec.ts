import { ALARM_EMAIL } from "../modules/alarm-topic";
import { AUDIT_TRAIL_SETTINGS, replicaBucketName } from "../modules/audit-trail";
import { FUNCTION_SETTINGS, FUNCTION_VPC_LIMITS } from "../modules/encrypted-function";
import { ENCRYPTION_KEY_SETTINGS } from "../modules/encryption-key";
import {
  ACCOUNT_ID,
  ALIAS_NAME,
  BUCKET_NAME,
  IAM_PRINCIPAL_ARN,
  REGION,
  ROLE_ARN,
  ROLE_NAME_MAX_LENGTH,
  ROLE_NAME_PATTERN,
  SECRET_NAME,
  SSM_PARAMETER_NAME,
} from "../modules/private/aws-limits";
import { tagValueProblem } from "../modules/private/aws-tags";
import { Setting, booleanSetting, choiceSetting, integerSetting, textSetting } from "../modules/private/setting";
import { SECRETS_MANAGER_SECRET_SETTINGS } from "../modules/secrets-manager-secret";
import { SECURE_STRING_PARAMETER_SETTINGS } from "../modules/secure-string-parameter";
import { TRAIL_LOG_BUCKET_SETTINGS } from "../modules/trail-log-bucket";

/**
 * The configuration file, described once. The validator reads the file with
 * it (allowed fields, types, defaults, limits), and the JSON Schema and the
 * configuration reference are generated from it. Leaves are the settings of
 * the constructs that own them; rules that involve more than one field
 * (unique names, secrets a function uses, ...) are in the validator.
 */
export type FieldSpec = Setting | ObjectSpec | ListSpec | MapSpec;

export interface ObjectSpec {
  readonly kind: "object";
  readonly doc: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Fields that must be given. */
  readonly required?: readonly string[];
  /** How the default reads in docs. */
  readonly defaultText?: string;
  /** Objects whose fields depend on a discriminator field (the backend's `type`). */
  readonly variants?: { readonly field: string; readonly cases: Readonly<Record<string, ObjectSpec>> };
}

export interface ListSpec {
  readonly kind: "list";
  readonly doc: string;
  readonly items: FieldSpec;
  readonly minItems?: number;
  /** How the default reads in docs; undefined: `[]` when minItems is 0. */
  readonly defaultText?: string;
}

/** An object whose keys the user chooses (tags, variables). */
export interface MapSpec {
  readonly kind: "map";
  readonly doc: string;
  /** What a key is, for docs. */
  readonly keys: string;
  readonly values: FieldSpec;
  readonly defaultText?: string;
}

function object<F extends Record<string, FieldSpec>>(doc: string, fields: F, options: Omit<ObjectSpec, "kind" | "doc" | "fields"> = {}): ObjectSpec & { readonly fields: F } {
  return { kind: "object", doc, fields, ...options };
}

function list<I extends FieldSpec>(doc: string, items: I, options: Omit<ListSpec, "kind" | "doc" | "items"> = {}): ListSpec & { readonly items: I } {
  return { kind: "list", doc, items, ...options };
}

function map(doc: string, keys: string, values: FieldSpec, defaultText?: string): MapSpec {
  return { kind: "map", doc, keys, values, defaultText };
}

/** A setting with the doc line (and default) the configuration file gives it. */
function as<S extends Setting>(setting: S, doc: string, extra: Partial<Setting> = {}): S {
  return { ...setting, doc, ...extra } as S;
}

/**
 * Defaults built from other fields, written once: the validator calls them
 * with the file's values, the reference shows them with placeholders.
 */
export const DERIVED_DEFAULTS = {
  keyAlias: (project: string) => `${project}-lambda-env`,
  deployerRoleName: (project: string) => `${project}-deployer`,
  trailName: (project: string) => `${project}-audit`,
  auditKeyAlias: (project: string) => `${project}-audit`,
  bucketName: (project: string, accountId: string) => `${project}-audit-logs-${accountId}`,
  codeSigningBucketName: (project: string, accountId: string, region: string) => `${project}-lambda-code-${accountId}-${region}`,
  signingProfileName: (project: string) => `${project.replace(/-/g, "_")}_lambda`,
  replicaBucketName,
} as const;

const shown = (value: string) => JSON.stringify(value);

export const PROJECT_NAME = textSetting({
  code: "PROJECT_NAME",
  doc: "Short project name: prefixes the default aliases, trail and bucket names, and appears in key descriptions.",
  pattern: /^[a-z][a-z0-9-]{1,30}$/,
  hint: 'use 2–31 lowercase letters, digits or "-", starting with a letter, e.g. "payments"',
});

export const ACCOUNT_NAME = textSetting({
  code: "ACCOUNT_NAME",
  doc: "Short account name; stacks are named `<name>-<region>`.",
  pattern: /^[a-z][a-z0-9-]{0,30}$/,
  hint: 'use 1–31 lowercase letters, digits or "-", starting with a letter, e.g. "prod"',
});

const ACCOUNT_REFERENCE = as(ACCOUNT_NAME, "Name of an account of this file (`accounts[].name`).", { hint: "use account names from accounts[].name" });
const TAG_KEY_DOC = "tag key (1–128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`)";
export const TAG_VALUE = textSetting({
  code: "TAG_VALUE",
  doc: "Tag value: up to 256 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`.",
  hint: "quote the value",
  problem: tagValueProblem,
});
const PRINCIPALS = (doc: string) => list(doc, IAM_PRINCIPAL_ARN);

const VARIABLE_VALUE = textSetting({ code: "VARIABLE_VALUE", doc: "Plain, non-secret value.", hint: "quote the value", echo: false });

const LOCAL_BACKEND = object(
  "Local state files.",
  {
    type: choiceSetting({ code: "BACKEND_TYPE", doc: "Backend type.", values: ["local"] as const }),
    directory: textSetting({
      code: "STATE_DIRECTORY",
      doc: "Folder for `<stack>.tfstate`, relative to the configuration file. Must be outside `cdktf.out/`, because every synth replaces that folder (synth refuses a folder inside it).",
      default: "../terraform-state",
      pattern: /.+/,
      hint: "give a folder for state files",
    }),
    stateInStackFolder: booleanSetting({
      code: "STATE_IN_STACK_FOLDER",
      doc: "`true`: each stack keeps its state in its own folder (`cdktf.out/stacks/<stack>/terraform.tfstate`), so a pipeline that ships the stack folder ships its state. Synth carries the state across and never drops a stack folder whose state still holds resources. Not with `directory`.",
      default: false,
    }),
  },
  { required: ["type"] },
);

const S3_BACKEND = object(
  "State in S3.",
  {
    type: choiceSetting({ code: "BACKEND_TYPE", doc: "Backend type.", values: ["s3"] as const }),
    bucket: as(BUCKET_NAME, "The state bucket."),
    region: as(REGION, "Region of the state bucket."),
    keyPrefix: textSetting({
      code: "STATE_KEY_PREFIX",
      doc: "The state object key is `<keyPrefix>/<stack>.tfstate`.",
      default: "lambda-kms",
      pattern: /^[A-Za-z0-9!_.*'()/-]+$/,
      hint: 'use a plain S3 key prefix such as "lambda-kms"',
    }),
    useLockfile: booleanSetting({ code: "STATE_LOCKFILE", doc: "S3-native state locking (Terraform 1.10 and later).", default: true }),
    dynamodbTable: textSetting({ code: "STATE_LOCK_TABLE", doc: "Legacy DynamoDB state locking.", pattern: /^[a-zA-Z0-9_.-]{3,255}$/, hint: "use a DynamoDB table name" }),
    kmsKeyId: textSetting({
      code: "STATE_KMS_KEY",
      doc: "ARN of a KMS key that encrypts the state object (`encrypt` is always on).",
      pattern: /^arn:aws[a-z-]*:kms:/,
      hint: "use the ARN of the KMS key that encrypts state",
    }),
    roleArn: as(ROLE_ARN, "Role Terraform assumes to reach the state bucket.", { hint: "use an IAM role ARN" }),
  },
  { required: ["type", "bucket", "region"] },
);

const BACKEND = object(
  "Where Terraform keeps the state of each stack: `local` files or `s3`.",
  {},
  {
    defaultText: JSON.stringify({ type: "local", directory: LOCAL_BACKEND.fields.directory.default }),
    variants: { field: "type", cases: { local: LOCAL_BACKEND, s3: S3_BACKEND } },
  },
);

const KEY = object(
  "The workload key of every stack (the same settings everywhere).",
  {
    aliases: list("Aliases of the key; at least one.", as(ALIAS_NAME, ALIAS_NAME.doc), { minItems: 1, defaultText: `[${shown(DERIVED_DEFAULTS.keyAlias("<project>"))}]` }),
    rotationPeriodDays: ENCRYPTION_KEY_SETTINGS.rotationPeriodDays,
    deletionWindowDays: ENCRYPTION_KEY_SETTINGS.deletionWindowDays,
    preventDestroy: ENCRYPTION_KEY_SETTINGS.preventDestroy,
  },
  { defaultText: "the defaults below" },
);

const ASSUME_ROLE = object(
  "Provider `assume_role`: the role Terraform assumes in this account.",
  {
    roleArn: as(ROLE_ARN, "The role to assume.", { hint: "use a role ARN such as arn:aws:iam::111111111111:role/terraform-deploy" }),
    sessionName: textSetting({ code: "SESSION_NAME", doc: "Session name.", pattern: /^[\w+=,.@-]{2,64}$/, hint: "use 2–64 letters, digits or +=,.@_-" }),
    externalId: textSetting({
      code: "EXTERNAL_ID",
      doc: "External ID the role's trust policy asks for.",
      pattern: /^[\w+=,.@:/-]{2,1224}$/,
      hint: "use 2–1224 letters, digits or +=,.@:/_-",
    }),
  },
  { required: ["roleArn"] },
);

const DEPLOYER = object("The bootstrap stack `<account>-deployer` and its deploy role; the role is added to `deployerArns`.", {
  roleName: textSetting({
    code: "DEPLOYER_ROLE_NAME",
    doc: "Name of the deploy role.",
    defaultText: shown(DERIVED_DEFAULTS.deployerRoleName("<project>")),
    pattern: ROLE_NAME_PATTERN,
    hint: `use 1–${ROLE_NAME_MAX_LENGTH} letters, digits or "+=,.@_-", e.g. "payments-deployer"`,
  }),
  trustedPrincipalArns: PRINCIPALS("IAM principals (e.g. a CI runner's role) that may assume the deploy role."),
  oidc: object(
    "A CI system's OIDC identity provider and the subjects that may assume the deploy role.",
    {
      providerArn: textSetting({
        code: "OIDC_PROVIDER_ARN",
        doc: "ARN of the IAM OIDC identity provider.",
        pattern: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider\/[\w.-]+(\/[\w./-]+)?$/,
        hint: "use an IAM OIDC provider ARN such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
      }),
      subjects: list(
        "Subject patterns that may deploy; at least one, none a lone `*`.",
        textSetting({
          code: "OIDC_SUBJECT",
          doc: "A subject pattern.",
          pattern: /^[^*\s][^\s]*$/,
          hint: 'use subject patterns such as "repo:my-org/my-repo:ref:refs/heads/main" (a lone "*" would trust every repository)',
        }),
        { minItems: 1 },
      ),
      audience: textSetting({
        code: "OIDC_AUDIENCE",
        doc: "The audience the CI requests.",
        default: "sts.amazonaws.com",
        pattern: /^\S{1,255}$/,
        hint: 'use the audience your CI requests, e.g. "sts.amazonaws.com"',
      }),
    },
    { required: ["providerArn", "subjects"] },
  ),
});

const OBJECT_LOCK = object(
  "S3 Object Lock with a default retention, for a new log bucket only.",
  {
    mode: TRAIL_LOG_BUCKET_SETTINGS.objectLockMode,
    retentionDays: as(TRAIL_LOG_BUCKET_SETTINGS.objectLockRetentionDays, "Default retention of each new log file version; at most `bucketRetentionDays`."),
  },
  { required: ["mode", "retentionDays"] },
);

const REPLICATION = object(
  "Cross-region replication of the log bucket (checkov CKV_AWS_144): a replica bucket in another region, hardened like the log bucket (versioned, TLS only, public access blocked, same lifecycle, Object Lock when the log bucket has it) and encrypted with a replica key of its own (aliases `<audit key alias>-replica`, rotation on, the same administrators), and a role `<trailName>-replication` that S3 replicates with. With the access-log bucket the stack creates (`accessLogging` without `accessLogBucketName`), the replica bucket logs into `<replica bucketName>-access` in its own region. It doubles the audit storage; the access-log buckets are not replicated.",
  {
    region: as(REGION, "Region of the replica bucket and its key: another region than `homeRegion`, in the account's partition."),
    bucketName: as(BUCKET_NAME, "The replica bucket; S3 bucket naming rules (globally unique).", {
      defaultText: shown(DERIVED_DEFAULTS.replicaBucketName("<bucketName>")),
      hint: 'use an S3 bucket name such as "payments-audit-logs-111111111111-replica"',
    }),
  },
  { required: ["region"], defaultText: "no replication" },
);

const AUDIT = object(
  "The account's audit trail, created by the `<account>-audit` stack.",
  {
    homeRegion: as(REGION, "Region of the trail, its bucket, log group, alarm topic and alarms.", { defaultText: "the account's first region" }),
    trailName: as(AUDIT_TRAIL_SETTINGS.trailName, AUDIT_TRAIL_SETTINGS.trailName.doc, { defaultText: shown(DERIVED_DEFAULTS.trailName("<project>")) }),
    bucketName: as(BUCKET_NAME, "The log bucket; S3 bucket naming rules (globally unique).", { defaultText: shown(DERIVED_DEFAULTS.bucketName("<project>", "<accountId>")) }),
    keyAliases: list("Aliases of the dedicated audit key; same rules as `key.aliases`.", as(ALIAS_NAME, ALIAS_NAME.doc, { hint: 'use alias names such as "payments-audit"' }), {
      minItems: 1,
      defaultText: `[${shown(DERIVED_DEFAULTS.auditKeyAlias("<project>"))}]`,
    }),
    logRetentionDays: as(AUDIT_TRAIL_SETTINGS.logRetentionDays, "Retention of the trail's CloudWatch Logs group."),
    allowShortLogRetention: AUDIT_TRAIL_SETTINGS.allowShortLogRetention,
    bucketRetentionDays: as(
      TRAIL_LOG_BUCKET_SETTINGS.retentionDays,
      "A log file becomes a noncurrent version after this many days and is deleted this many days later (versioning keeps it in between).",
    ),
    accessLogBucketName: as(
      BUCKET_NAME,
      "An existing bucket that receives the access logs instead of `<bucketName>-access` (same account and region; its policy must let `logging.s3.amazonaws.com` write under `<bucketName>/`).",
      { hint: "use the name of an existing S3 bucket" },
    ),
    accessLogging: AUDIT_TRAIL_SETTINGS.accessLogging,
    bucketEventNotifications: AUDIT_TRAIL_SETTINGS.bucketEventNotifications,
    logFileNotifications: AUDIT_TRAIL_SETTINGS.logFileNotifications,
    alarmEmails: list(
      "Subscribed to the alarm topic (each address confirms once). Without any, every alarm of the account notifies nobody: compliance rule ALARM-003 warns.",
      ALARM_EMAIL,
    ),
    readerArns: PRINCIPALS("May decrypt the trail's log files with the audit key (they still need `s3:GetObject` on the bucket from their own policies)."),
    readWriteType: choiceSetting({
      code: "READ_WRITE_TYPE",
      doc: 'The only accepted value, stated so that a copied setting fails loudly: "WriteOnly" would drop KMS `Decrypt` (a read event), "ReadOnly" the `DisableKey`/`ScheduleKeyDeletion`/`PutKeyPolicy` events the alarms watch.',
      default: "All",
      values: ["All"] as const,
    }),
    excludeManagementEventSources: list("Management event sources the trail leaves out.", AUDIT_TRAIL_SETTINGS.excludeManagementEventSources),
    breakGlassRoleArns: list(
      "The only principals the bucket policy lets delete log files (`DenyDeletingLogFiles`), and, with `deployerArns`, the only ones who may change the bucket's policy, lifecycle, versioning, Object Lock or logging (`DenyChangingLogProtection`). Without either list that second Deny is left out: it would lock out whoever runs Terraform.",
      ROLE_ARN,
    ),
    objectLock: OBJECT_LOCK,
    replication: REPLICATION,
    cisAlarms: AUDIT_TRAIL_SETTINGS.cisAlarms,
  },
  { defaultText: "the defaults below" },
);

/** A key generation: 1 is the key an account starts with, each manual rotation adds one. */
const KEY_GENERATION = integerSetting({
  code: "KEY_GENERATION",
  doc: "A key generation.",
  min: 1,
  max: 99,
});

const ACCOUNT = object(
  "An AWS account: one workload stack per region, an audit stack, and optionally a deployer stack.",
  {
    name: ACCOUNT_NAME,
    accountId: as(ACCOUNT_ID, "The account ID; becomes `allowed_account_ids` (never looked up through an AWS API)."),
    regions: list("Regions of the workload stacks, all in one partition: regions AWS has opened by this release (newer ones: `additionalRegions`).", REGION, { minItems: 1 }),
    assumeRole: ASSUME_ROLE,
    tags: map("Tags merged over `defaultTags`; with them at most 50 per account.", TAG_KEY_DOC, TAG_VALUE, "{}"),
    keyAdministratorArns: PRINCIPALS(
      "Key policy `KeyAdministration`: management actions only. `DenyKeyUseByAdministrators` denies them every key use, whatever IAM says (unless the same ARN is also a key user or deployer).",
    ),
    keyUserArns: PRINCIPALS("Key policy `KeyUsage`: `kms:Decrypt`, `kms:DescribeKey`."),
    deployerArns: PRINCIPALS(
      "Key policy `DeployPipelineConfiguresLambda` (`kms:Encrypt`, `kms:Decrypt`) and `DeployPipelineCreatesGrantsForAwsResources` (`kms:CreateGrant` only when `kms:GrantIsForAWSResource` is true), both only through Lambda; `DeployPipelineCreatesEncryptedLogGroups` through CloudWatch Logs, for the stack's log groups (workload and audit keys); `DeployPipelineManagesSecrets` and `DeployPipelineManagesParameters` through Secrets Manager and SSM, for the stack's secrets and parameters. `DenyDeployPipelineKeyUseOutsideServices` denies every other key use. The `deployer` role is added.",
    ),
    helperEncrypterArns: PRINCIPALS(
      "Operators who encrypt helper values with `npm run encrypt`: key policy `OperatorsEncryptHelperValues` (`kms:Encrypt`, only with a `LambdaFunctionName` encryption context), and `DenyHelperEncryptersReadingValues` (no `kms:Decrypt`, `ReEncrypt*` or `GenerateDataKey*`, whatever IAM says).",
    ),
    allowIamToGrantKeyUse: as(
      ENCRYPTION_KEY_SETTINGS.allowIamToGrantKeyUse,
      "Explicit opt-out: drops `DenyKeyUseByUnlistedPrincipals` from this account's keys, so IAM policies decide who else may use them. Turn it on only if people outside the config must use the keys, e.g. to read encrypted environment variables in the Lambda console.",
    ),
    keyGeneration: as(
      KEY_GENERATION,
      "Manual rotation: the generation of the account's workload keys. Raise it by one and synth creates a new key per region (`workload-key-generation-<n>`), moves the aliases, functions, log groups, secrets and parameters to it, and keeps the earlier generations listed in `retiringKeyGenerations` as decrypt-only keys.",
      { default: 1 },
    ),
    retiringKeyGenerations: list(
      "Earlier generations kept as decrypt-only keys (`DenyEncryptionWithRetiringKey`): functions still decrypt helper values made with them, CloudWatch Logs still reads the log events written before the move, and key users may re-encrypt from them (`npm run reencrypt`). A generation below `keyGeneration` that is not listed is retired: its key is scheduled for deletion at the next deploy. Refused while `encryptedEnvironmentKeyGeneration` says ciphertexts still use it.",
      as(KEY_GENERATION, "An earlier key generation, below `keyGeneration`."),
    ),
    encryptedEnvironmentKeyGeneration: as(
      KEY_GENERATION,
      "The key generation the `encryptedEnvironment` ciphertexts of this account were made with (the earliest, if some are newer). `npm run reencrypt -- --write` re-encrypts them under `keyGeneration` and sets it. Every generation from this one up to `keyGeneration` must stay in `retiringKeyGenerations`.",
      { default: 1 },
    ),
    multiRegionKeysFromGeneration: as(
      KEY_GENERATION,
      "The first key generation whose keys are multi-Region: the key of the account's first region is the primary (`multi_region = true`), the key of each other region its replica (`aws_kms_replica_key`, same key material, a policy built for its region), so one `encryptedEnvironment` ciphertext per account (key `<account>`) decrypts in every region. A key cannot become multi-Region: give a generation that does not exist yet (1 for a new account, or the next one, with a manual rotation). The first region's stack must be deployed before the others (the replicas look up their primary by its alias `<first alias>-generation-<n>`).",
      { defaultText: "none: single-Region keys" },
    ),
    deployer: DEPLOYER,
    audit: AUDIT,
  },
  { required: ["name", "accountId", "regions"] },
);

const FUNCTION_VPC = object(
  "Subnets and security groups of one stack",
  {
    subnetIds: list(
      `Subnet IDs of one VPC, 1 to ${FUNCTION_VPC_LIMITS.subnetIds.max}, in two or more Availability Zones for resilience.`,
      textSetting({ code: "VPC_SUBNET_ID", doc: "Subnet ID.", pattern: FUNCTION_VPC_LIMITS.subnetIds.pattern, hint: `write it like "${FUNCTION_VPC_LIMITS.subnetIds.example}"` }),
      { minItems: 1 },
    ),
    securityGroupIds: list(
      `Security group IDs of the same VPC, 1 to ${FUNCTION_VPC_LIMITS.securityGroupIds.max}.`,
      textSetting({
        code: "VPC_SECURITY_GROUP_ID",
        doc: "Security group ID.",
        pattern: FUNCTION_VPC_LIMITS.securityGroupIds.pattern,
        hint: `write it like "${FUNCTION_VPC_LIMITS.securityGroupIds.example}"`,
      }),
      { minItems: 1 },
    ),
  },
  { required: ["subnetIds", "securityGroupIds"] },
);

const FUNCTION = object(
  "A Lambda function, created in every region of its accounts.",
  {
    name: as(FUNCTION_SETTINGS.functionName, `Function name; \`<name>-<region>\` names its role and must fit in ${ROLE_NAME_MAX_LENGTH} characters.`),
    codeDirectory: textSetting({
      code: "CODE_DIRECTORY",
      doc: "Folder with the code, relative to the configuration file. It is packaged as a deterministic zip.",
      pattern: /.+/,
      hint: "give the folder of the function code, relative to this file",
    }),
    handler: as(FUNCTION_SETTINGS.handler, "`<file>.<export>` of the handler; for Node.js, Python and Ruby the file must be in `codeDirectory`."),
    runtime: FUNCTION_SETTINGS.runtime,
    memorySize: FUNCTION_SETTINGS.memorySize,
    timeout: FUNCTION_SETTINGS.timeout,
    architecture: FUNCTION_SETTINGS.architecture,
    environment: map("Non-secret configuration only; see the environment variable rules below.", "variable name", VARIABLE_VALUE, "{}"),
    environmentOverrides: map(
      "Plain values that replace or add to `environment` in every region of an account (key `<account>`) or in one stack (key `<account>-<region>`). Precedence: `environment` < account < stack. Keys must be accounts or stacks the function runs in; the variables follow the same rules as `environment`, the 4 KB limit applies to each stack's merged environment, and a variable of `secrets` or `encryptedEnvironment` cannot be overridden.",
      "account or stack name",
      map("Variables", "variable name", VARIABLE_VALUE),
      "{}",
    ),
    logRetentionDays: FUNCTION_SETTINGS.logRetentionDays,
    allowShortLogRetention: FUNCTION_SETTINGS.allowShortLogRetention,
    reservedConcurrentExecutions: FUNCTION_SETTINGS.reservedConcurrentExecutions,
    tracing: FUNCTION_SETTINGS.tracing,
    deadLetterQueue: FUNCTION_SETTINGS.deadLetterQueue,
    codeSigning: booleanSetting({
      code: "FUNCTION_CODE_SIGNING",
      doc: `Deploy only code signed by AWS Signer. Each stack with such a function gets a signing profile \`${DERIVED_DEFAULTS.signingProfileName("<project>")}\` (with \`_\` for \`-\`), a code signing configuration that enforces it, and a bucket \`${DERIVED_DEFAULTS.codeSigningBucketName("<project>", "<accountId>", "<region>")}\` where the package is uploaded and signed; the function deploys the signed package from there.`,
      default: false,
    }),
    vpc: map(
      '`{ "<account>-<region>": { "subnetIds": [...], "securityGroupIds": [...] } }`: run the function in a VPC, with the subnets and security groups of each stack it runs in (IDs differ per account and region, so every one of its stacks needs an entry). The role gets the network-interface actions Lambda needs (on the region\'s network interfaces and these subnets and security groups; the two Describe actions on `"*"`, the only resource EC2 authorizes them on) and a Deny that keeps the function\'s own code from changing interfaces.',
      "stack name (`<account>-<region>`)",
      FUNCTION_VPC,
      "none: Lambda's own network",
    ),
    permissionsBoundaryPolicyName: textSetting({
      code: "PERMISSIONS_BOUNDARY",
      doc: "Name of a managed policy in each target account; becomes the role's permissions boundary.",
      pattern: /^[\w+=,.@-]{1,128}$/,
      hint: "use the name (not the ARN) of a managed policy that exists in every target account",
    }),
    secrets: map(
      '`{ "VAR": "<secret name>" }`: the variable holds the ARN (Secrets Manager) or name (SSM) of a secret from `secrets`, and the role may read exactly that secret. The secret must exist in every account the function runs in.',
      "variable name",
      textSetting({ code: "SECRET_REFERENCE", doc: "Name of a secret from `secrets`.", hint: "quote the value" }),
      "{}",
    ),
    encryptedEnvironment: map(
      '`{ "VAR": { "<account>-<region>": "<base64 ciphertext>" } }`: one ciphertext per stack the function runs in, made with that stack\'s workload key by `npm run encrypt`; decoded at least 32 bytes. The runtime library decrypts them. For an account whose ciphertexts\' key generation is multi-Region (`multiRegionKeysFromGeneration`), one ciphertext per account instead (key `<account>`, made with the primary key), which every region decrypts.',
      "variable name",
      map(
        "Ciphertext per stack, or per account with multi-Region keys",
        "stack name (`<account>-<region>`), or account name with multi-Region keys",
        textSetting({ code: "CIPHERTEXT", doc: "Base64 ciphertext.", hint: "paste the output of npm run encrypt", echo: false }),
      ),
      "{}",
    ),
    accounts: list("Accounts that get the function, in all their regions.", ACCOUNT_REFERENCE, { defaultText: "all accounts" }),
  },
  { required: ["name", "codeDirectory"] },
);

const SECRET = object(
  "A secret created in every workload stack of its accounts, encrypted with that stack's key.",
  {
    name: textSetting({ code: "SECRET_OR_PARAMETER_NAME", doc: `Secrets Manager: ${SECRET_NAME.doc} SSM: ${SSM_PARAMETER_NAME.doc}`, hint: "see the rules of the secret's type" }),
    type: choiceSetting({ code: "SECRET_TYPE", doc: "Secrets Manager secret or SSM `SecureString` parameter.", values: ["secretsmanager", "ssm"] as const }),
    description: textSetting({ code: "SECRET_DESCRIPTION", doc: "Description.", pattern: /^.{0,2048}$/s, hint: "use at most 2048 characters" }),
    recoveryWindowDays: as(SECRETS_MANAGER_SECRET_SETTINGS.recoveryWindowDays, `Secrets Manager only. ${SECRETS_MANAGER_SECRET_SETTINGS.recoveryWindowDays.doc}`),
    tier: as(SECURE_STRING_PARAMETER_SETTINGS.tier, `SSM only. ${SECURE_STRING_PARAMETER_SETTINGS.tier.doc}`),
    rotation: object(
      "Secrets Manager only: rotate the secret with a rotation function you deploy in every account and region of the secret (AWS's templates for databases, or your own). The key lets the function's execution role decrypt and generate data keys through Secrets Manager for this secret only (key-policy statement `RotationOf<SecretName>`). The function's own IAM policy must let it read and write the secret, and its resource policy let Secrets Manager invoke it.",
      {
        functionName: as(FUNCTION_SETTINGS.functionName, "Name of the rotation function; the same name in every account and region of the secret."),
        roleName: textSetting({
          code: "ROTATION_ROLE_NAME",
          doc: "Name of the rotation function's execution role, at IAM path `/`, in every account of the secret.",
          pattern: ROLE_NAME_PATTERN,
          hint: 'use the role\'s name (1–64 letters, digits or "+=,.@_-"), not its ARN',
        }),
        days: as(SECRETS_MANAGER_SECRET_SETTINGS.rotationDays, "Days between rotations."),
      },
      { required: ["functionName", "roleName", "days"], defaultText: "no rotation" },
    ),
    seedFromVariable: as(
      SECRETS_MANAGER_SECRET_SETTINGS.seedFromVariable,
      "`true`: the value comes at apply time from a sensitive, ephemeral Terraform variable through a write-only attribute (the variable's name is in `cdk.tf.json`, e.g. `secret_payments_orders_api_db_password_value`; set `TF_VAR_<name>`); plan needs it then. `false`: set the value out of band.",
    ),
    accounts: list("Accounts whose workload stacks get the secret.", ACCOUNT_REFERENCE, { defaultText: "all accounts" }),
  },
  { required: ["name", "type"] },
);

const EMULATOR = object(
  "Deploy to a local AWS API emulator (moto, LocalStack) instead of AWS. Every provider then sends every service the app uses to `endpoint`, signs with dummy credentials whose access key ID is the account ID (how the emulator tells accounts apart), and skips the checks that need real AWS; `allowed_account_ids` still applies. `config/local.json` uses it. Never set it in a configuration meant for AWS.",
  {
    endpoint: textSetting({
      code: "EMULATOR_ENDPOINT",
      doc: "Base URL of the emulator, `http(s)://host[:port]` without a path.",
      pattern: /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/,
      hint: 'use the base URL of the emulator, such as "http://127.0.0.1:5000", or remove "emulator" to deploy to AWS',
    }),
    allowPlainHttpToRemoteHost: booleanSetting({
      code: "EMULATOR_PLAIN_HTTP",
      doc: "Allow an `http://` endpoint on a host other than this machine (`localhost`, `127.x.x.x`). Off by default: plain HTTP to another host sends the seeded secret values and signed requests over the network in the clear; prefer `https://`.",
      default: false,
    }),
    credentials: choiceSetting({
      code: "EMULATOR_CREDENTIALS",
      doc: '`"account-id"`: dummy credentials whose access key ID is the account ID; `"environment"`: the environment\'s credentials (e.g. a deploy-role session the emulator issued).',
      default: "account-id",
      values: ["account-id", "environment"] as const,
    }),
  },
  { required: ["endpoint"] },
);

/** The whole configuration file. */
export const CONFIG_SPEC = object(
  "A cdktf-lambda-kms configuration: accounts, regions, functions and secrets.",
  {
    $schema: textSetting({ code: "SCHEMA", doc: "The JSON Schema of this file, for editors; ignored.", hint: "give the path or URL of the schema" }),
    $comment: textSetting({ code: "COMMENT", doc: "Ignored.", hint: "write a string" }),
    project: PROJECT_NAME,
    codeRoot: textSetting({
      code: "CODE_ROOT",
      doc: "Folder that every `functions[].codeDirectory` must be inside (symbolic links resolved), relative to the configuration file. Keeps a configuration from packaging and deploying files from elsewhere on the machine, such as `../../.aws`.",
      defaultText: "the Git repository that holds the configuration file (the nearest folder upwards with `.git`), else the configuration file's folder",
      pattern: /.+/,
      hint: "give a folder, relative to this file",
    }),
    additionalRegions: list(
      "Regions newer than this release's list of AWS regions; `regions` accepts them as they are. Only for a region that AWS has opened after this release.",
      REGION,
    ),
    defaultTags: map("Provider `default_tags` in every stack.", TAG_KEY_DOC, TAG_VALUE, "{}"),
    backend: BACKEND,
    key: KEY,
    accounts: list("The AWS accounts.", ACCOUNT, { minItems: 1 }),
    secrets: list("Secrets Manager secrets and SSM SecureString parameters.", SECRET),
    functions: list("Lambda functions.", FUNCTION),
    emulator: EMULATOR,
  },
  { required: ["project", "accounts"] },
);

/** The spec of each part of the file, for the validator. */
export const SPEC = { BACKEND, LOCAL_BACKEND, S3_BACKEND, KEY, ACCOUNT, ASSUME_ROLE, DEPLOYER, OBJECT_LOCK, REPLICATION, AUDIT, FUNCTION, FUNCTION_VPC, SECRET, EMULATOR } as const;
