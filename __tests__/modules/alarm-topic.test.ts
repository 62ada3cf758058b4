import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AlarmTopic, AlarmTopicProps } from "../../modules/alarm-topic";
import { onlyResourceOf, referenceTo, resourcesOf } from "../support/matchers";
import { Json, newStackWithKey, PolicyStatementJson as Statement } from "../support/synth";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "alarm-topic-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const TOPIC = "kms-audit-alarms";
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${TOPIC}`;

function setup(region = REGION) {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region, alias: "audit" });
}

/** The stack synthesized with validations run (what the matchers take): one key, one topic, one topic policy. */
function synthesize(stack: TerraformStack) {
  const synthesized = Testing.synth(stack, true);
  // onlyResourceOf throws unless the stack has exactly one resource of the type.
  const [, key] = onlyResourceOf(synthesized, KmsKey);
  const [, topicPolicy] = onlyResourceOf(synthesized, SnsTopicPolicy);
  return {
    synthesized,
    keyArnRef: referenceTo(synthesized, KmsKey, "arn"),
    keyPolicy: JSON.parse(key.policy as string) as { Statement: Statement[] },
    topicArnRef: referenceTo(synthesized, SnsTopic, "arn"),
    topicPolicyJson: JSON.parse(topicPolicy.policy as string) as Json,
    /** Subscriptions by Terraform logical ID. */
    subscriptions: Object.fromEntries(resourcesOf(synthesized, SnsTopicSubscription)),
  };
}

function build(props: Partial<Omit<AlarmTopicProps, "key">> = {}, region = REGION) {
  const { stack, key } = setup(region);
  const construct = new AlarmTopic(stack, "alarms", { topicName: TOPIC, key, ...props });
  return { stack, key, construct, ...synthesize(stack) };
}

describe("aws_sns_topic", () => {
  test("is named as given and encrypted with the key's ARN; no tags by default", () => {
    const { synthesized, keyArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(SnsTopic, { name: TOPIC, kms_master_key_id: keyArnRef }, { exhaustive: true });
  });

  test("carries tags", () => {
    const { synthesized, keyArnRef } = build({ tags: { team: "platform" } });
    expect(synthesized).toHaveResourceWithExactly(SnsTopic, { name: TOPIC, kms_master_key_id: keyArnRef, tags: { team: "platform" } }, { exhaustive: true });
  });

  test("topicArn is the literal ARN in the key's environment; resource is the escape hatch", () => {
    const { construct } = build();
    expect(construct.topicArn).toBe(TOPIC_ARN);
    expect(construct.resource.terraformResourceType).toBe("aws_sns_topic");
    expect(construct.topicPolicy.terraformResourceType).toBe("aws_sns_topic_policy");
  });
});

describe("topic policy", () => {
  test("lets CloudWatch alarms of this account publish and refuses plain HTTP, nothing else", () => {
    const { synthesized, topicArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(
      SnsTopicPolicy,
      {
        arn: topicArnRef,
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudWatchAlarmsPublish",
              Effect: "Allow",
              Principal: { Service: ["cloudwatch.amazonaws.com"] },
              Action: ["sns:Publish"],
              Resource: [TOPIC_ARN],
              Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
            },
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: { AWS: ["*"] },
              Action: ["sns:Publish"],
              Resource: [TOPIC_ARN],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        },
      },
      { exhaustive: true },
    );
  });

  test("uses the key's partition and region (China)", () => {
    const { topicPolicyJson, construct } = build({}, "cn-north-1");
    const arn = `arn:aws-cn:sns:cn-north-1:${ACCOUNT}:${TOPIC}`;
    expect(construct.topicArn).toBe(arn);
    for (const s of (topicPolicyJson as { Statement: Statement[] }).Statement) expect(s.Resource).toEqual([arn]);
  });
});

describe("key policy", () => {
  test("gains the statement CloudWatch needs to publish to this encrypted topic (SNS's encryption context), and nothing else", () => {
    const { keyPolicy } = build();
    const allows = keyPolicy.Statement.filter((s) => s.Effect === "Allow");
    expect(allows.map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount", "CloudWatchAlarmsPublishToEncryptedTopics"]);
    expect(allows[1]).toEqual({
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": `arn:aws:sns:eu-west-1:111111111111:kms-audit-alarms` } },
    });
  });
});

describe("email subscriptions", () => {
  test("none by default", () => {
    const { synthesized } = build();
    expect(synthesized).not.toHaveResource(SnsTopicSubscription);
  });

  test("one email subscription per unique address", () => {
    const { synthesized, subscriptions, topicArnRef } = build({ emailAddresses: ["sec@example.com", "ops+kms@example.co.uk", "sec@example.com"] });
    expect(Object.keys(subscriptions)).toHaveLength(2);
    for (const endpoint of ["ops+kms@example.co.uk", "sec@example.com"]) {
      expect(synthesized).toHaveResourceWithExactly(
        SnsTopicSubscription,
        { topic_arn: topicArnRef, protocol: "email", endpoint },
        { select: (subscription) => subscription.endpoint === endpoint, exhaustive: true },
      );
    }
  });

  test("construct IDs derive from the address: reordering or adding addresses keeps each Terraform address", () => {
    const byAddress = (emails: string[]) => Object.fromEntries(Object.entries(build({ emailAddresses: emails }).subscriptions).map(([id, s]) => [s.endpoint as string, id]));
    const first = byAddress(["sec@example.com", "ops@example.com"]);
    const reordered = byAddress(["ops@example.com", "sec@example.com"]);
    const added = byAddress(["new@example.com", "ops@example.com", "sec@example.com"]);
    expect(reordered).toEqual(first);
    expect(added).toEqual({ ...first, "new@example.com": expect.any(String) });
    expect(first["sec@example.com"]).toMatch(/^alarms_email-sec-example-com_[0-9A-F]{8}$/);
    expect(first["ops@example.com"]).toMatch(/^alarms_email-ops-example-com_[0-9A-F]{8}$/);
  });
});

describe("validation", () => {
  function attempt(props: Partial<Omit<AlarmTopicProps, "key">>) {
    const { stack, key } = setup();
    return () => new AlarmTopic(stack, "alarms", { topicName: TOPIC, key, ...props });
  }

  test.each(["", "bad name", "org.audit-alarms", "alarms.fifo", "a".repeat(257), "alarms/x"])("fails when topicName is %p", (topicName) => {
    expect(attempt({ topicName })).toThrow(`alarm topic: topicName "${topicName}" is invalid; use 1–256 letters, digits, "-" or "_"`);
  });

  test.each(["A_b-1", "a".repeat(256)])("accepts topicName %p", (topicName) => {
    expect(attempt({ topicName })).not.toThrow();
  });

  test.each(["security", "sec@example", "sec @example.com", "@example.com", ""])("fails when an email address is %p", (email) => {
    expect(attempt({ emailAddresses: ["ok@example.com", email] })).toThrow(
      `alarm topic "${TOPIC}": emailAddresses "${email}" is invalid; use an email address such as security@example.com`,
    );
  });

  test("fails when two addresses map to the same Terraform address", () => {
    expect(attempt({ emailAddresses: ["sec.ops@example.com", "sec-ops@example.com"] })).toThrow(
      `alarm topic "${TOPIC}": emailAddresses "sec.ops@example.com" and "sec-ops@example.com" map to the same Terraform address "email-sec-ops-example-com"; subscribe one of them through a distribution list instead`,
    );
  });

  test("lets a token topic name through to Terraform", () => {
    const { stack, key } = setup();
    const topicName = new TerraformVariable(stack, "topic_name", { type: "string" }).stringValue;
    expect(() => new AlarmTopic(stack, "alarms", { topicName, key })).not.toThrow();
  });
});
