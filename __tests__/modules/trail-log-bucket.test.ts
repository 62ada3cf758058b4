import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketObjectLockConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { s3BucketNameProblem } from "../../modules/private/aws-limits";
import { TrailLogBucket, TrailLogBucketProps } from "../../modules/trail-log-bucket";
import { offlineTerraform, onlyResourceOf, referenceTo, resourcesOf } from "../support/matchers";
import { fullSynthStackDir, Json, newStackWithKey, SynthesizedJson } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "trail-log-bucket-test-"));
const extraDirs: string[] = [];
afterAll(() => {
  for (const dir of [OUTDIR, ...extraDirs]) fs.rmSync(dir, { recursive: true, force: true });
});

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const BUCKET = "acme-audit-logs-111111111111";
const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit`;
const TERRAFORM_TIMEOUT = 120_000;

function setup(region = REGION) {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region, alias: "audit" });
}

function build(props: Partial<TrailLogBucketProps> = {}) {
  const { stack, key } = setup();
  const construct = new TrailLogBucket(stack, "logs", { bucketName: BUCKET, key, trailArn: TRAIL_ARN, ...props });
  return { stack, key, construct, ...synthesize(stack) };
}

/** The stack synthesized with validations run (what the matchers take), parsed too; each S3 resource type is there exactly once (logging: at most once). */
function synthesize(stack: TerraformStack) {
  const synthesized = Testing.synth(stack, true);
  // onlyResourceOf throws unless the stack has exactly one resource of the type.
  const [bucketId] = onlyResourceOf(synthesized, S3Bucket);
  const [publicAccessBlockId] = onlyResourceOf(synthesized, S3BucketPublicAccessBlock);
  const [versioningId] = onlyResourceOf(synthesized, S3BucketVersioningA);
  for (const type of [S3BucketOwnershipControls, S3BucketServerSideEncryptionConfigurationA, S3BucketLifecycleConfiguration]) onlyResourceOf(synthesized, type);
  expect(resourcesOf(synthesized, S3BucketLoggingA).length).toBeLessThanOrEqual(1);
  const [, policyResource] = onlyResourceOf(synthesized, S3BucketPolicy);
  return {
    synthesized,
    json: JSON.parse(synthesized) as SynthesizedJson,
    bucketRef: `\${aws_s3_bucket.${bucketId}.id}`,
    bucketId,
    keyArnRef: referenceTo(synthesized, KmsKey, "arn"),
    publicAccessBlockId,
    versioningId,
    policyResource,
    policy: JSON.parse(policyResource.policy as string) as Json,
  };
}

/** The one lifecycle rule, over the whole bucket, for this many days of retention. */
function lifecycleRule(days = 365) {
  return {
    id: "expire-audit-logs",
    status: "Enabled",
    // An empty filter block: the whole bucket, without the provider's missing-filter warning.
    filter: [{}],
    expiration: [{ days }],
    noncurrent_version_expiration: [{ noncurrent_days: days }],
    abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
  };
}

function expectedPolicy(trailArn = TRAIL_ARN, partition = "aws", account = ACCOUNT) {
  const bucketArn = `arn:${partition}:s3:::${BUCKET}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: ["*"] },
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AWSCloudTrailAclCheck20150319",
        Effect: "Allow",
        Principal: { Service: ["cloudtrail.amazonaws.com"] },
        Action: ["s3:GetBucketAcl"],
        Resource: [bucketArn],
        Condition: { StringEquals: { "aws:SourceArn": trailArn } },
      },
      {
        Sid: "AWSCloudTrailWrite20150319",
        Effect: "Allow",
        Principal: { Service: ["cloudtrail.amazonaws.com"] },
        Action: ["s3:PutObject"],
        Resource: [`${bucketArn}/AWSLogs/${account}/*`],
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
      },
      // Without break-glass principals nobody deletes log files; without managers no protection Deny.
      {
        Sid: "DenyDeletingLogFiles",
        Effect: "Deny",
        Principal: { AWS: ["*"] },
        Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        Resource: [`${bucketArn}/*`],
      },
    ],
  };
}

