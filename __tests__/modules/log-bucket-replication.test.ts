/**
 * LogBucketReplication (modules/log-bucket-replication.ts), as AuditTrail
 * creates it with `replication`: the replica key and bucket in the
 * destination region, the replication role, its policy, the key-policy
 * statements on both keys and the replication configuration. Every
 * security-relevant attribute is asserted; Terraform validates and plans it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { TerraformStack, Testing } from "cdktf";
import { AuditTrail, AuditTrailProps } from "../../modules/audit-trail";
import { EncryptionKey } from "../../modules/encryption-key";
import { LogBucketReplication } from "../../modules/log-bucket-replication";
import { Json } from "../support/stack-config";
import { fullSynthStackDir, newStack as newStackIn, PolicyJson, statementBySid as statement, synthJson } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";
import { DEFAULT_RULES } from "../../modules/compliance/rules";
import { stackView } from "../compliance/rules/helpers";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "log-bucket-replication-test-"));
const extraDirs: string[] = [];
afterAll(() => {
  for (const dir of [OUTDIR, ...extraDirs]) fs.rmSync(dir, { recursive: true, force: true });
});

const ACCOUNT = "111111111111";
const HOME = "eu-west-1";
const DEST = "eu-central-1";
const TRAIL = "org-audit";
const BUCKET = "acme-audit-logs-111111111111";
const REPLICA = `${BUCKET}-replica`;
const SOURCE_ARN = `arn:aws:s3:::${BUCKET}`;
const REPLICA_ARN = `arn:aws:s3:::${REPLICA}`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/audit-break-glass`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/acme-deployed-role-boundary`;
const ROLE_REF = "${aws_iam_role.audit_replication_role_69344492.arn}";
const TERRAFORM_TIMEOUT = 180_000;

function newStack(): { stack: TerraformStack; provider: AwsProvider } {
  const stack = newStackIn(OUTDIR, HOME);
  const provider = new AwsProvider(stack, "aws-replica", { alias: "replica", region: DEST });
  return { stack, provider };
}

function trailProps(provider: AwsProvider, overrides: Partial<AuditTrailProps> = {}): AuditTrailProps {
  return {
    accountId: ACCOUNT,
    region: HOME,
    trailName: TRAIL,
    bucketName: BUCKET,
    keyAliases: ["audit"],
    keyAdministratorArns: [ADMIN],
    deployerArns: [DEPLOYER],
    breakGlassRoleArns: [BREAK_GLASS],
    rolePermissionsBoundaryArn: BOUNDARY,
    replication: { region: DEST, provider },
    ...overrides,
  };
}

/**
 * The resources of a type that the replication creates (logical IDs
 * `audit_replication_…`), leaving out the replica's access-log bucket
 * (`audit_replication_access-logs_…`, tested on its own), or only those with `accessLogs`.
 */
function replicationResources(json: Json, type: string, accessLogs = false): Record<string, Json> {
  return Object.fromEntries(
    Object.entries((json.resource[type] ?? {}) as Record<string, Json>).filter(
      ([id]) => id.startsWith("audit_replication_") && id.startsWith("audit_replication_access-logs_") === accessLogs,
    ),
  );
}

function onlyReplication(json: Json, type: string): [string, Json] {
  const entries = Object.entries(replicationResources(json, type));
  expect(entries.map(([id]) => id)).toHaveLength(1);
  return entries[0];
}

const parse = (policy: string): PolicyJson => JSON.parse(policy) as PolicyJson;

