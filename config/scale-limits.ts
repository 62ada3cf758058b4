/**
 * AWS limits that a large configuration can exceed, checked from the
 * configuration alone, before the app builds its stacks: a refused
 * configuration fails in milliseconds, at the field to change, instead of
 * after a full synth (or, for the limits no construct checks, at deploy).
 *
 * What grows with the configuration, per workload stack (one account in one
 * region; every function of an account runs in each of its regions):
 *
 * - the workload key policy (KMS: 32,768 bytes). Each function adds its log
 *   group ARN to `CloudWatchLogsEncryptsLogGroups` (and, with deployers, to
 *   `DeployPipelineCreatesEncryptedLogGroups`) and its execution role ARN to
 *   `DenyKeyUseByUnlistedPrincipals` (unless `allowIamToGrantKeyUse`); each
 *   secret or parameter adds its ARN pattern to a deployer statement; every
 *   key administrator, user, deployer and helper encrypter appears in one to
 *   eight statements. Measured with the real `EncryptionKey` (see
 *   {@link measureKeyPolicy});
 * - the unexpected-key-use alarm. Every allowed principal (execution roles,
 *   key users, deployers) costs one `($.userIdentity.arn != "…")` clause; the
 *   clauses are packed into metric filters of at most 1,024 characters, and
 *   the alarm adds those filters up with metric math, which may reference at
 *   most 10 metrics: one filter counting every key use plus at most 9 lists.
 *   No construct checks that limit: CloudWatch refuses the alarm at deploy;
 * - the metric filters on the account's trail log group (CloudWatch Logs: 100
 *   per log group): the audit stack's, plus per region 2 and the
 *   unexpected-key-use filters. `synthesizeApp` still counts them after the
 *   stacks are built (it also sees filters added by `extendStacks`);
 * - the key-change filter pattern, which lists every alias of a key (1,024
 *   characters): `key.aliases` for the workload keys, `audit.keyAliases` for
 *   the audit key.
 */
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "../modules/aws-environment";
import { CIS_MONITORING_CONTROLS } from "../modules/cis-monitoring-controls";
import { EncryptionKey, KEY_POLICY_MAX_BYTES } from "../modules/encryption-key";
import { keyChangePattern, keyUseClauses } from "../modules/key-use-alarms";
import { defaultExecutionRoleName, lambdaLogGroupName } from "../modules/lambda-execution-role";
import { FILTER_PATTERN_MAX_LENGTH } from "../modules/log-metric-alarm";
import { MAX_METRICS_PER_ALARM, MAX_PRINCIPAL_LISTS, splitPrincipals } from "../modules/unlisted-caller-alarm";
import { normalizeAliasName, partitionForRegion } from "../modules/private/aws-limits";
import { AccountConfig, AppConfig, FunctionConfig, auditStackName, stackName } from "./app-config";
import { executionRolePath } from "../stacks/construct-ids";
import type { ConfigIssue } from "./validate-config";

/**
 * Bytes of the key policy this check keeps free. The size itself is exact:
 * it is the policy the real `EncryptionKey` builds for the stack, in the
 * compact JSON the construct writes (no whitespace, so it does not matter
 * that the KMS quota, unlike IAM's, does not exclude whitespace). The margin
 * (about 3 %, the share of five functions) is for what the configuration
 * does not show: statements added by code (`synthesizeApp`'s
 * `extendStacks`, `EncryptionKey.addToKeyPolicy`) and the provider's
 * re-encoding of the policy (Go's JSON encoder writes `<`, `>` and `&` as
 * six-character escapes). A configuration refused here is at most this much
 * short of KMS's own limit.
 */
export const KEY_POLICY_MARGIN_BYTES = 1_024;

/** The key policy bytes a configuration may use: {@link KEY_POLICY_MAX_BYTES} less {@link KEY_POLICY_MARGIN_BYTES}. */
export const KEY_POLICY_BUDGET_BYTES = KEY_POLICY_MAX_BYTES - KEY_POLICY_MARGIN_BYTES;

/**
 * "The maximum number of metric filters that can be associated with a log
 * group is 100" (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
 * Counted exactly, so without margin.
 */
export const METRIC_FILTERS_PER_LOG_GROUP = 100;

