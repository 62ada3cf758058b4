import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { IAM_PRINCIPAL_ARN_PATTERN, formatArn } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { FILTER_PATTERN_MAX_LENGTH, LogMetricAlarm } from "./log-metric-alarm";

export interface KeyUseAlarmsProps {
  /** The workload key to watch. */
  readonly key: EncryptionKey;
  /**
   * Name of the trail's CloudWatch Logs log group (in the audit home region).
   * CloudWatch Logs allows 100 metric filters per log group; this construct
   * adds 2 per key.
   */
  readonly trailLogGroupName: string;
  /** ARN of the SNS topic alarms notify (built as a string by the caller). */
  readonly alarmTopicArn: string;
  /**
   * IAM role / user ARNs this app granted decrypt on the key (execution roles,
   * key users, deployers), as literal ARNs (`arn:<partition>:iam::<account>:role/…`,
   * `:user/…` or `:root`). Decrypts by anyone else raise the alarm.
   * Tokens are refused: a role ARN must be rewritten into the session ARN
   * CloudTrail records, which needs the role name at synth time.
   */
  readonly allowedDecryptPrincipalArns: readonly string[];
  /**
   * Role ARN prefixes (`arn:<p>:iam::<account>:role/<path>/`) whose roles may
   * decrypt: one clause covers every role under the path, however many there
   * are (CloudTrail records the role ARN, path included, as
   * `userIdentity.sessionContext.sessionIssuer.arn`). Give the execution roles
   * of one stack a common path and list it here, so the pattern stays under
   * CloudWatch Logs' 1024 characters.
   * @default none
   */
  readonly allowedRoleArnPrefixes?: readonly string[];
  /**
   * Provider for the audit home region (metric filters must live with the log
   * group; the alarms with the metrics).
   * @default the stack's default provider
   */
  readonly provider?: TerraformProvider;
  /** CloudWatch metric namespace. @default "LambdaKmsAudit" */
  readonly metricNamespace?: string;
}

/** Key IDs are UUIDs (or `mrk-` + 32 hex digits for multi-Region keys): 36 characters either way. */
const SAMPLE_KEY_ID = "00000000-0000-0000-0000-000000000000";

/**
 * A realistic key ARN (75 characters, like a key in eu-west-1) used to measure
 * a pattern whose key ARN is still a Terraform reference: the token's text is
 * not the length of the value Terraform will put there.
 */
const SAMPLE_KEY_ARN = `arn:aws:kms:eu-west-1:111111111111:key/${SAMPLE_KEY_ID}`;

const SNS_TOPIC_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const LOG_GROUP_NAME_PATTERN = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const METRIC_NAMESPACE_PATTERN = /^[^:*$]{1,255}$/;

/**
 * Metric filter pattern that matches a `PutKeyPolicy` call on the key (the
 * key policy was replaced). Like CIS 4.7 / Security Hub CloudWatch.7
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-7),
 * but scoped to one key.
 */
export function keyPolicyChangePattern(keyArn: string): string {
  return `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) && ($.resources[0].ARN = "${keyArn}") }`;
}

/**
 * Metric filter pattern that matches a `Decrypt` with the key by anyone but
 * the allowed principals (KMS calls are management events, logged by default:
 * https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html):
 *
 * - `$.userIdentity.type != "AWSService"`: AWS services that use the key
 *   through their own service principal (e.g. CloudWatch Logs decrypting an
 *   encrypted log group) are not an unexpected decrypt.
 * - one `$.userIdentity.arn != "…"` clause per allowed principal, in the form
 *   CloudTrail records it (see {@link cloudTrailPrincipalPattern}).
 * - `$.userIdentity.arn NOT EXISTS` as an alternative to those clauses:
 *   identities without an ARN (`AWSAccount`, i.e. a principal of another
 *   account) must raise the alarm whatever a `!=` on a missing field evaluates to.
 *
 * Throws when a principal is not a literal IAM ARN, or when the pattern (with
 * the key ARN measured as a realistic 75-character ARN if it is a token;
 * `KeyUseAlarms` measures with the length of an ARN in the key's own region)
 * is over CloudWatch Logs' 1024-character limit.
 */
export function unexpectedDecryptPattern(keyArn: string, allowedPrincipalArns: readonly string[], allowedRoleArnPrefixes: readonly string[] = []): string {
  return checkedUnexpectedDecryptPattern("unexpected-decrypt pattern", keyArn, allowedPrincipalArns, allowedRoleArnPrefixes);
}

