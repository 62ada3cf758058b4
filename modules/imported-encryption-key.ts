import { AnnotationMetadataEntryType, Annotations, Aspects, Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { AwsEnvironment, checkPrincipalArns, formatArn, resolveEnvironment } from "./aws-environment";
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, partitionForRegion } from "./private/aws-limits";
import { GrantDecryptOptions, IEncryptionKey, cloudWatchLogsStatement, decryptStatement, secretRotationStatement } from "./encryption-key-interface";
import { Grant } from "./grant";
import { IGrantable, grantPrincipalOf } from "./grantable";
import { PolicyStatement } from "./policy-document";

export interface ImportedEncryptionKeyOptions {
  /**
   * 12-digit account ID of the key. Needed (as a literal) only when `keyArn`
   * is a token; with a literal ARN it must match the ARN's account.
   * @default the account in the key ARN
   */
  readonly accountId?: string;
  /**
   * Region of the key, e.g. `eu-west-1`. Needed (as a literal) only when
   * `keyArn` is a token; with a literal ARN it must match the ARN's region.
   * @default the region in the key ARN
   */
  readonly region?: string;
  /**
   * ARN partition of the key. With a literal ARN it must match the ARN's partition.
   * @default the partition in the key ARN, or derived from the region when the ARN is a token
   */
  readonly partition?: string;
}

export interface ImportedEncryptionKeyProps extends ImportedEncryptionKeyOptions {
  /**
   * ARN of an existing symmetric customer-managed key,
   * `arn:<partition>:kms:<region>:<account-id>:key/<key-id>`. Not an alias
   * ARN: an alias can be moved to another key. A token (e.g. a remote-state
   * output) is accepted together with literal `accountId` and `region`.
   */
  readonly keyArn: string;
}

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"];
/** A single-Region key ID (UUID) or a multi-Region key ID (`mrk-` and 32 hex digits). */
const KEY_ID_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KEY_ARN_FORM = "arn:<partition>:kms:<region>:<account-id>:key/<key-id>, e.g. arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/**
 * A customer-managed KMS key created outside this app, used by ARN; create
 * it with `EncryptionKey.fromKeyArn`. Nothing is synthesized for the key
 * itself. Its account and region are read from the ARN, and the constructs
 * that use it build their ARNs (function, log group, parameter) from them:
 * import a key of the account and region they deploy into.
 *
 * The identity-policy side works as for a key this app creates:
 * `grantDecrypt` writes `kms:Decrypt` on exactly this key's ARN into the
 * grantee's policy. Such IAM statements take effect only if the key policy
 * lets the account's IAM policies grant access to the key (the default key
 * policy does, with its account-root statement:
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
 *
 * The key policy cannot be changed by this app. Statements the constructs
 * would add to it (CloudWatch Logs encrypting a function's log group, through
 * `allowCloudWatchLogs`) are collected in `requiredKeyPolicyStatements` for
 * the key's owner to add, and named in a warning annotation at synth time.
 */
export class ImportedEncryptionKey extends Construct implements IEncryptionKey {
  public readonly keyArn: string;
  /** The key ID from the ARN (a Terraform expression when the ARN is a token). */
  public readonly keyId: string;
  public readonly environment: Required<AwsEnvironment>;

  private readonly logGroupNames: string[] = [];
  private readonly rotationStatements: PolicyStatement[] = [];
  private readonly what: string;

  constructor(scope: Construct, id: string, props: ImportedEncryptionKeyProps) {
    super(scope, id);
    this.what = `imported key "${id}"`;
    const parsed = Token.isUnresolved(props.keyArn) ? fromOptions(this.what, props) : parseKeyArn(this.what, props.keyArn, props);
    this.keyArn = props.keyArn;
    this.keyId = parsed.keyId ?? Fn.element(Fn.split("/", props.keyArn), 1);
    this.environment = parsed.environment;

    // At synth, after every construct has registered its log groups: one warning with the final list.
    Aspects.of(this).add({
      visit: (node) => {
        if (node === this) this.warnAboutRequiredStatements();
      },
    });
  }

