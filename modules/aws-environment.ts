import { Token } from "cdktf";
import { ACCOUNT_ID_PATTERN, IAM_PRINCIPAL_ARN_PATTERN, REGION_PATTERN, partitionForRegion } from "./private/aws-limits";
import { show } from "./private/setting";

/**
 * The account and region a construct deploys into. Taken from configuration,
 * never from an AWS API call, so that synth and plan run without network or
 * credentials.
 */
export interface AwsEnvironment {
  /** 12-digit AWS account ID. */
  readonly accountId: string;
  /** Region code, e.g. `eu-west-1`. */
  readonly region: string;
  /** ARN partition. @default derived from the region (`aws`, `aws-cn` or `aws-us-gov`) */
  readonly partition?: string;
}

/** Checks an environment and fills in the partition. Throws with the field, value and fix. */
export function resolveEnvironment(env: AwsEnvironment, what: string): Required<AwsEnvironment> {
  if (!Token.isUnresolved(env.accountId) && !ACCOUNT_ID_PATTERN.test(env.accountId)) {
    throw new Error(`${what}: accountId "${env.accountId}" is not a 12-digit AWS account ID; write it as a string of 12 digits, e.g. "111111111111"`);
  }
  if (!Token.isUnresolved(env.region) && !REGION_PATTERN.test(env.region)) {
    throw new Error(`${what}: region "${env.region}" is not an AWS region code; use one like "eu-west-1"`);
  }
  // An account and its regions belong to one partition (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
  // a partition that contradicts the region would put every ARN the construct builds in the wrong one.
  if (env.partition !== undefined && !Token.isUnresolved(env.partition) && !Token.isUnresolved(env.region) && env.partition !== partitionForRegion(env.region)) {
    throw new Error(
      `${what}: partition "${env.partition}" does not match region "${env.region}", which is in partition "${partitionForRegion(env.region)}"; remove partition (it is derived from the region) or correct it`,
    );
  }
  // Only the three environment fields: callers pass whole props objects here, and
  // spreading them would carry e.g. a key's principals into `key.environment`.
  return { accountId: env.accountId, region: env.region, partition: env.partition ?? partitionForRegion(env.region) };
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` for an environment. */
export function formatArn(env: Required<AwsEnvironment>, service: string, resource: string, options: { global?: boolean } = {}): string {
  return `arn:${env.partition}:${service}:${options.global ? "" : env.region}:${env.accountId}:${resource}`;
}

/** Throws unless every value is an IAM principal ARN (tokens pass; they are checked by Terraform). */
export function checkPrincipalArns(field: string, arns: readonly string[]): void {
  for (const arn of arns) {
    if (!Token.isUnresolved(arn) && !IAM_PRINCIPAL_ARN_PATTERN.test(arn)) {
      throw new Error(`${field}: "${arn}" is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`);
    }
  }
}

/**
 * The partition every ARN of `env` must use, or undefined while the region
 * or the partition is a token (known only at apply).
 */
function knownPartition(env: AwsEnvironment): string | undefined {
  if (Token.isUnresolved(env.region) || (env.partition !== undefined && Token.isUnresolved(env.partition))) return undefined;
  return env.partition ?? partitionForRegion(env.region);
}

/**
 * Throws unless every principal ARN is in the partition of `env`'s region.
 * An AWS account belongs to exactly one partition (`aws`, `aws-cn` or
 * `aws-us-gov`), so an ARN of another partition names no principal that can
 * ever call this environment's resources
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
 * Bare account IDs and tokens pass, and nothing is checked while the
 * region is a token. `field` is the construct and prop, e.g.
 * `encryption key "key" (stack/key): administratorArns`.
 */
export function checkPrincipalPartitions(field: string, arns: readonly string[], env: AwsEnvironment): void {
  const expected = knownPartition(env);
  if (expected === undefined) return;
  for (const arn of arns) {
    if (Token.isUnresolved(arn) || !arn.startsWith("arn:")) continue;
    const partition = arn.split(":")[1];
    if (partition !== expected) {
      const fixed = `arn:${expected}:${arn.split(":").slice(2).join(":")}`;
      throw new Error(
        `${field}: ${show(arn)} is in partition "${partition}", but region "${env.region}" is in partition "${expected}", and an account belongs to one partition only; write it as ${show(fixed)}`,
      );
    }
  }
}