/** `sampleKeyArn` stands in for an unresolved `keyArn` when the pattern is measured. */
function checkedUnexpectedDecryptPattern(
  what: string,
  keyArn: string,
  allowedPrincipalArns: readonly string[],
  allowedRoleArnPrefixes: readonly string[],
  sampleKeyArn = SAMPLE_KEY_ARN,
): string {
  const principals = [...new Set(allowedPrincipalArns.map((arn) => principalPattern(what, arn)))];
  const rolePrefixes = [...new Set(allowedRoleArnPrefixes)];
  for (const prefix of rolePrefixes) {
    if (Token.isUnresolved(prefix) || !ROLE_ARN_PREFIX_PATTERN.test(prefix)) {
      throw new Error(`${what}: allowedRoleArnPrefixes contains "${prefix}", which is not a role ARN prefix; use arn:aws:iam::<account-id>:role/<path>/ (ending with "/")`);
    }
  }
  const pattern = buildUnexpectedDecryptPattern(keyArn, principals, rolePrefixes);
  const measured = Token.isUnresolved(keyArn) ? buildUnexpectedDecryptPattern(sampleKeyArn, principals, rolePrefixes) : pattern;
  if (measured.length > FILTER_PATTERN_MAX_LENGTH) {
    throw new Error(
      `${what}: the unexpected-decrypt filter pattern for ${principals.length} allowed principal(s) is ${measured.length} characters, over the CloudWatch Logs limit of ${FILTER_PATTERN_MAX_LENGTH}; ` +
        "put the roles that decrypt with this key under a common IAM path and pass it in allowedRoleArnPrefixes instead of one ARN each",
    );
  }
  return pattern;
}

/**
 * The `userIdentity.arn` CloudTrail records for calls made by an IAM
 * principal, as a filter-pattern string value:
 *
 * - a role `arn:<p>:iam::<acct>:role/<path/>name` calls AWS through a session,
 *   recorded as `arn:<p>:sts::<acct>:assumed-role/<name>/<session>`. The
 *   session ARN carries the role *name only*: the IAM path is dropped. The
 *   session name is chosen by the caller (for Lambda it is the function
 *   name), so it becomes a trailing `*` wildcard; CloudWatch Logs filter
 *   patterns accept `*` at the start or end of a string value with `=` and `!=`
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
 *   "Matching terms in JSON log events"). The `/` before it keeps a role named
 *   `fn` from also covering `fn-admin`.
 * - a user `arn:<p>:iam::<acct>:user/<path/>name` is recorded with its own ARN
 *   and stays as given;
 * - the account root `arn:<p>:iam::<acct>:root` stays as given.
 */
export function cloudTrailPrincipalPattern(principalArn: string): string {
  return principalPattern("unexpected-decrypt pattern", principalArn);
}

function principalPattern(what: string, principalArn: string): string {
  if (Token.isUnresolved(principalArn)) {
    throw new Error(
      `${what}: allowedDecryptPrincipalArns contains an unresolved Terraform reference (${principalArn}); ` +
        "the role name is needed at synth time to match CloudTrail's session ARN, so pass literal ARNs such as arn:aws:iam::111111111111:role/my-function-eu-west-1",
    );
  }
  if (!IAM_PRINCIPAL_ARN_PATTERN.test(principalArn)) {
    throw new Error(
      `${what}: allowedDecryptPrincipalArns contains "${principalArn}", which is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`,
    );
  }
  const [, partition, , , account, resource] = principalArn.split(":");
  if (resource.startsWith("role/")) {
    const name = resource.slice(resource.lastIndexOf("/") + 1);
    return `arn:${partition}:sts::${account}:assumed-role/${name}/*`;
  }
  return principalArn;
}

const ROLE_ARN_PREFIX_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)+$/;

function buildUnexpectedDecryptPattern(keyArn: string, principals: readonly string[], rolePrefixes: readonly string[]): string {
  const clauses = [
    "($.eventSource = kms.amazonaws.com)",
    "($.eventName = Decrypt)",
    `($.resources[0].ARN = "${keyArn}")`,
    '($.userIdentity.type != "AWSService")',
  ];
  if (principals.length > 0) {
    const notAllowed = principals.map((p) => `($.userIdentity.arn != "${p}")`).join(" && ");
    clauses.push(`(($.userIdentity.arn NOT EXISTS) || (${notAllowed}))`);
  }
  if (rolePrefixes.length > 0) {
    const issuer = "$.userIdentity.sessionContext.sessionIssuer.arn";
    const notAllowed = rolePrefixes.map((prefix) => `(${issuer} != "${prefix}*")`).join(" && ");
    clauses.push(`((${issuer} NOT EXISTS) || (${notAllowed}))`);
  }
  return `{ ${clauses.join(" && ")} }`;
}

