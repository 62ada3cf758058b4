import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";

/** The settings {@link addBucketBaseline} gives a bucket. */
export interface BucketBaseline {
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly ownershipControls: S3BucketOwnershipControls;
  readonly versioning: S3BucketVersioningA;
  readonly encryption: S3BucketServerSideEncryptionConfigurationA;
}

/**
 * What every bucket of this project gets, whatever it holds, with the
 * bucket's own provider: all four public access blocks; ACLs disabled
 * (`BucketOwnerEnforced`: the bucket owner owns every object, and access is
 * granted by policies only); versioning, so an overwrite or a delete keeps
 * the earlier version; and default encryption, SSE-KMS with `kmsKeyArn` and
 * S3 Bucket Keys (which cut the KMS requests per object), or SSE-S3
 * (`"AES256"`). The construct IDs under `scope` ("public-access-block",
 * "ownership-controls", "versioning", "encryption") are part of the
 * resources' Terraform addresses.
 */
export function addBucketBaseline(scope: Construct, bucket: S3Bucket, encryption: { readonly kmsKeyArn: string } | "AES256"): BucketBaseline {
  const provider = bucket.provider;
  const bucketId = bucket.id;
  return {
    publicAccessBlock: new S3BucketPublicAccessBlock(scope, "public-access-block", {
      provider,
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    ownershipControls: new S3BucketOwnershipControls(scope, "ownership-controls", { provider, bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } }),
    versioning: new S3BucketVersioningA(scope, "versioning", { provider, bucket: bucketId, versioningConfiguration: { status: "Enabled" } }),
    encryption: new S3BucketServerSideEncryptionConfigurationA(scope, "encryption", {
      provider,
      bucket: bucketId,
      rule: [
        encryption === "AES256"
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: encryption.kmsKeyArn }, bucketKeyEnabled: true },
      ],
    }),
  };
}
