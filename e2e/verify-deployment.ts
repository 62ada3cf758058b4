/**
 * Checks, through the AWS SDK, that the emulator holds what we synthesized:
 * every managed resource of every stack is read back with the API call a
 * user (or an auditor) would make, and compared with the synthesized block
 * (references filled in from state). Security-critical attributes are also
 * asserted outright, not only "as synthesized": rotation and its period,
 * the account statement of each key policy, a function's key being its
 * stack's key, the trail's logging, validation, multi-Region and KMS
 * settings, the bucket's public access block and TLS deny.
 *
 * All findings are collected; the run fails with the whole list.
 */
import { CloudTrailClient, GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import {
  GetCodeSigningConfigCommand,
  GetFunctionCodeSigningConfigCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from "@aws-sdk/client-lambda";
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DescribeSecretCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { DescribeParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DescribeSigningJobCommand, GetSigningProfileCommand, SignerClient } from "@aws-sdk/client-signer";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "crypto";
import { isDeepStrictEqual } from "util";
import { AppConfig } from "../config/app-config";
import { ACTIONS_WITHOUT_RESOURCE } from "../modules/lambda-execution-role";
import { DeployedResource, DeployedStack, Json } from "./deployed-stack";
import { EmulatorClients } from "./emulator-clients";

/** What the checks found. */
export interface VerificationReport {
  /** Assertions made. */
  readonly checks: number;
  /** `<stack>/<address>` of every resource read back and compared. */
  readonly verified: ReadonlySet<string>;
  /** Managed resources in state, over all stacks. */
  readonly resources: number;
  /** One line per failed assertion: stack, resource, attribute, expected, found. */
  readonly failures: readonly string[];
}

type Verifier = (resource: DeployedResource, check: ResourceCheck, stack: DeployedStack) => Promise<void>;

/** Assertions about one resource; each records a finding instead of throwing. */
class ResourceCheck {
  constructor(
    private readonly report: { checks: number; failures: string[] },
    private readonly where: string,
  ) {}

  public equal(what: string, actual: Json, expected: Json): void {
    this.report.checks += 1;
    if (!isDeepStrictEqual(actual, expected)) this.report.failures.push(`${this.where}: ${what}: expected ${show(expected)}, found ${show(actual)}`);
  }

  public ok(what: string, condition: boolean, found: Json): void {
    this.report.checks += 1;
    if (!condition) this.report.failures.push(`${this.where}: ${what}; found ${show(found)}`);
  }

  /** Policy documents compare equal after AWS's own normalization (a one-element list may come back as its element). */
  public samePolicy(what: string, actual: string | undefined, expected: string): void {
    this.equal(what, normalizePolicy(parse(actual)), normalizePolicy(parse(expected)));
  }
}

/** Reads back every resource of every stack; `stacks` must hold state after the final apply. */
export async function verifyDeployment(config: AppConfig, stacks: readonly DeployedStack[], clients: EmulatorClients): Promise<VerificationReport> {
  const report = { checks: 0, failures: [] as string[] };
  const verified = new Set<string>();
  const verifiers = resourceVerifiers(config, clients);
  let resources = 0;
  for (const stack of stacks) {
    for (const resource of stack.resources) {
      resources += 1;
      const verify = verifiers[resource.type];
      const where = `${stack.name}/${resource.address}`;
      if (!verify) {
        report.failures.push(`${where}: no check for resource type ${resource.type}; add one to e2e/verify-deployment.ts`);
        continue;
      }
      try {
        await verify(resource, new ResourceCheck(report, where), stack);
        verified.add(where);
      } catch (error) {
        report.failures.push(`${where}: reading it back failed: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  }
  return { checks: report.checks, failures: report.failures, verified, resources };
}

function resourceVerifiers(config: AppConfig, clients: EmulatorClients): Record<string, Verifier> {
  const kms = (stack: DeployedStack, r: DeployedResource) => clients.get(KMSClient, stack.accountId, r.region);
  return {
    aws_kms_key: async (r, check, stack) => {
      const keyId = r.state.key_id;
      const client = kms(stack, r);
      const metadata = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      check.equal("key state", metadata?.KeyState, "Enabled");
      check.equal("key manager", metadata?.KeyManager, "CUSTOMER");
      check.equal("key spec", metadata?.KeySpec, "SYMMETRIC_DEFAULT");
      check.equal("key usage", metadata?.KeyUsage, "ENCRYPT_DECRYPT");
      // moto leaves MultiRegion out for single-Region keys; AWS says false. Either way, not true.
      check.equal("multi-Region as synthesized", metadata?.MultiRegion === true, r.intended.multi_region === true);
      if (r.intended.multi_region === true) check.equal("multi-Region key type", metadata?.MultiRegionConfiguration?.MultiRegionKeyType, "PRIMARY");
      const rotation = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      check.equal("automatic rotation", rotation.KeyRotationEnabled, true);
      check.equal("rotation period (days)", rotation.RotationPeriodInDays, r.intended.rotation_period_in_days);
      if (r.address.startsWith("aws_kms_key.workload-key"))
        check.equal("workload key rotation period = key.rotationPeriodDays", rotation.RotationPeriodInDays, config.key.rotationPeriodDays);
      const policyText = (await client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy;
      check.samePolicy("key policy", policyText, r.intended.policy);
      const statements: Json[] = parse(policyText).Statement ?? [];
      const account = normalizePolicy(statements.find((s) => s.Sid === "EnableIamPoliciesForAccount"));
      check.equal(
        "key policy: the lockout-safe statement lets the account root do kms:* on the key, without condition",
        [account?.Effect, account?.Principal, account?.Action, account?.Resource, account?.Condition],
        ["Allow", { AWS: `arn:aws:iam::${stack.accountId}:root` }, "kms:*", "*", undefined],
      );
      for (const statement of statements) {
        const principals = [statement.Principal, statement.Principal?.AWS].flat();
        const everyone = principals.includes("*");
        check.ok(`key policy statement ${statement.Sid}: a "*" principal needs a condition`, !everyone || statement.Condition !== undefined, statement);
        check.ok(`key policy statement ${statement.Sid}: no NotPrincipal`, statement.NotPrincipal === undefined, statement);
      }
    },

    aws_kms_replica_key: async (r, check, stack) => {
      const keyId = r.state.key_id;
      const client = kms(stack, r);
      const metadata = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      check.equal("key state", metadata?.KeyState, "Enabled");
      check.equal("key manager", metadata?.KeyManager, "CUSTOMER");
      check.equal("region", metadata?.Arn?.split(":")[3], r.region);
      check.equal("multi-Region key type", metadata?.MultiRegionConfiguration?.MultiRegionKeyType, "REPLICA");
      check.equal("primary key", metadata?.MultiRegionConfiguration?.PrimaryKey?.Arn, r.state.primary_key_arn);
      check.equal(
        "primary in the account's first region",
        metadata?.MultiRegionConfiguration?.PrimaryKey?.Region,
        config.accounts.find((a) => a.accountId === stack.accountId)?.regions[0],
      );
      check.equal("same key ID as the primary", keyId, String(r.state.primary_key_arn).split("/")[1]);
      const policyText = (await client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy;
      check.samePolicy("replica key policy (its own, built for its region)", policyText, r.intended.policy);
      check.ok("replica key policy names its own region's services", (policyText ?? "").includes(`logs.${r.region}.amazonaws.com`), r.region);
    },

    aws_kms_alias: async (r, check, stack) => {
      const aliases = await kms(stack, r).send(new ListAliasesCommand({}));
      const alias = aliases.Aliases?.find((a) => a.AliasName === r.intended.name);
      check.equal(`alias ${r.intended.name} points at its key`, alias?.TargetKeyId, r.intended.target_key_id);
    },

    aws_lambda_function: async (r, check, stack) => {
      const fn = await clients.get(LambdaClient, stack.accountId, r.region).send(new GetFunctionConfigurationCommand({ FunctionName: r.intended.function_name }));
      const variables = fn.Environment?.Variables;
      check.equal("environment variables", variables, r.intended.environment?.variables);
      // Lambda stores no key for an empty environment, so the function gets the stack's key whenever it has variables, and none without (docs/security-model.md, "Decisions worth knowing").
      check.equal("KMSKeyArn is the stack's key (none without variables)", fn.KMSKeyArn, variables ? stack.keyArn() : undefined);
      check.equal("KMSKeyArn as synthesized", fn.KMSKeyArn, r.intended.kms_key_arn);
      check.equal("execution role", fn.Role, r.intended.role);
      const lambda = clients.get(LambdaClient, stack.accountId, r.region);
      if (r.intended.code_signing_config_arn) {
        // Signed code: the package the signing job wrote, with the stack's code signing configuration.
        const signed = await clients.get(S3Client, stack.accountId, r.region).send(new GetObjectCommand({ Bucket: r.state.s3_bucket, Key: r.state.s3_key }));
        const bytes = await signed.Body!.transformToByteArray();
        check.equal("code (SHA-256 of the signed package in S3)", fn.CodeSha256, createHash("sha256").update(bytes).digest("base64"));
        check.ok("code from the signing job's destination", String(r.state.s3_key).startsWith(`signed/${r.intended.function_name}/`), r.state.s3_key);
        const signing = await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: r.intended.function_name }));
        check.equal("code signing configuration", signing.CodeSigningConfigArn, r.state.code_signing_config_arn);
        check.equal("code signing configuration is the stack's", signing.CodeSigningConfigArn, stack.ofType("aws_lambda_code_signing_config")[0]?.state.arn);
      } else {
        check.equal("code (SHA-256 of the deployed zip)", fn.CodeSha256, r.intended.source_code_hash);
      }
      check.equal("runtime", fn.Runtime, r.intended.runtime);
      check.equal("handler", fn.Handler, r.intended.handler);
      check.equal("memory", fn.MemorySize, r.intended.memory_size ?? 128);
      check.equal("timeout", fn.Timeout, r.intended.timeout ?? 3);
      check.equal("architectures", fn.Architectures, r.intended.architectures ?? ["x86_64"]);
      check.equal("tracing mode", fn.TracingConfig?.Mode, first(r.intended.tracing_config)?.mode ?? "PassThrough");
      check.equal("dead-letter target as deployed", fn.DeadLetterConfig?.TargetArn, first(r.intended.dead_letter_config)?.target_arn);
      if (r.intended.dead_letter_config)
        check.ok(
          "dead-letter target is the function's own queue",
          fn.DeadLetterConfig?.TargetArn?.endsWith(`:${r.intended.function_name}-dlq`) === true,
          fn.DeadLetterConfig?.TargetArn,
        );
      const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: r.intended.function_name }));
      check.equal("reserved concurrency", concurrency.ReservedConcurrentExecutions, r.intended.reserved_concurrent_executions);
    },

    aws_lambda_code_signing_config: async (r, check, stack) => {
      const { CodeSigningConfig } = await clients.get(LambdaClient, stack.accountId, r.region).send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: r.state.arn }));
      check.equal("untrusted artifacts are refused", CodeSigningConfig?.CodeSigningPolicies?.UntrustedArtifactOnDeployment, "Enforce");
      check.equal(
        "allowed publishers: the stack's signing profile version only",
        CodeSigningConfig?.AllowedPublishers?.SigningProfileVersionArns,
        stack.ofType("aws_signer_signing_profile").map((profile) => profile.state.version_arn),
      );
    },

    aws_signer_signing_profile: async (r, check, stack) => {
      const profile = await clients.get(SignerClient, stack.accountId, r.region).send(new GetSigningProfileCommand({ profileName: r.intended.name }));
      check.equal("platform", profile.platformId, "AWSLambda-SHA384-ECDSA");
      check.equal("status", profile.status, "Active");
      check.equal("version ARN as in the state", profile.profileVersionArn, r.state.version_arn);
    },

    aws_signer_signing_job: async (r, check, stack) => {
      const job = await clients.get(SignerClient, stack.accountId, r.region).send(new DescribeSigningJobCommand({ jobId: r.state.job_id }));
      check.equal("status", job.status, "Succeeded");
      check.equal("signing profile", job.profileName, r.intended.profile_name);
      const unsigned = stack.ofType("aws_s3_object").find((object) => object.state.key === job.source?.s3?.key);
      check.equal("signed the uploaded package's current version", job.source?.s3?.version, unsigned?.state.version_id);
      check.equal("signed package as in the state", job.signedObject?.s3?.key, first(first(r.state.signed_object)?.s3)?.key);
    },

    aws_s3_object: async (r, check, stack) => {
      const head = await clients
        .get(S3Client, stack.accountId, r.region)
        .send(new HeadObjectCommand({ Bucket: r.intended.bucket, Key: r.intended.key, VersionId: r.state.version_id }));
      check.equal("the uploaded version exists", head.VersionId, r.state.version_id);
      check.equal("encrypted at rest (the bucket's SSE-S3)", head.ServerSideEncryption, "AES256");
    },

    aws_sqs_queue: async (r, check, stack) => {
      const sqs = clients.get(SQSClient, stack.accountId, r.region);
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: r.state.url, AttributeNames: ["All"] }));
      check.equal("KMS key as synthesized", Attributes?.KmsMasterKeyId, r.intended.kms_master_key_id);
      check.equal("KMS key is the stack's key", Attributes?.KmsMasterKeyId, stack.keyArn());
      check.equal("message retention (seconds)", Number(Attributes?.MessageRetentionPeriod), r.intended.message_retention_seconds);
    },

    aws_sqs_queue_policy: async (r, check, stack) => {
      const sqs = clients.get(SQSClient, stack.accountId, r.region);
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: r.state.queue_url, AttributeNames: ["Policy"] }));
      check.samePolicy("queue policy", Attributes?.Policy, r.intended.policy);
    },

    aws_iam_role: async (r, check, stack) => {
      const iam = clients.get(IAMClient, stack.accountId, r.region);
      const role = (await iam.send(new GetRoleCommand({ RoleName: r.intended.name }))).Role;
      check.equal("path", role?.Path, r.intended.path ?? "/");
      check.samePolicy("trust policy", decodeURIComponent(role?.AssumeRolePolicyDocument ?? ""), r.intended.assume_role_policy);
      check.equal("permissions boundary", role?.PermissionsBoundary?.PermissionsBoundaryArn, r.intended.permissions_boundary);
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.intended.name }));
      // Only the bootstrap stack's deploy role has managed policies: the generated deployer policy.
      const expectedAttached = stack
        .ofType("aws_iam_role_policy_attachment")
        .filter((a) => a.intended.role === r.intended.name)
        .map((a) => a.state.policy_arn);
      check.equal(
        "attached managed policies (as synthesized, none but the deployer policy)",
        (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn).sort(),
        expectedAttached.sort(),
      );
      const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: r.intended.name }));
      const expected = stack
        .ofType("aws_iam_role_policy")
        .filter((p) => p.intended.role === r.state.id)
        .map((p) => p.intended.name);
      check.equal("inline policies", [...(inline.PolicyNames ?? [])].sort(), expected.sort());
    },

    aws_iam_role_policy: async (r, check, stack) => {
      const response = await clients.get(IAMClient, stack.accountId, r.region).send(new GetRolePolicyCommand({ RoleName: r.intended.role, PolicyName: r.intended.name }));
      const document = decodeURIComponent(response.PolicyDocument ?? "");
      check.samePolicy("policy", document, r.intended.policy);
      for (const statement of parse(document).Statement ?? []) {
        const resources = [statement.Resource ?? []].flat();
        // The actions AWS offers no resource for (X-Ray's, a VPC's network interfaces) are the only ones on "*".
        const unscopable = [statement.Action].flat().every((action: string) => ACTIONS_WITHOUT_RESOURCE.includes(action));
        check.ok(
          `statement ${statement.Sid} names its resources (no "*" but for actions without a resource)`,
          resources.length > 0 && (unscopable || !resources.includes("*")),
          resources,
        );
      }
    },

    aws_iam_policy: async (r, check, stack) => {
      const iam = clients.get(IAMClient, stack.accountId, r.region);
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: r.state.arn }))).Policy;
      check.equal("name", policy?.PolicyName, r.intended.name);
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: r.state.arn, VersionId: policy?.DefaultVersionId }));
      check.samePolicy("policy document", decodeURIComponent(version.PolicyVersion?.Document ?? ""), r.intended.policy);
      check.ok("under IAM's 6,144-character limit for managed policies", JSON.stringify(JSON.parse(r.intended.policy)).length <= 6144, r.intended.policy.length);
    },

    aws_iam_role_policy_attachment: async (r, check, stack) => {
      const attached = await clients.get(IAMClient, stack.accountId, r.region).send(new ListAttachedRolePoliciesCommand({ RoleName: r.intended.role }));
      check.ok(
        "attached to its role",
        (attached.AttachedPolicies ?? []).some((p) => p.PolicyArn === r.state.policy_arn),
        attached.AttachedPolicies,
      );
    },

    aws_cloudwatch_log_group: async (r, check, stack) => {
      const groups = await clients.get(CloudWatchLogsClient, stack.accountId, r.region).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: r.intended.name }));
      const group = groups.logGroups?.find((g) => g.logGroupName === r.intended.name);
      check.ok(
        "log group exists",
        group !== undefined,
        groups.logGroups?.map((g) => g.logGroupName),
      );
      check.equal("KMS key as synthesized", group?.kmsKeyId, r.intended.kms_key_id);
      check.equal("KMS key is the stack's key", group?.kmsKeyId, stack.keyArn());
      check.equal("retention (days)", group?.retentionInDays, r.intended.retention_in_days);
    },

    aws_cloudwatch_log_metric_filter: async (r, check, stack) => {
      const filters = await clients
        .get(CloudWatchLogsClient, stack.accountId, r.region)
        .send(new DescribeMetricFiltersCommand({ logGroupName: r.intended.log_group_name, filterNamePrefix: r.intended.name }));
      const filter = filters.metricFilters?.find((f) => f.filterName === r.intended.name);
      check.equal("pattern", filter?.filterPattern, r.intended.pattern);
      const transformation = filter?.metricTransformations?.[0];
      check.equal(
        "metric",
        [transformation?.metricNamespace, transformation?.metricName, transformation?.metricValue],
        [r.intended.metric_transformation.namespace, r.intended.metric_transformation.name, r.intended.metric_transformation.value],
      );
    },

    aws_cloudwatch_metric_alarm: async (r, check, stack) => {
      const alarms = await clients.get(CloudWatchClient, stack.accountId, r.region).send(new DescribeAlarmsCommand({ AlarmNames: [r.intended.alarm_name] }));
      const alarm = alarms.MetricAlarms?.[0];
      if (r.intended.metric_query) {
        // An unexpected-key-use alarm over several filters: the metric-math expression and the metrics it adds up.
        const queries = [r.intended.metric_query].flat().map((q: Json) => [q.id, q.expression ?? first(q.metric)?.metric_name]);
        check.equal(
          "metric math",
          alarm?.Metrics?.map((m) => [m.Id, m.Expression ?? m.MetricStat?.Metric?.MetricName]),
          queries,
        );
      } else {
        check.equal("metric", [alarm?.Namespace, alarm?.MetricName], [r.intended.namespace, r.intended.metric_name]);
      }
      check.equal(
        "threshold",
        [alarm?.ComparisonOperator, alarm?.Threshold, alarm?.EvaluationPeriods, alarm?.Period],
        [r.intended.comparison_operator, r.intended.threshold, r.intended.evaluation_periods, r.intended.period],
      );
      check.equal("alarm actions (the encrypted audit topic)", alarm?.AlarmActions, r.intended.alarm_actions);
      check.equal("actions enabled", alarm?.ActionsEnabled, true);
    },

    aws_s3_bucket: async (r, check, stack) => {
      const head = await clients.get(S3Client, stack.accountId, r.region).send(new HeadBucketCommand({ Bucket: r.intended.bucket }));
      check.equal("bucket answers HeadBucket", head.$metadata.httpStatusCode, 200);
    },

    aws_s3_bucket_policy: async (r, check, stack) => {
      const policy = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketPolicyCommand({ Bucket: r.state.bucket }));
      check.samePolicy("bucket policy", policy.Policy, r.intended.policy);
      const deny = (parse(policy.Policy).Statement ?? []).find((s: Json) => s.Effect === "Deny" && normalizePolicy(s.Condition)?.Bool?.["aws:SecureTransport"] === "false");
      check.equal("TLS-only: denies s3:* without aws:SecureTransport", normalizePolicy(deny?.Action), "s3:*");
    },

    aws_s3_bucket_public_access_block: async (r, check, stack) => {
      const block = await clients.get(S3Client, stack.accountId, r.region).send(new GetPublicAccessBlockCommand({ Bucket: r.state.bucket }));
      check.equal("public access block", block.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
    },

    aws_s3_bucket_ownership_controls: async (r, check, stack) => {
      const controls = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketOwnershipControlsCommand({ Bucket: r.state.bucket }));
      check.equal(
        "object ownership (ACLs disabled)",
        controls.OwnershipControls?.Rules?.map((rule) => rule.ObjectOwnership),
        ["BucketOwnerEnforced"],
      );
    },

    aws_s3_bucket_versioning: async (r, check, stack) => {
      const versioning = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketVersioningCommand({ Bucket: r.state.bucket }));
      check.equal("versioning", versioning.Status, "Enabled");
    },

    aws_s3_bucket_server_side_encryption_configuration: async (r, check, stack) => {
      const encryption = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketEncryptionCommand({ Bucket: r.state.bucket }));
      const rule = encryption.ServerSideEncryptionConfiguration?.Rules?.[0];
      const intended = first(r.intended.rule);
      const algorithm = first(intended.apply_server_side_encryption_by_default).sse_algorithm;
      check.equal("default encryption as synthesized", rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, algorithm);
      if (algorithm === "aws:kms") {
        check.equal(
          "default encryption key as synthesized",
          rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID,
          first(intended.apply_server_side_encryption_by_default).kms_master_key_id,
        );
        check.equal("default encryption key is the audit stack's key of the bucket's region", rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, stack.keyArn(r.region));
        check.equal("bucket key", rule?.BucketKeyEnabled, true);
      } else {
        // The access-log bucket (SSE-S3, which the S3 logging service writes with) and the code signing bucket.
        check.equal("SSE-S3 bucket encryption", algorithm, "AES256");
      }
    },

    aws_s3_bucket_logging: async (r, check, stack) => {
      const logging = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketLoggingCommand({ Bucket: r.state.bucket }));
      check.equal("access logging target", [logging.LoggingEnabled?.TargetBucket, logging.LoggingEnabled?.TargetPrefix], [r.intended.target_bucket, r.intended.target_prefix]);
    },

    aws_s3_bucket_notification: async (r, check, stack) => {
      const notification = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketNotificationConfigurationCommand({ Bucket: r.state.bucket }));
      check.equal("events sent to EventBridge", notification.EventBridgeConfiguration !== undefined, r.intended.eventbridge === true);
    },

    aws_s3_bucket_lifecycle_configuration: async (r, check, stack) => {
      const lifecycle = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketLifecycleConfigurationCommand({ Bucket: r.state.bucket }));
      const found = (lifecycle.Rules ?? []).map((rule) => [rule.ID, rule.Status, rule.Expiration?.Days, rule.NoncurrentVersionExpiration?.NoncurrentDays]);
      const intended = [r.intended.rule]
        .flat()
        .map((rule: Json) => [rule.id, rule.status, first(rule.expiration)?.days, first(rule.noncurrent_version_expiration)?.noncurrent_days]);
      check.equal("lifecycle rules (id, status, expiration, noncurrent expiration)", found, intended);
    },

    aws_s3_bucket_replication_configuration: async (r, check, stack) => {
      const { ReplicationConfiguration } = await clients.get(S3Client, stack.accountId, r.region).send(new GetBucketReplicationCommand({ Bucket: r.state.bucket }));
      check.equal("replication role", ReplicationConfiguration?.Role, r.intended.role);
      const rules = ReplicationConfiguration?.Rules ?? [];
      check.equal("one rule", rules.length, 1);
      const [rule] = rules;
      const replica = stack.ofType("aws_s3_bucket").find((bucket) => `arn:aws:s3:::${bucket.intended.bucket}` === rule?.Destination?.Bucket);
      check.ok("destination: the stack's replica bucket, in another region", replica !== undefined && replica.region !== r.region, rule?.Destination?.Bucket);
      check.equal(
        "rule: enabled, SSE-KMS objects and delete markers replicated, replicas encrypted with the replica region's key",
        [
          rule?.Status,
          rule?.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status,
          rule?.DeleteMarkerReplication?.Status,
          rule?.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID,
        ],
        ["Enabled", "Enabled", "Enabled", replica ? stack.keyArn(replica.region) : "(no replica bucket)"],
      );
    },

    aws_cloudtrail: async (r, check, stack) => {
      const client = clients.get(CloudTrailClient, stack.accountId, r.region);
      const trail = (await client.send(new GetTrailCommand({ Name: r.state.arn }))).Trail;
      check.equal("multi-Region", trail?.IsMultiRegionTrail, true);
      check.equal("global service events", trail?.IncludeGlobalServiceEvents, true);
      check.equal("log file validation", trail?.LogFileValidationEnabled, true);
      check.equal("KMS key as synthesized", trail?.KmsKeyId, r.intended.kms_key_id);
      check.equal("KMS key is the audit key", trail?.KmsKeyId, stack.keyArn());
      check.equal("bucket", trail?.S3BucketName, r.intended.s3_bucket_name);
      check.equal("CloudWatch Logs group", trail?.CloudWatchLogsLogGroupArn, r.intended.cloud_watch_logs_group_arn);
      check.equal("CloudWatch Logs role", trail?.CloudWatchLogsRoleArn, r.intended.cloud_watch_logs_role_arn);
      check.equal("log delivery topic", trail?.SnsTopicName, r.intended.sns_topic_name);
      const status = await client.send(new GetTrailStatusCommand({ Name: r.state.arn }));
      check.equal("logging", status.IsLogging, true);
      const selectors = await client.send(new GetEventSelectorsCommand({ TrailName: r.state.arn }));
      const management = (selectors.EventSelectors ?? []).map((s) => [s.ReadWriteType, s.IncludeManagementEvents, s.ExcludeManagementEventSources ?? []]);
      check.equal("event selectors (all management events, KMS included)", management, [["All", true, []]]);
    },

    aws_sns_topic: async (r, check, stack) => {
      const attributes = (await clients.get(SNSClient, stack.accountId, r.region).send(new GetTopicAttributesCommand({ TopicArn: r.state.arn }))).Attributes;
      check.equal("KMS key as synthesized", attributes?.KmsMasterKeyId, r.intended.kms_master_key_id);
      check.equal("KMS key is the audit key", attributes?.KmsMasterKeyId, stack.keyArn());
    },

    aws_sns_topic_policy: async (r, check, stack) => {
      const attributes = (await clients.get(SNSClient, stack.accountId, r.region).send(new GetTopicAttributesCommand({ TopicArn: r.intended.arn }))).Attributes;
      check.samePolicy("topic policy", attributes?.Policy, r.intended.policy);
    },

    aws_sns_topic_subscription: async (r, check, stack) => {
      const subscriptions = await clients.get(SNSClient, stack.accountId, r.region).send(new ListSubscriptionsByTopicCommand({ TopicArn: r.intended.topic_arn }));
      const found = subscriptions.Subscriptions?.some((s) => s.Protocol === r.intended.protocol && s.Endpoint === r.intended.endpoint) ?? false;
      check.ok(
        `subscription ${r.intended.protocol}:${r.intended.endpoint}`,
        found,
        subscriptions.Subscriptions?.map((s) => `${s.Protocol}:${s.Endpoint}`),
      );
    },

    aws_secretsmanager_secret: async (r, check, stack) => {
      const secret = await clients.get(SecretsManagerClient, stack.accountId, r.region).send(new DescribeSecretCommand({ SecretId: r.state.arn }));
      check.equal("name", secret.Name, r.intended.name);
      check.equal("KMS key as synthesized", secret.KmsKeyId, r.intended.kms_key_id);
      check.equal("KMS key is the stack's key", secret.KmsKeyId, stack.keyArn());
    },

    aws_secretsmanager_secret_version: async (r, check, stack) => {
      const versions = await clients.get(SecretsManagerClient, stack.accountId, r.region).send(new ListSecretVersionIdsCommand({ SecretId: r.intended.secret_id }));
      const current = versions.Versions?.find((v) => v.VersionStages?.includes("AWSCURRENT"));
      check.equal("current version (seeded from the write-only variable)", current?.VersionId, r.state.version_id);
    },

    aws_ssm_parameter: async (r, check, stack) => {
      const parameters = await clients
        .get(SSMClient, stack.accountId, r.region)
        .send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [r.intended.name] }] }));
      const parameter = parameters.Parameters?.[0];
      check.equal("type", parameter?.Type, "SecureString");
      check.equal("KMS key as synthesized", parameter?.KeyId, r.intended.key_id);
      check.equal("KMS key is the stack's key", parameter?.KeyId, stack.keyArn());
      check.equal("tier", parameter?.Tier, r.intended.tier);
    },
  };
}

/** cdktf writes a nested block as an object or as a one-element list, depending on the provider schema. */
function first(block: Json): Json {
  return Array.isArray(block) ? block[0] : block;
}

function parse(text: string | undefined): Json {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return text;
  }
}

/** A one-element list and its element mean the same in a policy; AWS may return either. */
function normalizePolicy(value: Json): Json {
  if (Array.isArray(value)) return value.length === 1 ? normalizePolicy(value[0]) : value.map(normalizePolicy);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalizePolicy(item)]));
  return value;
}

function show(value: Json): string {
  const text = JSON.stringify(value);
  if (text === undefined) return "nothing";
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}
