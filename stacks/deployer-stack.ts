import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AccountConfig, AppConfig, DeployerConfig } from "../config/app-config";
import { DeployerPolicy, PolicyDocument, PolicyStatement, suppressRule } from "../modules";
import { formatArn } from "../modules/aws-environment";
import { partitionForRegion } from "../modules/private/aws-limits";
import {
  DEAD_LETTER_ENCRYPT_ACTIONS,
  DEAD_LETTER_SEND_ACTIONS,
  REPLICATION_DESTINATION_ACTIONS,
  REPLICATION_ENCRYPT_ACTIONS,
  REPLICATION_SOURCE_BUCKET_ACTIONS,
  REPLICATION_SOURCE_OBJECT_ACTIONS,
  REPLICATION_SOURCE_OBJECT_LOCK_ACTIONS,
  VPC_DESCRIBE_ACTIONS,
  VPC_NETWORK_INTERFACE_ACTIONS,
  XRAY_WRITE_ACTIONS,
} from "../modules/private/perms";
import { AccountStackSettings, addAccountProvider, addBackend } from "./account-provider";
import { DEPLOYER_STACK_IDS, deployerPolicyAttachmentId, deployerStackName } from "./construct-ids";

export interface DeployerStackProps extends AccountStackSettings {
  /** The account's other stacks: the ones the role deploys, complete. */
  readonly deployedStacks: readonly TerraformStack[];
}

// Its name's rule lives with the other stack names; re-exported for the importers of this module.
export { deployerStackName } from "./construct-ids";

/**
 * The ARN of the permissions boundary every role the deploy role creates
 * must carry, or undefined when the account has no bootstrapped deploy role.
 */
export function deployedRoleBoundaryArn(config: AppConfig, account: AccountConfig): string | undefined {
  if (!account.deployer) return undefined;
  return `arn:${partitionForRegion(account.audit.homeRegion)}:iam::${account.accountId}:policy/${config.project}-deployed-role-boundary`;
}

/**
 * The account's deploy role, created once by an administrator (this stack
 * runs with the caller's own credentials, never `assumeRole`):
 * - the generated deployer policy (`DeployerPolicy`), derived from the
 *   account's other stacks, plus reading this stack, so that a pipeline's
 *   `cdktf deploy '*'` plans it without changes; a change to it needs an
 *   administrator, so the pipeline cannot widen its own permissions;
 * - a trust policy for the CI identities the config names;
 * - the permissions boundary that the deployer policy requires on every
 *   role the pipeline creates: the most any of our roles may ever do.
 */
export class DeployerStack extends TerraformStack {
  public readonly role: IamRole;
  public readonly policy: DeployerPolicy;
  public readonly boundary: IamPolicy;

