/**
 * Proves that the metric-filter patterns we emit catch what they claim, by
 * evaluating them against CloudTrail records from AWS documentation
 * (__tests__/fixtures/cloudtrail, sources in SOURCES.md) with the test-only
 * evaluator of the documented filter syntax (__tests__/support/filter-pattern.ts).
 * The fixtures keep AWS's own values, so the patterns are built for the key,
 * region and principals the fixtures name.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { AuditTrail } from "../../modules/audit-trail";
import { CIS_MONITORING_CONTROLS } from "../../modules/cis-monitoring-controls";
import { EncryptionKey } from "../../modules/encryption-key";
import { KeyUseAlarms, deniedKeyUsePattern, keyChangePattern, keyUseClauses } from "../../modules/key-use-alarms";
import { UnlistedCallerAlarm } from "../../modules/unlisted-caller-alarm";
import { loadCloudTrailFixture, matchesFilterPattern, parseFilterPattern } from "../support/filter-pattern";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "alarm-patterns-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

/** The key most KMS fixtures name (us-west-2, account 111122223333). */
const KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/** The destination key of the ReEncrypt fixture. */
const OTHER_KEY = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
/** The key and execution role of the Lambda fixture (eu-west-1, account 123456789012). */
const LAMBDA_KEY = "arn:aws:kms:eu-west-1:123456789012:key/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const LAMBDA_ROLE = "arn:aws:iam::123456789012:role/payments/eu-west-1/role-name";
const ALICE = "arn:aws:iam::111122223333:user/Alice";

const KMS_FIXTURES = [
  "kms-CreateAlias",
  "kms-CreateGrant-by-service",
  "kms-CreateGrant-by-user",
  "kms-CreateGrant-for-ebs-volume",
  "kms-Decrypt-by-lambda-execution-role",
  "kms-Decrypt-by-lambda-filter-criteria",
  "kms-Decrypt-by-role-via-s3",
  "kms-Decrypt-by-role",
  "kms-Decrypt-by-service",
  "kms-Decrypt-by-user",
  "kms-Decrypt-denied",
  "kms-Decrypt-incorrect-key",
  "kms-DeleteAlias",
  "kms-DisableKey",
  "kms-DisableKeyRotation",
  "kms-EnableKeyRotation",
  "kms-Encrypt",
  "kms-GenerateDataKey",
  "kms-PutKeyPolicy",
  "kms-ReEncrypt",
  "kms-RotateKeyOnDemand",
  "kms-ScheduleKeyDeletion",
  "kms-UpdateAlias",
  "lambda-GetFunction-denied",
  "cloudtrail-UpdateTrail-not-found",
];

/** The fixtures a pattern matches, of `names`. */
function matching(pattern: string, names: readonly string[]): string[] {
  return names.filter((name) => matchesFilterPattern(pattern, loadCloudTrailFixture(name)));
}

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(s, "aws", { region: "us-west-2" });
  return s;
}