/** Metric filters of the audit stack besides the CIS controls: the audit key's change alarm. */
const AUDIT_KEY_CHANGE_FILTERS = 1;
/** CIS controls the trail always alarms on, whatever `cisAlarms` says: CloudWatch.5 and CloudWatch.7 (audit-trail.ts). */
const ALWAYS_ON_CIS_ALARMS = 2;
/** Metric filters of a workload stack besides the unexpected-key-use ones: denied key use, key change. */
const WORKLOAD_FIXED_FILTERS = 2;

/** Key IDs are UUIDs, or `mrk-` and 32 hex digits: 36 characters either way (as key-use-alarms.ts measures). */
const SAMPLE_KEY_ID = "00000000-0000-0000-0000-000000000000";

/** How the workload key policy of one stack grows with the account's functions. */
export interface KeyPolicyScale {
  /** Bytes of the policy without any function (principals, secrets and parameters only). */
  readonly fixedBytes: number;
  /**
   * Bytes of the policy with the first `measuredFunctions` functions of the
   * account: all of them when they fit, else up to and including the first
   * one that does not (the measurement stops there).
   */
  readonly bytes: number;
  readonly measuredFunctions: number;
  /** How many of the account's functions, in configuration order, fit in {@link KEY_POLICY_BUDGET_BYTES}. */
  readonly maxFunctions: number;
  /** Bytes the last measured function added. */
  readonly lastFunctionBytes: number;
  /** How often one function's log group ARN, and its execution role ARN, appear in the policy. */
  readonly logGroupArnCopies: number;
  readonly roleArnCopies: number;
}

/** How the unexpected-key-use alarm of one stack grows with its allowed principals. */
export interface AlarmScale {
  /** Allowed principals, each once: execution roles, key users, deployers. */
  readonly principals: number;
  /** Metric filters of at most 1,024 characters they are packed into. */
  readonly lists: number;
  /** Lists the key users and deployers need by themselves. */
  readonly othersLists: number;
  /** How many of the account's functions, in configuration order, fit in {@link MAX_PRINCIPAL_LISTS} lists beside the key users and deployers. */
  readonly maxFunctions: number;
  /** Metric filters the alarm puts on the trail's log group: 1, or `lists + 1`. */
  readonly filters: number;
}

/** One workload stack: an account in one region. */
export interface StackScale {
  readonly stack: string;
  readonly region: string;
  /** Functions of the account (each runs in every region of it). */
  readonly functions: number;
  /** Undefined when the key cannot be built from this configuration (its own validation reports why). */
  readonly keyPolicy?: KeyPolicyScale;
  readonly alarm: AlarmScale;
  /** Metric filters this stack puts on the account's trail log group. */
  readonly metricFilters: number;
}

/** One account: its workload stacks and the metric filters on its trail log group. */
export interface AccountScale {
  readonly account: AccountConfig;
  /** Index in `config.accounts`, for the paths of issues. */
  readonly index: number;
  readonly stacks: readonly StackScale[];
  /** Metric filters of the audit stack (the CIS controls and the audit key's change alarm). */
  readonly auditMetricFilters: number;
  /** Every metric filter on the trail log group: the audit stack's and every region's. */
  readonly metricFilters: number;
}

/**
 * The configuration's issues with AWS limits that grow with its size: key
 * policy size, principals per unexpected-key-use alarm, metric filters per
 * trail log group, aliases in a key-change pattern. Each issue names the
 * field to change, the measured limit and the fix. Builds no stack: the key
 * policies are measured on a throwaway `EncryptionKey` per account and
 * region (never synthesized, nothing written), the rest is arithmetic on
 * strings, and measurements stop at the limit, so a configuration with
 * thousands of functions is refused in milliseconds.
 */
export function scaleProblems(config: AppConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [...aliasProblems(config)];
  for (const scale of scaleReport(config)) {
    const keyPolicy = keyPolicyProblem(config, scale);
    if (keyPolicy) issues.push(keyPolicy);
    const alarm = alarmProblem(scale);
    if (alarm) issues.push(alarm);
    const filters = metricFilterProblem(scale);
    if (filters) issues.push(filters);
  }
  return issues;
}

/** The measurements behind {@link scaleProblems}, per account and workload stack. */
export function scaleReport(config: AppConfig): AccountScale[] {
  return config.accounts.map((account, index) => {
    const functions = config.functions.filter((fn) => fn.accounts.includes(account.name));
    const stacks = account.regions.map((region) => stackScale(config, account, region, functions));
    const auditMetricFilters = auditTrailMetricFilters(account);
    return { account, index, stacks, auditMetricFilters, metricFilters: stacks.reduce((sum, stack) => sum + stack.metricFilters, auditMetricFilters) };
  });
}

