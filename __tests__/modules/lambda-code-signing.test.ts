/**
 * Code signing: LambdaCodeSigning (the signing profile, the code signing
 * configuration and the code bucket), SignedLambdaCode, and
 * EncryptedFunction's codeSigning, which deploys the signed package.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaCodeSigningConfig } from "@cdktf/provider-aws/lib/lambda-code-signing-config";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SignerSigningJob } from "@cdktf/provider-aws/lib/signer-signing-job";
import { SignerSigningProfile } from "@cdktf/provider-aws/lib/signer-signing-profile";
import { Testing } from "cdktf";
import { EncryptedFunction, EncryptedFunctionProps } from "../../modules/encrypted-function";
import { LambdaCodeSigning, LambdaCodeSigningProps } from "../../modules/lambda-code-signing";
import { deployerPolicyDocument } from "../../modules/deployer-policy-document";
import { stackView } from "../../modules/compliance/stack-view";
import { ABSENT, onlyResourceOf, referenceTo } from "../support/matchers";
import { newStackWithKey, PolicyStatementJson as Statement, appStackDir } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-code-signing-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const CODE = path.resolve(__dirname, "../../functions/config-reader");
const BUCKET = "payments-lambda-code-111111111111-eu-west-1";
const SIGNING: LambdaCodeSigningProps = { signingProfileName: "payments_lambda", bucketName: BUCKET };

function newStack() {
  const { stack, key } = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
  // Pinned to the account, as the app's providers are (the deployer policy builds ARNs from it).
  stack.node.findAll().find((c): c is AwsProvider => c instanceof AwsProvider)!.allowedAccountIds = [ACCOUNT];
  return { stack, key };
}

/** A stack with code signing and a function that uses it (or not, with `codeSigning: undefined`). */
function build(signing: Partial<LambdaCodeSigningProps> = {}, props: Partial<EncryptedFunctionProps> = {}) {
  const { stack, key } = newStack();
  const codeSigning = new LambdaCodeSigning(stack, "code-signing", { ...SIGNING, ...signing });
  const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, codeSigning, ...props });
  return { stack, fn, codeSigning, synthesized: Testing.synth(stack, true) };
}