  constructor(scope: Construct, props: DeployerStackProps) {
    const { config, account } = props;
    const deployer = account.deployer as DeployerConfig;
    super(scope, deployerStackName(account));
    addAccountProvider(this, props, account.audit.homeRegion, undefined, { assumeRole: false });
    addBackend(this, props);
    const env = { accountId: account.accountId, region: account.audit.homeRegion, partition: partitionForRegion(account.audit.homeRegion) };
    const boundaryArn = deployedRoleBoundaryArn(config, account) as string;
    const policyName = `${deployer.roleName}-policy`;
    // The policy's parts are named <policyName>, <policyName>-2, ...: how many is known only once it is built.
    const policyArns = [formatArn(env, "iam", `policy/${policyName}`, { global: true }), formatArn(env, "iam", `policy/${policyName}-*`, { global: true })];

    this.policy = new DeployerPolicy(this, DEPLOYER_STACK_IDS.policy, {
      stacks: props.deployedStacks,
      policyName,
      additionalStatements: [
        new PolicyStatement({
          sid: "ReadOwnBootstrapStack",
          actions: ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion"],
          resources: [deployer.roleArn, boundaryArn, ...policyArns],
        }),
      ],
    });

    const tags = this.policy.document.commonTags;
    this.boundary = new IamPolicy(this, DEPLOYER_STACK_IDS.boundary, {
      name: boundaryArn.slice(boundaryArn.lastIndexOf("/") + 1),
      description: `The most a role created by ${deployer.roleName} may do: write its logs, decrypt with our keys, read our secrets`,
      policy: JSON.stringify(boundaryDocument(env, tags, functionOptionsOf(config, account), account.audit).toJSON()),
    });
    if (Object.keys(tags).length === 0) {
      suppressRule(
        this.boundary,
        "IAM-001",
        "A permissions boundary grants nothing: it caps the roles the deploy pipeline creates, whose own policies name their keys, secrets and parameters. Without a tag common to them, it cannot name them.",
      );
    }

    this.role = new IamRole(this, DEPLOYER_STACK_IDS.role, {
      name: deployer.roleName,
      description: `Deploys the stacks of ${config.project} in account ${account.name} (generated least-privilege policy)`,
      assumeRolePolicy: JSON.stringify(trustDocument(deployer).toJSON()),
    });
    this.policy.policies.forEach((policy, i) => new IamRolePolicyAttachment(this, deployerPolicyAttachmentId(i), { role: this.role.name, policyArn: policy.arn }));

    new TerraformOutput(this, DEPLOYER_STACK_IDS.deployerRoleArnOutput, { value: this.role.arn, description: "Role the pipeline assumes to deploy" });
    new TerraformOutput(this, DEPLOYER_STACK_IDS.deployerPolicyArnsOutput, { value: this.policy.policyArns, description: "Managed policies of the deploy role" });
  }
}

/** Who may assume the deploy role: the named principals, and CI jobs of the OIDC provider with the named subjects. */
function trustDocument(deployer: DeployerConfig): PolicyDocument {
  const statements: PolicyStatement[] = [];
  if (deployer.trustedPrincipalArns.length > 0) {
    statements.push(new PolicyStatement({ sid: "CiPrincipalsAssumeRole", principals: { AWS: deployer.trustedPrincipalArns }, actions: ["sts:AssumeRole"] }));
  }
  if (deployer.oidc) {
    // The condition keys are "<provider URL without https://>:aud|sub" (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html).
    const host = deployer.oidc.providerArn.slice(deployer.oidc.providerArn.indexOf("oidc-provider/") + "oidc-provider/".length);
    statements.push(
      new PolicyStatement({
        sid: "CiJobsAssumeRoleWithWebIdentity",
        principals: { Federated: [deployer.oidc.providerArn] },
        actions: ["sts:AssumeRoleWithWebIdentity"],
        conditions: { StringEquals: { [`${host}:aud`]: deployer.oidc.audience }, StringLike: { [`${host}:sub`]: [...deployer.oidc.subjects] } },
      }),
    );
  }
  return new PolicyDocument(statements);
}

/**
 * Only with `audit.replication`: what the log bucket's replication role
 * does (LogBucketReplication), on the log bucket and its replica by name;
 * decrypting with the audit key is `DecryptWithOurKeys`.
 */
function replicationBoundaryStatements(
  env: { accountId: string; partition: string },
  tagged: { StringEquals: Record<string, string> } | undefined,
  audit: AccountConfig["audit"],
  replication: NonNullable<AccountConfig["audit"]["replication"]>,
): PolicyStatement[] {
  const source = `arn:${env.partition}:s3:::${audit.bucketName}`;
  const replica = `arn:${env.partition}:s3:::${replication.bucketName}`;
  return [
    new PolicyStatement({ sid: "ReadLogBucketForReplication", actions: REPLICATION_SOURCE_BUCKET_ACTIONS, resources: [source] }),
    new PolicyStatement({
      sid: "ReadLogFilesForReplication",
      actions: [...REPLICATION_SOURCE_OBJECT_ACTIONS, ...(audit.objectLock ? REPLICATION_SOURCE_OBJECT_LOCK_ACTIONS : [])],
      resources: [`${source}/*`],
    }),
    new PolicyStatement({ sid: "WriteLogFileReplicas", actions: REPLICATION_DESTINATION_ACTIONS, resources: [`${replica}/*`] }),
    new PolicyStatement({
      sid: "EncryptLogFileReplicas",
      actions: REPLICATION_ENCRYPT_ACTIONS,
      resources: [`arn:${env.partition}:kms:${replication.region}:${env.accountId}:key/*`],
      conditions: { ...tagged, StringEquals: { ...tagged?.StringEquals, "kms:ViaService": `s3.${replication.region}.amazonaws.com` } },
    }),
  ];
}