describe("aws_s3_bucket", () => {
  test("is named as given, never force-destroyed, prevent_destroy on, no tags by default", () => {
    const { synthesized } = build();
    expect(synthesized).toHaveResourceWithExactly(S3Bucket, { bucket: BUCKET, force_destroy: false, lifecycle: { prevent_destroy: true } }, { exhaustive: true });
  });

  test("carries tags and lets tests turn prevent_destroy off", () => {
    const { synthesized } = build({ tags: { team: "platform" }, preventDestroy: false });
    expect(synthesized).toHaveResourceWithExactly(
      S3Bucket,
      { bucket: BUCKET, force_destroy: false, tags: { team: "platform" }, lifecycle: { prevent_destroy: false } },
      { exhaustive: true },
    );
  });

  test("bucketName and bucketArn reference the bucket resource; resource is the escape hatch", () => {
    const { stack, key } = setup();
    const construct = new TrailLogBucket(stack, "logs", { bucketName: BUCKET, key, trailArn: TRAIL_ARN });
    new TerraformOutput(stack, "bucket_name", { value: construct.bucketName });
    new TerraformOutput(stack, "bucket_arn", { value: construct.bucketArn });
    const { json, synthesized } = synthesize(stack);
    expect(json.output).toEqual({
      bucket_name: { value: referenceTo(synthesized, S3Bucket, "bucket") },
      bucket_arn: { value: referenceTo(synthesized, S3Bucket, "arn") },
    });
    expect(construct.resource.terraformResourceType).toBe("aws_s3_bucket");
  });
});

describe("bucket hardening", () => {
  test("public access block sets all four flags", () => {
    const { synthesized, bucketRef } = build();
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketPublicAccessBlock,
      {
        bucket: bucketRef,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
      { exhaustive: true },
    );
  });

  test("ACLs are disabled (BucketOwnerEnforced)", () => {
    const { synthesized, bucketRef } = build();
    expect(synthesized).toHaveResourceWithExactly(S3BucketOwnershipControls, { bucket: bucketRef, rule: { object_ownership: "BucketOwnerEnforced" } }, { exhaustive: true });
  });

  test("versioning is enabled", () => {
    const { synthesized, bucketRef } = build();
    expect(synthesized).toHaveResourceWithExactly(S3BucketVersioningA, { bucket: bucketRef, versioning_configuration: { status: "Enabled" } }, { exhaustive: true });
  });

  test("default encryption is SSE-KMS with the audit key's ARN and S3 Bucket Keys", () => {
    const { synthesized, bucketRef, keyArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketServerSideEncryptionConfigurationA,
      {
        bucket: bucketRef,
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: keyArnRef }, bucket_key_enabled: true }],
      },
      { exhaustive: true },
    );
  });
});

describe("lifecycle", () => {
  test("one rule over the whole bucket: 365 days for current and noncurrent versions, multipart uploads aborted after 7 days", () => {
    const { synthesized, bucketRef, versioningId } = build();
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketLifecycleConfiguration,
      { bucket: bucketRef, rule: [lifecycleRule(365)], depends_on: [`aws_s3_bucket_versioning.${versioningId}`] },
      { exhaustive: true },
    );
  });

  test("retentionDays sets both expirations", () => {
    const { synthesized } = build({ retentionDays: 2557 });
    expect(synthesized).toHaveResourceWithExactly(S3BucketLifecycleConfiguration, { rule: [lifecycleRule(2557)] });
  });

  test.each([1, 36500])("accepts retentionDays %p", (retentionDays) => {
    const { synthesized } = build({ retentionDays });
    expect(synthesized).toHaveResourceWithExactly(S3BucketLifecycleConfiguration, { rule: [lifecycleRule(retentionDays)] });
  });
});

describe("access logging", () => {
  test("is off by default", () => {
    const { synthesized, construct } = build();
    expect(synthesized).not.toHaveResource(S3BucketLoggingA);
    expect(construct.accessLogging).toBeUndefined();
  });

  test("writes to the named bucket under <bucketName>/ when accessLogBucketName is set", () => {
    const { synthesized, bucketRef } = build({ accessLogBucketName: "acme-access-logs" });
    expect(synthesized).toHaveResourceWithExactly(S3BucketLoggingA, { bucket: bucketRef, target_bucket: "acme-access-logs", target_prefix: `${BUCKET}/` }, { exhaustive: true });
  });
});

