import type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "../compliance-rule";
import { asArray, blocks, findValues, isFalse, isTrue, parsePolicy, pointsAt, referencedResource, type PolicyStatement } from "./support";

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

/** Whether a statement denies requests made without TLS (Condition Bool / BoolIfExists aws:SecureTransport = false). */
function deniesInsecureTransport(condition: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!condition) return false;
  return ["Bool", "BoolIfExists"].some((operator) => {
    const entries = condition[operator];
    if (typeof entries !== "object" || entries === null) return false;
    const value = (entries as Record<string, unknown>)["aws:SecureTransport"];
    return asArray(value).some(isFalse);
  });
}

/** Whether a statement applies to everyone: Principal "*", { AWS: "*" } or { AWS: ["*"] }. */
function everyone(statement: PolicyStatement): boolean {
  return statement.principals.length > 0 && statement.principals.every((principal) => principal === "*" || principal === "AWS:*");
}

/** A TLS-only statement: Deny, Principal "*", Action s3:* or *, Condition Bool aws:SecureTransport = false. */
function isTlsDeny(statement: PolicyStatement): boolean {
  return (
    statement.effect === "Deny" &&
    everyone(statement) &&
    statement.notActions.length === 0 &&
    statement.actions.some((action) => action === "*" || action.toLowerCase() === "s3:*") &&
    deniesInsecureTransport(statement.condition)
  );
}

/** Every problem of a trail bucket, as sentences. */
export function bucketProblems(stack: StackView, bucket: SynthesizedResource): string[] {
  const literals = [bucket.config.bucket];
  const companions = (type: string) => stack.ofType(type).filter((resource) => pointsAt(resource.config.bucket, bucket, literals));
  const problems: string[] = [];

  const blocksPublic = companions("aws_s3_bucket_public_access_block").some((block) => PUBLIC_ACCESS_FLAGS.every((flag) => isTrue(block.config[flag])));
  if (!blocksPublic) problems.push(`has no aws_s3_bucket_public_access_block with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true`);

  const versioned =
    companions("aws_s3_bucket_versioning").some((versioning) => blocks(versioning.config.versioning_configuration).some((block) => block.status === "Enabled")) ||
    blocks(bucket.config.versioning).some((block) => isTrue(block.enabled));
  if (!versioned) problems.push("has no versioning (aws_s3_bucket_versioning with status Enabled)");

  const algorithms = [...companions("aws_s3_bucket_server_side_encryption_configuration"), bucket].flatMap((resource) =>
    findValues(resource === bucket ? bucket.config.server_side_encryption_configuration : resource.config, "sse_algorithm"),
  );
  if (!algorithms.some((algorithm) => algorithm === "aws:kms" || algorithm === "aws:kms:dsse")) {
    problems.push("has no default SSE-KMS encryption (aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms)");
  }

  const ownership = companions("aws_s3_bucket_ownership_controls").flatMap((controls) => findValues(controls.config, "object_ownership"));
  if (!ownership.includes("BucketOwnerEnforced")) problems.push("does not disable ACLs (aws_s3_bucket_ownership_controls with object_ownership BucketOwnerEnforced)");

  const policies = [...companions("aws_s3_bucket_policy").map((policy) => policy.config.policy), ...(bucket.config.policy === undefined ? [] : [bucket.config.policy])];
  const tlsOnly = policies.some((policy) => {
    const parsed = parsePolicy(stack, policy);
    return "statements" in parsed && parsed.statements.some(isTlsDeny);
  });
  if (!tlsOnly) problems.push('has no bucket policy that denies requests without TLS (Deny for Principal "*" on Action s3:* with Condition Bool aws:SecureTransport = false)');
  return problems;
}

/** S3-001: the bucket that receives a trail's log files is private, versioned, SSE-KMS, TLS-only, without ACLs. */
export const trailBucket: ComplianceRule = {
  id: "S3-001",
  severity: "error",
  description: "The S3 bucket of each CloudTrail trail blocks all public access, is versioned, uses SSE-KMS, denies non-TLS requests and disables ACLs.",
  rationale:
    "The trail bucket holds the record of every use of the keys; a public, unversioned or ACL-controlled bucket lets the record leak or be overwritten, and Security Hub rates a public trail bucket Critical.",
  remediation:
    "Give the bucket an aws_s3_bucket_public_access_block with all four flags true, aws_s3_bucket_versioning Enabled, an aws_s3_bucket_server_side_encryption_configuration with aws:kms, aws_s3_bucket_ownership_controls BucketOwnerEnforced and a policy statement denying aws:SecureTransport = false (TrailLogBucket does all of this).",
  controls: [
    "CIS AWS Foundations 1.2 2.3",
    "CIS AWS Foundations 1.4 3.3",
    "Security Hub CloudTrail.6",
    "checkov CKV_AWS_53",
    "checkov CKV_AWS_54",
    "checkov CKV_AWS_55",
    "checkov CKV_AWS_56",
    "checkov CKV_AWS_21",
    "checkov CKV_AWS_145",
    "checkov CKV2_AWS_65",
    "cdk-nag S3BucketSSLRequestsOnly (AwsSolutions-S10)",
  ],
  check(stack: StackView): readonly RuleViolation[] {
    const buckets = stack.ofType("aws_s3_bucket");
    const seen = new Set<string>();
    return stack.ofType("aws_cloudtrail").flatMap((trail): RuleViolation[] => {
      const target = trail.config.s3_bucket_name;
      const bucket = buckets.find((candidate) => pointsAt(target, candidate, [candidate.config.bucket]));
      if (!bucket) {
        const where = referencedResource(target) ? "a resource that is not an aws_s3_bucket of this stack" : `"${String(target)}", which is not an aws_s3_bucket of this stack`;
        return [{ resource: trail, message: `CloudTrail trail ${trail.address} delivers to ${where}; its bucket settings cannot be checked` }];
      }
      if (seen.has(bucket.address)) return [];
      seen.add(bucket.address);
      return bucketProblems(stack, bucket).map((problem) => ({ resource: bucket, message: `Trail bucket ${bucket.address} (of ${trail.address}) ${problem}` }));
    });
  },
};
