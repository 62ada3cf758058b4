/**
 * .checkov.yaml: the checkov checks the default configuration fails on
 * purpose. checkov cannot be installed here, so this test reads the
 * synthesized default stacks for the attributes each check looks at (as
 * checkov 3.3.13's check sources define them) and keeps the file honest: a
 * skipped check must still fail somewhere, and the checks docs/scanners.md
 * says pass must hold on every resource they apply to.
 *
 * checkov's graph checks count two resources as connected when either one's
 * attributes refer to the other (`${aws_s3_bucket.<id>.<attribute>}`), in
 * either direction; `connected` below does the same.
 */
import * as fs from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { validateConfig } from "../../config/validate-config";
import { addStacks } from "../../stacks/synthesize-app";
import { defaultConfigDocument, DEFAULT_STACKS, Json, makeStackTestFolder, REPO } from "../support/stack-config";

const folder = makeStackTestFolder("checkov-exceptions-test-");
const appOutdirs: string[] = [];
afterAll(() => {
  for (const dir of [folder.tmp, ...appOutdirs]) fs.rmSync(dir, { recursive: true, force: true });
});

/** The skipped check IDs of .checkov.yaml, each with the comment lines above it. */
function readExceptions(): { id: string; reason: string }[] {
  const lines = fs.readFileSync(path.join(REPO, ".checkov.yaml"), "utf8").split("\n");
  const start = lines.indexOf("skip-check:");
  expect(start).toBeGreaterThan(0);
  const exceptions: { id: string; reason: string }[] = [];
  let comment: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const commentMatch = /^\s+#\s?(.*)$/.exec(line);
    const itemMatch = /^\s+-\s+(\S+)\s*$/.exec(line);
    if (commentMatch) comment.push(commentMatch[1]);
    else if (itemMatch) {
      exceptions.push({ id: itemMatch[1], reason: comment.join(" ") });
      comment = [];
    } else if (line.trim() !== "") break;
  }
  return exceptions;
}

/** Every resource of the audit and workload stacks of a configuration (the default one): [stack, type, id, configuration]. */
function defaultResources(document: Json = defaultConfigDocument()): [string, string, string, Json][] {
  fs.writeFileSync(folder.configFile, JSON.stringify(document));
  const config = validateConfig(JSON.parse(fs.readFileSync(folder.configFile, "utf8")), folder.configFile);
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const stacks = addStacks(app, config, folder.outdir);
  // The bootstrap stacks (DeployerStack) hold only IAM policies, which checkov's IAM checks cannot read.
  const expected = DEFAULT_STACKS.filter((name) => !name.endsWith("-deployer")).join();
  if (stacks.map((s) => s.node.id).join() !== expected) throw new Error(`expected the stacks ${expected}, got ${stacks.map((s) => s.node.id).join()}`);
  return stacks.flatMap((stack) => {
    const json = JSON.parse(Testing.synth(stack, true));
    return Object.entries(json.resource as Record<string, Record<string, Json>>).flatMap(([type, byId]) =>
      Object.entries(byId).map(([id, body]): [string, string, string, Json] => [stack.node.id, type, id, body]),
    );
  });
}

const resources = defaultResources();
const ofType = (type: string) => resources.filter(([, t]) => t === type);
/** Whether `other` (of `otherType`, same stack) refers to the resource, or the resource to it. */
const connected = ([stack, type, id, body]: [string, string, string, Json], otherType: string): Json[] =>
  ofType(otherType)
    .filter(([s]) => s === stack)
    .filter(([, , otherId, other]) => JSON.stringify(other).includes(`\${${type}.${id}.`) || JSON.stringify(body).includes(`\${${otherType}.${otherId}.`))
    .map(([, , , other]) => other);
const first = (block: Json) => (Array.isArray(block) ? block[0] : block);
const label = ([stack, type, id]: [string, string, string, Json]) => `${stack}/${type}.${id}`;

/** Per skipped check: the resources of the default stacks that fail it (as checkov decides it). */
const FAILING: Record<string, () => string[]> = {
  // LambdaInVPC.py: a vpc_config block.
  CKV_AWS_117: () =>
    ofType("aws_lambda_function")
      .filter(([, , , f]) => !f.vpc_config)
      .map(label),
  // LambdaCodeSigningConfigured.py: a non-empty code_signing_config_arn.
  CKV_AWS_272: () =>
    ofType("aws_lambda_function")
      .filter(([, , , f]) => !f.code_signing_config_arn)
      .map(label),
  // SecretsAreRotated.yaml: a connected aws_secretsmanager_secret_rotation.
  CKV2_AWS_57: () =>
    ofType("aws_secretsmanager_secret")
      .filter((r) => connected(r, "aws_secretsmanager_secret_rotation").length === 0)
      .map(label),
  // S3BucketReplicationConfiguration.yaml: a connected aws_s3_bucket_replication_configuration with an enabled rule.
  CKV_AWS_144: () =>
    ofType("aws_s3_bucket")
      .filter((r) => connected(r, "aws_s3_bucket_replication_configuration").length === 0)
      .map(label),
  // S3KMSEncryptedByDefault.yaml: a connected encryption configuration with sse_algorithm "aws:kms".
  CKV_AWS_145: () =>
    ofType("aws_s3_bucket")
      .filter(
        (r) => !connected(r, "aws_s3_bucket_server_side_encryption_configuration").some((c) => first(c.rule)?.apply_server_side_encryption_by_default?.sse_algorithm === "aws:kms"),
      )
      .map(label),
};

