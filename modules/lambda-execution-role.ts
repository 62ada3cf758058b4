import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { IEncryptionKey } from "./encryption-key-interface";
import { IGrantable } from "./grantable";
import { PolicyDocument, PolicyStatement } from "./policy-document";
import { ROLE_NAME_PATTERN } from "./private/aws-limits";
import { ASSUME_ROLE_ACTIONS, LOG_STREAM_WRITE_ACTIONS, VPC_DESCRIBE_ACTIONS, XRAY_WRITE_ACTIONS } from "./private/perms";

/** The log group Lambda writes a function's logs to (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html). */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** Props of {@link LambdaExecutionRole}. */
export interface LambdaExecutionRoleProps {
  /** Name of the one function this role runs; its log group and ARN scope every permission. */
  readonly functionName: string;
  /**
   * The key that encrypts the function's environment; the role may decrypt
   * only with it. A key this app creates, or one imported with
   * `EncryptionKey.fromKeyArn` (the role's statements are the same).
   */
  readonly key: IEncryptionKey;
  /**
   * IAM role name, at most 64 characters. Role names are global to an
   * account, so the default includes the region: the same function can run in
   * several regions of one account.
   * @default "<functionName>-<region>"
   */
  readonly roleName?: string;
  /** @default "/" */
  readonly path?: string;
  /** ARN of a managed policy that bounds the role's permissions. @default no boundary */
  readonly permissionsBoundaryArn?: string;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The default role name. IAM role names are global to an account, so it
 * includes the region: the same function may run in several regions.
 */
export function defaultExecutionRoleName(functionName: string, region: string): string {
  return `${functionName}-${region}`;
}

/**
 * The execution role of exactly one Lambda function, least privilege:
 * - trust: `lambda.amazonaws.com` only;
 * - logs: `logs:CreateLogStream` and `logs:PutLogEvents` on the streams of the
 *   function's own log group (no `logs:CreateLogGroup`: Terraform creates it);
 * - KMS: `kms:Decrypt` on the function's key only, and only with the
 *   encryption context Lambda uses for this function
 *   (`aws:lambda:FunctionArn`). Lambda normally decrypts through a grant it
 *   creates, but that grant is bound to the role's unique ID and goes stale
 *   when the role is recreated; this statement keeps invocations working
 *   (https://repost.aws/knowledge-center/lambda-kmsaccessdeniedexception-errors).
 *
 * No Allow statement uses `Resource: "*"` or any other wildcard ARN; a
 * validation refuses one if added later. The exceptions are the actions AWS
 * authorizes only on `"*"`, which `EncryptedFunction` adds only when asked
 * (X-Ray's for `tracing`, EC2's Describe actions for `vpc`: see
 * `ACTIONS_WITHOUT_RESOURCE`), and a function's network interfaces
 * (`network-interface/*` of its region), whose IDs Lambda chooses.
 */
export class LambdaExecutionRole extends Construct implements IGrantable {
  /** The underlying `aws_iam_role` (escape hatch). */
  public readonly resource: IamRole;
  /** The inline identity policy that holds every permission of the role. */
  public readonly policy: IamRolePolicy;
  /** The statements of `policy`; grants add to it (`addToPrincipalPolicy`). */
  public readonly policyDocument: PolicyDocument;
  /** ARN of the function this role serves, built from its name (no dependency cycle). */
  public readonly functionArn: string;
  /** The function's log group `/aws/lambda/<functionName>`, the only one the role may write to. */
  public readonly logGroupName: string;
  /** The role name, known at synth (unlike the ARN, which is a reference). */
  public readonly roleName: string;
  /** The one key this role may decrypt with. */
  public readonly key: IEncryptionKey;
  /** The role's ARN built from its path and name (`aws:PrincipalArn` of its sessions), known at synth. */
  public readonly principalArn: string;

