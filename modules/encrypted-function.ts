import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction, LambdaFunctionConfig } from "@cdktf/provider-aws/lib/lambda-function";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformProvider, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { ENCRYPTED_VARIABLES_ENV, ENCRYPTED_VARIABLES_SEPARATOR, FUNCTION_NAME_CONTEXT_KEY } from "../runtime/contract";
import { formatArn } from "./aws-environment";
import { IEncryptionKey, isSameKey } from "./encryption-key-interface";
import { IGrantable } from "./grantable";
import { ciphertextProblem, environmentProblems, environmentVariableNameProblem } from "./environment-variables";
import { DeadLetterQueue } from "./dead-letter-queue";
import { LambdaCodeAsset } from "./lambda-code-asset";
import { LambdaCodeSigning } from "./lambda-code-signing";
import { LambdaExecutionRole, lambdaLogGroupName } from "./lambda-execution-role";
import { PolicyStatement, pascalCase } from "./policy-document";
import { ISecret, SECRET_REFERENCE_BYTES } from "./secret-interface";
import { SignedLambdaCode } from "./signed-lambda-code";
import { ALLOW_SHORT_LOG_RETENTION, LOG_RETENTION, logRetentionProblem } from "./private/aws-limits";
import { VPC_DESCRIBE_ACTIONS, VPC_NETWORK_INTERFACE_ACTIONS, XRAY_WRITE_ACTIONS } from "./private/perms";
import { booleanSetting, choiceSetting, integerSetting, resolveSetting, show, textSetting } from "./private/setting";

