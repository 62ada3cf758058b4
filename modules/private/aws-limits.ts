import { Token } from "cdktf";
import { booleanSetting, integerSetting, settingProblem, textSetting } from "./setting";

/**
 * AWS naming rules and limits that more than one construct (and the config
 * validator) must agree on, each written once. Every rule cites the AWS page
 * it comes from.
 */

export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** Commercial, China and GovCloud regions; the isolated (ISO) partitions are not supported. */
export const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** IAM principals a key or trust policy may name: an account root, a role or a user. */
export const IAM_PRINCIPAL_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;
/** IAM role names (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html). */
export const ROLE_NAME_MAX_LENGTH = 64;
export const ROLE_NAME_PATTERN = new RegExp(`^[\\w+=,.@-]{1,${ROLE_NAME_MAX_LENGTH}}$`);
export const ROLE_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The partition a region belongs to; ARNs must use it. */
export function partitionForRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export const ACCOUNT_ID = textSetting({
  code: "ACCOUNT_ID",
  doc: "12-digit AWS account ID, written as a string.",
  pattern: ACCOUNT_ID_PATTERN,
  hint: 'write the 12-digit account ID as a string, e.g. "111111111111"',
});

export const REGION = textSetting({
  code: "REGION",
  doc: "Region code: commercial, China (`cn-…`) or GovCloud (`us-gov-…`); the isolated ISO partitions are not supported.",
  pattern: REGION_PATTERN,
  hint: 'use a region code such as "eu-west-1"',
});

export const IAM_PRINCIPAL_ARN = textSetting({
  code: "IAM_PRINCIPAL_ARN",
  doc: "`arn:<partition>:iam::<account-id>:role/<name>`, `:user/<name>` or `:root`.",
  pattern: IAM_PRINCIPAL_ARN_PATTERN,
  hint: "use an IAM principal ARN such as arn:aws:iam::111111111111:role/platform-admin",
});

export const ROLE_ARN = textSetting({
  code: "ROLE_ARN",
  doc: "`arn:<partition>:iam::<account-id>:role/<name>`.",
  pattern: ROLE_ARN_PATTERN,
  hint: "use an IAM role ARN such as arn:aws:iam::111111111111:role/audit-break-glass",
});

const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9/_-]+$/;

/** The alias with its `alias/` prefix. */
export function normalizeAliasName(alias: string): string {
  return alias.startsWith("alias/") ? alias : `alias/${alias}`;
}

/** Why an alias name is refused (https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html), or undefined. */
export function aliasNameProblem(alias: string): string | undefined {
  const name = normalizeAliasName(alias);
  if (name.startsWith("alias/aws/")) return `"${alias}" is reserved for AWS managed keys; choose a name that does not start with "aws/"`;
  if (!ALIAS_PATTERN.test(name) || name.length > 256) return `"${alias}" is invalid; use 1–250 letters, digits, "/", "_" or "-", e.g. "lambda-env"`;
  return undefined;
}

/**
 * The construct ID (and so the Terraform address) of an alias: it derives
 * from the name, so reordering aliases moves nothing; `team/app` and
 * `team-app` share one, and a key cannot have both.
 */
export function aliasConstructId(alias: string): string {
  return `alias-${normalizeAliasName(alias).slice("alias/".length).replace(/\//g, "-")}`;
}

/** https://docs.aws.amazon.com/kms/latest/developerguide/rotating-keys-enable.html */
export const KEY_ROTATION_PERIOD = integerSetting({
  code: "KEY_ROTATION_PERIOD",
  doc: "Days between automatic rotations of the key material; rotation is always on.",
  default: 365,
  min: 90,
  max: 2560,
  unit: "days",
});

/** https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html */
export const KEY_DELETION_WINDOW = integerSetting({
  code: "KEY_DELETION_WINDOW",
  doc: "Waiting period before a scheduled deletion of the key completes.",
  default: 30,
  min: 7,
  max: 30,
  unit: "days",
});

export const ALIAS_NAME = textSetting({
  code: "ALIAS_NAME",
  doc: 'KMS alias name; the `alias/` prefix is added if missing. Letters, digits, "/", "_", "-"; names under `alias/aws/` are refused.',
  problem: aliasNameProblem,
  hint: 'use alias names such as "payments-lambda-env"',
});

const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IP_ADDRESS_PATTERN = /^\d+\.\d+\.\d+\.\d+$/;
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/**
 * Why a general purpose bucket name is refused
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html),
 * or undefined when it is valid. Tokens pass: Terraform or S3 checks them.
 * The message quotes the name and says how to fix it; callers prefix the field.
 */
export function s3BucketNameProblem(name: string): string | undefined {
  if (Token.isUnresolved(name)) return undefined;
  const fix = 'use 3–63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit, e.g. "acme-audit-logs-111111111111"';
  if (name.length < 3 || name.length > 63) return `"${name}" has ${name.length} characters; ${fix}`;
  if (!BUCKET_NAME_PATTERN.test(name)) return `"${name}" is invalid; ${fix}`;
  if (name.includes("..")) return `"${name}" contains two adjacent periods; remove one of them`;
  if (IP_ADDRESS_PATTERN.test(name)) return `"${name}" is formatted as an IP address; ${fix}`;
  const prefix = RESERVED_BUCKET_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `"${name}" starts with "${prefix}", a prefix reserved by AWS; choose another name`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `"${name}" ends with "${suffix}", a suffix reserved by AWS; choose another name`;
  return undefined;
}