/** Which function options the account's functions use: each adds what it needs to the boundary. */
interface FunctionOptionsInUse {
  readonly tracing: boolean;
  readonly deadLetterQueue: boolean;
  readonly vpc: boolean;
}

function functionOptionsOf(config: AppConfig, account: AccountConfig): FunctionOptionsInUse {
  const functions = config.functions.filter((fn) => fn.accounts.includes(account.name));
  return {
    tracing: functions.some((fn) => fn.tracing),
    deadLetterQueue: functions.some((fn) => fn.deadLetterQueue),
    vpc: functions.some((fn) => Object.keys(fn.vpc).length > 0),
  };
}

/**
 * The boundary: what the execution roles and the trail's delivery role do
 * (write their log streams, decrypt with our keys, read our secrets and
 * parameters, all carrying `tags`; and, only when a function of the
 * account uses them, write traces, send to our dead-letter queues through
 * SQS, manage network interfaces), in this account only. A role the
 * pipeline creates can never do more, whatever policy the pipeline writes
 * into it.
 */
function boundaryDocument(
  env: { accountId: string; partition: string },
  tags: Readonly<Record<string, string>>,
  options: FunctionOptionsInUse,
  audit: AccountConfig["audit"],
): PolicyDocument {
  const inAccount = (service: string, resource: string) => `arn:${env.partition}:${service}:*:${env.accountId}:${resource}`;
  const tagged = Object.keys(tags).length > 0 ? { StringEquals: Object.fromEntries(Object.entries(tags).map(([name, value]) => [`aws:ResourceTag/${name}`, value])) } : undefined;
  const statements = [
    new PolicyStatement({ sid: "WriteLogStreams", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [inAccount("logs", "log-group:*")] }),
    new PolicyStatement({ sid: "DecryptWithOurKeys", actions: ["kms:Decrypt"], resources: [inAccount("kms", "key/*")], conditions: tagged }),
    new PolicyStatement({ sid: "ReadOurSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [inAccount("secretsmanager", "secret:*")], conditions: tagged }),
    new PolicyStatement({ sid: "ReadOurParameters", actions: ["ssm:GetParameter", "ssm:GetParameters"], resources: [inAccount("ssm", "parameter/*")], conditions: tagged }),
  ];
  if (options.tracing) statements.push(new PolicyStatement({ sid: "WriteTraces", actions: XRAY_WRITE_ACTIONS, resources: ["*"] }));
  if (options.deadLetterQueue) {
    statements.push(
      // By name: a dead-letter queue is always <function>-dlq.
      new PolicyStatement({ sid: "SendToOurDeadLetterQueues", actions: DEAD_LETTER_SEND_ACTIONS, resources: [inAccount("sqs", "*-dlq")] }),
      new PolicyStatement({
        sid: "EncryptForOurDeadLetterQueues",
        actions: DEAD_LETTER_ENCRYPT_ACTIONS,
        resources: [inAccount("kms", "key/*")],
        conditions: { ...tagged, StringLike: { "kms:ViaService": "sqs.*.amazonaws.com" } },
      }),
    );
  }
  if (options.vpc) {
    statements.push(
      new PolicyStatement({ sid: "DescribeNetworkInterfaces", actions: VPC_DESCRIBE_ACTIONS, resources: ["*"] }),
      new PolicyStatement({ sid: "ManageNetworkInterfaces", actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: [inAccount("ec2", "*")] }),
    );
  }
  if (audit.replication) statements.push(...replicationBoundaryStatements(env, tagged, audit, audit.replication));
  return new PolicyDocument(statements);
}