  constructor(scope: Construct, id: string, props: LambdaExecutionRoleProps) {
    super(scope, id);
    this.key = props.key;
    const env = props.key.environment;
    const roleName = props.roleName ?? defaultExecutionRoleName(props.functionName, env.region);
    if (!Token.isUnresolved(roleName) && !ROLE_NAME_PATTERN.test(roleName)) {
      throw new Error(
        `execution role of function "${props.functionName}": role name "${roleName}" is invalid; IAM role names have 1–64 letters, digits or "+=,.@_-" — set roleName to a shorter name (or shorten the function name)`,
      );
    }
    const rolePath = props.path ?? "/";
    if (!Token.isUnresolved(rolePath) && !/^\/([\x21-\x7E]{1,510}\/)?$/.test(rolePath)) {
      throw new Error(`execution role of function "${props.functionName}": path "${rolePath}" is invalid; IAM paths start and end with "/", e.g. "/payments/eu-west-1/"`);
    }
    this.roleName = roleName;
    this.principalArn = formatArn(env, "iam", `role${rolePath}${roleName}`, { global: true });
    this.functionArn = formatArn(env, "lambda", `function:${props.functionName}`);
    this.logGroupName = lambdaLogGroupName(props.functionName);

    const trust = new PolicyDocument([
      new PolicyStatement({
        sid: "LambdaAssumesRole",
        principals: { Service: ["lambda.amazonaws.com"] },
        actions: ASSUME_ROLE_ACTIONS,
      }),
    ]);

    this.resource = new IamRole(this, "role", {
      name: roleName,
      path: rolePath,
      description: `Execution role of Lambda function ${props.functionName}`,
      assumeRolePolicy: trust.toJsonString(),
      permissionsBoundary: props.permissionsBoundaryArn,
      tags: props.tags ? { ...props.tags } : undefined,
    });

    this.policyDocument = new PolicyDocument([
      new PolicyStatement({
        sid: "WriteOwnLogStreams",
        actions: LOG_STREAM_WRITE_ACTIONS,
        resources: [formatArn(env, "logs", `log-group:${this.logGroupName}:log-stream:*`)],
      }),
    ]);
    props.key.grantDecrypt(this, {
      sid: "DecryptOwnEnvironment",
      encryptionContext: { "aws:lambda:FunctionArn": this.functionArn },
    });

    this.policy = new IamRolePolicy(this, "policy", {
      name: "least-privilege",
      role: this.resource.id,
      policy: this.policyDocument.toJsonString(),
    });

    this.node.addValidation({
      validate: () =>
        this.policyDocument.statements
          .filter((statement) => statement.effect === "Allow" && !statement.actions.every((action) => ACTIONS_WITHOUT_RESOURCE.includes(action)))
          .flatMap((statement) =>
            statement.resources
              .filter(isWildcardResource)
              .map(
                (resource) =>
                  `execution role of function "${props.functionName}": statement "${statement.sid ?? statement.actions.join(",")}" applies to "${resource}"; scope it to exact ARNs`,
              ),
          ),
    });
  }

  /** The role's ARN, a reference resolved by Terraform. */
  public get roleArn(): string {
    return this.resource.arn;
  }

  /** Adds a statement to the role's policy (`IGrantable`); a validation refuses wildcard resources. */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.policyDocument.addStatements(statement);
  }
}

/**
 * The actions an execution role may hold on `"*"`: AWS authorizes them only
 * on `"*"` (see `XRAY_WRITE_ACTIONS` and `VPC_DESCRIBE_ACTIONS`).
 */
export const ACTIONS_WITHOUT_RESOURCE: readonly string[] = [...XRAY_WRITE_ACTIONS, ...VPC_DESCRIBE_ACTIONS];

/**
 * A resource with a wildcard, except the streams of one log group
 * (`...:log-group:<name>:log-stream:*`) and the network interfaces of one
 * account and region (`...:ec2:<region>:<account>:network-interface/*`):
 * Lambda chooses their names and IDs at run time, so these are as narrow as
 * IAM allows.
 */
function isWildcardResource(resource: string): boolean {
  return resource.includes("*") && !/^arn:[^*]+:log-group:[^*]+:log-stream:\*$/.test(resource) && !/^arn:[^:*]+:ec2:[^:*]+:\d{12}:network-interface\/\*$/.test(resource);
}