/** Props of {@link EncryptedFunction}. */
export interface EncryptedFunctionProps {
  /** Lambda function name: 1–64 letters, digits, `-` or `_`. */
  readonly functionName: string;
  /**
   * Customer-managed key that encrypts the environment variables and the log
   * group. Required: there is no way to fall back to the AWS managed key.
   * A key this app creates, or one imported with `EncryptionKey.fromKeyArn`:
   * then the CloudWatch Logs statement for the log group goes to the key's
   * `requiredKeyPolicyStatements` (and a synth warning) instead of the key
   * policy.
   */
  readonly key: IEncryptionKey;
  /** Folder with the function code; packaged as a deterministic zip. Relative paths start at the working directory. */
  readonly codeDirectory: string;
  /** @default "index.handler" */
  readonly handler?: string;
  /** @default "nodejs22.x" */
  readonly runtime?: string;
  /** Memory in MB; limits in `FUNCTION_SETTINGS`. @default 256 */
  readonly memorySize?: number;
  /** Timeout in seconds; limits in `FUNCTION_SETTINGS`. @default 10 */
  readonly timeout?: number;
  /** @default "arm64" */
  readonly architecture?: "arm64" | "x86_64";
  /**
   * Non-secret configuration. Names and values that look like secrets are
   * refused: secrets belong in Secrets Manager, SSM SecureString or
   * client-side encrypted values.
   * @default no variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Secrets the function reads at run time: variable name → secret
   * (`ISecret`: a `SecretsManagerSecret` or `SecureStringParameter`). The
   * variable holds the secret's reference, its ARN (Secrets Manager) or the
   * parameter's name (SSM), never the value, and the role gets the secret's
   * `grantRead` (read on exactly that secret, decrypt on exactly the key via
   * the service and with the secret's encryption context). Each secret must
   * be encrypted with this function's key.
   * @default none
   */
  readonly secrets?: Readonly<Record<string, ISecret>>;
  /**
   * Values encrypted client-side (the Lambda console's "encryption helpers"):
   * variable name → base64 ciphertext made with this function's key and the
   * encryption context `{ LambdaFunctionName: <functionName> }`. The role
   * may decrypt with exactly that context (statement
   * `DecryptHelperEncryptedValues`), and the variable
   * `LAMBDA_KMS_ENCRYPTED_VARIABLES` lists the names (sorted, comma-separated)
   * for the runtime library.
   * @default none
   */
  readonly encryptedEnvironment?: Readonly<Record<string, string>>;
  /**
   * Keys that may have made some `encryptedEnvironment` values besides
   * `key`: during a manual rotation, the decrypt-only keys of earlier
   * generations, until every value is re-encrypted under `key`. The role may
   * decrypt helper values with each of them too, with the same encryption
   * context (one statement per key). Each must be in the function's region.
   * @default none
   */
  readonly previousHelperValueKeys?: readonly IEncryptionKey[];
  /** Log retention in days, one of CloudWatch's allowed values. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Allow a log retention below 365 days (an explicit opt-out of the secure
   * default, e.g. for development accounts).
   * @default false
   */
  readonly allowShortLogRetention?: boolean;
  /** Execution role to use; it must be built for this function and key. @default a new LambdaExecutionRole scoped to this function and key */
  readonly role?: LambdaExecutionRole;
  /** Name of the role created by default (ignored when `role` is given). @default "<functionName>-<region>" */
  readonly roleName?: string;
  /** IAM path of the role created by default (ignored when `role` is given). @default "/" */
  readonly rolePath?: string;
  /** Permissions boundary for the role created by default. @default no boundary */
  readonly permissionsBoundaryArn?: string;
  /**
   * Concurrent executions reserved for this function, which are also the
   * most it can run at once (`reserved_concurrent_executions`,
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html):
   * a flood of requests cannot take the account's whole concurrency, and
   * other functions cannot starve this one; requests beyond it are
   * throttled. Lambda refuses a reservation that would leave fewer than 100
   * unreserved executions in the account's region (all reservations count),
   * so an account with a low concurrency quota cannot reserve any.
   * @default none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * X-Ray active tracing (`tracing_config { mode = "Active" }`,
   * https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html): the
   * role may call `xray:PutTraceSegments` and `xray:PutTelemetryRecords`
   * (statement `WriteTraces`), which have no resource to scope them to.
   * Traces record requests, timings and whatever the code's X-Ray
   * instrumentation adds (calls made, errors): keep secrets out of them.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Create a dead-letter queue for events that fail after Lambda's
   * asynchronous retries (see {@link DeadLetterQueue}): `<functionName>-dlq`,
   * encrypted with this function's key, and the role may send to it.
   * Synchronous invocations return their errors to the caller and never
   * reach it.
   * @default false
   */
  readonly deadLetterQueue?: boolean;
  /**
   * Run the function in these subnets with these security groups (see
   * {@link FunctionVpcProps}). The role gets the network-interface actions
   * Lambda needs (on the region's network interfaces and these subnets and
   * security groups; the two Describe actions, which EC2 authorizes only on
   * `"*"`, on `"*"`), and a Deny that keeps the function's own code from
   * creating, deleting or re-addressing interfaces.
   * @default none: the function runs in Lambda's network, with internet access
   */
  readonly vpc?: FunctionVpcProps;
  /**
   * Deploy only signed code (see {@link LambdaCodeSigning}, which must be in
   * the function's stack): the zip is uploaded to its bucket, signed by an
   * AWS Signer signing job, and the function takes the signed package from
   * S3 (`s3_bucket`, `s3_key`) with the code signing configuration, which
   * makes Lambda refuse any package its signing profile did not sign.
   * @default none: the zip is uploaded to Lambda directly (`filename`), unsigned
   */
  readonly codeSigning?: LambdaCodeSigning;
  /** @default "Managed by cdktf-lambda-kms" */
  readonly description?: string;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where a function runs in a VPC (https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfig.html). */
export interface FunctionVpcProps {
  /** 1–16 subnet IDs (`subnet-…`) of one VPC, in the function's account and region; two or more Availability Zones for resilience. */
  readonly subnetIds: readonly string[];
  /** 1–5 security group IDs (`sg-…`) of the same VPC. */
  readonly securityGroupIds: readonly string[];
}

/** Limits of a function's VPC configuration (https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfig.html). */
export const FUNCTION_VPC_LIMITS = {
  subnetIds: { max: 16, pattern: /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/, example: "subnet-0123456789abcdef0" },
  securityGroupIds: { max: 5, pattern: /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, example: "sg-0123456789abcdef0" },
} as const;

/** Problems with a VPC configuration, each starting with the field name. */
export function functionVpcProblems(vpc: FunctionVpcProps): string[] {
  const problems: string[] = [];
  for (const field of ["subnetIds", "securityGroupIds"] as const) {
    const ids = vpc[field];
    const { max, pattern, example } = FUNCTION_VPC_LIMITS[field];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > max) {
      problems.push(`${field} must list 1 to ${max} IDs, got ${Array.isArray(ids) ? ids.length : show(ids)}`);
      continue;
    }
    ids.forEach((id, i) => {
      if (typeof id === "string" && Token.isUnresolved(id)) return;
      if (typeof id !== "string" || !pattern.test(id))
        problems.push(
          `${field}[${i}] ${show(id)} is not an ID like "${example}"; copy the ID from the VPC console or \`aws ec2 describe-${field === "subnetIds" ? "subnets" : "security-groups"}\``,
        );
      else if (ids.indexOf(id) !== i) problems.push(`${field}[${i}] ${show(id)} is listed twice; list each once`);
    });
  }
  return problems;
}