function stackScale(config: AppConfig, account: AccountConfig, region: string, functions: readonly FunctionConfig[]): StackScale {
  const alarm = measureAlarm(config, account, region, functions);
  return {
    stack: stackName(account, region),
    region,
    functions: functions.length,
    keyPolicy: measureKeyPolicy(config, account, region, functions),
    alarm,
    metricFilters: WORKLOAD_FIXED_FILTERS + alarm.filters,
  };
}

/** Metric filters of the account's audit stack: every CIS control, or the two always on, and the audit key's change alarm. */
export function auditTrailMetricFilters(account: AccountConfig): number {
  return (account.audit.cisAlarms ? CIS_MONITORING_CONTROLS.length : ALWAYS_ON_CIS_ALARMS) + AUDIT_KEY_CHANGE_FILTERS;
}

function environment(account: AccountConfig, region: string) {
  return { accountId: account.accountId, region, partition: partitionForRegion(region) };
}

/** The ARN a function's execution role has in a workload stack: the stack's role path, default role name. */
export function executionRoleArn(config: AppConfig, account: AccountConfig, region: string, functionName: string): string {
  return formatArn(environment(account, region), "iam", `role${executionRolePath(config.project, region)}${defaultExecutionRoleName(functionName, region)}`, { global: true });
}

/**
 * The workload key policy of `account` in `region`, measured on the real
 * `EncryptionKey`: built in a throwaway construct tree with the account's
 * principals, given the account's secrets and parameters, then the
 * functions one at a time, as the workload stack registers them. Stops at
 * the first function that does not fit, so the work is bounded by the limit,
 * not by the number of functions.
 *
 * The policy is serialized for the first two functions; after that each
 * function adds its two ARNs (JSON strings and a comma) as often as the
 * first one's appear in the policy, and one serialization at the end checks
 * that sum (if it ever disagreed, every step is serialized instead).
 */
export function measureKeyPolicy(config: AppConfig, account: AccountConfig, region: string, functions: readonly FunctionConfig[]): KeyPolicyScale | undefined {
  return measureFunctionsInKeyPolicy(config, account, region, functions, false) ?? measureFunctionsInKeyPolicy(config, account, region, functions, true);
}

function measureFunctionsInKeyPolicy(
  config: AppConfig,
  account: AccountConfig,
  region: string,
  functions: readonly FunctionConfig[],
  serializeEveryStep: boolean,
): KeyPolicyScale | undefined {
  const key = scratchKey(config, account, region, true);
  if (!key) return undefined;
  const fixedBytes = policyBytes(key);
  let bytes = fixedBytes;
  let lastFunctionBytes = 0;
  let maxFunctions = 0;
  let measuredFunctions = 0;
  let copies = { logGroupArnCopies: 0, roleArnCopies: 0 };
  const entry = (value: string) => Buffer.byteLength(JSON.stringify(value), "utf8") + 1;
  for (const fn of functions) {
    const roleArn = executionRoleArn(config, account, region, fn.name);
    const logGroupArn = formatArn(environment(account, region), "logs", `log-group:${lambdaLogGroupName(fn.name)}`);
    key.addListedPrincipal(roleArn);
    key.allowCloudWatchLogs(lambdaLogGroupName(fn.name));
    measuredFunctions++;
    const next = serializeEveryStep || measuredFunctions <= 2 ? policyBytes(key) : bytes + copies.logGroupArnCopies * entry(logGroupArn) + copies.roleArnCopies * entry(roleArn);
    if (measuredFunctions === 1) copies = arnCopies(key, logGroupArn, roleArn);
    // The second function checks the sum the others use.
    if (measuredFunctions === 2 && !serializeEveryStep && next - bytes !== copies.logGroupArnCopies * entry(logGroupArn) + copies.roleArnCopies * entry(roleArn)) return undefined;
    lastFunctionBytes = next - bytes;
    bytes = next;
    if (bytes > KEY_POLICY_BUDGET_BYTES) break;
    maxFunctions++;
  }
  if (!serializeEveryStep && measuredFunctions > 2 && policyBytes(key) !== bytes) return undefined;
  return { fixedBytes, bytes, measuredFunctions, maxFunctions, lastFunctionBytes, ...copies };
}

