/**
 * The names Terraform state is keyed by, in one place: stack names (one
 * state per stack), the construct IDs directly under a stack, and output
 * names. cdktf derives a resource's Terraform address from its construct
 * path, so changing any of these renames resources in state: Terraform then
 * plans to destroy and re-create them, unless the change comes with a
 * `moved` block or a `terraform state mv` note (and a CHANGELOG entry).
 * __tests__/stacks/terraform-addresses.test.ts keeps the addresses of the
 * default configuration's stacks.
 *
 * This module imports nothing, so the configuration's validation can check
 * names against it before any stack exists.
 */

/** What the stack names need of an account: its short name (`AccountConfig.name`). */
export interface NamedAccount {
  readonly name: string;
}

/** One workload stack of the app: an account in one region, `<account>-<region>`. */
export function stackName(account: NamedAccount, region: string): string {
  return `${account.name}-${region}`;
}

/** The account's audit stack (its name cannot clash with a region stack: "audit" is no region). */
export function auditStackName(account: NamedAccount): string {
  return `${account.name}-audit`;
}

/** The bootstrap stack of an account with a `deployer`: `<account>-deployer` ("deployer" is no region either). */
export function deployerStackName(account: NamedAccount): string {
  return `${account.name}-deployer`;
}

/** The construct ID of the default AWS provider of every stack. */
const AWS_PROVIDER_ID = "aws";

/** The Terraform alias of a workload stack's provider for the audit home region (`aws.audit`). */
export const AUDIT_PROVIDER_ALIAS = "audit";

/** The alias of a replica region's extra AWS provider, for the account's first region, where the multi-Region primary keys are. */
export const PRIMARY_KEY_PROVIDER_ALIAS = "primary-key";

/** The construct ID of a stack's AWS provider: `aws`, or `aws-<alias>` for an aliased one. */
export function providerConstructId(alias?: string): string {
  return alias ? `${AWS_PROVIDER_ID}-${alias}` : AWS_PROVIDER_ID;
}

/**
 * The construct IDs a workload stack gives its own constructs, directly
 * under the stack; its functions, their outputs ({@link functionOutputIds})
 * and its secrets ({@link secretConstructId}) sit beside them.
 */
export const WORKLOAD_STACK_IDS = {
  /** The AWS provider of the stack's region. */
  provider: AWS_PROVIDER_ID,
  /** The AWS provider of the account's audit home region, where the key-use alarms live. */
  auditProvider: `${AWS_PROVIDER_ID}-${AUDIT_PROVIDER_ALIAS}`,
  /** The AWS provider of the account's first region, in the other regions' stacks when keys are multi-Region. */
  primaryKeyProvider: `${AWS_PROVIDER_ID}-${PRIMARY_KEY_PROVIDER_ALIAS}`,
  /** The state backend: cdktf's LocalBackend and S3Backend always take this ID. */
  backend: "backend",
  /** The workload key (EncryptionKey). */
  key: "workload-key",
  /** The alarms on the key's use (KeyUseAlarms). */
  keyUseAlarms: "key-use-alarms",
  /** The signing profile, code signing configuration and code bucket (LambdaCodeSigning), when a function uses code signing. */
  codeSigning: "lambda-code-signing",
  /** Output: the key's ARN, which `npm run encrypt` takes. */
  keyArnOutput: "key_arn",
  /** Output: the key's alias names. */
  keyAliasesOutput: "key_aliases",
} as const;

/**
 * The construct IDs a function's or a secret's construct ID must not take in
 * a workload stack: the stack's own ({@link WORKLOAD_STACK_IDS}).
 */
export const WORKLOAD_STACK_RESERVED_IDS: readonly string[] = Object.freeze(Object.values(WORKLOAD_STACK_IDS));

/**
 * The construct ID of the workload key of a generation: generation 1 keeps
 * the ID the key always had, so that no state moves before the first manual
 * rotation; each later generation gets its own, so that a rotation creates a
 * key and never replaces one.
 */
export function workloadKeyId(generation: number): string {
  return generation === 1 ? WORKLOAD_STACK_IDS.key : `${WORKLOAD_STACK_IDS.key}-generation-${generation}`;
}

/**
 * The lookup (`data "aws_kms_key"`) of a generation's multi-Region primary
 * key, in the stacks of the account's other regions, whose replica keys
 * name it.
 */
export function primaryKeyLookupId(generation: number): string {
  return `${workloadKeyId(generation)}-primary`;
}

/** The alarms on a retiring generation's key; the current key's alarms keep {@link WORKLOAD_STACK_IDS.keyUseAlarms}. */
export function retiringKeyUseAlarmsId(generation: number): string {
  return `${WORKLOAD_STACK_IDS.keyUseAlarms}-generation-${generation}`;
}

/** Whether a construct ID directly under a workload stack is one of the stack's own (a key, its primary's lookup or alarms of any generation included). */
export function isWorkloadStackReservedId(id: string): boolean {
  const { key, keyUseAlarms } = WORKLOAD_STACK_IDS;
  return WORKLOAD_STACK_RESERVED_IDS.includes(id) || new RegExp(`^((${key}|${keyUseAlarms})-generation-\\d+|${key}(-generation-\\d+)?-primary)$`).test(id);
}

/** The alias every key of a generation gets once an account rotates manually: `<first alias>-generation-<n>`, found by the re-encrypt command. */
export function generationAliasName(firstAlias: string, generation: number): string {
  return `${firstAlias}-generation-${generation}`;
}

/** The IAM path of the execution roles of a workload stack: one per stack, so that they are easy to tell apart in IAM. */
export function executionRolePath(project: string, region: string): string {
  return `/${project}/${region}/`;
}

/** The construct ID of a function (EncryptedFunction) in its workload stacks: the function's name. */
export function functionConstructId(functionName: string): string {
  return functionName;
}

/** The IDs of a function's outputs in its workload stacks, beside the function's own construct ID. */
export function functionOutputIds(functionId: string): { readonly functionArn: string; readonly roleArn: string } {
  return { functionArn: `${functionId}_function_arn`, roleArn: `${functionId}_role_arn` };
}

/**
 * The ID of a secret's construct in its workload stacks. It names the
 * secret's Terraform resources and its seed variable (`-` → `_`, plus
 * `_value`), so two secrets, or a secret and a function, with the same ID
 * cannot share a stack.
 */
export function secretConstructId(secretName: string): string {
  return `secret-${secretName.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
}

/** The construct IDs of an audit stack (its provider is {@link providerConstructId}()). */
export const AUDIT_STACK_IDS = {
  /** The account's audit trail (AuditTrail). */
  trail: "audit",
  trailArnOutput: "trail_arn",
  auditKeyArnOutput: "audit_key_arn",
  logBucketOutput: "log_bucket",
  logGroupOutput: "log_group",
  alarmTopicArnOutput: "alarm_topic_arn",
} as const;

/** The construct IDs of a bootstrap stack (its provider is {@link providerConstructId}()). */
export const DEPLOYER_STACK_IDS = {
  /** The generated deployer policy (DeployerPolicy). */
  policy: "policy",
  /** The permissions boundary of the roles the deploy role creates. */
  boundary: "boundary",
  /** The deploy role. */
  role: "role",
  deployerRoleArnOutput: "deployer_role_arn",
  deployerPolicyArnsOutput: "deployer_policy_arns",
} as const;

/** The construct ID of the attachment of the deployer policy's `index`-th part (0-based) to the deploy role. */
export function deployerPolicyAttachmentId(index: number): string {
  return index === 0 ? "attachment" : `attachment-${index + 1}`;
}