  /**
   * The key-policy statements the key's owner must add for the constructs
   * using this key: the `CloudWatchLogsEncryptsLogGroups` statement for
   * every log group registered with `allowCloudWatchLogs`, and a
   * `RotationOf<SecretName>` statement per secret registered with
   * `allowSecretRotation`, or none.
   * `JSON.stringify(statements, null, 2)` renders them as policy JSON.
   */
  public get requiredKeyPolicyStatements(): readonly PolicyStatement[] {
    const arns = this.logGroupNames.map((name) => formatArn(this.environment, "logs", `log-group:${name}`));
    return [...(arns.length > 0 ? [cloudWatchLogsStatement(this.environment, arns)] : []), ...this.rotationStatements];
  }

  /**
   * Registers a secret's rotation function for the `RotationOf<SecretName>`
   * statement of `requiredKeyPolicyStatements`; this app cannot add it to the
   * key policy.
   */
  public allowSecretRotation(secretName: string, rotationRoleArn: string): void {
    checkPrincipalArns(`${this.what}: allowSecretRotation`, [rotationRoleArn]);
    this.rotationStatements.push(secretRotationStatement(this.environment, secretName, rotationRoleArn));
  }

  /**
   * Registers the log group for the CloudWatch Logs statement of
   * `requiredKeyPolicyStatements`; this app cannot add it to the key policy.
   * The name must be a literal: the key's owner needs the log group's ARN.
   */
  public allowCloudWatchLogs(logGroupName: string): void {
    if (Token.isUnresolved(logGroupName)) {
      throw new Error(
        `${this.what}: log group name "${logGroupName}" is a token, but the key-policy statement the key owner must add needs the literal log group ARN; give the function a literal name, or use a key this app creates`,
      );
    }
    if (!this.logGroupNames.includes(logGroupName)) this.logGroupNames.push(logGroupName);
  }

  /** Nothing to add: this app does not know who deploys with a key it does not manage; the key's owner grants the pipeline. */
  public allowDeployerToManageSecret(): void {}

  /** Nothing to add: this app does not know who deploys with a key it does not manage; the key's owner grants the pipeline. */
  public allowDeployerToManageParameter(): void {}

  /**
   * Writes the least-privilege statement into the grantee's identity policy:
   * `kms:Decrypt` on exactly this key's ARN, optionally bound to an encryption
   * context and a calling service. Returns the grant: the grantable whose
   * policy received the statement, and the statement.
   */
  public grantDecrypt(grantee: IGrantable, options: GrantDecryptOptions = {}): Grant {
    const statement = decryptStatement(this.keyArn, this.node.id, options);
    grantee.addToPrincipalPolicy(statement);
    return { grantee: grantPrincipalOf(grantee), statements: [statement] };
  }

  private warnAboutRequiredStatements(): void {
    const statements = this.requiredKeyPolicyStatements;
    if (statements.length === 0) return;
    const key = Token.isUnresolved(this.keyArn) ? `in account ${this.environment.accountId}, ${this.environment.region}` : this.keyArn;
    const consequences = [
      ...(this.logGroupNames.length > 0
        ? [`CloudWatch Logs cannot use the key and creating the encrypted log groups ${this.logGroupNames.map((name) => `"${name}"`).join(", ")} fails`]
        : []),
      ...(this.rotationStatements.length > 0 ? [`the rotation functions of the secrets cannot use the key, and every rotation fails`] : []),
    ];
    const message =
      `${this.what} (${key}): this app cannot change the key's policy. Ask the key's owner to add the statements below to it, ` +
      `or ${consequences.join("; and ")} (requiredKeyPolicyStatements has them too):\n${JSON.stringify(statements, null, 2)}`;
    // Each synth visits the key again: warn once per distinct list.
    if (this.node.metadata.some((entry) => entry.type === AnnotationMetadataEntryType.WARN && entry.data === message)) return;
    Annotations.of(this).addWarning(message);
  }
}