/**
 * A workload key as the workload stack creates it (the settings that shape
 * its policy), in a construct tree of its own that is never synthesized.
 * Undefined when the key refuses the configuration: that problem is the
 * key's to report.
 */
function scratchKey(config: AppConfig, account: AccountConfig, region: string, withSecrets: boolean): EncryptionKey | undefined {
  try {
    // A bare root construct, not an App: an App creates its output folder; this tree is never synthesized.
    const stack = new TerraformStack(new Construct(undefined as never, "scale-limits"), "scratch");
    const key = new EncryptionKey(stack, "key", {
      ...environment(account, region),
      aliases: config.key.aliases,
      administratorArns: account.keyAdministratorArns,
      userArns: account.keyUserArns,
      deployerArns: account.deployerArns,
      helperEncrypterArns: account.helperEncrypterArns,
      allowIamToGrantKeyUse: account.allowIamToGrantKeyUse,
    });
    if (withSecrets) {
      for (const secret of config.secrets.filter((s) => s.accounts.includes(account.name))) {
        if (secret.type === "ssm") key.allowDeployerToManageParameter(secret.name);
        else key.allowDeployerToManageSecret(secret.name);
      }
    }
    return key;
  } catch {
    return undefined;
  }
}

function policyBytes(key: EncryptionKey): number {
  return Buffer.byteLength(JSON.stringify(key.policy.toJSON()), "utf8");
}

/** How often the policy holds one function's log group ARN and role ARN (each a JSON string in a list). */
function arnCopies(key: EncryptionKey, logGroupArn: string, roleArn: string): { logGroupArnCopies: number; roleArnCopies: number } {
  const json = JSON.stringify(key.policy.toJSON());
  const count = (value: string) => json.split(JSON.stringify(value)).length - 1;
  return { logGroupArnCopies: count(logGroupArn), roleArnCopies: count(roleArn) };
}

/**
 * The unexpected-key-use alarm of `account` in `region`: its principals
 * (`[...execution roles, ...keyUserArns, ...deployerArns]`, the order of
 * workload-stack.ts) packed into filter patterns by the alarm's own
 * `splitPrincipals`, with a key ARN of the real length. The scan for the
 * most functions that fit stops at the first that does not.
 */
export function measureAlarm(config: AppConfig, account: AccountConfig, region: string, functions: readonly FunctionConfig[]): AlarmScale {
  const clauses = keyUseClauses(formatArn(environment(account, region), "kms", `key/${SAMPLE_KEY_ID}`));
  const listsFor = (principals: readonly string[]) => splitPrincipals("unexpected key use alarm", clauses, principals, {}).length;
  const roles = functions.map((fn) => executionRoleArn(config, account, region, fn.name));
  const others = [...account.keyUserArns, ...account.deployerArns];
  const othersLists = listsFor(others);
  let maxFunctions = othersLists > MAX_PRINCIPAL_LISTS ? 0 : functions.length;
  for (let n = 1; n <= functions.length && maxFunctions === functions.length; n++) {
    if (listsFor([...roles.slice(0, n), ...others]) > MAX_PRINCIPAL_LISTS) maxFunctions = n - 1;
  }
  const lists = listsFor([...roles, ...others]);
  return { principals: new Set([...roles, ...others]).size, lists, othersLists, maxFunctions, filters: lists === 1 ? 1 : lists + 1 };
}

const KMS_LIMIT_URL = "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-limit";
const ALARM_LIMIT_URL = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html";
const FILTER_LIMIT_URL = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html";

function n(value: number): string {
  return value.toLocaleString("en-US");
}

/** The stack of an account where a limit leaves room for the fewest functions. */
function tightest<T>(stacks: readonly StackScale[], pick: (stack: StackScale) => T | undefined, max: (value: T) => number): { stack: StackScale; value: T } | undefined {
  let best: { stack: StackScale; value: T } | undefined;
  for (const stack of stacks) {
    const value = pick(stack);
    if (value !== undefined && (best === undefined || max(value) < max(best.value))) best = { stack, value };
  }
  return best;
}

/** The principal list of an account that takes the most bytes: where to look when the key policy is full before any function. */
function largestPrincipalList(account: AccountConfig, at: string, lists: readonly (keyof AccountConfig)[]): string {
  const bytes = (field: keyof AccountConfig) => (account[field] as readonly string[]).reduce((sum, arn) => sum + arn.length, 0);
  const largest = [...lists].sort((a, b) => bytes(b) - bytes(a))[0];
  return `${at}.${String(largest)}`;
}

