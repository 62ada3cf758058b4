import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { EncryptionKey } from "./encryption-key";
import { FILTER_PATTERN_MAX_LENGTH, LogMetricAlarm } from "./log-metric-alarm";
import { UnlistedCallerAlarm } from "./unlisted-caller-alarm";

/** Props of {@link KeyUseAlarms}. */
export interface KeyUseAlarmsProps {
  /** The workload key to watch. */
  readonly key: EncryptionKey;
  /**
   * Name of the trail's CloudWatch Logs log group (in the audit home region).
   * CloudWatch Logs allows 100 metric filters per log group; this construct
   * adds 3 per key, plus 1 for each further list of allowed principals (a
   * long list is split over several filters).
   */
  readonly trailLogGroupName: string;
  /** ARN of the SNS topic alarms notify (built as a string by the caller). */
  readonly alarmTopicArn: string;
  /**
   * IAM role / user ARNs this app granted use of the key (execution roles,
   * key users, deployers), as literal ARNs (`arn:<partition>:iam::<account>:role/…`,
   * `:user/…` or `:root`), each listed exactly, however many there are. A
   * successful decrypt, re-encrypt or data-key request by anyone else raises
   * the unexpected-key-use alarm. Tokens are refused: a role ARN must be
   * rewritten into the session ARN CloudTrail records, which needs the role
   * name at synth time.
   */
  readonly allowedPrincipalArns: readonly string[];
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

/** The KMS calls that read with a key: decrypt, re-encrypt from it, or get a data key. */
const KEY_READ_EVENTS = "(($.eventName = Decrypt) || ($.eventName = ReEncrypt) || ($.eventName = GenerateDataKey*))";

/** The denied-use alarm counts attempts per hour: routine configuration reads make some (see {@link deniedKeyUsePattern}). */
const DENIED_USE_PERIOD_SECONDS = 3600;

/**
 * Filter clauses selecting a successful use of the key's cryptography for
 * reading data by a caller that is not an AWS service (KMS calls are
 * management events, logged by default:
 * https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html):
 *
 * - `Decrypt`, `GenerateDataKey*` with the key as `resources[0]`;
 * - `ReEncrypt` with the key as `resources[0]`: CloudTrail lists "the source
 *   KMS key and the destination KMS key, in that order"
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/ct-reencrypt.html),
 *   so moving a ciphertext *from* this key to a key someone else owns, and
 *   decrypting it there, is seen here;
 * - `errorCode NOT EXISTS`: the call succeeded (failed calls carry an
 *   `errorCode`, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html);
 * - `userIdentity.type != "AWSService"`: AWS services that use the key
 *   through their own service principal (CloudWatch Logs encrypting a log
 *   group, CloudTrail) are expected.
 */
export function keyUseClauses(keyArn: string): string[] {
  return ["($.eventSource = kms.amazonaws.com)", KEY_READ_EVENTS, `($.resources[0].ARN = "${keyArn}")`, "($.errorCode NOT EXISTS)", '($.userIdentity.type != "AWSService")'];
}

/**
 * Metric filter pattern that matches a *refused* decrypt, re-encrypt or
 * data-key request on the key, by anyone. Low severity: when someone reads a
 * function's configuration (the console, the AWS Config recorder, a posture
 * scanner), Lambda tries to decrypt its environment as that caller
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html),
 * and the key policy refuses callers it does not list, so such attempts are
 * routine. They are kept apart from successful use so that they cannot drown it.
 */
export function deniedKeyUsePattern(keyArn: string): string {
  return `{ ($.eventSource = kms.amazonaws.com) && ${KEY_READ_EVENTS} && ($.resources[0].ARN = "${keyArn}") && ($.errorCode = "*") }`;
}

/**
 * Metric filter pattern that matches a change to the key or to who reaches
 * it, succeeded or refused:
 *
 * - on the key (`resources[0]`): `PutKeyPolicy`, `DisableKeyRotation`,
 *   `DisableKey`, `ScheduleKeyDeletion`, and `CreateGrant` not made by an
 *   AWS service on a caller's behalf (`userIdentity.invokedBy` is set when a
 *   service makes the call: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html);
 * - `CreateAlias`, `UpdateAlias`, `DeleteAlias` of one of the key's aliases
 *   in its region (`requestParameters.aliasName`; alias names are per
 *   region, and the same names exist in every region of the app). A repointed
 *   alias would make the next encryption by alias use someone else's key.
 *
 * Throws when the pattern is over CloudWatch Logs' 1,024 characters (many or
 * long aliases); `sampleKeyArn` stands in for an unresolved `keyArn` then.
 */
export function keyChangePattern(keyArn: string, region: string, aliasNames: readonly string[], sampleKeyArn = SAMPLE_KEY_ARN): string {
  const build = (arn: string) => {
    const onKey =
      `(($.resources[0].ARN = "${arn}") && (($.eventName = PutKeyPolicy) || ($.eventName = DisableKeyRotation) || ($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)` +
      " || (($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS))))";
    if (aliasNames.length === 0) return `{ ($.eventSource = kms.amazonaws.com) && ${onKey} }`;
    const aliases = aliasNames.map((name) => `($.requestParameters.aliasName = "${name}")`).join(" || ");
    const onAliases = `(($.awsRegion = "${region}") && (($.eventName = CreateAlias) || ($.eventName = UpdateAlias) || ($.eventName = DeleteAlias)) && (${aliases}))`;
    return `{ ($.eventSource = kms.amazonaws.com) && (${onKey} || ${onAliases}) }`;
  };
  const measured = build(Token.isUnresolved(keyArn) ? sampleKeyArn : keyArn).length;
  if (measured > FILTER_PATTERN_MAX_LENGTH) {
    throw new Error(
      `key-change pattern: with ${aliasNames.length} alias(es) the pattern is ${measured} characters, over the CloudWatch Logs limit of ${FILTER_PATTERN_MAX_LENGTH}; give the key fewer or shorter aliases`,
    );
  }
  return build(keyArn);
}

/**
 * Metric filters on the account's CloudTrail log group and alarms for one
 * workload key, created in the audit home region (pass that region's aliased
 * provider):
 *
 * - unexpected key use (high severity): a successful `Decrypt`, `ReEncrypt`
 *   from the key, or `GenerateDataKey*` by anyone but the allowed principals
 *   and AWS services (`keyUseClauses`); every principal is listed exactly,
 *   over several filters when the list is long (`UnlistedCallerAlarm`);
 * - `deniedKeyUse` (low severity, counted per hour): refused attempts
 *   (`deniedKeyUsePattern`);
 * - `keyChange`: the key's policy, rotation, state, grants or aliases
 *   changed (`keyChangePattern`).
 *
 * Each alarm notifies the SNS topic when it fires. Metric, filter and alarm
 * names carry the key's first alias and region
 * (`<alias>-<region>-unexpected-key-use`), so that the keys of several stacks
 * share one namespace in the audit region without counting each other's events.
 */
export class KeyUseAlarms extends Construct {
  /**
   * High severity: a successful use by a principal that is not allowed.
   * @internal a part of the alarms, not in the package's API
   */
  public readonly unexpectedKeyUse: UnlistedCallerAlarm;
  /** Low severity: refused attempts to use the key, counted per hour. */
  public readonly deniedKeyUse: LogMetricAlarm;
  /** The key's policy, rotation, state, grants or aliases changed. */
  public readonly keyChange: LogMetricAlarm;

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
    // Read once: each read of a resource attribute is a new token, and the measurement replaces this one.
    const keyArn = key.keyArn;
    const env = key.environment;
    const region = env.region;
    const alias = key.aliasNames[0].slice("alias/".length);
    const prefix = `${alias}-${region}`;
    // Measure with an ARN of the key's real length when its account and region are known (regions differ in length).
    const sampleKeyArn = [env.partition, env.region, env.accountId].some((v) => Token.isUnresolved(v)) ? SAMPLE_KEY_ARN : formatArn(env, "kms", `key/${SAMPLE_KEY_ID}`);
    const logs = `CloudTrail (log group ${props.trailLogGroupName})`;
    const common = { logGroupName: props.trailLogGroupName, metricNamespace: namespace, alarmTopicArn: props.alarmTopicArn, provider: props.provider };