describe("bucket policy", () => {
  test("holds exactly the TLS deny, the two CloudTrail statements and the deny of deleting log files", () => {
    const { synthesized, bucketRef } = build();
    expect(synthesized).toHaveResourceWithExactly(S3BucketPolicy, { bucket: bucketRef, policy: expectedPolicy() });
  });

  test("depends on the public access block and nothing else", () => {
    const { synthesized, bucketRef, publicAccessBlockId } = build();
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketPolicy,
      { bucket: bucketRef, depends_on: [`aws_s3_bucket_public_access_block.${publicAccessBlockId}`], policy: expectedPolicy() },
      { exhaustive: true },
    );
  });

  test("aws:SourceArn is the literal trail ARN string, not a reference to a trail resource", () => {
    const { policyResource, synthesized } = build();
    const text = policyResource.policy as string;
    expect(text).not.toContain("${");
    expect(text).not.toContain("aws_cloudtrail");
    expect(synthesized).not.toHaveResource(Cloudtrail);
    const statements = (JSON.parse(text) as { Statement: Array<{ Condition: Record<string, Record<string, string>> }> }).Statement;
    expect(statements[1].Condition.StringEquals["aws:SourceArn"]).toBe(TRAIL_ARN);
    expect(statements[2].Condition.StringEquals["aws:SourceArn"]).toBe(TRAIL_ARN);
  });

  test("the trail may live in another home region of the same account", () => {
    const trailArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/org.audit_trail-1`;
    const { synthesized } = build({ trailArn });
    expect(synthesized).toHaveResourceWithExactly(S3BucketPolicy, { policy: expectedPolicy(trailArn) });
  });

  test("policyDocument exposes the typed statements", () => {
    const { construct } = build();
    expect(construct.policyDocument.statements.map((s) => s.sid)).toEqual([
      "DenyInsecureTransport",
      "AWSCloudTrailAclCheck20150319",
      "AWSCloudTrailWrite20150319",
      "DenyDeletingLogFiles",
    ]);
    expect(construct.policyDocument.toJSON()).toEqual(expectedPolicy());
  });

  test("uses the key's partition in every ARN (GovCloud)", () => {
    const { stack, key } = setup("us-gov-west-1");
    const trailArn = `arn:aws-us-gov:cloudtrail:us-gov-west-1:${ACCOUNT}:trail/audit`;
    new TrailLogBucket(stack, "logs", { bucketName: BUCKET, key, trailArn });
    const { synthesized } = synthesize(stack);
    expect(synthesized).toHaveResourceWithExactly(S3BucketPolicy, { policy: expectedPolicy(trailArn, "aws-us-gov") });
  });
});

describe("s3BucketNameProblem", () => {
  test.each(["abc", BUCKET, "a".repeat(63), "my.bucket.name", "1-2", "xn-bucket", "bucket-s3alias-x"])("accepts %p", (name) => {
    expect(s3BucketNameProblem(name)).toBeUndefined();
  });

  test.each([
    ["AB", "has 2 characters"],
    ["a", "has 1 characters"],
    ["a".repeat(64), "has 64 characters"],
    ["Bucket", "is invalid"],
    ["my_bucket", "is invalid"],
    ["-bucket", "is invalid"],
    ["bucket-", "is invalid"],
    [".bucket", "is invalid"],
    ["my..bucket", "contains two adjacent periods"],
    ["192.168.1.1", "is formatted as an IP address"],
    ["xn--bucket", 'starts with "xn--"'],
    ["sthree-bucket", 'starts with "sthree-"'],
    ["amzn-s3-demo-bucket", 'starts with "amzn-s3-demo-"'],
    ["bucket-s3alias", 'ends with "-s3alias"'],
    ["bucket--ol-s3", 'ends with "--ol-s3"'],
    ["bucket.mrap", 'ends with ".mrap"'],
    ["bucket--x-s3", 'ends with "--x-s3"'],
    ["bucket--table-s3", 'ends with "--table-s3"'],
  ])("refuses %p", (name, reason) => {
    expect(s3BucketNameProblem(name)).toContain(`"${name}" ${reason}`);
  });

  test("lets tokens through", () => {
    const { stack } = setup();
    const name = new TerraformVariable(stack, "bucket_name", { type: "string" }).stringValue;
    expect(s3BucketNameProblem(name)).toBeUndefined();
  });
});

describe("protection of the log files", () => {
  const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/audit-break-glass`;
  const PIPELINE = `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`;
  const bucketArn = `arn:aws:s3:::${BUCKET}`;
  type Statement = { Sid: string; Resource?: unknown; Condition?: unknown };
  const statements = (props: Partial<TrailLogBucketProps>) => build(props).policy.Statement as Statement[];
  const bySid = (list: Statement[], sid: string) => list.find((s) => s.Sid === sid);

  test("break-glass principals are the only ones who may delete log files", () => {
    expect(bySid(statements({ breakGlassPrincipalArns: [BREAK_GLASS] }), "DenyDeletingLogFiles")).toEqual({
      Sid: "DenyDeletingLogFiles",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: [`${bucketArn}/*`],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [BREAK_GLASS] } },
    });
  });

  test("managers alone get the protection Deny, which exempts them; they still may not delete log files", () => {
    const list = statements({ managerPrincipalArns: [PIPELINE] });
    expect(list.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
      "AWSCloudTrailAclCheck20150319",
      "AWSCloudTrailWrite20150319",
      "DenyDeletingLogFiles",
      "DenyChangingLogProtection",
    ]);
    expect(bySid(list, "DenyChangingLogProtection")).toMatchObject({ Effect: "Deny", Resource: [bucketArn], Condition: { ArnNotEquals: { "aws:PrincipalArn": [PIPELINE] } } });
    expect(bySid(list, "DenyDeletingLogFiles")?.Condition).toBeUndefined();
  });

  test("objectLock enables Object Lock at creation, after versioning", () => {
    const { synthesized, bucketRef, versioningId } = build({ objectLock: { mode: "GOVERNANCE", retentionDays: 30 } });
    expect(synthesized).toHaveResourceWithExactly(S3Bucket, { object_lock_enabled: true });
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketObjectLockConfigurationA,
      {
        bucket: bucketRef,
        rule: { default_retention: { mode: "GOVERNANCE", days: 30 } },
        depends_on: [`aws_s3_bucket_versioning.${versioningId}`],
      },
      { exhaustive: true },
    );
  });

  test.each([
    [{ mode: "GOVERNANCE" as const, retentionDays: 400 }, "objectLock.retentionDays 400 is above retentionDays 365; the lifecycle rule could not expire locked versions"],
    [{ mode: "GOVERNANCE" as const, retentionDays: 0 }, "objectLock.retentionDays"],
    [{ mode: "LEGAL" as unknown as "GOVERNANCE", retentionDays: 30 }, 'objectLock.mode "LEGAL" is not supported; use one of GOVERNANCE, COMPLIANCE'],
  ])("fails when objectLock is %j", (objectLock, message) => {
    expect(() => build({ objectLock })).toThrow(message);
  });

  test("fails when a break-glass principal is not an IAM principal ARN", () => {
    expect(() => build({ breakGlassPrincipalArns: ["audit-break-glass"] })).toThrow(/breakGlassPrincipalArns/);
  });
});