function keyPolicyProblem(config: AppConfig, scale: AccountScale): ConfigIssue | undefined {
  const found = tightest(
    scale.stacks,
    (stack) => stack.keyPolicy,
    (policy) => (policy.fixedBytes > KEY_POLICY_BUDGET_BYTES ? -1 : policy.maxFunctions),
  );
  if (!found) return undefined;
  const { stack, value: policy } = found;
  if (policy.fixedBytes <= KEY_POLICY_BUDGET_BYTES && policy.maxFunctions === stack.functions) return undefined;
  const at = `accounts[${scale.index}]`;
  const limit = `KMS allows ${n(KEY_POLICY_MAX_BYTES)} bytes per key policy (${KMS_LIMIT_URL}); this check keeps ${n(KEY_POLICY_MARGIN_BYTES)} of them free`;
  if (policy.fixedBytes > KEY_POLICY_BUDGET_BYTES) {
    // Full before any function: the principals, or the secrets and parameters the deployers manage.
    const withoutSecrets = scratchKey(config, scale.account, stack.region, false);
    const principalsOnly = withoutSecrets ? policyBytes(withoutSecrets) : policy.fixedBytes;
    const path =
      principalsOnly > KEY_POLICY_BUDGET_BYTES
        ? largestPrincipalList(scale.account, at, ["keyAdministratorArns", "keyUserArns", "deployerArns", "helperEncrypterArns"])
        : "secrets";
    return {
      path,
      message:
        `the workload key policy of stack ${stack.stack} is ${n(policy.fixedBytes)} bytes before any function (${n(principalsOnly)} of them for the account's key administrators, users, deployers and helper encrypters, the rest for the secrets and parameters its deployers manage), over the ${n(KEY_POLICY_BUDGET_BYTES)} this check allows: ${limit}. ` +
        (path === "secrets"
          ? `Create fewer secrets in account "${scale.account.name}" (secrets[].accounts), or shorten their names.`
          : `Name fewer principals in ${at}: group people in a few roles and list the roles.`),
    };
  }
  return {
    path: "functions",
    message:
      `at most ${n(policy.maxFunctions)} of the ${n(stack.functions)} functions of account "${scale.account.name}" fit in the workload key policy of stack ${stack.stack}: ` +
      `the first ${n(policy.measuredFunctions)} already make it ${n(policy.bytes)} bytes, over the ${n(KEY_POLICY_BUDGET_BYTES)} this check allows (${limit}). ` +
      `It lists every function's log group ARN (${policy.logGroupArnCopies}×) and execution role ARN (${policy.roleArnCopies}×) exactly, about ${n(policy.lastFunctionBytes)} bytes per function, on top of ${n(policy.fixedBytes)} bytes for the principals and secrets. ` +
      `Run fewer functions in account "${scale.account.name}" (set functions[].accounts, or split them over another account), or use shorter function names.`,
  };
}

function alarmProblem(scale: AccountScale): ConfigIssue | undefined {
  const found = tightest(
    scale.stacks,
    (stack) => stack.alarm,
    (alarm) => alarm.maxFunctions,
  );
  if (!found || found.value.lists <= MAX_PRINCIPAL_LISTS) return undefined;
  const { stack, value: alarm } = found;
  const at = `accounts[${scale.index}]`;
  const account = scale.account;
  const others = `${account.keyUserArns.length} key user(s) and ${account.deployerArns.length} deployer(s)`;
  const limit =
    `the unexpected-key-use alarm of stack ${stack.stack} would need ${n(alarm.lists)} metric filters of at most ${n(FILTER_PATTERN_MAX_LENGTH)} characters (${FILTER_LIMIT_URL}) for its ${n(alarm.principals)} allowed principals, and one more that counts every key use: ` +
    `${n(alarm.lists + 1)} metrics, over the ${MAX_METRICS_PER_ALARM} a metric-math alarm may reference (${ALARM_LIMIT_URL}), which leaves room for ${MAX_PRINCIPAL_LISTS} lists`;
  if (alarm.othersLists > MAX_PRINCIPAL_LISTS) {
    return {
      path: account.keyUserArns.length >= account.deployerArns.length ? `${at}.keyUserArns` : `${at}.deployerArns`,
      message: `${limit}; the account's ${others} alone need ${n(alarm.othersLists)} lists. Name fewer key users and deployers in ${at}: group people in a few roles and list the roles.`,
    };
  }
  return {
    path: "functions",
    message:
      `${limit}; at most ${n(alarm.maxFunctions)} of the ${n(stack.functions)} functions of account "${account.name}" fit beside its ${others}. ` +
      `Every execution role is matched exactly, about 70 characters plus its role name (<function>-<region>) each. Run fewer functions in account "${account.name}" (set functions[].accounts, or split them over another account), name fewer key users and deployers, or use shorter function names.`,
  };
}