/**
 * Metric filters on the account's CloudTrail log group and alarms for one
 * workload key, created in the audit home region (pass that region's aliased
 * provider):
 *
 * - `policyChange*`: the key policy was replaced (`PutKeyPolicy`);
 * - `unexpectedDecrypt*`: someone other than the allowed principals (and other
 *   than an AWS service principal) decrypted with the key.
 *
 * Each alarm fires on the first matching event in a 5-minute window and
 * notifies the SNS topic. Metric, filter and alarm names carry the key's
 * first alias and region (`UnexpectedDecrypt-<alias>-<region>`), so that the
 * keys of several stacks share one namespace in the audit region without
 * counting each other's events.
 * CloudWatch Logs allows 100 metric filters per log group; this adds 2.
 */
export class KeyUseAlarms extends Construct {
  public readonly policyChange: LogMetricAlarm;
  public readonly unexpectedDecrypt: LogMetricAlarm;

  constructor(scope: Construct, id: string, props: KeyUseAlarmsProps) {
    super(scope, id);
    const what = `key use alarms "${id}"`;
    const namespace = props.metricNamespace ?? "LambdaKmsAudit";
    if (!Token.isUnresolved(props.trailLogGroupName) && !LOG_GROUP_NAME_PATTERN.test(props.trailLogGroupName)) {
      throw new Error(`${what}: trailLogGroupName "${props.trailLogGroupName}" is not a log group name; use 1–512 letters, digits or "._-/#", e.g. "cloudtrail/audit"`);
    }
    if (!Token.isUnresolved(props.alarmTopicArn) && !SNS_TOPIC_ARN_PATTERN.test(props.alarmTopicArn)) {
      throw new Error(`${what}: alarmTopicArn "${props.alarmTopicArn}" is not an SNS topic ARN; use arn:aws:sns:<region>:<account-id>:<topic-name>`);
    }
    if (!Token.isUnresolved(namespace) && !METRIC_NAMESPACE_PATTERN.test(namespace)) {
      throw new Error(`${what}: metricNamespace "${namespace}" is invalid; use 1–255 characters without ":", "*" or "$", e.g. "LambdaKmsAudit"`);
    }

    const key = props.key;
    const region = key.environment.region;
    const alias = key.aliasNames[0].slice("alias/".length);
    const prefix = `${alias}-${region}`;
    // Measure with an ARN of the key's real length when its account and region are known (regions differ in length).
    const env = key.environment;
    const sampleKeyArn = [env.partition, env.region, env.accountId].some((v) => Token.isUnresolved(v))
      ? SAMPLE_KEY_ARN
      : formatArn(env, "kms", `key/${SAMPLE_KEY_ID}`);
    const decryptPattern = checkedUnexpectedDecryptPattern(what, key.keyArn, props.allowedDecryptPrincipalArns, props.allowedRoleArnPrefixes ?? [], sampleKeyArn);

    const common = { logGroupName: props.trailLogGroupName, metricNamespace: namespace, alarmTopicArn: props.alarmTopicArn, provider: props.provider };
    this.policyChange = new LogMetricAlarm(this, "policy-change", {
      ...common,
      name: `${prefix}-policy-change`,
      pattern: keyPolicyChangePattern(key.keyArn),
      metricName: `WorkloadKeyPolicyChange-${prefix}`,
      description:
        `The key policy of KMS key alias/${alias} in ${region} was replaced (PutKeyPolicy). ` +
        `Find the PutKeyPolicy event for this key in CloudTrail (log group ${props.trailLogGroupName}) to see who changed it and how. ` +
        "If the change did not come from the deploy pipeline, revert it (terraform apply restores the policy) and investigate the caller.",
    });
    this.unexpectedDecrypt = new LogMetricAlarm(this, "unexpected-decrypt", {
      ...common,
      name: `${prefix}-unexpected-decrypt`,
      pattern: decryptPattern,
      metricName: `UnexpectedDecrypt-${prefix}`,
      description:
        `A principal outside the allowed list decrypted with KMS key alias/${alias} in ${region}. ` +
        `Find the Decrypt events for this key in CloudTrail (log group ${props.trailLogGroupName}) and check userIdentity and sourceIPAddress. ` +
        "If the caller should not have access, remove its permission (key policy or IAM), rotate the secrets it could read, and investigate; if it should, add it to the allowed principals.",
    });
  }
}