describe("validation", () => {
  function attempt(props: Partial<TrailLogBucketProps>) {
    const { stack, key } = setup();
    return () => new TrailLogBucket(stack, "logs", { bucketName: BUCKET, key, trailArn: TRAIL_ARN, ...props });
  }

  test.each([
    ["AB", 'bucketName "AB" has 2 characters; use 3–63 lowercase letters'],
    ["a", 'bucketName "a" has 1 characters'],
    ["my..bucket", 'bucketName "my..bucket" contains two adjacent periods; remove one of them'],
    ["192.168.1.1", 'bucketName "192.168.1.1" is formatted as an IP address'],
    ["-bucket", 'bucketName "-bucket" is invalid; use 3–63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit'],
    ["xn--bucket", 'bucketName "xn--bucket" starts with "xn--", a prefix reserved by AWS; choose another name'],
    ["b".repeat(64), `bucketName "${"b".repeat(64)}" has 64 characters`],
  ])("fails when bucketName is %p", (bucketName, message) => {
    expect(attempt({ bucketName })).toThrow(`trail log bucket "logs": ${message}`);
  });

  test.each([0, 36501, 1.5, -1])("fails when retentionDays is %p", (retentionDays) => {
    expect(attempt({ retentionDays })).toThrow(`trail log bucket "logs": retentionDays ${retentionDays} is out of range; use a whole number from 1 to 36500`);
  });

  test("fails when accessLogBucketName is the bucket itself", () => {
    expect(attempt({ accessLogBucketName: BUCKET })).toThrow(
      `trail log bucket "logs": accessLogBucketName "${BUCKET}" is the bucket itself; a bucket that logs into itself writes a log for every log delivery — name a separate access-log bucket or leave accessLogBucketName out`,
    );
  });

  test.each([
    ["Access_Logs", "is invalid"],
    ["my..logs", "contains two adjacent periods"],
  ])("fails when accessLogBucketName is %p", (accessLogBucketName, reason) => {
    expect(attempt({ accessLogBucketName })).toThrow(`trail log bucket "logs": accessLogBucketName "${accessLogBucketName}" ${reason}`);
  });

  test("fails when the trail ARN is in another account", () => {
    const trailArn = `arn:aws:cloudtrail:${REGION}:222222222222:trail/audit`;
    expect(attempt({ trailArn })).toThrow(
      `trail log bucket "logs": trailArn "${trailArn}" is in account "222222222222", but the key and bucket are in account "${ACCOUNT}"; the bucket policy only admits a trail of its own account — write it as arn:aws:cloudtrail:<home region>:${ACCOUNT}:trail/<name>`,
    );
  });

  test.each(["audit", `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:audit`, `arn:aws:s3:::${BUCKET}`, `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/`])(
    "fails when the trail ARN is not a trail ARN: %p",
    (trailArn) => {
      expect(attempt({ trailArn })).toThrow(/trail log bucket "logs": trailArn ".*" (is not a CloudTrail trail ARN|has the trail name "[^"]*", which CloudTrail refuses)/);
    },
  );

  test("fails when the trail ARN is in another partition", () => {
    const trailArn = `arn:aws-cn:cloudtrail:cn-north-1:${ACCOUNT}:trail/audit`;
    expect(attempt({ trailArn })).toThrow(`trailArn "${trailArn}" is in partition "aws-cn", but the key is in "aws"`);
  });

  test.each(["eu-west", "cn-north-1", ""])("fails when the trail ARN's region is %p", (region) => {
    const trailArn = `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/audit`;
    expect(attempt({ trailArn })).toThrow(`trailArn "${trailArn}" has region "${region}", which is not a region of partition "aws"`);
  });

  test.each(["ab", "-audit", "audit-", "my--trail", "my._trail", "bad name", "t".repeat(129), "10.0.0.1"])("fails when the trail name is %p", (name) => {
    const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${name}`;
    expect(attempt({ trailArn })).toThrow(`trailArn "${trailArn}" has the trail name "${name}", which CloudTrail refuses`);
  });

  test("lets token inputs through to Terraform", () => {
    const { stack, key } = setup();
    const bucketName = new TerraformVariable(stack, "bucket_name", { type: "string" }).stringValue;
    const trailArn = new TerraformVariable(stack, "trail_arn", { type: "string" }).stringValue;
    expect(() => new TrailLogBucket(stack, "logs", { bucketName, key, trailArn, accessLogBucketName: bucketName })).not.toThrow();
  });
});

describe("terraform", () => {
  const terraform = offlineTerraform();

  test(
    "with Object Lock, break-glass and manager principals it is valid Terraform",
    () => {
      const { stack, key } = setup();
      new TrailLogBucket(stack, "logs", {
        bucketName: BUCKET,
        key,
        trailArn: TRAIL_ARN,
        objectLock: { mode: "COMPLIANCE", retentionDays: 30 },
        breakGlassPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/audit-break-glass`],
        managerPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/terraform-deploy`],
        retentionDays: 2557,
      });
      expect(terraform.fullSynth(stack)).toBeValidTerraform();
    },
    TERRAFORM_TIMEOUT,
  );

  test(
    "validates and plans offline with provider 5.100.0: 10 resources to add, no warnings",
    async () => {
      const { stack, key } = setup();
      new TrailLogBucket(stack, "logs", { bucketName: BUCKET, key, trailArn: TRAIL_ARN, accessLogBucketName: "acme-access-logs" });
      const result = await checkStack(fullSynthStackDir(stack, extraDirs), { validate: false });

      // Among others, a lifecycle rule without `filter` would warn "Invalid Attribute Combination" here.
      expect(result.validate).toEqual({ valid: true, warnings: [] });
      if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
      expect(result.plan).toMatchObject({ exitCode: 2, resourcesToAdd: 10, resourcesToChange: 0, resourcesToDestroy: 0, warnings: [] });
      expect(result.plan.changes.map((c) => c.address.split(".")[0]).sort()).toEqual([
        "aws_kms_alias",
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
      ]);
      expect(result.plan.changes.every((c) => c.action === "create")).toBe(true);
    },
    TERRAFORM_TIMEOUT,
  );
});
