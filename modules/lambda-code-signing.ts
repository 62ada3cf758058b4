import { LambdaCodeSigningConfig } from "@cdktf/provider-aws/lib/lambda-code-signing-config";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { SignerSigningProfile } from "@cdktf/provider-aws/lib/signer-signing-profile";
import { ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { PolicyDocument } from "./policy-document";
import { s3BucketNameProblem } from "./private/aws-limits";
import { addBucketBaseline } from "./private/bucket-baseline";
import { integerSetting, resolveSetting, show } from "./private/setting";
import { denyInsecureTransport } from "./trail-log-bucket";

/** Props of {@link LambdaCodeSigning}. */
export interface LambdaCodeSigningProps {
  /** Name of the AWS Signer signing profile: 2–64 letters, digits or `_`, unique in the account and region. */
  readonly signingProfileName: string;
  /** Globally unique name of the bucket the code is signed in (S3 naming rules, see `s3BucketNameProblem`); in the functions' region. */
  readonly bucketName: string;
  /** Months a signature stays valid; limits in `LAMBDA_CODE_SIGNING_SETTINGS`. @default 135 */
  readonly signatureValidityMonths?: number;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The settings of {@link LambdaCodeSigning} (https://docs.aws.amazon.com/signer/latest/api/API_SignatureValidityPeriod.html). */
export const LAMBDA_CODE_SIGNING_SETTINGS = {
  signatureValidityMonths: integerSetting({
    code: "CODE_SIGNING_VALIDITY",
    doc: "Months a signature made with the signing profile stays valid; Lambda refuses code whose signature has expired.",
    default: 135,
    min: 1,
    max: 135,
    unit: "months",
  }),
} as const;

const SIGNING_PROFILE_NAME_PATTERN = /^[a-zA-Z0-9_]{2,64}$/;

/**
 * The only AWS Signer platform for Lambda deployment packages
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html).
 */
export const LAMBDA_SIGNING_PLATFORM = "AWSLambda-SHA384-ECDSA";

/** Prefixes of the code bucket: the packages as built, and the signed packages AWS Signer writes. */
export const CODE_BUCKET_PREFIXES = { unsigned: "unsigned/", signed: "signed/" } as const;

/**
 * Lambda code signing for the functions of one account and region
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html):
 * - an AWS Signer signing profile for Lambda (`AWSLambda-SHA384-ECDSA`);
 * - a code signing configuration that allows only that profile's current
 *   version and refuses anything else
 *   (`untrusted_artifact_on_deployment = "Enforce"`): Lambda rejects a deployment whose package is unsigned,
 *   signed by another profile, or carries an expired or revoked signature;
 * - the bucket the packages are signed in: Signer reads the source from a
 *   versioned bucket in the profile's region and writes the signed package
 *   to a bucket there
 *   (https://docs.aws.amazon.com/signer/latest/api/API_StartSigningJob.html).
 *   Public access blocked, ACLs disabled, versioned, TLS only, old versions
 *   expire after 90 days, events sent to EventBridge. No S3 server access
 *   logging: S3 writes access logs only to a bucket in the same region
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html),
 *   and a bucket should not log into itself. Default encryption is SSE-S3: a package holds the
 *   function's code, which is no secret (secrets belong in Secrets Manager or
 *   SSM), and its integrity comes from the signature Lambda checks.
 *
 * Destroying the profile cancels it: Signer keeps a canceled profile for two
 * years (https://docs.aws.amazon.com/signer/latest/api/API_CancelSigningProfile.html).
 * Whether its name can serve a new profile in that time is not documented
 * and not tested here: after a destroy, deploy again with another name if
 * Signer refuses it.
 *
 * Give it to `EncryptedFunctionProps.codeSigning`: the function then uploads
 * its package here, signs it with a Signer signing job and deploys the
 * signed package (see `SignedLambdaCode`).
 */
export class LambdaCodeSigning extends Construct {
  /** The `aws_signer_signing_profile` (escape hatch). */
  public readonly signingProfile: SignerSigningProfile;
  /** The `aws_lambda_code_signing_config` (escape hatch). */
  public readonly codeSigningConfig: LambdaCodeSigningConfig;
  /** The `aws_s3_bucket` the packages are signed in (escape hatch). */
  public readonly bucket: S3Bucket;
  /** The bucket name as configured (a literal when it was given as one). */
  public readonly bucketName: string;
  /** The signing profile's name as configured (a literal when it was given as one). */
  public readonly signingProfileName: string;
  /** The bucket policy as typed statements. */
  public readonly bucketPolicyDocument: PolicyDocument;
  /**
   * What a signed package must wait for: the bucket's versioning, encryption and public access block, and the signing profile.
   * @internal for `SignedLambdaCode`
   */
  public readonly dependencies: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: LambdaCodeSigningProps) {
    super(scope, id);
    const what = `code signing "${id}"`;
    if (!Token.isUnresolved(props.signingProfileName) && !SIGNING_PROFILE_NAME_PATTERN.test(props.signingProfileName)) {
      throw new Error(`${what}: signingProfileName ${show(props.signingProfileName)} is invalid; use 2–64 letters, digits or "_" (no "-"), e.g. "payments_lambda"`);
    }
    const nameProblem = s3BucketNameProblem(props.bucketName);
    if (nameProblem) throw new Error(`${what}: bucketName ${nameProblem}`);
    const validityMonths = resolveSetting(what, "signatureValidityMonths", LAMBDA_CODE_SIGNING_SETTINGS.signatureValidityMonths, props.signatureValidityMonths);
    const tags = props.tags ? { ...props.tags } : undefined;

    this.signingProfile = new SignerSigningProfile(this, "signing-profile", {
      name: props.signingProfileName,
      platformId: LAMBDA_SIGNING_PLATFORM,
      signatureValidityPeriod: { value: validityMonths, type: "MONTHS" },
      tags,
    });
    this.codeSigningConfig = new LambdaCodeSigningConfig(this, "config", {
      description: `Only code signed with the ${props.signingProfileName} signing profile`,
      allowedPublishers: { signingProfileVersionArns: [this.signingProfile.versionArn] },
      policies: { untrustedArtifactOnDeployment: "Enforce" },
      tags,
    });

    this.bucketName = props.bucketName;
    this.signingProfileName = props.signingProfileName;
    // Destroying the bucket deletes the signed packages too: Signer writes them, so no Terraform resource does; they are rebuilt from the code.
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: true, tags });
    const bucket = this.bucket.id;
    const { publicAccessBlock, versioning, encryption } = addBucketBaseline(this, this.bucket, "AES256");
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-old-packages",
          status: "Enabled",
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      dependsOn: [versioning],
    });
    this.bucketPolicyDocument = new PolicyDocument([denyInsecureTransport(this.bucket.arn)]);
    new S3BucketPolicy(this, "policy", { bucket, policy: this.bucketPolicyDocument.toJsonString(), dependsOn: [publicAccessBlock] });
    // Every upload and signed package is an event a team can watch for (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
    new S3BucketNotification(this, "event-notifications", { bucket, eventbridge: true });
    this.dependencies = [versioning, encryption, publicAccessBlock, this.signingProfile];
  }

  /** The code signing configuration's ARN, for `aws_lambda_function.code_signing_config_arn`. */
  public get codeSigningConfigArn(): string {
    return this.codeSigningConfig.arn;
  }
}
