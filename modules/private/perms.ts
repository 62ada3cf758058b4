/**
 * The IAM actions the constructs grant (and the lists their explicit Denies
 * cover), one named list per principal and purpose, so that what each
 * principal may do is reviewed in one place. The statements keep their
 * principals, resources and conditions where they are built; only the action
 * lists live here. Private to the constructs: the package root exports only
 * `KEY_ADMIN_ACTIONS` and `KEY_USE_ACTIONS`, through encryption-key.ts.
 *
 * The order inside each list is the order of the synthesized policies:
 * changing it changes the Terraform plan.
 *
 * The deploy pipeline's per-resource-type actions are a table of their own
 * (deployer-actions.ts).
 */

// ---------------------------------------------------------------------------
// KMS key policy (EncryptionKey)
// ---------------------------------------------------------------------------

/**
 * The account root, in the key policy: every KMS action, which keeps the key
 * manageable (no lockout) and lets IAM policies grant access
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export const KEY_ACCOUNT_ROOT_ACTIONS = ["kms:*"] as const;

/**
 * Key administrators (`administratorArns`): management actions only, listed one
 * by one so that no wildcard can include a cryptographic operation.
 * (`kms:ListAliases` is left out: it is not a key-scoped action, so a key
 * policy cannot grant it.) Note that `kms:PutKeyPolicy` lets an administrator
 * rewrite the policy, including granting themselves decrypt: that change is
 * audited in CloudTrail. Alias actions are left out too: Terraform owns the
 * aliases, and whoever can repoint an alias can make the next encryption by
 * alias use a key they own (`KeyUseAlarms` alarms on alias changes).
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateKeyDescription",
] as const;

/**
 * Key management: the operations on a key that KMS does not let principals
 * of another account use, whatever the key policy says. Cross-account
 * permission is effective only for the cryptographic operations,
 * CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants,
 * RetireGrant and RevokeGrant
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 * These are the administrators' actions beyond those, and the alias,
 * key-material and multi-Region actions. `EncryptionKey` refuses to give
 * them (or `kms:*`) to another account.
 */
export const KEY_MANAGEMENT_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DeleteImportedKeyMaterial",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetParametersForImport",
  "kms:ImportKeyMaterial",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ReplicateKey",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
  "kms:UpdatePrimaryRegion",
] as const;

/**
 * The cryptographic operations the key policy's Deny statements cover (all
 * principals the policy does not name, administrators, the deploy pipeline
 * outside its services): all that a symmetric encryption key supports, for
 * reading or producing ciphertext.
 */
export const KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"] as const;

/**
 * Replicating a multi-Region primary key to another region, which moves its
 * key material there: the deploy pipeline, to the configured regions only
 * (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-auth.html#mrk-auth-replicate).
 */
export const KEY_REPLICATION_ACTIONS = ["kms:ReplicateKey"] as const;

/** Key users (`userArns`): decrypt directly, and see the key's metadata. */
export const KEY_USER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"] as const;

/**
 * Key users of a key being retired after a manual rotation (`decryptOnly`):
 * also re-encrypt from it, so that the re-encrypt command moves values to the
 * new key without the plaintext leaving KMS
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html:
 * "kms:ReEncryptFrom permission on the source KMS key").
 */
export const RETIRING_KEY_USER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"] as const;

/**
 * Denied to every principal that is not an AWS service calling as itself, on
 * a key being retired: whatever produces ciphertext under it
 * (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html).
 */
export const RETIRING_KEY_DENIED_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptTo"] as const;

/** Principals moving values into a key after a manual rotation: the destination half of `ReEncrypt`. */
export const RE_ENCRYPT_INTO_ACTIONS = ["kms:ReEncryptTo"] as const;

/** The source half of `ReEncrypt`, given on a current key only for re-encryption onto the same key. */
export const RE_ENCRYPT_FROM_ACTIONS = ["kms:ReEncryptFrom"] as const;

/** The deploy pipeline on a key being retired, through Lambda only: read function environments back until they move. */
export const RETIRING_KEY_DEPLOYER_LAMBDA_ACTIONS = ["kms:Decrypt"] as const;

/**
 * Helper encrypters (`helperEncrypterArns`, the operators who run the encrypt
 * command): encrypt only, and only with the `LambdaFunctionName` context.
 */
export const HELPER_ENCRYPTER_ACTIONS = ["kms:Encrypt"] as const;

/**
 * Denied to helper encrypters: everything that would reveal a value they
 * encrypted, so that no IAM policy can let them read it back.
 */
export const HELPER_ENCRYPTER_DENIED_ACTIONS = ["kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"] as const;

/**
 * The deploy pipeline, through Lambda only: what setting `kms_key_arn` on a
 * function and reading its environment back need
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html).
 */
export const DEPLOYER_LAMBDA_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt"] as const;

