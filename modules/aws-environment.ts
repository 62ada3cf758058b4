import { Token } from "cdktf";
import { ACCOUNT_ID_PATTERN, IAM_PRINCIPAL_ARN_PATTERN, REGION_PATTERN, partitionForRegion } from "./private/aws-limits";

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