/**
 * Runtimes Lambda accepts for new functions and provider 5.100.0 knows
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 * nodejs18.x and python3.9 are left out: deprecated in 2025. Newer runtimes
 * (nodejs24.x) need a newer provider than the one this project pins.
 */
export const SUPPORTED_RUNTIMES: readonly string[] = [
  "nodejs20.x",
  "nodejs22.x",
  "python3.10",
  "python3.11",
  "python3.12",
  "python3.13",
  "java11",
  "java17",
  "java21",
  "dotnet8",
  "ruby3.2",
  "ruby3.3",
  "provided.al2",
  "provided.al2023",
];

export const FUNCTION_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Why a handler is refused, or undefined. The handler names a file of the
 * function's own code, `path/to/file.export`, which Lambda resolves from the
 * root of the package
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-handler-naming,
 * https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html#naming).
 * A `..` segment or an absolute path would point outside the package, at
 * code this deployment did not ship (a layer, the runtime's own files);
 * backslashes are no folder separator on Lambda's Linux. Handlers without
 * "/" (Java, .NET, `provided` runtimes) pass.
 */
export function handlerProblem(handler: string): string | undefined {
  const fix = 'write it as "<path/to/file>.<export>" inside codeDirectory, e.g. "index.handler" or "src/orders.handler"';
  if (handler.includes("\\")) return `${show(handler)} contains a backslash; use "/" between folders: ${fix}`;
  if (handler.startsWith("/")) return `${show(handler)} is an absolute path; ${fix}`;
  if (handler.split("/").includes("..")) return `${show(handler)} has a ".." segment, which leaves the code directory; ${fix}`;
  return undefined;
}

/**
 * The function's settings; the config file's `functions[]` entries apply the
 * same ones (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
 */
export const FUNCTION_SETTINGS = {
  functionName: textSetting({
    code: "FUNCTION_NAME",
    doc: 'Lambda function name: 1–64 letters, digits, "-" or "_".',
    pattern: FUNCTION_NAME_PATTERN,
    hint: 'use 1–64 letters, digits, "-" or "_"',
  }),
  handler: textSetting({
    code: "FUNCTION_HANDLER",
    doc: "`<file>.<export>` of the handler.",
    default: "index.handler",
    pattern: /^[^\s]{1,128}$/,
    problem: handlerProblem,
    hint: 'use "<file>.<export>", e.g. "index.handler"',
  }),
  runtime: choiceSetting({
    code: "FUNCTION_RUNTIME",
    doc: "A runtime Lambda supports for new functions and the pinned provider knows.",
    default: "nodejs22.x",
    values: SUPPORTED_RUNTIMES,
  }),
  memorySize: integerSetting({ code: "FUNCTION_MEMORY", doc: "Memory of the function.", default: 256, min: 128, max: 10240, unit: "MB" }),
  timeout: integerSetting({ code: "FUNCTION_TIMEOUT", doc: "Timeout of one invocation.", default: 10, min: 1, max: 900, unit: "seconds" }),
  architecture: choiceSetting({ code: "FUNCTION_ARCHITECTURE", doc: "Instruction set architecture.", default: "arm64", values: ["arm64", "x86_64"] as const }),
  logRetentionDays: LOG_RETENTION,
  allowShortLogRetention: ALLOW_SHORT_LOG_RETENTION,
  reservedConcurrentExecutions: integerSetting({
    code: "FUNCTION_RESERVED_CONCURRENCY",
    doc: "Concurrent executions reserved for the function, which are also the most it runs at once (more requests are throttled). Lambda refuses reservations that would leave fewer than 100 unreserved executions in the account's region, all functions' reservations together.",
    defaultText: "none: the account's unreserved concurrency",
    min: 1,
    max: 1000000,
  }),
  tracing: booleanSetting({
    code: "FUNCTION_TRACING",
    doc: "X-Ray active tracing; the role may write traces (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`, which have no resource to scope them to).",
    default: false,
  }),
  deadLetterQueue: booleanSetting({
    code: "FUNCTION_DEAD_LETTER_QUEUE",
    doc: "An SQS dead-letter queue `<name>-dlq`, encrypted with the workload key, for events that fail after Lambda's asynchronous retries; the role may send to it only.",
    default: false,
  }),
} as const;

/**
 * Bytes counted for a ciphertext that is a token (e.g. an `aws_kms_ciphertext`
 * reference): a KMS ciphertext of a short value is about 250 base64 characters.
 */
export const UNKNOWN_CIPHERTEXT_BYTES = 256;

/** The settings of one function, checked, with their defaults applied. */
interface ResolvedFunctionSettings {
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeout: number;
  readonly architecture: "arm64" | "x86_64";
  readonly logRetentionDays: number;
  readonly tracing: boolean;
  readonly deadLetterQueue: boolean;
}

/**
 * A Lambda function whose configuration and logs are encrypted with a
 * customer-managed key:
 * - `kms_key_arn` is the key's ARN whenever the function has environment
 *   variables. With no variables it is left out, because Lambda does not store
 *   a key for an empty environment and Terraform would show a change on every
 *   plan (provider docs, `kms_key_arn`);
 * - its log group `/aws/lambda/<name>` is created by Terraform before the
 *   function, encrypted with the key, with explicit retention;
 * - its execution role can write only to that group and decrypt only with
 *   that key and this function's encryption context;
 * - secrets (`secrets`) reach it as references (ARN or parameter name) with
 *   read access to exactly those secrets; client-side encrypted values
 *   (`encryptedEnvironment`) as ciphertext the role may decrypt only with the
 *   `LambdaFunctionName` context;
 * - code is a deterministic zip, so unchanged code never shows a plan diff;
 * - optionally: reserved concurrency, X-Ray tracing, an encrypted
 *   dead-letter queue and VPC placement, each with exactly the role
 *   permissions it needs, and code signing.
 *
 * The function is grantable: `secret.grantRead(fn)`, `parameter.grantRead(fn)`
 * and `key.grantDecrypt(fn, …)` write into its execution role's policy.
 */
export class EncryptedFunction extends Construct implements IGrantable {
  /** The underlying `aws_lambda_function` (escape hatch). */
  public readonly resource: LambdaFunction;
  /** The function's log group `/aws/lambda/<functionName>`, encrypted with the key. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The execution role: the one given in `role`, or the one created for this function. */
  public readonly role: LambdaExecutionRole;
  /**
   * The packaged code.
   * @internal a part of the function, not in the package's API; `resource` has the file name and hash
   */
  public readonly code: LambdaCodeAsset;
  /** The key that encrypts the environment and the log group. */
  public readonly key: IEncryptionKey;
  /** The dead-letter queue, when `deadLetterQueue` is true. */
  public readonly deadLetterQueue?: DeadLetterQueue;
  /**
   * The signed package, when `codeSigning` is given.
   * @internal a part of the function, like `code`; `resource` has the bucket and key
   */
  public readonly signedCode?: SignedLambdaCode;

  constructor(scope: Construct, id: string, props: EncryptedFunctionProps) {
    super(scope, id);
    const where = `function "${props.functionName}"`;
    // The rules added later name the construct path too: one id can be used in many stacks.
    const at = `${where} (${this.node.path})`;
    const logGroupName = lambdaLogGroupName(props.functionName);
    const settings = this.resolveSettings(where, at, props);
    this.checkKeyRegion(at, props.key);
    (props.previousHelperValueKeys ?? []).forEach((key, i) => this.checkKeyRegion(`${at}: previousHelperValueKeys[${i}]`, key));
    this.checkEnvironment(where, props);
    this.checkRole(where, props, logGroupName);
    // The code is packaged before anything else is added, so a bad folder leaves no half-built function behind.
    this.code = this.packageCode(where, props.codeDirectory);
    if (props.codeSigning) this.signedCode = this.signCode(at, props, props.codeSigning);
    this.key = props.key;
    this.role = props.role ?? this.createRole(props);
    this.logGroup = this.createLogGroup(props, logGroupName, settings.logRetentionDays);
    this.grantSecretsAndHelperValues(props);
    this.deadLetterQueue = settings.deadLetterQueue ? this.createDeadLetterQueue(props) : undefined;
    if (settings.tracing) this.role.addToPrincipalPolicy(new PolicyStatement({ sid: "WriteTraces", actions: XRAY_WRITE_ACTIONS, resources: ["*"] }));
    if (props.vpc) this.grantNetworkInterfaces(props.vpc);
    this.resource = this.createFunction(props, settings);
  }

  /** The function's ARN, a reference resolved by Terraform. */
  public get functionArn(): string {
    return this.resource.arn;
  }

  /** The execution role: grants to the function land in its policy. */
  public get grantPrincipal(): IGrantable {
    return this.role;
  }

  /** Adds a statement to the execution role's policy (`IGrantable`). */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /** Checks the function's settings (`FUNCTION_SETTINGS`) and the log retention. */
  private resolveSettings(where: string, at: string, props: EncryptedFunctionProps): ResolvedFunctionSettings {
    resolveSetting(where, "functionName", FUNCTION_SETTINGS.functionName, props.functionName);
    const handler = resolveSetting(at, "handler", FUNCTION_SETTINGS.handler, props.handler);
    const runtime = resolveSetting(where, "runtime", FUNCTION_SETTINGS.runtime, props.runtime);
    const memorySize = resolveSetting(where, "memorySize", FUNCTION_SETTINGS.memorySize, props.memorySize);
    const timeout = resolveSetting(where, "timeout", FUNCTION_SETTINGS.timeout, props.timeout);
    const architecture = resolveSetting(where, "architecture", FUNCTION_SETTINGS.architecture, props.architecture);
    const logRetentionDays = resolveSetting(where, "logRetentionDays", FUNCTION_SETTINGS.logRetentionDays, props.logRetentionDays);
    const retentionProblem = logRetentionProblem(
      logRetentionDays,
      resolveSetting(where, "allowShortLogRetention", FUNCTION_SETTINGS.allowShortLogRetention, props.allowShortLogRetention),
    );
    if (retentionProblem) throw new Error(`${where}: logRetentionDays ${retentionProblem}`);
    if (props.reservedConcurrentExecutions !== undefined) {
      resolveSetting(where, "reservedConcurrentExecutions", FUNCTION_SETTINGS.reservedConcurrentExecutions, props.reservedConcurrentExecutions);
    }
    const vpcProblems = props.vpc ? functionVpcProblems(props.vpc) : [];
    if (vpcProblems.length > 0) throw new Error(vpcProblems.map((problem) => `${where}: vpc.${problem}`).join("\n"));
    const tracing = resolveSetting(where, "tracing", FUNCTION_SETTINGS.tracing, props.tracing);
    const deadLetterQueue = resolveSetting(where, "deadLetterQueue", FUNCTION_SETTINGS.deadLetterQueue, props.deadLetterQueue);
    return { handler, runtime, memorySize, timeout, architecture, logRetentionDays, tracing, deadLetterQueue };
  }

  /**
   * Refuses a key of another region than the function's: the region of the
   * stack's default `aws` provider, which deploys the function. A KMS key
   * is used in its own Region only (a multi-Region key has a replica, with
   * its own ARN, per Region:
   * https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html),
   * and the role's and log group's ARNs are built from the key's region.
   * Checked now, and again at synth for a provider added later; skipped
   * while either region is a token.
   */
  private checkKeyRegion(at: string, key: IEncryptionKey): void {
    const problem = keyRegionProblem(this, key);
    if (problem) throw new Error(`${at}: ${problem}`);
    this.node.addValidation({
      validate: () => {
        const late = keyRegionProblem(this, key);
        return late ? [`${at}: ${late}`] : [];
      },
    });
  }

  /**
   * Refuses, all problems in one message: plain variables that look like
   * secrets or break Lambda's rules, `secrets` under another key,
   * `encryptedEnvironment` values that are not ciphertext, a variable set
   * twice, and an environment over Lambda's 4 KB.
   */
  private checkEnvironment(where: string, props: EncryptedFunctionProps): void {
    const variables = props.environment ?? {};
    const secrets = props.secrets ?? {};
    const encrypted = props.encryptedEnvironment ?? {};
    const encryptedNames = Object.keys(encrypted).sort();
    const referenceProblems = [...secretProblems(secrets, props.key, variables), ...encryptedProblems(encrypted, variables, secrets)];
    // Secret references and ciphertexts share Lambda's 4 KB with the plain variables.
    let otherBytes = Object.entries(secrets).reduce((sum, [name, secret]) => sum + Buffer.byteLength(name, "utf8") + secretReferenceBytes(secret), 0);
    for (const [name, value] of Object.entries(encrypted)) {
      const valueBytes = typeof value !== "string" ? 0 : Token.isUnresolved(value) ? UNKNOWN_CIPHERTEXT_BYTES : Buffer.byteLength(value, "utf8");
      otherBytes += Buffer.byteLength(name, "utf8") + valueBytes;
    }
    if (encryptedNames.length > 0) otherBytes += ENCRYPTED_VARIABLES_ENV.length + Buffer.byteLength(encryptedNames.join(ENCRYPTED_VARIABLES_SEPARATOR), "utf8");
    const problems = [...environmentProblems(variables, { additionalBytes: otherBytes }).map((p) => p.message), ...referenceProblems];
    if (problems.length > 0) throw new Error(problems.map((p) => `${where}: ${p}`).join("\n"));
  }

  /** A role given in `props` must have been built for this function's log group and key. */
  private checkRole(where: string, props: EncryptedFunctionProps, logGroupName: string): void {
    if (props.role && props.role.logGroupName !== logGroupName) {
      throw new Error(`${where}: the role given was built for the log group "${props.role.logGroupName}"; build the role with functionName "${props.functionName}"`);
    }
    if (props.role && !isSameKey(props.role.key, props.key)) {
      throw new Error(`${where}: the role given may decrypt with key "${props.role.key.node.path}", not with "${props.key.node.path}"; build the role with this function's key`);
    }
  }

  private packageCode(where: string, codeDirectory: string): LambdaCodeAsset {
    try {
      return new LambdaCodeAsset(this, "code", { directory: codeDirectory });
    } catch (error) {
      throw new Error(`${where}: codeDirectory: ${(error as Error).message}`);
    }
  }

  /** The package, uploaded and signed with `codeSigning`, which must be in this function's stack (and so its account and region). */
  private signCode(at: string, props: EncryptedFunctionProps, codeSigning: LambdaCodeSigning): SignedLambdaCode {
    if (TerraformStack.of(codeSigning) !== TerraformStack.of(this)) {
      throw new Error(
        `${at}: codeSigning ${show(codeSigning.node.path)} is in another stack; Signer and Lambda use a signing profile, bucket and code signing configuration of the function's own account and region — create a LambdaCodeSigning in the function's stack`,
      );
    }
    return new SignedLambdaCode(this, "signed-code", { codeSigning, functionName: props.functionName, code: this.code });
  }

  /** The default execution role, scoped to this function's log group and key. */
  private createRole(props: EncryptedFunctionProps): LambdaExecutionRole {
    return new LambdaExecutionRole(this, "role", {
      functionName: props.functionName,
      key: props.key,
      roleName: props.roleName,
      path: props.rolePath,
      permissionsBoundaryArn: props.permissionsBoundaryArn,
      tags: props.tags,
    });
  }

  /**
   * Creates the function's log group before the function, so that Lambda
   * never creates an unencrypted one, and lets CloudWatch Logs use the key for it.
   */
  private createLogGroup(props: EncryptedFunctionProps, logGroupName: string, retentionInDays: number): CloudwatchLogGroup {
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: logGroupName,
      kmsKeyId: props.key.keyArn,
      retentionInDays,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    // The literal name, not `logGroup.name`: a reference would make the key depend on the group that depends on the key.
    props.key.allowCloudWatchLogs(logGroupName);
    return logGroup;
  }

  /**
   * The role reads each of `secrets`, and decrypts the `encryptedEnvironment`
   * values with this function's encryption context, with `key` and with each
   * of `previousHelperValueKeys`.
   */
  private grantSecretsAndHelperValues(props: EncryptedFunctionProps): void {
    for (const secret of Object.values(props.secrets ?? {})) secret.grantRead(this.role);
    if (Object.keys(props.encryptedEnvironment ?? {}).length === 0) return;
    // The context the console's encryption helpers use, and the one the runtime library passes to Decrypt.
    const encryptionContext = { [FUNCTION_NAME_CONTEXT_KEY]: props.functionName };
    props.key.grantDecrypt(this.role, { sid: "DecryptHelperEncryptedValues", encryptionContext });
    for (const key of (props.previousHelperValueKeys ?? []).filter((k, i, all) => !isSameKey(k, props.key) && all.findIndex((o) => isSameKey(o, k)) === i)) {
      key.grantDecrypt(this.role, { sid: `DecryptHelperEncryptedValuesWith${pascalCase(key.node.id)}`, encryptionContext });
    }
  }

  /** The queue `<functionName>-dlq`, encrypted with the function's key; the role may send to it. */
  private createDeadLetterQueue(props: EncryptedFunctionProps): DeadLetterQueue {
    const queue = new DeadLetterQueue(this, "dead-letter-queue", { queueName: `${props.functionName}-dlq`, key: props.key, tags: props.tags });
    queue.grantSend(this.role);
    return queue;
  }

  /**
   * What Lambda needs to manage the function's network interfaces in its VPC:
   * the Describe actions on `"*"` (`VPC_DESCRIBE_ACTIONS`), the others on
   * network interfaces of the function's region and the configured subnets
   * and security groups (`VPC_NETWORK_INTERFACE_ACTIONS`); and a Deny of the
   * changing ones to requests made with the function's own credentials:
   * Lambda adds `lambda:SourceFunctionArn` to the credentials of the
   * execution environment, and not to its own calls that create the
   * interfaces (https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html),
   * so the code can read but not create, delete or re-address interfaces.
   */
  private grantNetworkInterfaces(vpc: FunctionVpcProps): void {
    const env = this.key.environment;
    this.role.addToPrincipalPolicy(new PolicyStatement({ sid: "DescribeNetworkInterfaces", actions: VPC_DESCRIBE_ACTIONS, resources: ["*"] }));
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "ManageNetworkInterfaces",
        actions: VPC_NETWORK_INTERFACE_ACTIONS,
        resources: [
          formatArn(env, "ec2", "network-interface/*"),
          ...vpc.subnetIds.map((id) => formatArn(env, "ec2", `subnet/${id}`)),
          ...vpc.securityGroupIds.map((id) => formatArn(env, "ec2", `security-group/${id}`)),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "DenyNetworkInterfaceChangesFromFunctionCode",
        effect: "Deny",
        actions: VPC_NETWORK_INTERFACE_ACTIONS,
        resources: ["*"],
        conditions: { ArnEquals: { "lambda:SourceFunctionArn": this.role.functionArn } },
      }),
    );
  }

  /**
   * Where Lambda takes the code from: the signed package in S3, with the code
   * signing configuration; or the zip itself with its hash. A signed package
   * has no `source_code_hash`: Lambda reports the hash of the signed bytes,
   * which differ from the zip's, and every plan would show a change. The
   * signed object's key changes with each new signing job instead.
   */
  private codeLocation(props: EncryptedFunctionProps): Pick<LambdaFunctionConfig, "filename" | "sourceCodeHash" | "s3Bucket" | "s3Key" | "codeSigningConfigArn"> {
    if (this.signedCode && props.codeSigning) {
      return { s3Bucket: this.signedCode.s3Bucket, s3Key: this.signedCode.s3Key, codeSigningConfigArn: props.codeSigning.codeSigningConfigArn };
    }
    return { filename: this.code.path, sourceCodeHash: this.code.sourceCodeHash };
  }

  private createFunction(props: EncryptedFunctionProps, settings: ResolvedFunctionSettings): LambdaFunction {
    const variables = functionVariables(props);
    const hasEnvironment = Object.keys(variables).length > 0;
    return new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description ?? "Managed by cdktf-lambda-kms",
      role: this.role.roleArn,
      handler: settings.handler,
      runtime: settings.runtime,
      architectures: [settings.architecture],
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      packageType: "Zip",
      ...this.codeLocation(props),
      environment: hasEnvironment ? { variables } : undefined,
      kmsKeyArn: hasEnvironment ? props.key.keyArn : undefined,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracingConfig: settings.tracing ? { mode: "Active" } : undefined,
      deadLetterConfig: this.deadLetterQueue ? { targetArn: this.deadLetterQueue.resource.arn } : undefined,
      vpcConfig: props.vpc ? { subnetIds: [...props.vpc.subnetIds], securityGroupIds: [...props.vpc.securityGroupIds] } : undefined,
      tags: props.tags ? { ...props.tags } : undefined,
      // The log group and the role's permissions must exist before the first
      // invocation, or Lambda creates an unencrypted group of its own; Lambda
      // also checks the role's dead-letter and network-interface permissions
      // when the function is created.
      dependsOn: [this.logGroup, this.role.policy],
    });
  }
}