describe("unexpected key use", () => {
  const pattern = (key: string) => `{ ${keyUseClauses(key).join(" && ")} }`;

  test("matches successful Decrypt, ReEncrypt from the key and GenerateDataKey by a user or role, and nothing else", () => {
    expect(matching(pattern(KEY), KMS_FIXTURES)).toEqual(["kms-Decrypt-by-role-via-s3", "kms-Decrypt-by-role", "kms-Decrypt-by-user", "kms-GenerateDataKey", "kms-ReEncrypt"]);
  });

  test("a ReEncrypt counts for its source key only: moving a ciphertext *into* a key is not a read", () => {
    expect(matching(pattern(OTHER_KEY), ["kms-ReEncrypt"])).toEqual([]);
  });

  test("a Decrypt by an AWS service principal, a refused Decrypt, and a Decrypt with the wrong key do not count", () => {
    const serviceKey = "arn:aws:kms:eu-west-1:111122223333:key/1a2b3c4d-5e6f-1a2b-3c4d-5e6f1a2b3c4d";
    expect(matching(pattern(serviceKey), ["kms-Decrypt-by-service"])).toEqual([]);
    expect(matching(pattern(KEY), ["kms-Decrypt-denied", "kms-Decrypt-incorrect-key"])).toEqual([]);
  });

  test("a listed execution role (any path, any session) and a listed user do not count; others still do", () => {
    const s = stack();
    const alarm = new UnlistedCallerAlarm(s, "lambda", {
      logGroupName: "trail",
      name: "lambda",
      metricName: "Lambda",
      description: "d",
      alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:alarms",
      eventClauses: keyUseClauses(LAMBDA_KEY),
      allowedPrincipalArns: [LAMBDA_ROLE],
    });
    expect(alarm.patterns).toHaveLength(1);
    expect(matching(alarm.patterns[0], ["kms-Decrypt-by-lambda-execution-role", "kms-Decrypt-by-lambda-filter-criteria"])).toEqual([]);
    const users = new UnlistedCallerAlarm(s, "users", { ...alarmProps(), eventClauses: keyUseClauses(KEY), allowedPrincipalArns: [ALICE] });
    expect(matching(users.patterns[0], KMS_FIXTURES)).toEqual(["kms-Decrypt-by-role-via-s3", "kms-Decrypt-by-role"]);
    // An execution role of the same name prefix is another role.
    const other = new UnlistedCallerAlarm(s, "other", {
      ...alarmProps(),
      eventClauses: keyUseClauses(LAMBDA_KEY),
      allowedPrincipalArns: ["arn:aws:iam::123456789012:role/role-name-admin"],
    });
    expect(matching(other.patterns[0], ["kms-Decrypt-by-lambda-execution-role"])).toEqual(["kms-Decrypt-by-lambda-execution-role"]);
  });

  test("split over several filters, the alarm's metric math counts exactly the events of unlisted callers", () => {
    const many = Array.from({ length: 60 }, (_, i) => `arn:aws:iam::111122223333:role/payments/us-west-2/function-${String(i).padStart(2, "0")}-us-west-2`);
    const s = stack();
    const cases: [string[], Record<string, number>][] = [
      // Alice listed (in the last list): only the two role sessions are unexpected.
      [[...many, ALICE], { "kms-Decrypt-by-role-via-s3": 1, "kms-Decrypt-by-role": 1, "kms-Decrypt-by-user": 0, "kms-GenerateDataKey": 0, "kms-ReEncrypt": 0 }],
      // Alice listed first, the Admins role in the middle: only the EC2 infrastructure role is unexpected.
      [
        [ALICE, ...many.slice(0, 30), "arn:aws:iam::111122223333:role/Admins", ...many.slice(30)],
        { "kms-Decrypt-by-role-via-s3": 0, "kms-Decrypt-by-role": 1, "kms-Decrypt-by-user": 0 },
      ],
      // Nobody of the fixtures listed: every selected event counts once.
      [many, { "kms-Decrypt-by-role-via-s3": 1, "kms-Decrypt-by-role": 1, "kms-Decrypt-by-user": 1, "kms-GenerateDataKey": 1, "kms-ReEncrypt": 1 }],
    ];
    cases.forEach(([principals, expected], i) => {
      const alarm = new UnlistedCallerAlarm(s, `many-${i}`, { ...alarmProps(), eventClauses: keyUseClauses(KEY), allowedPrincipalArns: principals });
      const [all, ...lists] = alarm.patterns;
      expect(lists.length).toBeGreaterThan(2);
      const unlisted = (name: string) => {
        const event = loadCloudTrailFixture(name);
        const count = (p: string) => (matchesFilterPattern(p, event) ? 1 : 0);
        // The expression of the alarm: l1 + … + lk − (k−1) × all.
        return lists.reduce((sum, list) => sum + count(list), 0) - (lists.length - 1) * count(all);
      };
      const counted = Object.fromEntries(KMS_FIXTURES.map((name) => [name, unlisted(name)]).filter(([, n]) => n !== 0));
      expect(counted).toEqual(Object.fromEntries(Object.entries(expected).filter(([, n]) => n !== 0)));
      for (const name of Object.keys(expected)) expect(unlisted(name)).toBe(expected[name]);
    });
  });
});

