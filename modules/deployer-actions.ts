/**
 * What the deploy pipeline must be allowed to do for each Terraform resource
 * type the constructs emit: the IAM actions that the AWS provider
 * (`hashicorp/aws` 5.100.0) calls to create, read (refresh), update and
 * delete a resource of that type, including the tag calls of its default
 * tags. `deployerPolicyDocument` turns this table and the synthesized
 * stacks into a policy; `DeployerPolicy` attaches it as managed policies. Each row names the provider source file it was read from
 * (`internal/service/<service>/<file>.go` in hashicorp/terraform-provider-aws).
 *
 * Adding a resource type to a construct without adding its row here fails
 * the synth (the deployer policy cannot be generated), so the table cannot
 * fall behind the constructs.
 */

/** An action granted on `Resource: "*"` because AWS offers no narrower resource for it, and why. */
export interface UnscopedAction {
  readonly action: string;
  readonly reason: string;
  /**
   * Only for resources whose configuration has this attribute (e.g. a
   * function's `vpc_config`).
   * @default every resource of the row's type
   */
  readonly onlyWith?: string;
}

/** What a row's ARN functions see of one resource. */
export interface ResourceArnContext {
  /** A literal string attribute of the resource, or `fallback` when it is absent; throws, naming it, when it is a reference or absent without a fallback. */
  attribute(name: string, fallback?: string): string;
  readonly partition: string;
  /** `arn:<partition>:<service>:<region>:<account>:<resource>` in the resource's account and region (no region with `global`). */
  arn(service: string, resource: string, options?: { readonly global?: boolean }): string;
}

export interface DeployerResourceType {
  /**
   * The ARNs of a resource of this type. Absent for keys, whose ARN is
   * unknown until they exist: `deployerPolicyDocument` scopes them by their tags.
   * @default scoped by `parent`, or by the keys' tags
   */
  readonly arns?: (resource: ResourceArnContext) => readonly string[];
  /**
   * For a resource on a KMS key (a grant): its actions apply to the keys,
   * scoped by the keys' tags like the keys' own actions.
   * @default false
   */
  readonly onKeys?: boolean;
  /**
   * For a resource that configures another (a role's policy, a bucket's
   * settings, a topic's policy): the attribute that refers to it. The
   * actions apply to the ARNs of the resource referred to; `literal` builds
   * them when the attribute is a literal name rather than a reference.
   * @default none
   */
  readonly parent?: { readonly attribute: string; readonly literal?: (value: string, resource: ResourceArnContext) => readonly string[] };
  /** Actions on the resource's ARNs for create, read, update and the tags. */
  readonly actions: readonly string[];
  /**
   * Actions only `terraform destroy` (or a replacement) needs: granted only
   * for resources without `prevent_destroy`.
   * @default none
   */
  readonly destroyActions?: readonly string[];
  /** @default none */
  readonly unscoped?: readonly UnscopedAction[];
  /**
   * The attribute that refers to a role the resource is given, and the
   * service principal that receives it (`iam:PassRole` with
   * `iam:PassedToService`).
   * @default none
   */
  readonly passesRole?: { readonly attribute: string; readonly toService: string };
  /**
   * Actions on another resource the one of this row names in `attribute`
   * (a literal ARN or a reference), e.g. the function a secret rotation invokes.
   * @default none
   */
  readonly alsoOn?: { readonly attribute: string; readonly actions: readonly string[] };
  /** The provider source file the actions were read from. */
  readonly source: string;
}

const logGroupArns = (name: string, r: ResourceArnContext) => [r.arn("logs", `log-group:${name}`), r.arn("logs", `log-group:${name}:*`)];

/**
 * The table, one row per resource type. Update actions that only a change
 * our constructs never make would need (disabling a key or its rotation,
 * removing a permissions boundary) are left out on purpose.
 */
/**
 * What the provider calls on a key it manages, a single-Region key or a
 * multi-Region replica: read it, its policy, description, tags and aliases
 * (an alias is authorized on the alias and on its target key).
 */
const MANAGED_KEY_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:PutKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:UpdateKeyDescription",
  "kms:ListResourceTags",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateAlias",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
];