/** Why `key` cannot encrypt a function deployed by `scope`'s stack (see `EncryptedFunction.checkKeyRegion`), or undefined. */
function keyRegionProblem(scope: Construct, key: IEncryptionKey): string | undefined {
  const keyRegion = key.environment.region;
  const stackRegion = stackRegionOf(scope);
  if (stackRegion === undefined || Token.isUnresolved(keyRegion) || keyRegion === stackRegion) return undefined;
  return (
    `key: ${show(key.node.path)} is in region ${show(keyRegion)}, but the function deploys to ${show(stackRegion)} (its stack's aws provider); ` +
    `a KMS key works in its own region only — give the function a key of ${show(stackRegion)}, e.g. an EncryptionKey with region ${show(stackRegion)}`
  );
}

/** The literal region of the default (unaliased) `aws` provider of `scope`'s stack, the one its resources use; undefined if none or a token. */
function stackRegionOf(scope: Construct): string | undefined {
  const provider = TerraformStack.of(scope)
    .node.findAll()
    .find((node): node is TerraformProvider => TerraformProvider.isTerraformProvider(node) && node.terraformResourceType === "aws" && node.alias === undefined);
  const region = (provider as AwsProvider | undefined)?.region;
  return region === undefined || Token.isUnresolved(region) ? undefined : region;
}