describe("LogBucketReplication through AuditTrail.replication", () => {
  const { stack, provider } = newStack();
  const trail = new AuditTrail(stack, "audit", trailProps(provider));
  const json = synthJson(stack);
  const roleRef = `\${aws_iam_role.${onlyReplication(json, "aws_iam_role")[0]}.arn}`;

  test("the role's logical ID is the one these tests name", () => {
    expect(roleRef).toBe(ROLE_REF);
  });

  test("every resource of the replica bucket and key uses the destination region's provider; the role and the configuration the default one", () => {
    for (const type of [
      "aws_kms_key",
      "aws_kms_alias",
      "aws_s3_bucket",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_versioning",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_notification",
      "aws_s3_bucket_logging",
    ]) {
      const [id, body] = onlyReplication(json, type);
      expect({ id, provider: body.provider }).toEqual({ id, provider: "aws.replica" });
    }
    for (const type of ["aws_iam_role", "aws_iam_role_policy", "aws_s3_bucket_replication_configuration"]) {
      const [id, body] = onlyReplication(json, type);
      expect({ id, provider: body.provider }).toEqual({ id, provider: undefined });
    }
  });

  test("the replica key: rotation on, in the destination region, aliases <alias>-replica, the same administrators, unlisted principals denied", () => {
    const [, key] = onlyReplication(json, "aws_kms_key");
    expect(key).toMatchObject({
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
      is_enabled: true,
      multi_region: false,
      lifecycle: { prevent_destroy: true },
    });
    const [, alias] = onlyReplication(json, "aws_kms_alias");
    expect(alias.name).toBe("alias/audit-replica");
    const policy = parse(key.policy);
    expect(statement(policy, "KeyAdministration").Principal).toEqual({ AWS: [ADMIN] });
    const deny = statement(policy, "DenyKeyUseByUnlistedPrincipals");
    expect(deny.Effect).toBe("Deny");
    expect(JSON.stringify(deny.Condition)).toContain(ROLE_REF);
    expect(trail.replication!.key.environment).toEqual({ accountId: ACCOUNT, region: DEST, partition: "aws" });
  });

  test("the replica key lets the role encrypt only through S3 in the destination region, only for the replica bucket", () => {
    const [, key] = onlyReplication(json, "aws_kms_key");
    expect(statement(parse(key.policy), "ReplicationEncryptsReplicas")).toEqual({
      Sid: "ReplicationEncryptsReplicas",
      Effect: "Allow",
      Principal: { AWS: [ROLE_REF] },
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${DEST}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [REPLICA_ARN, `${REPLICA_ARN}/*`] },
      },
    });
  });

  test("the audit key lets the role decrypt only through S3 in the home region, only for the log bucket, and lists it", () => {
    const auditKey = Object.entries(json.resource.aws_kms_key as Record<string, Json>).find(([id]) => id.startsWith("audit_key_"))![1];
    const policy = parse(auditKey.policy);
    expect(statement(policy, "ReplicationDecryptsLogFiles")).toEqual({
      Sid: "ReplicationDecryptsLogFiles",
      Effect: "Allow",
      Principal: { AWS: [ROLE_REF] },
      Action: ["kms:Decrypt"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${HOME}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [SOURCE_ARN, `${SOURCE_ARN}/*`] },
      },
    });
    expect(JSON.stringify(statement(policy, "DenyKeyUseByUnlistedPrincipals").Condition)).toContain(ROLE_REF);
    // Nothing else of the audit key is given to the role.
    expect(policy.Statement.filter((s) => JSON.stringify(s.Principal ?? {}).includes(ROLE_REF)).map((s) => s.Sid)).toEqual(["ReplicationDecryptsLogFiles"]);
  });

  test("the replica bucket is hardened like the log bucket", () => {
    const [bucketId, bucket] = onlyReplication(json, "aws_s3_bucket");
    const ref = `\${aws_s3_bucket.${bucketId}.id}`;
    expect(bucket).toMatchObject({ bucket: REPLICA, force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(bucket.object_lock_enabled).toBeUndefined();
    expect(onlyReplication(json, "aws_s3_bucket_public_access_block")[1]).toMatchObject({
      bucket: ref,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(onlyReplication(json, "aws_s3_bucket_ownership_controls")[1].rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    expect(onlyReplication(json, "aws_s3_bucket_versioning")[1].versioning_configuration).toEqual({ status: "Enabled" });
    const [keyId] = onlyReplication(json, "aws_kms_key");
    expect(onlyReplication(json, "aws_s3_bucket_server_side_encryption_configuration")[1].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: `\${aws_kms_key.${keyId}.arn}` }, bucket_key_enabled: true },
    ]);
    expect(onlyReplication(json, "aws_s3_bucket_lifecycle_configuration")[1].rule).toEqual([
      {
        id: "expire-audit-logs",
        status: "Enabled",
        filter: [{}],
        expiration: [{ days: 365 }],
        noncurrent_version_expiration: [{ noncurrent_days: 365 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(onlyReplication(json, "aws_s3_bucket_notification")[1].eventbridge).toBe(true);
  });

  test("the replica bucket logs its requests into <replica>-access, an access-log bucket in the destination region that admits only the S3 logging service for the replica", () => {
    const [replicaId] = onlyReplication(json, "aws_s3_bucket");
    const accessBuckets = Object.entries(replicationResources(json, "aws_s3_bucket", true));
    expect(accessBuckets.map(([, b]) => [b.bucket, b.provider])).toEqual([[`${REPLICA}-access`, "aws.replica"]]);
    const [accessId] = accessBuckets[0];
    for (const type of [
      "aws_s3_bucket_policy",
      "aws_s3_bucket_versioning",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_lifecycle_configuration",
    ]) {
      const entries = Object.values(replicationResources(json, type, true));
      expect({ type, providers: entries.map((e) => e.provider) }).toEqual({ type, providers: ["aws.replica"] });
    }
    const accessPolicy = parse(Object.values(replicationResources(json, "aws_s3_bucket_policy", true))[0].policy);
    expect(statement(accessPolicy, "S3ServerAccessLogsPolicy")).toMatchObject({
      Principal: { Service: ["logging.s3.amazonaws.com"] },
      Resource: [`arn:aws:s3:::${REPLICA}-access/${REPLICA}/*`],
      Condition: { ArnLike: { "aws:SourceArn": [REPLICA_ARN] }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    const [, logging] = onlyReplication(json, "aws_s3_bucket_logging");
    expect(logging).toMatchObject({
      provider: "aws.replica",
      bucket: `\${aws_s3_bucket.${replicaId}.id}`,
      target_bucket: `\${aws_s3_bucket.${accessId}.bucket}`,
      target_prefix: `${REPLICA}/`,
    });
  });

  test("without the access-log bucket of its own (accessLogging false), the replica bucket has none either", () => {
    const { stack: other, provider: otherProvider } = newStack();
    new AuditTrail(other, "audit", trailProps(otherProvider, { accessLogging: false }));
    const otherJson = synthJson(other);
    expect(replicationResources(otherJson, "aws_s3_bucket", true)).toEqual({});
    expect(replicationResources(otherJson, "aws_s3_bucket_logging")).toEqual({});
  });

  test("the replica bucket policy refuses plain HTTP, deleting replicas (but break glass) and changing its protections (but deployers and break glass)", () => {
    const policy = parse(onlyReplication(json, "aws_s3_bucket_policy")[1].policy);
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyDeletingLogFiles", "DenyChangingLogProtection"]);
    expect(statement(policy, "DenyInsecureTransport")).toMatchObject({
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["s3:*"],
      Resource: [REPLICA_ARN, `${REPLICA_ARN}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(statement(policy, "DenyDeletingLogFiles")).toMatchObject({
      Effect: "Deny",
      Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: [`${REPLICA_ARN}/*`],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [BREAK_GLASS] } },
    });
    const protection = statement(policy, "DenyChangingLogProtection");
    expect(protection).toMatchObject({ Effect: "Deny", Resource: [REPLICA_ARN], Condition: { ArnNotEquals: { "aws:PrincipalArn": [DEPLOYER, BREAK_GLASS] } } });
    expect(protection.Action).toContain("s3:PutReplicationConfiguration");
  });

  test("the role: only S3, only for this account's log bucket, with the permissions boundary", () => {
    const [, role] = onlyReplication(json, "aws_iam_role");
    expect(role.name).toBe(`${TRAIL}-replication`);
    expect(role.permissions_boundary).toBe(BOUNDARY);
    expect(parse(role.assume_role_policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "S3AssumesRoleForReplication",
          Effect: "Allow",
          Principal: { Service: ["s3.amazonaws.com"] },
          Action: ["sts:AssumeRole"],
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": SOURCE_ARN } },
        },
      ],
    });
  });

  test("the role's policy is scoped exactly: source bucket, its objects, the replica's objects, each key only through S3 for its bucket", () => {
    const [roleId] = onlyReplication(json, "aws_iam_role");
    const [, rolePolicy] = onlyReplication(json, "aws_iam_role_policy");
    expect(rolePolicy.role).toBe(`\${aws_iam_role.${roleId}.id}`);
    const [replicaKeyId] = onlyReplication(json, "aws_kms_key");
    const auditKeyId = Object.keys(json.resource.aws_kms_key).find((id) => id.startsWith("audit_key_"))!;
    expect(parse(rolePolicy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ReadSourceReplicationConfiguration", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: [SOURCE_ARN] },
        {
          Sid: "ReadSourceObjectVersions",
          Effect: "Allow",
          Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
          Resource: [`${SOURCE_ARN}/*`],
        },
        { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: [`${REPLICA_ARN}/*`] },
        {
          Sid: "DecryptSourceObjects",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: [`\${aws_kms_key.${auditKeyId}.arn}`],
          Condition: { StringEquals: { "kms:ViaService": `s3.${HOME}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:aws:s3:arn": [SOURCE_ARN, `${SOURCE_ARN}/*`] } },
        },
        {
          Sid: "EncryptReplicas",
          Effect: "Allow",
          Action: ["kms:Encrypt", "kms:GenerateDataKey"],
          Resource: [`\${aws_kms_key.${replicaKeyId}.arn}`],
          Condition: { StringEquals: { "kms:ViaService": `s3.${DEST}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:aws:s3:arn": [REPLICA_ARN, `${REPLICA_ARN}/*`] } },
        },
      ],
    });
  });

  test("the replication configuration: every object, SSE-KMS objects and delete markers included, replicas encrypted with the replica key, after versioning", () => {
    const [, configuration] = onlyReplication(json, "aws_s3_bucket_replication_configuration");
    const sourceBucketId = Object.keys(json.resource.aws_s3_bucket).find((id) => id.startsWith("audit_bucket_"))!;
    const [replicaBucketId] = onlyReplication(json, "aws_s3_bucket");
    const [replicaKeyId] = onlyReplication(json, "aws_kms_key");
    expect(configuration.bucket).toBe(`\${aws_s3_bucket.${sourceBucketId}.id}`);
    expect(configuration.role).toBe(ROLE_REF);
    expect(configuration.token).toBeUndefined();
    expect(configuration.rule).toEqual([
      {
        id: "replicate-audit-logs",
        status: "Enabled",
        filter: {},
        delete_marker_replication: { status: "Enabled" },
        source_selection_criteria: { sse_kms_encrypted_objects: { status: "Enabled" } },
        destination: { bucket: `\${aws_s3_bucket.${replicaBucketId}.arn}`, encryption_configuration: { replica_kms_key_id: `\${aws_kms_key.${replicaKeyId}.arn}` } },
      },
    ]);
    const [replicaVersioningId] = onlyReplication(json, "aws_s3_bucket_versioning");
    const sourceVersioningId = Object.keys(json.resource.aws_s3_bucket_versioning).find((id) => id.startsWith("audit_bucket_"))!;
    const [rolePolicyId] = onlyReplication(json, "aws_iam_role_policy");
    expect(configuration.depends_on).toEqual([
      `aws_s3_bucket_versioning.${sourceVersioningId}`,
      `aws_s3_bucket_versioning.${replicaVersioningId}`,
      `aws_iam_role_policy.${rolePolicyId}`,
    ]);
  });

  test("the default compliance rules find nothing, S3-002 (replication of a trail bucket) included", () => {
    const view = stackView(json, "stack");
    const found = DEFAULT_RULES.flatMap((rule) => rule.check(view).map((v) => `${rule.id} ${v.resource.address}: ${v.message}`));
    expect(found.filter((f) => !f.startsWith("ALARM-003"))).toEqual([]);
    expect(DEFAULT_RULES.map((rule) => rule.id)).toContain("S3-002");
  });

  test("the log bucket itself refuses changing its replication configuration to all but deployers and break glass", () => {
    const sourcePolicy = Object.entries(json.resource.aws_s3_bucket_policy as Record<string, Json>).find(([id]) => id.startsWith("audit_bucket_"))![1];
    expect(statement(parse(sourcePolicy.policy), "DenyChangingLogProtection").Action).toContain("s3:PutReplicationConfiguration");
  });
});

describe("LogBucketReplication with Object Lock on the log bucket", () => {
  const { stack, provider } = newStack();
  new AuditTrail(
    stack,
    "audit",
    trailProps(provider, { objectLock: { mode: "COMPLIANCE", retentionDays: 90 }, replication: { region: DEST, provider, bucketName: "acme-audit-replica" } }),
  );
  const json = synthJson(stack);

  test("the replica bucket has Object Lock with the same default retention, and the role reads retention and legal holds", () => {
    const [, bucket] = onlyReplication(json, "aws_s3_bucket");
    expect(bucket).toMatchObject({ bucket: "acme-audit-replica", object_lock_enabled: true });
    const [, lock] = onlyReplication(json, "aws_s3_bucket_object_lock_configuration");
    expect(lock).toMatchObject({ provider: "aws.replica", rule: { default_retention: { mode: "COMPLIANCE", days: 90 } } });
    const policy = parse(onlyReplication(json, "aws_iam_role_policy")[1].policy);
    expect(statement(policy, "ReadSourceObjectVersions").Action).toEqual([
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
      "s3:GetObjectRetention",
      "s3:GetObjectLegalHold",
    ]);
    const [lockId] = onlyReplication(json, "aws_s3_bucket_object_lock_configuration");
    expect(onlyReplication(json, "aws_s3_bucket_replication_configuration")[1].depends_on).toContain(`aws_s3_bucket_object_lock_configuration.${lockId}`);
  });
});

describe("LogBucketReplication refuses", () => {
  function attempt(replication: Partial<NonNullable<AuditTrailProps["replication"]>>, overrides: Partial<AuditTrailProps> = {}): () => void {
    return () => {
      const { stack, provider } = newStack();
      new AuditTrail(stack, "audit", trailProps(provider, { replication: { region: DEST, provider, ...replication }, ...overrides }));
    };
  }

  test("the home region as destination", () => {
    expect(attempt({ region: HOME })).toThrow(
      `log bucket replication "replication": region "eu-west-1" is the source bucket's own region; cross-region replication needs another region, e.g. "eu-central-1"`,
    );
  });

  test("a region of another partition", () => {
    expect(attempt({ region: "cn-north-1" })).toThrow(`region "cn-north-1" is in partition "aws-cn", but the source bucket is in "aws"; use a region of "aws"`);
  });

  test("a bucket name S3 refuses, and the log bucket itself", () => {
    expect(attempt({ bucketName: "Audit_Replica" })).toThrow(`log bucket replication "replication": bucketName "Audit_Replica" is invalid`);
    expect(attempt({ bucketName: BUCKET })).toThrow(`bucketName "${BUCKET}" is the source bucket itself; name another bucket, e.g. "${BUCKET}-replica"`);
  });

  test("a default replica name that is too long", () => {
    const long = "a".repeat(60);
    expect(attempt({}, { bucketName: long, accessLogging: false })).toThrow(`bucketName "${long}-replica" has 68 characters`);
  });

  test("used directly: the construct refuses a source key in the destination region", () => {
    const { stack, provider } = newStack();
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: DEST, aliases: ["audit"] });
    const trail = new AuditTrail(stack, "audit", trailProps(provider, { replication: undefined }));
    expect(
      () =>
        new LogBucketReplication(stack, "direct", {
          sourceBucket: trail.bucket,
          sourceBucketName: BUCKET,
          sourceKey: key,
          region: DEST,
          provider,
          bucketName: REPLICA,
          keyAliases: ["direct-replica"],
          roleName: "direct-replication",
        }),
    ).toThrow(`region "eu-central-1" is the source bucket's own region`);
  });
});

describe("LogBucketReplication in Terraform", () => {
  test(
    "validates and plans offline with provider 5.100.0 (with Object Lock): the replica key, alias, bucket and its settings, the role, its policy and the configuration",
    async () => {
      const { stack, provider } = newStack();
      new AuditTrail(stack, "audit", trailProps(provider, { objectLock: { mode: "GOVERNANCE", retentionDays: 90 } }));
      const result = await checkStack(fullSynthStackDir(stack, extraDirs), { validate: false });
      expect(result.validate).toEqual({ valid: true, warnings: [] });
      if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
      expect(result.plan).toMatchObject({ exitCode: 2, resourcesToChange: 0, resourcesToDestroy: 0, warnings: [] });
      const replication = result.plan.changes.filter((c) => c.address.includes("audit_replication_"));
      const counts: Record<string, number> = {};
      for (const change of replication) counts[change.address.split(".")[0]] = (counts[change.address.split(".")[0]] ?? 0) + 1;
      expect(counts).toEqual({
        aws_iam_role: 1,
        aws_iam_role_policy: 1,
        aws_kms_alias: 1,
        aws_kms_key: 1,
        // The replica bucket and its access-log bucket.
        aws_s3_bucket: 2,
        aws_s3_bucket_lifecycle_configuration: 2,
        aws_s3_bucket_logging: 1,
        aws_s3_bucket_notification: 2,
        aws_s3_bucket_object_lock_configuration: 1,
        aws_s3_bucket_ownership_controls: 2,
        aws_s3_bucket_policy: 2,
        aws_s3_bucket_public_access_block: 2,
        aws_s3_bucket_replication_configuration: 1,
        aws_s3_bucket_server_side_encryption_configuration: 2,
        aws_s3_bucket_versioning: 2,
      });
      expect(result.plan.changes.every((c) => c.action === "create")).toBe(true);
    },
    TERRAFORM_TIMEOUT,
  );
});

describe("LogBucketReplication, exactly (toHaveResourceWithExactly)", () => {
  const { stack, provider } = newStack();
  new AuditTrail(stack, "audit", trailProps(provider));
  const synthesized = Testing.synth(stack, true);
  const ofReplication = /^audit_replication_(?!access-logs_)/;
  const replicaKeyArn = "${aws_kms_key.audit_replication_key_988BE47D.arn}";

  test("the role: exactly its name, description, trust policy and permissions boundary", () => {
    expect(synthesized).toHaveResourceWithExactly(
      IamRole,
      {
        name: `${TRAIL}-replication`,
        description: `S3 replicates log bucket ${BUCKET} to ${REPLICA} (${DEST})`,
        assume_role_policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "S3AssumesRoleForReplication",
              Effect: "Allow",
              Principal: { Service: ["s3.amazonaws.com"] },
              Action: ["sts:AssumeRole"],
              Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": SOURCE_ARN } },
            },
          ],
        },
        permissions_boundary: BOUNDARY,
      },
      { select: ofReplication, exhaustive: true },
    );
  });

  test("the replica bucket's encryption and public access block: exactly", () => {
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketServerSideEncryptionConfigurationA,
      {
        provider: "aws.replica",
        bucket: "${aws_s3_bucket.audit_replication_bucket_E4E9F077.id}",
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: replicaKeyArn }, bucket_key_enabled: true }],
      },
      { select: ofReplication, exhaustive: true },
    );
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketPublicAccessBlock,
      { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
      { select: ofReplication },
    );
  });

  test("the replica key: rotation on, prevent_destroy, in the replica region", () => {
    expect(synthesized).toHaveResourceWithExactly(
      KmsKey,
      { provider: "aws.replica", enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } },
      { select: ofReplication },
    );
  });

  test("the replication configuration: exactly one rule, SSE-KMS objects and delete markers, the replica key", () => {
    expect(synthesized).toHaveResourceWithExactly(
      S3BucketReplicationConfigurationA,
      {
        bucket: "${aws_s3_bucket.audit_bucket_95DA8A96.id}",
        role: ROLE_REF,
        rule: [
          {
            id: "replicate-audit-logs",
            status: "Enabled",
            filter: {},
            delete_marker_replication: { status: "Enabled" },
            source_selection_criteria: { sse_kms_encrypted_objects: { status: "Enabled" } },
            destination: { bucket: "${aws_s3_bucket.audit_replication_bucket_E4E9F077.arn}", encryption_configuration: { replica_kms_key_id: replicaKeyArn } },
          },
        ],
        depends_on: expect.any(Array),
      },
      { exhaustive: true },
    );
  });
});