/**
 * The deploy pipeline, through Lambda only and for AWS resources only: the
 * grant Lambda creates on the deployer's behalf for a function's key.
 */
export const DEPLOYER_GRANT_ACTIONS = ["kms:CreateGrant"] as const;

/**
 * The operations a constrained grant (`KeyGrant`) may give: the
 * cryptographic operations of a symmetric key that take an encryption
 * context, so that the grant's constraint applies to each
 * (https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-constraints).
 */
export const GRANT_OPERATIONS = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"] as const;
export type KeyGrantOperation = (typeof GRANT_OPERATIONS)[number];

/**
 * Denied to a grantee whatever its grants give: the key uses no constrained
 * grant offers (data key pairs, re-encryption).
 */
export const GRANTEE_DENIED_ACTIONS = ["kms:GenerateDataKeyPair*", "kms:ReEncrypt*"] as const;

/**
 * The deploy pipeline on a key with constrained grants: besides CreateGrant,
 * what the provider's `aws_kms_grant` calls to read and delete one
 * (ListGrants, RevokeGrant; with `retire_on_delete` it calls RetireGrant,
 * which no key policy governs:
 * https://docs.aws.amazon.com/kms/latest/developerguide/grant-manage.html#grant-delete).
 */
export const DEPLOYER_GRANT_MANAGEMENT_ACTIONS = ["kms:ListGrants", "kms:RevokeGrant"] as const;

/**
 * The deploy pipeline, through CloudWatch Logs only and for the registered
 * log groups: Logs uses the key as the caller when it creates an encrypted
 * group (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 */
export const DEPLOYER_LOG_GROUP_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"] as const;

/**
 * The deploy pipeline, through Secrets Manager only and for the registered
 * secrets: a data key when it writes a value, decrypt when Terraform reads the
 * version back (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
export const DEPLOYER_SECRET_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"] as const;

/**
 * A secret's rotation function (its execution role), through Secrets Manager
 * only and for that secret: decrypt when it reads the current value, a data
 * key when it puts the new one
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
 */
export const SECRET_ROTATION_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;

/**
 * The deploy pipeline, through Systems Manager only and for the registered
 * SecureString parameters: encrypt (standard tier) or a data key (advanced
 * tier) when it writes the value, decrypt when Terraform reads it back
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/secure-string-parameter-kms-encryption.html).
 */
export const DEPLOYER_PARAMETER_KEY_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"] as const;

/**
 * The key's metadata, which carries no encryption context: the deploy
 * pipeline through CloudWatch Logs, and CloudTrail for its trail.
 */
export const KEY_DESCRIBE_ACTIONS = ["kms:DescribeKey"] as const;

/**
 * The regional CloudWatch Logs service, for the registered log groups only:
 * encrypts and decrypts their log data
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 */
export const LOGS_SERVICE_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"] as const;

/**
 * Decrypt only: `grantDecrypt` grantees (execution roles, readers of secrets
 * and parameters), the audit trail's readers through S3, and CloudTrail with
 * S3 Bucket Keys.
 */
export const KEY_DECRYPT_ACTIONS = ["kms:Decrypt"] as const;

/**
 * CloudTrail, for this trail only: generates the data keys that encrypt its
 * log files (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
 */
export const TRAIL_KEY_ENCRYPT_ACTIONS = ["kms:GenerateDataKey*"] as const;

/**
 * A service that publishes to one SNS topic encrypted with the key (CloudWatch
 * alarms to the alarm topic, CloudTrail to the log delivery topic), for that
 * topic only: publishing to an encrypted topic needs a data key
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
export const ENCRYPTED_TOPIC_PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"] as const;

// ---------------------------------------------------------------------------
// Roles and their identity policies
// ---------------------------------------------------------------------------

/** The service a role trusts (Lambda for an execution role, CloudTrail for the trail's delivery role): assume the role. */
export const ASSUME_ROLE_ACTIONS = ["sts:AssumeRole"] as const;

/**
 * A function's execution role and the trail's delivery role, on their own log
 * group's streams only: create streams and write events
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html).
 */
export const LOG_STREAM_WRITE_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/** Readers of a Secrets Manager secret (`grantRead`): the value, of exactly that secret. */
export const SECRET_READ_ACTIONS = ["secretsmanager:GetSecretValue"] as const;

/** Readers of a SecureString parameter (`grantRead`): the value, of exactly that parameter. */
export const PARAMETER_READ_ACTIONS = ["ssm:GetParameter"] as const;

/**
 * A function's execution role with tracing on: send trace segments and
 * telemetry to X-Ray (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html).
 * Neither action has a resource to scope it to
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
 */
export const XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] as const;

/**
 * A function's execution role with a VPC: the actions AWS documents for
 * Lambda to create and manage the function's network interfaces
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions;
 * with {@link VPC_DESCRIBE_ACTIONS}, those of `AWSLambdaVPCAccessExecutionRole`),
 * on network interfaces and the configured subnets and security groups.
 */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
] as const;

