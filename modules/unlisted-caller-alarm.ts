import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { IAM_PRINCIPAL_ARN_PATTERN } from "./private/aws-limits";
import { FILTER_PATTERN_MAX_LENGTH, FIRE_ON_FIRST_EVENT } from "./log-metric-alarm";

export interface UnlistedCallerAlarmProps {
  /** Log group the filters read (a trail's CloudWatch Logs group). */
  readonly logGroupName: string;
  /** Name of the alarm, and prefix of the filters' names. */
  readonly name: string;
  /**
   * Filter clauses, each in parentheses, that select the events to count
   * (e.g. a successful use of one key); they are joined with `&&`.
   */
  readonly eventClauses: readonly string[];
  /**
   * IAM principals (literal `arn:<p>:iam::<account>:role/…`, `:user/…` or
   * `:root` ARNs) whose events do not count, as many as needed: when they do
   * not fit into one pattern of 1,024 characters, they are split over
   * several filters and the alarm adds those up with metric math.
   */
  readonly allowedPrincipalArns: readonly string[];
  /** Metric name; each filter's metric is named after it. */
  readonly metricName: string;
  /** @default "LambdaKmsAudit" */
  readonly metricNamespace?: string;
  /** What the alarm means and what to do; shown in every notification. */
  readonly description: string;
  /** SNS topic the alarm notifies. */
  readonly alarmTopicArn: string;
  /** Provider of the log group's region. @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /**
   * Realistic values for unresolved tokens in `eventClauses` (token → value),
   * used only to measure the patterns against the 1,024-character limit: a
   * token's text is not as long as the value Terraform will put there.
   * @default none
   */
  readonly measureTokensAs?: Readonly<Record<string, string>>;
}

/** The alarm fires on the first counted event in this window. */
const PERIOD_SECONDS = 300;

/**
 * "Alarms based on metric math expressions can reference a maximum of 10
 * metrics. This is a hard limit that cannot be increased"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html).
 */
export const MAX_METRICS_PER_ALARM = 10;

/** Lists of principals one alarm can watch: one metric per list, and one that counts every selected event. */
export const MAX_PRINCIPAL_LISTS = MAX_METRICS_PER_ALARM - 1;

/**
 * An alarm on events of a trail's log group whose caller is not one of a
 * list of IAM principals, however long the list.
 *
 * One principal costs one `($.userIdentity.arn != "…")` clause, in the form
 * CloudTrail records the caller (see `principalPattern`).
 * Up to CloudWatch Logs' 1,024 characters, the alarm watches one filter.
 * Beyond that, the principals are split into k lists, each with its own
 * filter, next to one filter that counts every selected event (`all`). An
 * event by a listed principal is counted by k−1 of the list filters; an
 * event by anyone else by all k. So the number of unlisted events is exactly
 * `l1 + … + lk − (k−1) × all`, the metric-math expression the alarm watches
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
 * No principal is ever widened to a path or a wildcard.
 *
 * CloudWatch Logs allows 100 metric filters per log group; this adds 1, or
 * k + 1 for k lists. A metric-math alarm references at most 10 metrics, so k
 * is at most 9: more principals than fit in 9 lists are refused.
 */
export class UnlistedCallerAlarm extends Construct {
  /** The metric filters: one, or `all` followed by one per list. */
  public readonly filters: readonly CloudwatchLogMetricFilter[];
  public readonly alarm: CloudwatchMetricAlarm;
  /** The filter patterns, in the order of {@link filters}. */
  public readonly patterns: readonly string[];

  constructor(scope: Construct, id: string, props: UnlistedCallerAlarmProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? "LambdaKmsAudit";
    const what = `unlisted-caller alarm "${props.name}"`;
    const lists = splitPrincipals(what, props.eventClauses, props.allowedPrincipalArns, props.measureTokensAs ?? {});
    if (lists.length > MAX_PRINCIPAL_LISTS) {
      throw new Error(
        `${what}: its ${props.allowedPrincipalArns.length} allowed principals need ${lists.length} filter patterns of at most ${FILTER_PATTERN_MAX_LENGTH} characters, and one more counts every event: ` +
          `${lists.length + 1} metrics, over the ${MAX_METRICS_PER_ALARM} a metric-math alarm may reference; allow fewer principals (group them in roles), or split them over several alarms`,
      );
    }
    const filterProps = { provider: props.provider, logGroupName: props.logGroupName };
    const common = {
      provider: props.provider,
      alarmName: props.name,
      alarmDescription: props.description,
      ...FIRE_ON_FIRST_EVENT,
      alarmActions: [props.alarmTopicArn],
    };

    if (lists.length === 1) {
      this.patterns = [pattern(props.eventClauses, lists[0])];
      this.filters = [
        new CloudwatchLogMetricFilter(this, "filter", {
          ...filterProps,
          name: props.name,
          pattern: this.patterns[0],
          metricTransformation: { name: props.metricName, namespace, value: "1" },
        }),
      ];
      this.alarm = new CloudwatchMetricAlarm(this, "alarm", {
        ...common,
        namespace,
        metricName: props.metricName,
        statistic: "Sum",
        period: PERIOD_SECONDS,
      });
      return;
    }

    const metrics = [
      { id: "all", name: `${props.name}-all`, metricName: `${props.metricName}-All`, pattern: pattern(props.eventClauses, []) },
      ...lists.map((list, i) => ({
        id: `l${i + 1}`,
        name: `${props.name}-list-${i + 1}`,
        metricName: `${props.metricName}-NotInList${i + 1}`,
        pattern: pattern(props.eventClauses, list),
      })),
    ];
    this.patterns = metrics.map((m) => m.pattern);
    this.filters = metrics.map(
      (m) =>
        new CloudwatchLogMetricFilter(this, `filter-${m.id}`, {
          ...filterProps,
          name: m.name,
          pattern: m.pattern,
          metricTransformation: { name: m.metricName, namespace, value: "1" },
        }),
    );
    // FILL(…, 0): a filter with no matching event in the window publishes nothing.
    const listSum = metrics
      .slice(1)
      .map((m) => `FILL(${m.id}, 0)`)
      .join(" + ");
    const metricQuery: CloudwatchMetricAlarmMetricQuery[] = [
      { id: "unlisted", expression: `${listSum} - ${lists.length - 1} * FILL(all, 0)`, label: "Events by unlisted callers", returnData: true },
      ...metrics.map((m) => ({ id: m.id, returnData: false, metric: { namespace, metricName: m.metricName, period: PERIOD_SECONDS, stat: "Sum" } })),
    ];
    this.alarm = new CloudwatchMetricAlarm(this, "alarm", { ...common, metricQuery });
  }
}