describe("denied key use", () => {
  test("matches refused Decrypt attempts on the key only", () => {
    expect(matching(deniedKeyUsePattern(KEY), KMS_FIXTURES)).toEqual(["kms-Decrypt-denied", "kms-Decrypt-incorrect-key"]);
  });
});

describe("key change", () => {
  const aliases = ["alias/my_alias", "alias/ExampleAlias"];

  test("matches policy, rotation, state and user-made grant changes of the key, and alias changes in its region", () => {
    expect(matching(keyChangePattern(KEY, "us-west-2", aliases), KMS_FIXTURES)).toEqual([
      "kms-CreateAlias",
      "kms-CreateGrant-by-user",
      // Made by EC2 for an EBS volume, but the record carries no invokedBy: it counts as a user's grant.
      "kms-CreateGrant-for-ebs-volume",
      "kms-DisableKey",
      "kms-DisableKeyRotation",
      "kms-PutKeyPolicy",
      "kms-ScheduleKeyDeletion",
      "kms-UpdateAlias",
    ]);
  });

  test("an alias of the same name in another region, or another alias, is not ours", () => {
    expect(matching(keyChangePattern(KEY, "us-west-2", aliases), ["kms-DeleteAlias"])).toEqual([]);
    expect(matching(keyChangePattern(KEY, "us-east-1", aliases), ["kms-DeleteAlias"])).toEqual(["kms-DeleteAlias"]);
    expect(matching(keyChangePattern(KEY, "us-west-2", ["alias/other"]), ["kms-CreateAlias", "kms-UpdateAlias"])).toEqual([]);
  });

  test("an on-demand rotation of the key material is not a change (docs/key-rotation.md says no alarm fires)", () => {
    expect(matching(keyChangePattern(KEY, "us-west-2", aliases), ["kms-RotateKeyOnDemand"])).toEqual([]);
    expect(loadCloudTrailFixture("kms-RotateKeyOnDemand").eventName).toBe("RotateKeyOnDemand");
  });

  test("a grant an AWS service makes on a caller's behalf (invokedBy) is not a change", () => {
    const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(matching(keyChangePattern(key, "us-east-1", []), ["kms-CreateGrant-by-service"])).toEqual([]);
  });
});