function metricFilterProblem(scale: AccountScale): ConfigIssue | undefined {
  // A stack whose alarm needs more than 10 metrics is refused already (alarmProblem). Counted here at the most filters
  // a valid alarm has, so that this issue is reported only when it would remain after that fix.
  const mostPerStack = WORKLOAD_FIXED_FILTERS + MAX_METRICS_PER_ALARM;
  const afterAlarmFixes = scale.stacks.reduce((sum, stack) => sum + Math.min(stack.metricFilters, mostPerStack), scale.auditMetricFilters);
  if (afterAlarmFixes <= METRIC_FILTERS_PER_LOG_GROUP) return undefined;
  const at = `accounts[${scale.index}]`;
  const perRegion = scale.stacks.map((stack) => `${stack.region} ${stack.metricFilters}`).join(", ");
  const cisSaving = scale.account.audit.cisAlarms ? CIS_MONITORING_CONTROLS.length - ALWAYS_ON_CIS_ALARMS : 0;
  return {
    path: `${at}.regions`,
    message:
      `the alarms of account "${scale.account.name}" would put ${n(scale.metricFilters)} metric filters on its trail's log group, over the ${METRIC_FILTERS_PER_LOG_GROUP} CloudWatch Logs allows per log group (${FILTER_LIMIT_URL}): ` +
      `${scale.auditMetricFilters} from the audit stack and, per region, ${WORKLOAD_FIXED_FILTERS} plus the unexpected-key-use filters (${perRegion}). ` +
      `Use fewer regions in ${at}` +
      (cisSaving > 0 ? `, set ${at}.audit.cisAlarms to false (${cisSaving} fewer filters)` : "") +
      ", or run fewer functions and name fewer key users and deployers in the account (fewer unexpected-key-use filters per region).",
  };
}

/**
 * Aliases of a key: every alias is named in the key's change pattern,
 * which CloudWatch Logs limits to 1,024 characters; measured with
 * `keyChangePattern` itself and a key ARN of the region's real length.
 */
function aliasProblems(config: AppConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (path: string, aliases: readonly string[], places: readonly { account: AccountConfig; region: string; stack: string }[]) => {
    const names = aliases.map(normalizeAliasName);
    // The region with the longest pattern: the region and the key ARN both appear in it.
    let worst: { place: string; max: number } | undefined;
    for (const { account, region, stack } of places) {
      const arn = formatArn(environment(account, region), "kms", `key/${SAMPLE_KEY_ID}`);
      const fits = (count: number) => {
        try {
          keyChangePattern(arn, region, names.slice(0, count));
          return true;
        } catch {
          return false;
        }
      };
      if (fits(names.length)) continue;
      let max = 0;
      while (max < names.length && fits(max + 1)) max++;
      if (!worst || max < worst.max) worst = { place: stack, max };
    }
    if (worst) {
      issues.push({
        path,
        message:
          `the key-change alarm in ${worst.place} names every alias of the key in one metric filter pattern, which CloudWatch Logs limits to ${n(FILTER_PATTERN_MAX_LENGTH)} characters (${FILTER_LIMIT_URL}); ` +
          `only the first ${worst.max} of the ${names.length} aliases fit. Give the key fewer or shorter aliases.`,
      });
    }
  };
  check(
    "key.aliases",
    config.key.aliases,
    config.accounts.flatMap((account) => account.regions.map((region) => ({ account, region, stack: stackName(account, region) }))),
  );
  config.accounts.forEach((account, i) =>
    check(`accounts[${i}].audit.keyAliases`, account.audit.keyAliases, [{ account, region: account.audit.homeRegion, stack: auditStackName(account) }]),
  );
  return issues;
}
