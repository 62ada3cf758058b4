import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";

/** Props of {@link LogMetricAlarm}. */
export interface LogMetricAlarmProps {
  /** Log group the filter reads (a trail's CloudWatch Logs group). */
  readonly logGroupName: string;
  /** Name of the filter and of the alarm. */
  readonly name: string;
  /** CloudWatch Logs filter pattern, at most 1024 characters. */
  readonly pattern: string;
  /** Name of the metric the filter publishes. */
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
   * Length of the window the alarm counts events in; it fires on the first
   * matching event of a window and notifies once per change of state.
   * @default 300
   */
  readonly periodSeconds?: number;
}

/**
 * How every alarm of this library fires: on the first counted event of a
 * window, treating a window without events as nothing happened (a metric
 * filter publishes nothing when no event matches).
 */
export const FIRE_ON_FIRST_EVENT = {
  evaluationPeriods: 1,
  threshold: 1,
  comparisonOperator: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching",
  actionsEnabled: true,
} as const;

/** CloudWatch Logs limits a filter pattern to 1024 characters (PutMetricFilter API). */
export const FILTER_PATTERN_MAX_LENGTH = 1024;

/**
 * A metric filter on a log group and an alarm that fires on the first
 * matching event in a window (5 minutes by default): the shape of every CIS AWS
 * Foundations monitoring control (section 4).
 */
export class LogMetricAlarm extends Construct {
  /** The `aws_cloudwatch_log_metric_filter` (escape hatch). */
  public readonly filter: CloudwatchLogMetricFilter;
  /** The `aws_cloudwatch_metric_alarm` (escape hatch). */
  public readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: LogMetricAlarmProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? "LambdaKmsAudit";
    this.filter = new CloudwatchLogMetricFilter(this, "filter", {
      provider: props.provider,
      name: props.name,
      logGroupName: props.logGroupName,
      pattern: props.pattern,
      metricTransformation: { name: props.metricName, namespace, value: "1" },
    });
    this.alarm = new CloudwatchMetricAlarm(this, "alarm", {
      provider: props.provider,
      alarmName: props.name,
      alarmDescription: props.description,
      namespace,
      metricName: props.metricName,
      statistic: "Sum",
      period: props.periodSeconds ?? 300,
      ...FIRE_ON_FIRST_EVENT,
      alarmActions: [props.alarmTopicArn],
    });
  }
}
