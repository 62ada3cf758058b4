import { Token } from "cdktf";
import { IConstruct } from "constructs";
import { AwsEnvironment, formatArn } from "./aws-environment";
import { Grant } from "./grant";
import { IGrantable } from "./grantable";
import { PolicyStatement, pascalCase } from "./policy-document";
import { KEY_DECRYPT_ACTIONS, LOGS_SERVICE_KEY_ACTIONS, SECRET_ROTATION_KEY_ACTIONS } from "./private/perms";

/** Options of `IEncryptionKey.grantDecrypt`: conditions on the `kms:Decrypt` statement, and its ID. */
export interface GrantDecryptOptions {
  /**
   * Exact encryption context the caller must present, e.g.
   * `{ "aws:lambda:FunctionArn": arn }`; each pair becomes a
   * `StringEquals kms:EncryptionContext:<key>` condition.
   * @default no encryption-context condition
   */
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /**
   * Only allow the call when it comes through this AWS service, e.g.
   * `secretsmanager.eu-west-1.amazonaws.com` (`kms:ViaService`).
   * @default no service condition
   */
  readonly viaService?: string;
  /** Statement ID in the grantee's policy. @default `"DecryptWith<alias>"` (owned key) or `"DecryptWith<construct id>"` (imported key) */
  readonly sid?: string;
}

/**
 * A customer-managed KMS key as the other constructs use it: one this app
 * creates (`EncryptionKey`) or one created elsewhere
 * (`EncryptionKey.fromKeyArn`). `EncryptedFunction`, `LambdaExecutionRole`,
 * `SecretsManagerSecret` and `SecureStringParameter` accept either.
 */
export interface IEncryptionKey extends IConstruct {
  /** The key's ARN: a reference for a key this app creates, the literal (or the token given) for an imported key. */
  readonly keyArn: string;
  /**
   * Account, region and partition of the key. The constructs that use the key
   * deploy into the same account and region, and build their ARNs (function,
   * log group, parameter) from it.
   */
  readonly environment: Required<AwsEnvironment>;
  /**
   * Key-policy statements that the constructs using this key need but this
   * app cannot add, because it does not manage the key policy: the key's
   * owner must add them. Always empty for a key this app creates, which adds
   * them to its own policy. `JSON.stringify(statements, null, 2)` renders
   * them as policy JSON.
   */
  readonly requiredKeyPolicyStatements: readonly PolicyStatement[];
  /**
   * Lets CloudWatch Logs in the key's region encrypt the named log group with
   * the key (a key-policy statement: added to the policy of a key this app
   * creates, listed in `requiredKeyPolicyStatements` for an imported key).
   */
  allowCloudWatchLogs(logGroupName: string): void;
  /**
   * Lets the deploy pipeline use the key through Secrets Manager for the
   * named secret only (`kms:EncryptionContext:SecretARN`): Secrets Manager
   * generates a data key when the pipeline writes a value and decrypts when
   * Terraform reads the version back. A key created elsewhere does not know
   * the pipeline: its owner grants this.
   */
  allowDeployerToManageSecret(secretName: string): void;
  /**
   * Lets the deploy pipeline use the key through Systems Manager for the
   * named SecureString parameter only (`kms:EncryptionContext:PARAMETER_ARN`).
   * A key created elsewhere does not know the pipeline: its owner grants this.
   */
  allowDeployerToManageParameter(parameterName: string): void;
  /**
   * Lets a secret's rotation function, by its execution role
   * (`rotationRoleArn`), use the key through Secrets Manager for that secret
   * only (`kms:Decrypt` and `kms:GenerateDataKey`, conditioned on
   * `kms:EncryptionContext:SecretARN`): a key-policy statement, added to the
   * policy of a key this app creates (the role joins the principals it
   * names), listed in `requiredKeyPolicyStatements` for an imported key.
   */
  allowSecretRotation(secretName: string, rotationRoleArn: string): void;
  /**
   * Writes `kms:Decrypt` on exactly this key's ARN, with the optional
   * conditions, into the grantee's identity policy; the grant holds that
   * one statement.
   */
  grantDecrypt(grantee: IGrantable, options?: GrantDecryptOptions): Grant;
}

/** The statement ID base used by default for `grantDecrypt`: `DecryptWith` and the name in PascalCase. */
function defaultDecryptSid(name: string): string {
  return `DecryptWith${pascalCase(name)}`;
}

/**
 * `kms:Decrypt` on exactly `keyArn`, with the conditions of `options`.
 * @internal shared by the key constructs
 */
export function decryptStatement(keyArn: string, sidName: string, options: GrantDecryptOptions): PolicyStatement {
  const equals: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.encryptionContext ?? {})) {
    equals[`kms:EncryptionContext:${key}`] = value;
  }
  if (options.viaService) equals["kms:ViaService"] = options.viaService;
  return new PolicyStatement({
    sid: options.sid ?? defaultDecryptSid(sidName),
    actions: KEY_DECRYPT_ACTIONS,
    resources: [keyArn],
    conditions: Object.keys(equals).length > 0 ? { StringEquals: equals } : undefined,
  });
}

/**
 * The key-policy statement that lets a secret's rotation function (its role)
 * use the key through Secrets Manager for that secret only.
 * @internal shared by the key constructs
 */
export function secretRotationStatement(environment: Required<AwsEnvironment>, secretName: string, rotationRoleArn: string): PolicyStatement {
  return new PolicyStatement({
    sid: `RotationOf${pascalCase(secretName)}`,
    principals: { AWS: [rotationRoleArn] },
    actions: SECRET_ROTATION_KEY_ACTIONS,
    resources: ["*"],
    conditions: {
      StringEquals: { "kms:ViaService": `secretsmanager.${environment.region}.amazonaws.com` },
      // The secret's ARN ends in "-" and 6 random characters.
      StringLike: { "kms:EncryptionContext:SecretARN": `${formatArn(environment, "secretsmanager", `secret:${secretName}`)}-??????` },
    },
  });
}

/** Statement ID of the key-policy statement that lets CloudWatch Logs use the key. */
export const CLOUDWATCH_LOGS_SID = "CloudWatchLogsEncryptsLogGroups";

/**
 * The key-policy statement that lets CloudWatch Logs in the key's region use
 * the key for exactly these log groups
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * The array is used as given, so groups pushed onto it later join the statement.
 * @internal shared by the key constructs
 */
export function cloudWatchLogsStatement(environment: Required<AwsEnvironment>, logGroupArns: string[]): PolicyStatement {
  return new PolicyStatement({
    sid: CLOUDWATCH_LOGS_SID,
    principals: { Service: [`logs.${environment.region}.amazonaws.com`] },
    actions: LOGS_SERVICE_KEY_ACTIONS,
    resources: ["*"],
    conditions: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
  });
}

/**
 * Whether two key objects stand for the same KMS key: the same object, or the
 * same literal ARN (e.g. one key imported twice with `fromKeyArn`).
 */
export function isSameKey(a: IEncryptionKey, b: IEncryptionKey): boolean {
  return a === b || (!Token.isUnresolved(a.keyArn) && a.keyArn === b.keyArn);
}