export const DEPLOYER_RESOURCE_TYPES: Readonly<Record<string, DeployerResourceType>> = {
  aws_kms_key: {
    actions: [...MANAGED_KEY_ACTIONS, "kms:EnableKeyRotation"],
    destroyActions: ["kms:ScheduleKeyDeletion"],
    unscoped: [
      {
        action: "kms:CreateKey",
        reason:
          "the key does not exist yet: CreateKey has no resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html); the policy requires the tags the keys are scoped by (aws:RequestTag)",
      },
    ],
    source: "internal/service/kms/key.go",
  },
  aws_kms_alias: {
    arns: (r) => [r.arn("kms", r.attribute("name"))],
    actions: ["kms:CreateAlias", "kms:UpdateAlias"],
    destroyActions: ["kms:DeleteAlias"],
    unscoped: [{ action: "kms:ListAliases", reason: "the provider finds an alias by listing the aliases of the region; ListAliases has no resource" }],
    source: "internal/service/kms/alias.go",
  },
  aws_kms_replica_key: {
    // The replica's own key (in its region), and ReplicateKey, which is authorized on the primary (in the
    // account's first region; both are keys of the account, scoped by the same tags). Rotation follows the primary.
    actions: [...MANAGED_KEY_ACTIONS, "kms:ReplicateKey"],
    destroyActions: ["kms:ScheduleKeyDeletion"],
    unscoped: [
      {
        action: "kms:CreateKey",
        reason:
          "ReplicateKey also needs kms:CreateKey in the replica's region (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html), which has no resource; the policy requires the tags the keys are scoped by (aws:RequestTag)",
      },
    ],
    source: "internal/service/kms/replica_key.go",
  },
  aws_kms_grant: {
    onKeys: true,
    // Every attribute forces a replacement, so there is no update call; retire_on_delete uses RetireGrant,
    // which the grant's retiring principal may call without any policy.
    actions: ["kms:CreateGrant", "kms:ListGrants"],
    destroyActions: ["kms:RevokeGrant"],
    source: "internal/service/kms/grant.go",
  },
  aws_iam_role: {
    // Roles under a path of their own (e.g. /payments/eu-west-1/) are named by the path: the project's IAM path.
    arns: (r) => {
      const rolePath = r.attribute("path", "/");
      return [r.arn("iam", `role${rolePath}${rolePath === "/" ? r.attribute("name") : "*"}`, { global: true })];
    },
    actions: [
      "iam:CreateRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:ListRolePolicies",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
    ],
    // Deleting a role first deletes the inline policies its state lists.
    destroyActions: ["iam:DeleteRole", "iam:DeleteRolePolicy", "iam:ListInstanceProfilesForRole"],
    source: "internal/service/iam/role.go",
  },
  aws_iam_role_policy: {
    parent: { attribute: "role" },
    actions: ["iam:PutRolePolicy", "iam:GetRolePolicy"],
    destroyActions: ["iam:DeleteRolePolicy"],
    source: "internal/service/iam/role_policy.go",
  },
  aws_lambda_function: {
    arns: (r) => [r.arn("lambda", `function:${r.attribute("function_name")}`)],
    actions: [
      "lambda:CreateFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      // Without it GetFunction returns no tags, and every plan wants to add them again.
      "lambda:ListTags",
      "lambda:TagResource",
      "lambda:UntagResource",
      // reserved_concurrent_executions: set, and removed when the setting is taken out.
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      // code_signing_config_arn: CreateFunction sets it; a later change puts or deletes it.
      "lambda:PutFunctionCodeSigningConfig",
      "lambda:DeleteFunctionCodeSigningConfig",
    ],
    destroyActions: ["lambda:DeleteFunction"],
    // Lambda checks the network resources of a vpc_config with the caller's permissions
    // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html); EC2's Describe actions have no resource.
    unscoped: ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"].map((action) => ({
      action,
      reason: "Lambda checks a function's subnets and security groups with the caller's permissions; EC2's Describe actions have no resource",
      onlyWith: "vpc_config",
    })),
    passesRole: { attribute: "role", toService: "lambda.amazonaws.com" },
    source: "internal/service/lambda/function.go",
  },
  aws_lambda_code_signing_config: {
    // The ID (csc-…) is made by Lambda: the configurations of the account and region.
    arns: (r) => [r.arn("lambda", "code-signing-config:*")],
    actions: ["lambda:GetCodeSigningConfig", "lambda:UpdateCodeSigningConfig", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"],
    destroyActions: ["lambda:DeleteCodeSigningConfig"],
    unscoped: [
      {
        action: "lambda:CreateCodeSigningConfig",
        reason:
          "the configuration does not exist yet: CreateCodeSigningConfig has no resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html)",
      },
    ],
    source: "internal/service/lambda/code_signing_config.go",
  },
  aws_signer_signing_profile: {
    arns: (r) => [r.arn("signer", `/signing-profiles/${r.attribute("name")}`)],
    actions: ["signer:GetSigningProfile", "signer:ListTagsForResource", "signer:TagResource", "signer:UntagResource"],
    destroyActions: ["signer:CancelSigningProfile"],
    unscoped: [
      {
        action: "signer:PutSigningProfile",
        reason: "the profile does not exist yet: PutSigningProfile has no resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssigner.html)",
      },
    ],
    source: "internal/service/signer/signing_profile.go",
  },
  aws_signer_signing_job: {
    // StartSigningJob is authorized on the profile; DescribeSigningJob on the job, whose ID Signer makes.
    // A job cannot be deleted: destroying it only removes it from the state.
    arns: (r) => [r.arn("signer", `/signing-profiles/${r.attribute("profile_name")}`), r.arn("signer", "/signing-jobs/*")],
    actions: ["signer:StartSigningJob", "signer:DescribeSigningJob"],
    source: "internal/service/signer/signing_job.go",
  },
  aws_s3_object: {
    // Every object of the bucket: the package the pipeline uploads, and the signed packages Signer writes
    // next to it and Lambda reads at deployment, which may use the caller's permissions.
    arns: (r) => [`arn:${r.partition}:s3:::${r.attribute("bucket")}`, `arn:${r.partition}:s3:::${r.attribute("bucket")}/*`],
    actions: ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:PutObjectTagging"],
    // Destroying the object of a versioned bucket deletes every version of its key; destroying a bucket with
    // force_destroy (the code signing bucket) deletes the signed packages the same way.
    destroyActions: ["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"],
    source: "internal/service/s3/object.go",
  },
  aws_sqs_queue: {
    arns: (r) => [r.arn("sqs", r.attribute("name"))],
    // The queue's ID is its URL: reads are GetQueueAttributes, and the tags' ListQueueTags.
    actions: ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue"],
    destroyActions: ["sqs:DeleteQueue"],
    source: "internal/service/sqs/queue.go",
  },
  aws_sqs_queue_policy: {
    parent: { attribute: "queue_url" },
    // The policy is a queue attribute; deleting it sets the attribute to "".
    actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    source: "internal/service/sqs/queue_policy.go",
  },
  aws_cloudwatch_log_group: {
    arns: (r) => logGroupArns(r.attribute("name"), r),
    actions: ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource"],
    destroyActions: ["logs:DeleteLogGroup"],
    unscoped: [{ action: "logs:DescribeLogGroups", reason: "the provider reads a group by listing the groups with its name as prefix; DescribeLogGroups has no resource" }],
    source: "internal/service/logs/group.go",
  },
  aws_cloudwatch_log_metric_filter: {
    parent: { attribute: "log_group_name", literal: logGroupArns },
    actions: ["logs:PutMetricFilter", "logs:DescribeMetricFilters"],
    destroyActions: ["logs:DeleteMetricFilter"],
    source: "internal/service/logs/metric_filter.go",
  },
  aws_cloudwatch_metric_alarm: {
    arns: (r) => [r.arn("cloudwatch", `alarm:${r.attribute("alarm_name")}`)],
    actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
    destroyActions: ["cloudwatch:DeleteAlarms"],
    source: "internal/service/cloudwatch/metric_alarm.go",
  },
  aws_ssm_parameter: {
    arns: (r) => [r.arn("ssm", `parameter/${r.attribute("name").replace(/^\//, "")}`)],
    actions: ["ssm:PutParameter", "ssm:GetParameter", "ssm:ListTagsForResource", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
    destroyActions: ["ssm:DeleteParameter"],
    unscoped: [{ action: "ssm:DescribeParameters", reason: "the provider reads a parameter's description and tier with DescribeParameters, which has no resource" }],
    source: "internal/service/ssm/parameter.go",
  },
  aws_secretsmanager_secret: {
    // The ARN ends in "-" and 6 random characters.
    arns: (r) => [r.arn("secretsmanager", `secret:${r.attribute("name")}-??????`)],
    actions: [
      "secretsmanager:CreateSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:UpdateSecret",
      "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
    ],
    destroyActions: ["secretsmanager:DeleteSecret"],
    source: "internal/service/secretsmanager/secret.go",
  },
  aws_secretsmanager_secret_version: {
    parent: { attribute: "secret_id" },
    // Read: GetSecretValue on every refresh, which is why the key policy lets the pipeline decrypt through Secrets Manager.
    actions: ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"],
    source: "internal/service/secretsmanager/secret_version.go",
  },
  aws_secretsmanager_secret_rotation: {
    parent: { attribute: "secret_id" },
    actions: ["secretsmanager:RotateSecret", "secretsmanager:DescribeSecret"],
    destroyActions: ["secretsmanager:CancelRotateSecret"],
    // RotateSecret also needs permission to invoke the rotation function.
    alsoOn: { attribute: "rotation_lambda_arn", actions: ["lambda:InvokeFunction"] },
    source: "internal/service/secretsmanager/secret_rotation.go",
  },
  aws_s3_bucket: {
    arns: (r) => [`arn:${r.partition}:s3:::${r.attribute("bucket")}`],
    actions: [
      "s3:CreateBucket",
      "s3:ListBucket",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketWebsite",
      "s3:GetBucketVersioning",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketLogging",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketPolicy",
      "s3:GetBucketTagging",
      "s3:PutBucketTagging",
    ],
    destroyActions: ["s3:DeleteBucket"],
    source: "internal/service/s3/bucket.go",
  },
  aws_s3_bucket_versioning: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"],
    source: "internal/service/s3/bucket_versioning.go",
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"],
    source: "internal/service/s3/bucket_server_side_encryption_configuration.go",
  },
  aws_s3_bucket_public_access_block: {
    parent: { attribute: "bucket" },
    // DeleteBucketPublicAccessBlock is authorized as s3:PutBucketPublicAccessBlock.
    actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
    source: "internal/service/s3/bucket_public_access_block.go",
  },
  aws_s3_bucket_policy: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy"],
    destroyActions: ["s3:DeleteBucketPolicy"],
    source: "internal/service/s3/bucket_policy.go",
  },
  aws_s3_bucket_ownership_controls: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
    source: "internal/service/s3/bucket_ownership_controls.go",
  },
  aws_s3_bucket_lifecycle_configuration: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
    source: "internal/service/s3/bucket_lifecycle_configuration.go",
  },
  aws_s3_bucket_object_lock_configuration: {
    parent: { attribute: "bucket" },
    // The bucket is created with object_lock_enabled, which also needs s3:PutBucketVersioning
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html); the versioning row gives it.
    actions: ["s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"],
    source: "internal/service/s3/bucket_object_lock_configuration.go",
  },
  aws_s3_bucket_logging: {
    parent: { attribute: "bucket" },
    actions: ["s3:PutBucketLogging", "s3:GetBucketLogging"],
    source: "internal/service/s3/bucket_logging.go",
  },
  aws_s3_bucket_notification: {
    parent: { attribute: "bucket" },
    // Put/GetBucketNotificationConfiguration are authorized as s3:PutBucketNotification and s3:GetBucketNotification;
    // deleting the resource puts an empty configuration.
    actions: ["s3:PutBucketNotification", "s3:GetBucketNotification"],
    source: "internal/service/s3/bucket_notification.go",
  },
  aws_s3_bucket_replication_configuration: {
    parent: { attribute: "bucket" },
    // DeleteBucketReplication is authorized as s3:PutReplicationConfiguration; S3 checks iam:PassRole on the role
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html).
    actions: ["s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration"],
    passesRole: { attribute: "role", toService: "s3.amazonaws.com" },
    source: "internal/service/s3/bucket_replication_configuration.go",
  },
  aws_cloudtrail: {
    arns: (r) => [r.arn("cloudtrail", `trail/${r.attribute("name")}`)],
    actions: [
      "cloudtrail:CreateTrail",
      "cloudtrail:UpdateTrail",
      "cloudtrail:StartLogging",
      "cloudtrail:GetTrailStatus",
      // Only with custom (advanced) event selectors, e.g. excluded event sources.
      "cloudtrail:GetEventSelectors",
      "cloudtrail:PutEventSelectors",
      "cloudtrail:ListTags",
      "cloudtrail:AddTags",
      "cloudtrail:RemoveTags",
    ],
    destroyActions: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
    unscoped: [{ action: "cloudtrail:DescribeTrails", reason: "the provider reads a trail by listing the trails of the region; DescribeTrails has no resource" }],
    passesRole: { attribute: "cloud_watch_logs_role_arn", toService: "cloudtrail.amazonaws.com" },
    source: "internal/service/cloudtrail/trail.go",
  },
  aws_sns_topic: {
    // A subscription's ARN is the topic's ARN, ":" and an ID.
    arns: (r) => [r.arn("sns", r.attribute("name")), r.arn("sns", `${r.attribute("name")}:*`)],
    actions: ["sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource"],
    destroyActions: ["sns:DeleteTopic"],
    source: "internal/service/sns/topic.go",
  },
  aws_sns_topic_policy: {
    parent: { attribute: "arn", literal: (arn) => [arn] },
    actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"],
    source: "internal/service/sns/topic_policy.go",
  },
  aws_sns_topic_subscription: {
    parent: { attribute: "topic_arn", literal: (arn) => [arn] },
    // Unsubscribe and GetSubscriptionAttributes name the subscription, whose ARN is the topic's ARN and an ID.
    actions: ["sns:Subscribe", "sns:GetSubscriptionAttributes"],
    destroyActions: ["sns:Unsubscribe"],
    source: "internal/service/sns/topic_subscription.go",
  },
};