/** Problems with a `secrets` or `encryptedEnvironment` variable's name: invalid, or also set in one of `others` (prop name → variables). */
function variableProblems(label: string, name: string, others: Readonly<Record<string, Readonly<Record<string, unknown>>>>): string[] {
  const problems: string[] = [];
  const nameProblem = environmentVariableNameProblem(name);
  if (nameProblem) problems.push(`${label} ${nameProblem}`);
  for (const [other, variables] of Object.entries(others)) {
    if (Object.hasOwn(variables, name)) problems.push(`${label} is also set in ${other}; keep each variable in one place`);
  }
  return problems;
}

/** Problems with `secrets`: names, collisions with `environment`, values that are no secret, secrets under another key. */
function secretProblems(secrets: Readonly<Record<string, ISecret>>, key: IEncryptionKey, environment: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const label = `secrets variable "${name}"`;
    problems.push(...variableProblems(label, name, { environment }));
    if (!isSecret(secret)) {
      problems.push(`${label} is not a SecretsManagerSecret or SecureStringParameter; create the secret with one of those constructs`);
    } else if (!isSameKey(secret.key, key)) {
      problems.push(
        `${label}: ${secret.displayName} is encrypted with key "${secret.key.node.path}", not with the function's key "${key.node.path}"; create the secret with the function's key`,
      );
    }
  }
  return problems;
}

