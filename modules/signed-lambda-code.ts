import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SignerSigningJob } from "@cdktf/provider-aws/lib/signer-signing-job";
import { Construct } from "constructs";
import { LambdaCodeAsset } from "./lambda-code-asset";
import { CODE_BUCKET_PREFIXES, LambdaCodeSigning } from "./lambda-code-signing";

/** Props of {@link SignedLambdaCode}. */
export interface SignedLambdaCodeProps {
  /** The code signing of the function's account and region. */
  readonly codeSigning: LambdaCodeSigning;
  /** The function the package is for: it names the objects (`unsigned/<name>.zip`, `signed/<name>/…`). */
  readonly functionName: string;
  /** The deterministic zip to sign. */
  readonly code: LambdaCodeAsset;
}

/**
 * A function's package, signed by AWS Signer, in the code signing bucket:
 * - the zip is uploaded as `unsigned/<functionName>.zip` (a new object
 *   version whenever the code's hash changes);
 * - a Signer signing job signs exactly that version with the signing
 *   profile and writes the signed package under `signed/<functionName>/`.
 *   A signing job cannot change: new code makes a new job, and so a new
 *   signed object for the function to deploy.
 *
 * Terraform waits for the job to succeed and fails the apply when it does
 * not (`ignore_signing_job_failure = false`).
 */
export class SignedLambdaCode extends Construct {
  /** The uploaded, unsigned package (`aws_s3_object`). */
  public readonly unsignedObject: S3Object;
  /** The `aws_signer_signing_job` (escape hatch). */
  public readonly signingJob: SignerSigningJob;

  constructor(scope: Construct, id: string, props: SignedLambdaCodeProps) {
    super(scope, id);
    const { codeSigning } = props;
    this.unsignedObject = new S3Object(this, "unsigned", {
      // Literal names, so that the deploy pipeline's policy can name them; the bucket and profile come first through dependsOn.
      bucket: codeSigning.bucketName,
      key: `${CODE_BUCKET_PREFIXES.unsigned}${props.functionName}.zip`,
      source: props.code.path,
      // A new version whenever the code changes (S3's ETag is no MD5 of the content with every encryption).
      sourceHash: props.code.sourceCodeHash,
      contentType: "application/zip",
      dependsOn: [...codeSigning.dependencies],
    });
    this.signingJob = new SignerSigningJob(this, "signing-job", {
      profileName: codeSigning.signingProfileName,
      source: { s3: { bucket: codeSigning.bucketName, key: this.unsignedObject.key, version: this.unsignedObject.versionId } },
      destination: { s3: { bucket: codeSigning.bucketName, prefix: `${CODE_BUCKET_PREFIXES.signed}${props.functionName}/` } },
      ignoreSigningJobFailure: false,
    });
  }

  /** The bucket of the signed package, for `aws_lambda_function.s3_bucket`. */
  public get s3Bucket(): string {
    return this.signingJob.signedObject.get(0).s3.get(0).bucket;
  }

  /** The key of the signed package, for `aws_lambda_function.s3_key`. */
  public get s3Key(): string {
    return this.signingJob.signedObject.get(0).s3.get(0).key;
  }
}