describe("LambdaCodeSigning", () => {
  test("a Lambda signing profile, and a code signing configuration that allows only its current version and enforces it", () => {
    const { synthesized } = build();
    expect(synthesized).toHaveResourceWithExactly(SignerSigningProfile, {
      name: "payments_lambda",
      platform_id: "AWSLambda-SHA384-ECDSA",
      signature_validity_period: { value: 135, type: "MONTHS" },
    });
    expect(synthesized).toHaveResourceWithExactly(LambdaCodeSigningConfig, {
      allowed_publishers: { signing_profile_version_arns: [referenceTo(synthesized, SignerSigningProfile, "version_arn")] },
      policies: { untrusted_artifact_on_deployment: "Enforce" },
    });
  });

  test("the code bucket is versioned (Signer needs it), private, ACL-free, encrypted, TLS-only, and drops old versions after 90 days", () => {
    const { synthesized } = build();
    const bucketId = referenceTo(synthesized, S3Bucket, "id");
    expect(synthesized).toHaveResourceWithExactly(S3Bucket, { bucket: BUCKET, force_destroy: true });
    expect(synthesized).toHaveResourceWithExactly(S3BucketVersioningA, { bucket: bucketId, versioning_configuration: { status: "Enabled" } });
    expect(synthesized).toHaveResourceWithExactly(S3BucketPublicAccessBlock, {
      bucket: bucketId,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synthesized).toHaveResourceWithExactly(S3BucketOwnershipControls, { bucket: bucketId, rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(synthesized).toHaveResourceWithExactly(S3BucketServerSideEncryptionConfigurationA, {
      bucket: bucketId,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(synthesized).toHaveResourceWithExactly(S3BucketLifecycleConfiguration, {
      // Current packages never expire: a function's deployed package stays until new code replaces it.
      rule: [
        {
          id: "expire-old-packages",
          status: "Enabled",
          filter: [{}],
          noncurrent_version_expiration: [{ noncurrent_days: 90 }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
        },
      ],
    });
    expect(synthesized).toHaveResourceWithExactly(S3BucketNotification, { bucket: bucketId, eventbridge: true });
    const [, policy] = onlyResourceOf(synthesized, S3BucketPolicy);
    const bucketArn = referenceTo(synthesized, S3Bucket, "arn");
    expect(JSON.parse(policy.policy as string).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: ["*"] },
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  test.each([
    [{ signingProfileName: "payments-lambda" }, 'signingProfileName "payments-lambda" is invalid; use 2–64 letters, digits or "_" (no "-"), e.g. "payments_lambda"'],
    [{ bucketName: "Code_Bucket" }, 'bucketName "Code_Bucket" is invalid'],
    [{ signatureValidityMonths: 136 }, "signatureValidityMonths 136 is out of range; use a whole number from 1 to 135"],
  ])("refuses %p, naming the field and the fix", (signing, message) => {
    expect(() => build(signing)).toThrow(`code signing "code-signing": ${message}`);
  });
});

describe("EncryptedFunction with codeSigning", () => {
  test("deploys the signing job's signed object with the code signing configuration, without the zip or its hash", () => {
    const { synthesized } = build();
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      s3_bucket: referenceTo(synthesized, SignerSigningJob, "signed_object[0].s3[0].bucket"),
      s3_key: referenceTo(synthesized, SignerSigningJob, "signed_object[0].s3[0].key"),
      code_signing_config_arn: referenceTo(synthesized, LambdaCodeSigningConfig, "arn"),
      filename: ABSENT,
      source_code_hash: ABSENT,
    });
  });

  test("uploads the zip to unsigned/<function>.zip, a new version whenever its hash changes, and signs exactly that version into signed/<function>/", () => {
    const { fn, synthesized } = build();
    expect(synthesized).toHaveResourceWithExactly(S3Object, {
      bucket: BUCKET,
      key: "unsigned/orders.zip",
      source: fn.code.path,
      source_hash: fn.code.sourceCodeHash,
    });
    const [, upload] = onlyResourceOf(synthesized, S3Object);
    // The bucket's versioning, encryption and public access block, and the profile, exist before the first upload.
    expect(upload.depends_on).toHaveLength(4);
    expect(synthesized).toHaveResourceWithExactly(SignerSigningJob, {
      profile_name: "payments_lambda",
      source: { s3: { bucket: BUCKET, key: referenceTo(synthesized, S3Object, "key"), version: referenceTo(synthesized, S3Object, "version_id") } },
      destination: { s3: { bucket: BUCKET, prefix: "signed/orders/" } },
      ignore_signing_job_failure: false,
    });
  });

  test("without codeSigning, the zip goes to Lambda directly and nothing of code signing is created", () => {
    const { stack, key } = newStack();
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    const synthesized = Testing.synth(stack, true);
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { s3_bucket: ABSENT, code_signing_config_arn: ABSENT, source_code_hash: expect.any(String) });
    expect(Object.keys(JSON.parse(synthesized).resource).filter((type) => /signer|s3_object|code_signing/.test(type))).toEqual([]);
  });

  test("refuses code signing of another stack (another account or region), naming the fix", () => {
    const { stack: other } = newStack();
    const codeSigning = new LambdaCodeSigning(other, "code-signing", SIGNING);
    const { stack, key } = newStack();
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, codeSigning })).toThrow(
      /function "orders" \(.*\): codeSigning ".*code-signing" is in another stack; .* create a LambdaCodeSigning in the function's stack/,
    );
  });

  test("the deploy pipeline may create the profile and configuration, upload and sign, and read the signed package", () => {
    const { stack } = build();
    const policy = deployerPolicyDocument([stackView(stack)]);
    const statements = policy.statements.map((s) => s.toJSON() as unknown as Statement);
    const actionsOn = (arn: string) => statements.filter((s) => ([s.Resource].flat() as string[]).includes(arn)).flatMap((s) => [s.Action].flat() as string[]);
    const profileArn = `arn:aws:signer:${REGION}:${ACCOUNT}:/signing-profiles/payments_lambda`;
    expect(actionsOn(profileArn)).toEqual(expect.arrayContaining(["signer:GetSigningProfile", "signer:CancelSigningProfile", "signer:StartSigningJob"]));
    expect(actionsOn(`arn:aws:signer:${REGION}:${ACCOUNT}:/signing-jobs/*`)).toEqual(expect.arrayContaining(["signer:DescribeSigningJob"]));
    expect(actionsOn(`arn:aws:lambda:${REGION}:${ACCOUNT}:code-signing-config:*`)).toEqual(
      expect.arrayContaining(["lambda:GetCodeSigningConfig", "lambda:UpdateCodeSigningConfig", "lambda:DeleteCodeSigningConfig"]),
    );
    expect(actionsOn(`arn:aws:s3:::${BUCKET}/*`)).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"]));
    expect(actionsOn(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`)).toEqual(
      expect.arrayContaining(["lambda:PutFunctionCodeSigningConfig", "lambda:DeleteFunctionCodeSigningConfig"]),
    );
    // Only the two calls that create what has no ARN yet are on "*".
    expect(policy.unscopedActions.map((u) => u.action)).toEqual(expect.arrayContaining(["lambda:CreateCodeSigningConfig", "signer:PutSigningProfile"]));
    expect(actionsOn("*").filter((action) => action.startsWith("signer:") || action.includes("CodeSigning"))).toEqual([
      "lambda:CreateCodeSigningConfig",
      "signer:PutSigningProfile",
    ]);
  });

  test("validates and plans with the AWS provider", async () => {
    const { stack } = build();
    const result = await checkStack(appStackDir(stack), { validate: false });
    expect(result.validate.valid).toBe(true);
    expect(result.validate.warnings).toEqual([]);
    expect(result.plan.ran).toBe(true);
    if (!result.plan.ran) return;
    // key, alias, role, role policy, log group, function; profile, configuration, bucket and its 7 settings; object, signing job
    expect(result.plan.resourcesToAdd).toBe(18);
  }, 180_000);
});