/** Problems with `encryptedEnvironment`: names, collisions, values that are not KMS ciphertext. Values are never echoed beyond 12 characters. */
function encryptedProblems(encrypted: Readonly<Record<string, string>>, environment: Readonly<Record<string, string>>, secrets: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(encrypted)) {
    const label = `encryptedEnvironment variable "${name}"`;
    problems.push(...variableProblems(label, name, { environment, secrets }));
    // A token (e.g. an aws_kms_ciphertext reference) is only known at apply.
    const valueProblem = typeof value === "string" && Token.isUnresolved(value) ? undefined : ciphertextProblem(value);
    if (valueProblem) problems.push(`${label} ${valueProblem}`);
  }
  return problems;
}

/**
 * Whether a `secrets` value is an `ISecret`. Checked at run time as well,
 * because JavaScript callers and casts can pass anything.
 */
function isSecret(value: unknown): value is ISecret {
  const candidate = value as Partial<ISecret> | null;
  return typeof candidate === "object" && candidate !== null && typeof candidate.grantRead === "function" && typeof candidate.key === "object" && candidate.key !== null;
}

/** Bytes a secret reference takes in the environment; a value that is no secret (refused by `secretProblems`) counts as {@link SECRET_REFERENCE_BYTES}. */
function secretReferenceBytes(secret: ISecret): number {
  return isSecret(secret) ? secret.referenceBytes : SECRET_REFERENCE_BYTES;
}

/**
 * The function's environment variables: the plain ones, each secret's
 * reference, the helper-encrypted values, and the list of their names for the
 * runtime library.
 */
function functionVariables(props: EncryptedFunctionProps): Record<string, string> {
  const encrypted = props.encryptedEnvironment ?? {};
  const encryptedNames = Object.keys(encrypted).sort();
  const variables: Record<string, string> = { ...(props.environment ?? {}) };
  for (const [name, secret] of Object.entries(props.secrets ?? {})) variables[name] = secret.reference;
  Object.assign(variables, encrypted);
  if (encryptedNames.length > 0) variables[ENCRYPTED_VARIABLES_ENV] = encryptedNames.join(ENCRYPTED_VARIABLES_SEPARATOR);
  return variables;
}