/**
 * The rest of what AWS documents for a function in a VPC: reading network
 * interfaces and subnets, which EC2 authorizes only on `"*"`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
export const VPC_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"] as const;

/** A function's execution role, to its own dead-letter queue: send the events it failed to process. */
export const DEAD_LETTER_SEND_ACTIONS = ["sqs:SendMessage"] as const;

/**
 * A function's execution role, on the key of its dead-letter queue, only
 * through SQS: SQS generates a data key to encrypt a message sent to an
 * encrypted queue (with `kms:Decrypt`, which `grantDecrypt` gives)
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 */
export const DEAD_LETTER_ENCRYPT_ACTIONS = ["kms:GenerateDataKey"] as const;
// ---------------------------------------------------------------------------
// Resource policies: SNS topic, S3 buckets
// ---------------------------------------------------------------------------

/** CloudWatch alarms of the account to the alarm topic, the trail to its log delivery topic: publish. */
export const TOPIC_PUBLISH_ACTIONS = ["sns:Publish"] as const;

/**
 * CloudTrail, for the named trail: checks the log bucket's ACL before it
 * writes (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
 */
export const TRAIL_BUCKET_ACL_CHECK_ACTIONS = ["s3:GetBucketAcl"] as const;

/** CloudTrail, for the named trail: writes log files under `AWSLogs/<account>/`. */
export const TRAIL_LOG_WRITE_ACTIONS = ["s3:PutObject"] as const;

/** Object actions that destroy log files: denied to all but the log bucket's break-glass principals. */
export const LOG_FILE_DELETE_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion"] as const;

/** Bucket settings that protect the log files or report on them (the EventBridge notifications): denied to all but the log bucket's managers and break-glass principals. */
export const LOG_PROTECTION_CHANGE_ACTIONS = [
  "s3:DeleteBucketPolicy",
  "s3:PutBucketLogging",
  "s3:PutBucketNotification",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutBucketPolicy",
  "s3:PutBucketVersioning",
  "s3:PutLifecycleConfiguration",
  "s3:PutReplicationConfiguration",
] as const;

/**
 * The S3 logging service, for the named source buckets of the account: writes
 * server access logs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
 */
export const ACCESS_LOG_WRITE_ACTIONS = ["s3:PutObject"] as const;

// ---------------------------------------------------------------------------
// S3 replication role of the log bucket (LogBucketReplication)
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
// ---------------------------------------------------------------------------

/** The replication role, on the source bucket: read its replication configuration and list it. */
export const REPLICATION_SOURCE_BUCKET_ACTIONS = ["s3:GetReplicationConfiguration", "s3:ListBucket"] as const;

/** The replication role, on the source bucket's objects: read each version to replicate, with its ACL and tags. */
export const REPLICATION_SOURCE_OBJECT_ACTIONS = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"] as const;

/**
 * The replication role, on the source bucket's objects when it has Object
 * Lock: read each version's retention and legal hold, which the replica
 * keeps ("you must grant two additional permissions on the source S3 bucket
 * … s3:GetObjectRetention and s3:GetObjectLegalHold":
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication).
 */
export const REPLICATION_SOURCE_OBJECT_LOCK_ACTIONS = ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] as const;

/** The replication role, on the replica bucket's objects: write replicas, delete markers and tags. */
export const REPLICATION_DESTINATION_ACTIONS = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"] as const;

/**
 * The replication role, on the replica key through S3 in the destination
 * region: encrypt the replicas (`kms:GenerateDataKey` for S3 Bucket Keys and
 * each object's data key), per
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html.
 */
export const REPLICATION_ENCRYPT_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"] as const;

// ---------------------------------------------------------------------------
// Deploy pipeline policy, besides its per-resource-type table
// ---------------------------------------------------------------------------

/**
 * The deploy pipeline's role actions that carry `iam:PermissionsBoundary`
 * (the other role actions do not), so only they can be conditioned on the
 * boundary.
 */
export const ROLE_BOUNDARY_ACTIONS = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"] as const;

/** The deploy pipeline: pass the stacks' roles, each only to the service it is for. */
export const PASS_ROLE_ACTIONS = ["iam:PassRole"] as const;

/** The deploy pipeline: list the S3 state bucket. */
export const STATE_BUCKET_LIST_ACTIONS = ["s3:ListBucket"] as const;

/** The deploy pipeline: read, write and delete its state objects (and lock files) in the S3 backend. */
export const STATE_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] as const;

/** The deploy pipeline: take and release the state lock in the S3 backend's DynamoDB table. */
export const STATE_LOCK_TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"] as const;

/** The deploy pipeline: encrypt and decrypt the state with the S3 backend's KMS key. */
export const STATE_KEY_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] as const;
