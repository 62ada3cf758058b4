import { CIS_MONITORING_CONTROLS } from "../../../modules/cis-monitoring-controls";
import { alarmTopicSubscribers } from "../../../modules/compliance/rules/alarm-topic-subscribers";
import { cisMonitoringAlarms } from "../../../modules/compliance/rules/cis-monitoring-alarms";
import { findings, stackOf } from "./helpers";

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const meta = (path: string) => ({ "//": { metadata: { path } } });

const TRAIL = { ...meta("s/audit/trail"), cloud_watch_logs_group_arn: "${aws_cloudwatch_log_group.logs.arn}:*" };
const TOPIC = "${aws_sns_topic.t.arn}";

/** A metric filter on the trail's log group and an alarm with an action, for each control of `controls`. */
function cisAlarms(controls = CIS_MONITORING_CONTROLS, actions: string[] = [TOPIC]): Resources {
  const filters: Record<string, Record<string, unknown>> = {};
  const alarms: Record<string, Record<string, unknown>> = {};
  for (const control of controls) {
    filters[control.id] = {
      log_group_name: "${aws_cloudwatch_log_group.logs.name}",
      pattern: control.pattern,
      metric_transformation: { name: control.metricName, namespace: "Audit", value: "1" },
    };
    alarms[control.id] = { metric_name: control.metricName, namespace: "Audit", alarm_actions: actions };
  }
  return { aws_cloudwatch_log_metric_filter: filters, aws_cloudwatch_metric_alarm: alarms };
}

const base: Resources = {
  aws_cloudtrail: { trail: TRAIL },
  aws_cloudwatch_log_group: { logs: { name: "/aws/cloudtrail/audit" } },
  aws_sns_topic: { t: { ...meta("s/audit/alarms/topic"), name: "audit-alarms" } },
};

describe("ALARM-002 CIS monitoring set", () => {
  const message = (missing: string[]) => [
    { path: "s/audit/trail", message: `Stack test has CloudTrail trail aws_cloudtrail.trail but no alarmed metric filter with the exact pattern of ${missing.join(", ")}` },
  ];

  it("is a warning, passes the full set, and ignores stacks without a trail", () => {
    expect(cisMonitoringAlarms.severity).toBe("warning");
    expect(findings(cisMonitoringAlarms, stackOf({ ...base, ...cisAlarms() }))).toEqual([]);
    expect(findings(cisMonitoringAlarms, stackOf({ aws_cloudwatch_log_group: base.aws_cloudwatch_log_group }))).toEqual([]);
  });

  it("names each missing control: absent, a reformatted pattern, or no alarm action", () => {
    const [first, second, ...rest] = CIS_MONITORING_CONTROLS;
    expect(findings(cisMonitoringAlarms, stackOf({ ...base, ...cisAlarms(rest) }))).toEqual(message([`${first.control} (${first.title})`, `${second.control} (${second.title})`]));
    // Security Hub compares patterns exactly: the same pattern with other spacing does not count.
    const respaced = cisAlarms();
    respaced.aws_cloudwatch_log_metric_filter[first.id].pattern = first.pattern.replace(/=/g, " = ");
    expect(findings(cisMonitoringAlarms, stackOf({ ...base, ...respaced }))).toEqual(message([`${first.control} (${first.title})`]));
    expect(findings(cisMonitoringAlarms, stackOf({ ...base, ...cisAlarms(CIS_MONITORING_CONTROLS, []) }))).toHaveLength(1);
  });

  it("a filter on another log group does not count", () => {
    const elsewhere = cisAlarms();
    for (const filter of Object.values(elsewhere.aws_cloudwatch_log_metric_filter)) filter.log_group_name = "/other";
    expect(findings(cisMonitoringAlarms, stackOf({ ...base, ...elsewhere }))[0].message).toContain(CIS_MONITORING_CONTROLS[13].control);
  });
});

describe("ALARM-003 alarm topics with a subscriber", () => {
  it("is a warning and passes a notified topic with a subscription", () => {
    expect(alarmTopicSubscribers.severity).toBe("warning");
    const subscribed = { ...base, ...cisAlarms(), aws_sns_topic_subscription: { s: { topic_arn: TOPIC, protocol: "email", endpoint: "sec@example.com" } } };
    expect(findings(alarmTopicSubscribers, stackOf(subscribed))).toEqual([]);
  });

  it("flags a notified topic without a subscription, once however many alarms notify it", () => {
    expect(findings(alarmTopicSubscribers, stackOf({ ...base, ...cisAlarms() }))).toEqual([
      { path: "s/audit/alarms/topic", message: "SNS topic aws_sns_topic.t (audit-alarms) receives alarms of stack test but has no subscription: the alarms notify nobody" },
    ]);
  });

  it("a subscription of another topic does not count; a topic no alarm notifies, or an alarm on a topic of another stack, is not checked", () => {
    const other = { ...base, ...cisAlarms(), aws_sns_topic_subscription: { s: { topic_arn: "${aws_sns_topic.other.arn}", protocol: "email", endpoint: "x@example.com" } } };
    expect(findings(alarmTopicSubscribers, stackOf(other))).toHaveLength(1);
    expect(findings(alarmTopicSubscribers, stackOf(base))).toEqual([]);
    expect(findings(alarmTopicSubscribers, stackOf({ ...base, ...cisAlarms(CIS_MONITORING_CONTROLS, ["arn:aws:sns:eu-west-1:111111111111:audit-alarms"]) }))).toEqual([]);
  });
});