describe(".checkov.yaml", () => {
  const exceptions = readExceptions();

  test("skips at most 5 checks, each with its reason, only for terraform_json", () => {
    const text = fs.readFileSync(path.join(REPO, ".checkov.yaml"), "utf8");
    expect(text).toMatch(/^framework:\n {2}- terraform_json\n/m);
    expect(exceptions.map((e) => e.id)).toEqual(["CKV_AWS_117", "CKV_AWS_272", "CKV2_AWS_57", "CKV_AWS_144", "CKV_AWS_145"]);
    for (const { id, reason } of exceptions) expect({ id, reasonLength: reason.length > 40 }).toEqual({ id, reasonLength: true });
  });

  test("docs/scanners.md explains every skipped check, and no other, in its table of checks failed on purpose", () => {
    const docs = fs.readFileSync(path.join(REPO, "docs", "scanners.md"), "utf8");
    const section = docs.slice(docs.indexOf("## Checks the default configuration fails on purpose"), docs.indexOf("## Checks the default configuration passes"));
    const documented = [...section.matchAll(/^\| (CKV2?_AWS_\d+) \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(exceptions.map((e) => e.id));
  });

  test.each(Object.keys(FAILING))("%s still fails on the default stacks (otherwise take it out of .checkov.yaml)", (id) => {
    expect(exceptions.map((e) => e.id)).toContain(id);
    expect(FAILING[id]().length).toBeGreaterThan(0);
  });

  test("CKV_AWS_145 fails only for the access-log buckets: the log buckets use the audit key", () => {
    expect(FAILING.CKV_AWS_145()).toEqual(["staging-audit/aws_s3_bucket.audit_access-logs_bucket_8EFEE87D", "production-audit/aws_s3_bucket.audit_access-logs_bucket_8EFEE87D"]);
  });
});

describe("the checks docs/scanners.md says the default configuration passes", () => {
  const functions = ofType("aws_lambda_function");
  const buckets = ofType("aws_s3_bucket");

  test("there is something to check: 6 functions, 4 buckets, 2 trails, 6 queues", () => {
    expect([functions.length, buckets.length, ofType("aws_cloudtrail").length, ofType("aws_sqs_queue").length]).toEqual([6, 4, 2, 6]);
  });

  test("CKV_AWS_50, CKV_AWS_115, CKV_AWS_116: every function traces, has reserved concurrency and a dead-letter target", () => {
    for (const fn of functions) {
      const [, , , body] = fn;
      expect({
        fn: label(fn),
        tracing: first(body.tracing_config)?.mode,
        concurrency: typeof body.reserved_concurrent_executions,
        dlq: typeof first(body.dead_letter_config)?.target_arn,
      }).toEqual({
        fn: label(fn),
        tracing: "Active",
        concurrency: "number",
        dlq: "string",
      });
    }
  });

  test("CKV_AWS_27: every queue has a KMS key", () => {
    for (const queue of ofType("aws_sqs_queue")) expect({ queue: label(queue), key: typeof queue[3].kms_master_key_id }).toEqual({ queue: label(queue), key: "string" });
  });

  test("CKV_AWS_252: every trail names an SNS topic", () => {
    for (const trail of ofType("aws_cloudtrail")) expect({ trail: label(trail), topic: typeof trail[3].sns_topic_name }).toEqual({ trail: label(trail), topic: "string" });
  });

  // CKV_AWS_18 passes for the access-log bucket only because checkov counts the logging resource that writes into
  // it: the access-log bucket does not log its own requests (docs/scanners.md says so).
  test("CKV2_AWS_62 and CKV_AWS_18: every bucket is connected to an event notification and to an access-logging resource (as checkov counts it)", () => {
    for (const bucket of buckets) {
      expect({ bucket: label(bucket), notifications: connected(bucket, "aws_s3_bucket_notification").length, logging: connected(bucket, "aws_s3_bucket_logging").length }).toEqual({
        bucket: label(bucket),
        notifications: 1,
        logging: 1,
      });
    }
  });
});

describe("the options that are off by default", () => {
  /** The default configuration with nightly-report signed. */
  const signed = (() => {
    const document = defaultConfigDocument();
    document.functions[1].codeSigning = true;
    return defaultResources(document);
  })();
  const signedOfType = (type: string) => signed.filter(([, t]) => t === type);

  test("functions[].codeSigning passes CKV_AWS_272 for that function (a non-empty code_signing_config_arn), in each of its stacks", () => {
    const withConfig = signedOfType("aws_lambda_function")
      .filter(([, , , f]) => typeof f.code_signing_config_arn === "string" && f.code_signing_config_arn !== "")
      .map(label);
    expect(withConfig).toEqual([
      "production-eu-west-1/aws_lambda_function.nightly-report_function_C933F3D3",
      "production-us-east-1/aws_lambda_function.nightly-report_function_C933F3D3",
    ]);
  });

  test("its code buckets fail only CKV_AWS_18 (no access logging) beyond the checks .checkov.yaml skips", () => {
    const codeBuckets = signedOfType("aws_s3_bucket").filter(([, , , b]) => String(b.bucket).includes("-lambda-code-"));
    expect(codeBuckets).toHaveLength(2);
    const linked = (bucket: [string, string, string, Json], otherType: string) =>
      signedOfType(otherType).filter(
        ([s, , otherId, other]) =>
          s === bucket[0] && (JSON.stringify(other).includes(`\${aws_s3_bucket.${bucket[2]}.`) || JSON.stringify(bucket[3]).includes(`\${${otherType}.${otherId}.`)),
      ).length;
    for (const bucket of codeBuckets) {
      expect({
        bucket: label(bucket),
        // CKV_AWS_21, CKV2_AWS_6, CKV2_AWS_61, CKV2_AWS_62 pass; CKV_AWS_18 fails.
        versioning: linked(bucket, "aws_s3_bucket_versioning"),
        publicAccessBlock: linked(bucket, "aws_s3_bucket_public_access_block"),
        lifecycle: linked(bucket, "aws_s3_bucket_lifecycle_configuration"),
        notifications: linked(bucket, "aws_s3_bucket_notification"),
        logging: linked(bucket, "aws_s3_bucket_logging"),
      }).toEqual({ bucket: label(bucket), versioning: 1, publicAccessBlock: 1, lifecycle: 1, notifications: 1, logging: 0 });
    }
  });
});

describe("CKV_AWS_144 with audit.replication", () => {
  const document = defaultConfigDocument();
  document.accounts[1].audit.replication = { region: "eu-central-1" };
  const replicated = defaultResources(document).filter(([stack]) => stack === "production-audit");
  const ofTypeHere = (type: string) => replicated.filter(([, t]) => t === type);
  // S3BucketReplicationConfiguration.yaml: a connected aws_s3_bucket_replication_configuration whose rule is enabled.
  const replicationOf = ([, type, id, body]: [string, string, string, Json]) =>
    ofTypeHere("aws_s3_bucket_replication_configuration")
      .filter(
        ([, , otherId, other]) => JSON.stringify(other).includes(`\${${type}.${id}.`) || JSON.stringify(body).includes(`\${aws_s3_bucket_replication_configuration.${otherId}.`),
      )
      .filter(([, , , other]) => [other.rule].flat().some((rule: Json) => rule.status === "Enabled"));

  test("the log bucket passes: it is connected to an enabled replication configuration", () => {
    const logBucket = ofTypeHere("aws_s3_bucket").find(([, , , body]) => body.bucket === "payments-audit-logs-222222222222")!;
    expect(replicationOf(logBucket).map(label)).toEqual(["production-audit/aws_s3_bucket_replication_configuration.audit_replication_configuration_F57E7DC2"]);
  });

  test("the replica counts as connected too (the configuration names it); the access-log buckets are not replicated and still fail", () => {
    const result = Object.fromEntries(ofTypeHere("aws_s3_bucket").map((bucket) => [bucket[3].bucket, replicationOf(bucket).length > 0]));
    expect(result).toEqual({
      "payments-audit-logs-222222222222": true,
      "payments-audit-logs-222222222222-access": false,
      "payments-audit-logs-222222222222-replica": true,
      "payments-audit-logs-222222222222-replica-access": false,
    });
  });

  test("CKV_AWS_18 and CKV_AWS_145: the replica logs into its own access-log bucket and uses KMS; only the access-log buckets use SSE-S3", () => {
    const connectedHere = ([, type, id, body]: [string, string, string, Json], otherType: string) =>
      ofTypeHere(otherType).filter(([, , otherId, other]) => JSON.stringify(other).includes(`\${${type}.${id}.`) || JSON.stringify(body).includes(`\${${otherType}.${otherId}.`));
    const replica = ofTypeHere("aws_s3_bucket").find(([, , , body]) => body.bucket === "payments-audit-logs-222222222222-replica")!;
    expect(connectedHere(replica, "aws_s3_bucket_logging")).toHaveLength(1);
    expect(connectedHere(replica, "aws_s3_bucket_notification")).toHaveLength(1);
    const sseAlgorithms = connectedHere(replica, "aws_s3_bucket_server_side_encryption_configuration").map(
      ([, , , c]) => first(c.rule).apply_server_side_encryption_by_default.sse_algorithm,
    );
    expect(sseAlgorithms).toEqual(["aws:kms"]);
  });
});
