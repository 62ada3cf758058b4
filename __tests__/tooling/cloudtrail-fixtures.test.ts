/**
 * The CloudTrail record fixtures (__tests__/fixtures/cloudtrail, sources in
 * SOURCES.md there): each file is one well-formed record whose name states
 * its service and event, and whose key, caller and alias are those SOURCES.md
 * records; then documented and project-style filter patterns evaluated on
 * them with the test-only evaluator.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCloudTrailFixture, matchesFilterPattern } from "../support/filter-pattern";

const FIXTURES = path.join(__dirname, "..", "fixtures", "cloudtrail");
const names = fs
  .readdirSync(FIXTURES)
  .filter((file) => file.endsWith(".json"))
  .map((file) => file.slice(0, -".json".length))
  .sort();

type CloudTrailRecord = {
  eventSource: string;
  eventName: string;
  eventVersion: string;
  userIdentity: { type: string; arn?: string; invokedBy?: string };
  resources?: Array<{ ARN: string }>;
  requestParameters?: { aliasName?: string } | null;
};

function record(name: string): CloudTrailRecord {
  return loadCloudTrailFixture(name) as unknown as CloudTrailRecord;
}

/** The rows of the Markdown table that follows `heading` in SOURCES.md, as cells without backticks. */
function table(heading: string): string[][] {
  const text = fs.readFileSync(path.join(FIXTURES, "SOURCES.md"), "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`SOURCES.md has no "## ${heading}" section`);
  const lines = text.slice(start).split("\n").slice(2);
  const rows = lines.slice(lines.findIndex((line) => line.startsWith("|")));
  const end = rows.findIndex((line) => !line.startsWith("|"));
  return rows
    .slice(2, end < 0 ? undefined : end) // after the header and separator rows
    .map((line) =>
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim().replace(/`/g, "")),
    );
}

test("the fixtures folder has the records the other tests name", () => {
  expect(names.length).toBeGreaterThanOrEqual(20);
  expect(names).toEqual(expect.arrayContaining(["kms-Decrypt-by-role", "kms-ReEncrypt", "kms-CreateGrant-by-user", "kms-CreateGrant-by-service", "kms-Decrypt-denied"]));
});

describe.each(names)("%s.json", (name) => {
  const [service, eventName] = name.split("-");

  test("is one CloudTrail record with the fields every record has", () => {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
    expect(raw).toEqual(expect.any(Object));
    expect(Array.isArray(raw)).toBe(false);
    expect(raw).not.toHaveProperty("Records");
    expect(raw).toEqual(
      expect.objectContaining({
        eventSource: expect.any(String),
        eventName: expect.any(String),
        eventVersion: expect.any(String),
        userIdentity: expect.objectContaining({ type: expect.any(String) }),
      }),
    );
  });

  test("its file name names its service and event", () => {
    expect(record(name).eventSource).toBe(`${service}.amazonaws.com`);
    expect(record(name).eventName).toBe(eventName);
  });

  test("is listed in SOURCES.md with its source and edits", () => {
    const row = table("Sources").find((cells) => cells[0] === `${name}.json`);
    expect(row).toBeDefined();
    expect(row?.[1]).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
    expect(row?.[2]).not.toBe("");
  });

  test("names the key, other resources, caller and alias that SOURCES.md records", () => {
    const r = record(name);
    const row = table("What each fixture names").find((cells) => cells[0] === `${name}.json`);
    const orDash = (value: string | undefined) => value ?? "—";
    expect(row?.slice(1)).toEqual([
      orDash(r.resources?.[0]?.ARN),
      r.resources && r.resources.length > 1
        ? r.resources
            .slice(1)
            .map((res) => res.ARN)
            .join(", ")
        : "—",
      orDash(r.userIdentity.arn ?? r.userIdentity.invokedBy),
      orDash(r.requestParameters?.aliasName),
    ]);
  });
});

test("SOURCES.md lists no file that does not exist", () => {
  for (const heading of ["Sources", "What each fixture names"]) {
    expect(table(heading).map((cells) => cells[0])).toEqual(expect.arrayContaining(names.map((n) => `${n}.json`)));
    expect(table(heading)).toHaveLength(names.length);
  }
});

describe("filter patterns on the fixtures", () => {
  const matches = (pattern: string, name: string) => matchesFilterPattern(pattern, loadCloudTrailFixture(name));

  const SOURCE_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const DESTINATION_KEY = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

  test("ReEncrypt: resources[0] is the source key, not the destination key", () => {
    const onKey = (arn: string) => `{ ($.eventSource = kms.amazonaws.com) && ($.eventName = ReEncrypt) && ($.resources[0].ARN = "${arn}") }`;
    expect(matches(onKey(SOURCE_KEY), "kms-ReEncrypt")).toBe(true);
    expect(matches(onKey(DESTINATION_KEY), "kms-ReEncrypt")).toBe(false);
    expect(matches(`{ $.resources[1].ARN = "${DESTINATION_KEY}" }`, "kms-ReEncrypt")).toBe(true);
  });

  test("Security Hub CloudWatch.7 (disabling or deleting a customer managed key) selects DisableKey and ScheduleKeyDeletion only", () => {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
    const pattern = "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}";
    const selected = names.filter((name) => matches(pattern, name));
    expect(selected).toEqual(["kms-DisableKey", "kms-ScheduleKeyDeletion"]);
  });

  test("the unauthorized-API-calls pattern (CloudTrail guide, Security Hub CloudWatch.2) selects the AccessDenied records only", () => {
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html
    const pattern = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }';
    const selected = names.filter((name) => matches(pattern, name));
    expect(selected).toEqual(["kms-Decrypt-denied", "lambda-GetFunction-denied"]);
  });

  test("Security Hub CloudWatch.1 (root account use) selects none of these callers", () => {
    const pattern = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}';
    expect(names.filter((name) => matches(pattern, name))).toEqual([]);
  });

  test("errorCode tells successful calls from failed ones", () => {
    const failed = '{ ($.eventName = Decrypt) && ($.errorCode = "*") }';
    const succeeded = "{ ($.eventName = Decrypt) && ($.errorCode NOT EXISTS) }";
    expect(matches(failed, "kms-Decrypt-denied")).toBe(true);
    expect(matches(failed, "kms-Decrypt-incorrect-key")).toBe(true);
    expect(matches(failed, "kms-Decrypt-by-user")).toBe(false);
    expect(matches(succeeded, "kms-Decrypt-by-user")).toBe(true);
    expect(matches(succeeded, "kms-Decrypt-denied")).toBe(false);
  });

  test("userIdentity.invokedBy tells a grant created by a service on a user's behalf from one the user created", () => {
    const byCaller = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) && ($.userIdentity.invokedBy NOT EXISTS) }";
    expect(matches(byCaller, "kms-CreateGrant-by-user")).toBe(true);
    expect(matches(byCaller, "kms-CreateGrant-by-service")).toBe(false);
    // The documented EBS grant, made by EC2 "acting on behalf of the customer", carries no invokedBy.
    expect(matches(byCaller, "kms-CreateGrant-for-ebs-volume")).toBe(true);
  });

  test("an alias is selected by requestParameters.aliasName, not by resources[0]", () => {
    const onAlias = (alias: string) =>
      `{ ($.eventSource = kms.amazonaws.com) && (($.eventName = CreateAlias) || ($.eventName = UpdateAlias) || ($.eventName = DeleteAlias)) && ($.requestParameters.aliasName = "${alias}") }`;
    expect(["kms-CreateAlias", "kms-UpdateAlias", "kms-DeleteAlias"].filter((name) => matches(onAlias("alias/my_alias"), name))).toEqual(["kms-UpdateAlias", "kms-DeleteAlias"]);
    expect(matches(onAlias("alias/ExampleAlias"), "kms-CreateAlias")).toBe(true);
    const onKey = `{ $.resources[0].ARN = "${SOURCE_KEY}" }`;
    expect(matches(onKey, "kms-CreateAlias")).toBe(true);
    expect(matches(onKey, "kms-UpdateAlias")).toBe(false);
    expect(matches(onKey, "kms-DeleteAlias")).toBe(false);
  });

  test("a role's sessions are selected by the session ARN with a trailing wildcard", () => {
    const role = '{ $.userIdentity.arn = "arn:aws:sts::123456789012:assumed-role/role-name/*" }';
    expect(matches(role, "kms-Decrypt-by-lambda-execution-role")).toBe(true);
    expect(matches(role, "kms-Decrypt-by-lambda-filter-criteria")).toBe(true);
    expect(matches(role, "kms-Decrypt-by-role-via-s3")).toBe(false);
    expect(matches(role, "kms-Decrypt-by-service")).toBe(false);
    const otherThanTheRole = '{ ($.eventName = Decrypt) && (($.userIdentity.arn NOT EXISTS) || ($.userIdentity.arn != "arn:aws:sts::123456789012:assumed-role/role-name/*")) }';
    expect(matches(otherThanTheRole, "kms-Decrypt-by-lambda-execution-role")).toBe(false);
    expect(matches(otherThanTheRole, "kms-Decrypt-by-user")).toBe(true);
    expect(matches(otherThanTheRole, "kms-Decrypt-by-service")).toBe(true);
  });

  test("a != on userIdentity.arn without NOT EXISTS is undetermined for an AWS service caller", () => {
    const pattern = '{ $.userIdentity.arn != "arn:aws:iam::111122223333:user/Alice" }';
    expect(matches(pattern, "kms-Decrypt-by-role")).toBe(true);
    expect(matches(pattern, "kms-Decrypt-by-user")).toBe(false);
    expect(() => matches(pattern, "kms-Decrypt-by-service")).toThrow(/does not state/);
  });

  test("userIdentity.type tells AWS service callers from principals of the account", () => {
    const notService = '{ ($.eventName = Decrypt) && ($.userIdentity.type != "AWSService") }';
    expect(matches(notService, "kms-Decrypt-by-service")).toBe(false);
    expect(matches(notService, "kms-Decrypt-by-user")).toBe(true);
    expect(matches(notService, "kms-Decrypt-by-role")).toBe(true);
    expect(matches(notService, "kms-Decrypt-by-lambda-execution-role")).toBe(true);
  });

  test("GenerateDataKey* selects GenerateDataKey, not Decrypt", () => {
    const pattern = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = GenerateDataKey*) }";
    expect(matches(pattern, "kms-GenerateDataKey")).toBe(true);
    expect(matches(pattern, "kms-Decrypt-by-user")).toBe(false);
  });

  test("loadCloudTrailFixture refuses a path instead of a name", () => {
    expect(() => loadCloudTrailFixture("../cloudtrail/kms-ReEncrypt")).toThrow(/fixture name/);
    expect(() => loadCloudTrailFixture("kms-ReEncrypt.json")).toThrow(/fixture name/);
  });
});