const TRAIL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;

/**
 * Whether CloudTrail accepts a trail name: 3–128 letters, digits, ".", "_" or
 * "-"; starts and ends with a letter or digit; no adjacent separators; not an
 * IP address (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html).
 */
export function isCloudTrailName(name: string): boolean {
  return TRAIL_NAME_PATTERN.test(name) && !/[._-]{2}/.test(name) && !IP_ADDRESS_PATTERN.test(name);
}

export const BUCKET_NAME = textSetting({
  code: "BUCKET_NAME",
  doc: "S3 general purpose bucket name (globally unique).",
  problem: s3BucketNameProblem,
  hint: 'use an S3 bucket name such as "payments-audit-logs-111111111111"',
});

/** Every character of a parameter name (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html). */
const PARAMETER_NAME_PATTERN = /^(\/[A-Za-z0-9_.-]+)+$/;
/** Limit on the full ARN, which includes the name (PutParameter `Name`). */
export const PARAMETER_ARN_MAX_LENGTH = 1011;
/** Parameter hierarchies have at most 15 levels (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html). */
const PARAMETER_MAX_LEVELS = 15;

/** Why a SecureString parameter name is refused, or undefined. (The ARN length depends on account and region: checked by the construct.) */
export function ssmParameterNameProblem(name: string): string | undefined {
  if (!name.startsWith("/")) return `"${name}" is not fully qualified; start it with "/", e.g. "/orders/db-password"`;
  if (!PARAMETER_NAME_PATTERN.test(name)) return `"${name}" is invalid; use letters, digits or "_.-" between single slashes, without a trailing slash, e.g. "/orders/db-password"`;
  if (/^\/(aws|ssm)/i.test(name)) return `"${name}" starts with "aws" or "ssm" (any case), which AWS reserves; choose another first level, e.g. "/orders/..."`;
  const levels = name.split("/").length - 1;
  if (levels > PARAMETER_MAX_LEVELS) return `"${name}" has ${levels} levels; SSM allows at most ${PARAMETER_MAX_LEVELS}`;
  return undefined;
}

export const SSM_PARAMETER_NAME = textSetting({
  code: "SSM_PARAMETER_NAME",
  doc: 'SSM parameter name: starts with "/", letters, digits or "_.-" between single slashes, at most 15 levels, not under `/aws` or `/ssm`.',
  problem: ssmParameterNameProblem,
  hint: 'use a name such as "/payments/orders/api-token"',
});

/** Characters and length Secrets Manager accepts for a secret name (CreateSecret `Name`). */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export const SECRET_NAME = textSetting({
  code: "SECRET_NAME",
  doc: 'Secrets Manager secret name: 1–512 letters, digits or "/_+=.@-".',
  pattern: SECRET_NAME_PATTERN,
  hint: 'use 1–512 letters, digits or "/_+=.@-", e.g. "payments/orders/db-password"',
});

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy); 0 means "never expire". */
export const LOG_RETENTION_DAYS: readonly number[] = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const LOG_RETENTION = integerSetting({
  code: "LOG_RETENTION",
  doc: "Retention of a CloudWatch Logs group, one of the values CloudWatch Logs accepts (0: never expire); below the default only with allowShortLogRetention.",
  default: 365,
  min: LOG_RETENTION_DAYS[0],
  max: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1],
  allowed: LOG_RETENTION_DAYS,
  allowedName: "a CloudWatch Logs retention value",
  unit: "days",
});

/**
 * Why a log retention is refused, or undefined when it is fine: it must be a
 * value CloudWatch Logs accepts, and below the default only as an explicit opt-out.
 */
export function logRetentionProblem(days: unknown, allowShortLogRetention: boolean): string | undefined {
  const problem = settingProblem(LOG_RETENTION, days);
  if (problem) return problem;
  const secureDefault = LOG_RETENTION.default ?? 0;
  if (typeof days === "number" && days !== 0 && days < secureDefault && !allowShortLogRetention) {
    return `${days} is below the ${secureDefault}-day default; set allowShortLogRetention to true to accept shorter retention explicitly`;
  }
  return undefined;
}

export const ALLOW_SHORT_LOG_RETENTION = booleanSetting({
  code: "ALLOW_SHORT_LOG_RETENTION",
  doc: `Explicit opt-out that allows a log retention below ${LOG_RETENTION.default} days.`,
  default: false,
});

/** Days after which an S3 lifecycle rule expires log objects; capped at 100 years. */
export const LIFECYCLE_DAYS = integerSetting({
  code: "LIFECYCLE_DAYS",
  doc: "Days before a log object becomes noncurrent, and again before it is deleted.",
  default: 365,
  min: 1,
  max: 36500,
  unit: "days",
});