describe("CIS monitoring set", () => {
  /** Each CIS fixture and the controls it must match (all others must not), from cis/SOURCES.md. */
  const EXPECTED: Record<string, string[]> = {
    "cis/signin-ConsoleLogin-root-no-mfa": ["CloudWatch.1"],
    "cis/signin-ConsoleLogin-root-failure": ["CloudWatch.1", "CloudWatch.6"],
    "cis/iam-EnableMFADevice-root": ["CloudWatch.1"],
    "cis/signin-ConsoleLogin-iam-user-no-mfa": ["CloudWatch.3"],
    "cis/signin-ConsoleLogin-iam-user-mfa": [],
    "cis/signin-ConsoleLogin-iam-user-failure": ["CloudWatch.6"],
    "cis/ec2-StopInstances-unauthorized": ["CloudWatch.2"],
    "cis/iam-CreateUser-access-denied": ["CloudWatch.2"],
    "cis/cloudtrail-UpdateTrail-trail-not-found": ["CloudWatch.5"],
    "cis/iam-PutUserPolicy": ["CloudWatch.4"],
    "cis/iam-GetUserPolicy": [],
    "cis/iam-AddUserToGroup": [],
    "cis/cloudtrail-StartLogging": ["CloudWatch.5"],
    "cis/cloudtrail-PutEventSelectors": [],
    "cis/kms-DisableKey": ["CloudWatch.7"],
    "cis/kms-ScheduleKeyDeletion": ["CloudWatch.7"],
    "cis/kms-PutKeyPolicy": [],
    "cis/kms-DeleteKey": [],
    "cis/s3-PutBucketAcl": ["CloudWatch.8"],
    "cis/s3-GetBucketVersioning": [],
    "cis/config-StopConfigurationRecorder": ["CloudWatch.9"],
    "cis/config-StartConfigurationRecorder": [],
    "cis/ec2-StopInstances": [],
    "cis/ec2-AuthorizeSecurityGroupIngress": ["CloudWatch.10"],
    "cis/ec2-DescribeSecurityGroups": [],
    "cis/ec2-ModifySecurityGroupRules": [],
    "cis/ec2-CreateNetworkAclEntry": ["CloudWatch.11"],
    "cis/ec2-AttachInternetGateway": ["CloudWatch.12"],
    "cis/ec2-CreateRoute": ["CloudWatch.13"],
    "cis/ec2-AssociateRouteTable": [],
    "cis/ec2-CreateVpc": ["CloudWatch.14"],
  };

  test("the table covers every CIS fixture, and every control has a positive fixture", () => {
    const files = fs.readdirSync(path.join(__dirname, "..", "fixtures", "cloudtrail", "cis")).filter((f) => f.endsWith(".json"));
    expect(files.map((f) => `cis/${f.replace(/\.json$/, "")}`).sort()).toEqual(Object.keys(EXPECTED).sort());
    const covered = new Set(Object.values(EXPECTED).flat());
    expect(CIS_MONITORING_CONTROLS.filter((control) => !covered.has(control.control)).map((c) => c.control)).toEqual([]);
  });

  test.each(CIS_MONITORING_CONTROLS.map((control) => [control.control, control] as const))("%s matches its positive fixtures and none of the others", (_id, control) => {
    const expected = Object.keys(EXPECTED).filter((name) => EXPECTED[name].includes(control.control));
    expect(matching(control.pattern, Object.keys(EXPECTED))).toEqual(expected);
  });
});

describe("every emitted pattern", () => {
  test("parses under the documented syntax and fits in 1,024 characters, for the audit trail and a workload key", () => {
    const s = stack();
    new AuditTrail(s, "audit", { accountId: "111122223333", region: "us-west-2", trailName: "audit", bucketName: "audit-logs-111122223333", keyAliases: ["audit"] });
    const key = new EncryptionKey(s, "key", { accountId: "111122223333", region: "us-west-2", aliases: ["lambda-env", "team/orders"] });
    const many = Array.from({ length: 40 }, (_, i) => `arn:aws:iam::111122223333:role/payments/us-west-2/function-${i}`);
    const alarms = new KeyUseAlarms(s, "alarms", {
      key,
      trailLogGroupName: "/aws/cloudtrail/audit",
      alarmTopicArn: "arn:aws:sns:us-west-2:111122223333:audit-alarms",
      allowedPrincipalArns: many,
    });
    const json = JSON.parse(Testing.synth(s)) as { resource: Record<string, Record<string, { pattern: string }>> };
    const patterns = Object.values(json.resource.aws_cloudwatch_log_metric_filter).map((filter) => filter.pattern.replace(/\$\{aws_kms_key\.[^}]+\}/g, KEY));
    // The trail's 15, the key's denied-use and change filters, and the split unexpected-use filters.
    expect(alarms.unexpectedKeyUse.filters.length).toBeGreaterThan(2);
    expect(patterns.length).toBe(15 + 2 + alarms.unexpectedKeyUse.filters.length);
    for (const pattern of patterns) {
      expect(() => parseFilterPattern(pattern)).not.toThrow();
      expect(pattern.length).toBeLessThanOrEqual(1024);
    }
  });
});

function alarmProps() {
  return { logGroupName: "trail", name: "n", metricName: "M", description: "d", alarmTopicArn: "arn:aws:sns:us-west-2:111122223333:alarms" };
}