/**
 * The `userIdentity.arn` CloudTrail records for calls made by an IAM
 * principal, as a filter-pattern string value:
 *
 * - a role `arn:<p>:iam::<acct>:role/<path/>name` calls AWS through a session,
 *   recorded as `arn:<p>:sts::<acct>:assumed-role/<name>/<session>`. The
 *   session ARN carries the role *name only*: the IAM path is dropped (role
 *   names are unique in an account whatever their path:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names).
 *   The session name is
 *   chosen by the caller (for Lambda it is the function name), so it becomes
 *   a trailing `*` wildcard; CloudWatch Logs filter patterns accept `*` at the
 *   start or end of a string value with `=` and `!=`
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
 *   "Matching terms in JSON log events"). The `/` before it keeps a role named
 *   `fn` from also covering `fn-admin`.
 * - a user `arn:<p>:iam::<acct>:user/<path/>name` is recorded with its own ARN
 *   and stays as given;
 * - the account root `arn:<p>:iam::<acct>:root` stays as given.
 */
function principalPattern(what: string, principalArn: string): string {
  if (Token.isUnresolved(principalArn)) {
    throw new Error(
      `${what}: allowedPrincipalArns contains an unresolved Terraform reference (${principalArn}); ` +
        "the role name is needed at synth time to match CloudTrail's session ARN, so pass literal ARNs such as arn:aws:iam::111111111111:role/my-function-eu-west-1",
    );
  }
  if (!IAM_PRINCIPAL_ARN_PATTERN.test(principalArn)) {
    throw new Error(
      `${what}: allowedPrincipalArns contains "${principalArn}", which is not an IAM principal ARN; use arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root`,
    );
  }
  const [, partition, , , account, resource] = principalArn.split(":");
  if (resource.startsWith("role/")) {
    const name = resource.slice(resource.lastIndexOf("/") + 1);
    return `arn:${partition}:sts::${account}:assumed-role/${name}/*`;
  }
  return principalArn;
}

/**
 * The filter pattern that counts the selected events whose caller is none of
 * `principals` (CloudTrail forms). `$.userIdentity.arn NOT EXISTS` is an
 * alternative to the `!=` clauses: identities without an ARN (`AWSAccount`,
 * i.e. a principal of another account) must count whatever a `!=` on a
 * missing field evaluates to.
 */
function pattern(eventClauses: readonly string[], principals: readonly string[]): string {
  const clauses = [...eventClauses];
  if (principals.length > 0) {
    const notListed = principals.map((p) => `($.userIdentity.arn != "${p}")`).join(" && ");
    clauses.push(`(($.userIdentity.arn NOT EXISTS) || (${notListed}))`);
  }
  return `{ ${clauses.join(" && ")} }`;
}

/**
 * The principals in CloudTrail form, deduplicated and packed in order into
 * as few lists as fit under the pattern limit (measured with the tokens
 * replaced by their realistic values): the lists the alarm watches. The
 * configuration's scale check counts them with this function too.
 */
export function splitPrincipals(what: string, eventClauses: readonly string[], principalArns: readonly string[], measureTokensAs: Readonly<Record<string, string>>): string[][] {
  const principals = [...new Set(principalArns.map((arn) => principalPattern(what, arn)))];
  const measured = eventClauses.map((clause) => Object.entries(measureTokensAs).reduce((text, [token, value]) => text.split(token).join(value), clause));
  const fits = (list: readonly string[]) => pattern(measured, list).length <= FILTER_PATTERN_MAX_LENGTH;
  if (!fits([])) {
    throw new Error(
      `${what}: the filter pattern is ${pattern(measured, []).length} characters before any principal, over the CloudWatch Logs limit of ${FILTER_PATTERN_MAX_LENGTH}; shorten the selecting clauses`,
    );
  }
  const lists: string[][] = [[]];
  for (const principal of principals) {
    const current = lists[lists.length - 1];
    if (fits([...current, principal])) {
      current.push(principal);
    } else if (current.length > 0 && fits([principal])) {
      lists.push([principal]);
    } else {
      throw new Error(
        `${what}: the filter pattern for the single principal "${principal}" is ${pattern(measured, [principal]).length} characters, over the CloudWatch Logs limit of ${FILTER_PATTERN_MAX_LENGTH}; shorten the selecting clauses`,
      );
    }
  }
  return lists;
}