interface ParsedKey {
  readonly environment: Required<AwsEnvironment>;
  /** Undefined when the ARN is a token. */
  readonly keyId?: string;
}

/** Checks a literal key ARN (and any environment options against it). Throws with the field, the value and the fix. */
function parseKeyArn(what: string, arn: string, options: ImportedEncryptionKeyOptions): ParsedKey {
  const field = `${what}: keyArn "${arn}"`;
  const describe = `look the key ARN up with "aws kms describe-key --key-id ${arn} --query KeyMetadata.Arn"`;
  if (/^alias\//.test(arn)) throw new Error(`${field} is an alias name, not a key ARN; ${describe}`);
  if (KEY_ID_PATTERN.test(arn)) throw new Error(`${field} is a key ID, not a key ARN; use the full ARN, ${KEY_ARN_FORM} (${describe})`);
  const parts = arn.split(":");
  if (parts.length !== 6 || parts[0] !== "arn") throw new Error(`${field} is not an ARN; use ${KEY_ARN_FORM}`);
  const [, partition, service, region, accountId, resource] = parts;
  if (service !== "kms") throw new Error(`${field} is not a KMS key ARN (service "${service}"); use ${KEY_ARN_FORM}`);
  if (resource.startsWith("alias/")) {
    throw new Error(`${field} is an alias ARN, not a key ARN: an alias can be moved to another key, and kms_key_arn and IAM statements need the key's own ARN; ${describe}`);
  }
  if (!PARTITIONS.includes(partition)) throw new Error(`${field} has partition "${partition}"; use one of ${PARTITIONS.join(", ")}`);
  if (!REGION_PATTERN.test(region)) throw new Error(`${field} has region "${region}", which is not an AWS region code; use one like "eu-west-1"`);
  if (partitionForRegion(region) !== partition) {
    throw new Error(`${field} has partition "${partition}", but region "${region}" is in partition "${partitionForRegion(region)}"; correct the ARN`);
  }
  if (!ACCOUNT_ID_PATTERN.test(accountId)) throw new Error(`${field} has account "${accountId}", which is not a 12-digit AWS account ID; correct the ARN`);
  const keyId = resource.startsWith("key/") ? resource.slice("key/".length) : undefined;
  if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) {
    throw new Error(`${field} does not end in key/<key-id> with a key ID such as 1234abcd-12ab-34cd-56ef-1234567890ab (or mrk-… for a multi-Region key); use ${KEY_ARN_FORM}`);
  }
  const fromArn = { accountId, region, partition };
  for (const name of ["accountId", "region", "partition"] as const) {
    const given = options[name];
    if (given !== undefined && given !== fromArn[name]) {
      throw new Error(`${what}: ${name} "${given}" does not match the ${name} "${fromArn[name]}" in keyArn "${arn}"; remove ${name} (it is read from the ARN) or correct it`);
    }
  }
  return { environment: fromArn, keyId };
}

/** The environment of a key whose ARN is a token: from the options, which must then be literals. */
function fromOptions(what: string, options: ImportedEncryptionKeyOptions): ParsedKey {
  const why = "the key's account and region cannot be read from it, and the constructs need them as literals to build function, log group and parameter ARNs";
  for (const name of ["accountId", "region"] as const) {
    const value = options[name];
    if (value === undefined)
      throw new Error(
        `${what}: keyArn is a token (known only at apply), so ${why}; give ${name} in the options, e.g. fromKeyArn(scope, id, arn, { accountId: "111111111111", region: "eu-west-1" })`,
      );
    if (Token.isUnresolved(value)) throw new Error(`${what}: ${name} is a token too; with a token keyArn, ${why}: give ${name} as a literal`);
  }
  const environment = resolveEnvironment({ accountId: options.accountId as string, region: options.region as string, partition: options.partition }, what);
  if (environment.partition !== partitionForRegion(environment.region)) {
    throw new Error(
      `${what}: partition "${environment.partition}" does not match region "${environment.region}", which is in partition "${partitionForRegion(environment.region)}"; remove partition (it is derived from the region) or correct it`,
    );
  }
  return { environment };
}