    this.unexpectedKeyUse = new UnlistedCallerAlarm(this, "unexpected-key-use", {
      ...common,
      name: `${prefix}-unexpected-key-use`,
      eventClauses: keyUseClauses(keyArn),
      allowedPrincipalArns: props.allowedPrincipalArns,
      metricName: `UnexpectedKeyUse-${prefix}`,
      measureTokensAs: Token.isUnresolved(keyArn) ? { [keyArn]: sampleKeyArn } : {},
      description:
        `High severity: a principal outside the allowed list decrypted, re-encrypted from, or generated a data key with KMS key alias/${alias} in ${region}, and KMS allowed it. ` +
        `Find the Decrypt/ReEncrypt/GenerateDataKey events for this key in ${logs}; check userIdentity and sourceIPAddress. ` +
        "If the caller should not have access, remove its permission (key policy or IAM), rotate every value it could read, and investigate; if it should, add it to the configuration.",
    });
    this.deniedKeyUse = new LogMetricAlarm(this, "denied-key-use", {
      ...common,
      name: `${prefix}-denied-key-use`,
      pattern: deniedKeyUsePattern(keyArn),
      metricName: `DeniedKeyUse-${prefix}`,
      periodSeconds: DENIED_USE_PERIOD_SECONDS,
      description:
        `Low severity: KMS refused a Decrypt/ReEncrypt/GenerateDataKey with key alias/${alias} in ${region} in the last hour. ` +
        "Reading a function's configuration (console, AWS Config, scanners) makes Lambda try to decrypt as the reader, so some refusals are routine. " +
        `Look at errorCode, userIdentity and userAgent of these events in ${logs}; repeated refusals for one caller, or ReEncrypt attempts, deserve a closer look.`,
    });
    this.keyChange = new LogMetricAlarm(this, "key-change", {
      ...common,
      name: `${prefix}-key-change`,
      pattern: checked(what, () => keyChangePattern(keyArn, region, key.aliasNames, sampleKeyArn)),
      metricName: `WorkloadKeyChange-${prefix}`,
      description:
        `KMS key alias/${alias} in ${region} or its aliases changed: PutKeyPolicy, DisableKeyRotation, DisableKey, ScheduleKeyDeletion, a CreateGrant not made by an AWS service, or Create/Update/DeleteAlias (attempts included). ` +
        `Find the event in ${logs} to see who did what. ` +
        "If it did not come from the deploy pipeline, run terraform apply on the stack to restore policy, rotation and aliases, revoke unknown grants (kms:RevokeGrant), cancel a deletion (kms:CancelKeyDeletion) and investigate the caller.",
    });
  }
}

/** Runs `build`, prefixing its error message with `what`. */
function checked<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}
