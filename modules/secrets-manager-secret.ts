import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { TerraformStack, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { checkPrincipalArns, formatArn } from "./aws-environment";
import { IEncryptionKey } from "./encryption-key-interface";
import { Grant } from "./grant";
import { IGrantable, grantPrincipalOf } from "./grantable";
import { PolicyStatement, pascalCase } from "./policy-document";
import { SECRET_READ_ACTIONS } from "./private/perms";
import { SECRET_NAME, SECRET_NAME_PATTERN } from "./private/aws-limits";
import { booleanSetting, integerSetting, resolveSetting } from "./private/setting";
import { ISecret, SECRET_REFERENCE_BYTES } from "./secret-interface";

/** Props of {@link SecretsManagerSecret}. */
export interface SecretsManagerSecretProps {
  /** Secret name; rules in `SECRETS_MANAGER_SECRET_SETTINGS`. */
  readonly secretName: string;
  /**
   * Customer-managed key that encrypts the secret (`kms_key_id`). Required:
   * the AWS managed key `aws/secretsmanager` cannot be scoped or audited per
   * workload.
   * A key this app creates, or one imported with `EncryptionKey.fromKeyArn`.
   */
  readonly key: IEncryptionKey;
  /** @default none */
  readonly description?: string;
  /** Days a deleted secret can still be restored; limits in `SECRETS_MANAGER_SECRET_SETTINGS`. @default 30 */
  readonly recoveryWindowDays?: number;
  /**
   * Seed the value from a Terraform variable supplied at apply time. When
   * true, the construct declares a variable `<path>_value` (`type = string`,
   * `sensitive`, `ephemeral`, no default), and an
   * `aws_secretsmanager_secret_version` writes it through the write-only
   * attribute `secret_string_wo` (Terraform ≥ 1.11): the value is in neither
   * the synthesized JSON, nor the plan file, nor the state. Pass it with
   * `-var <name>=...` or `TF_VAR_<name>`; Terraform asks for it on every plan
   * and apply of the stack.
   * @default false: no version is managed by Terraform; the value is put out
   * of band (`aws secretsmanager put-secret-value`), or by rotation
   */
  readonly seedFromVariable?: boolean;
  /**
   * `secret_string_wo_version`. Terraform cannot see a write-only value, so it
   * writes the variable again only when this number changes: bump it to store
   * a new value. Only with `seedFromVariable`.
   * @default 1
   */
  readonly seedVersion?: number;
  /**
   * ARN of the Lambda function that rotates the secret. Give it together with
   * `rotationDays` and `rotationRoleArn`. The function's own IAM policy must
   * let it read and write the secret, and its resource policy let Secrets
   * Manager invoke it
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html):
   * neither is created here.
   * @default no rotation
   */
  readonly rotationLambdaArn?: string;
  /** Days between rotations; only with `rotationLambdaArn`. @default no rotation */
  readonly rotationDays?: number;
  /**
   * ARN of the rotation function's execution role: the key lets it decrypt
   * and generate data keys through Secrets Manager for this secret only
   * (`IEncryptionKey.allowSecretRotation`); a key that denies unlisted
   * principals would otherwise stop every rotation. Only with
   * `rotationLambdaArn`.
   * @default no rotation
   */
  readonly rotationRoleArn?: string;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Whether a secret's value is seeded from an ephemeral Terraform variable; shared by both kinds of secret. */
export const SEED_FROM_VARIABLE = booleanSetting({
  code: "SEED_FROM_VARIABLE",
  doc: "Seed the value at apply time from a sensitive, ephemeral Terraform variable, through a write-only attribute; otherwise the value is set out of band.",
  default: false,
});

/**
 * The secret's settings; the config file's `secrets[]` entries of type
 * `secretsmanager` apply the same ones
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html).
 */
export const SECRETS_MANAGER_SECRET_SETTINGS = {
  secretName: SECRET_NAME,
  recoveryWindowDays: integerSetting({
    code: "SECRET_RECOVERY_WINDOW",
    doc: "Days a deleted secret can still be restored (Secrets Manager).",
    default: 30,
    min: 7,
    max: 30,
    unit: "days",
  }),
  rotationDays: integerSetting({ code: "SECRET_ROTATION_DAYS", doc: "Days between rotations.", min: 1, max: 1000, unit: "days" }),
  seedFromVariable: SEED_FROM_VARIABLE,
  seedVersion: integerSetting({ code: "SEED_VERSION", doc: "Version of the seeded value; bump it to write the variable again.", default: 1, min: 1, max: Number.MAX_SAFE_INTEGER }),
} as const;
const LAMBDA_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;
/** Length of the random suffix Secrets Manager appends to a secret's ARN (`-` and 6 characters). */
const SECRET_ARN_SUFFIX_LENGTH = 7;

/**
 * A Secrets Manager secret encrypted with a customer-managed key. Its value
 * never appears in the synthesized JSON: it is either put out of band or
 * seeded through the write-only `secret_string_wo` from an ephemeral variable
 * (see `seedFromVariable`).
 *
 * `grantRead(role)` gives a role exactly what it needs to read the value:
 * `secretsmanager:GetSecretValue` on this secret's ARN, and `kms:Decrypt` on
 * the key only through Secrets Manager in the key's region and only for this
 * secret's encryption context
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
export class SecretsManagerSecret extends Construct implements ISecret {
  /** The underlying `aws_secretsmanager_secret` (escape hatch). */
  public readonly resource: SecretsmanagerSecret;
  /** The secret name as given. */
  public readonly secretName: string;
  /** The key that encrypts the value. */
  public readonly key: IEncryptionKey;
  /** The ephemeral variable that seeds the value; only with `seedFromVariable`. */
  public readonly seedVariable?: TerraformVariable;
  /** The version written from the variable; only with `seedFromVariable`. */
  public readonly seedVersionResource?: SecretsmanagerSecretVersion;
  /** The rotation schedule; only with `rotationLambdaArn`. */
  public readonly rotation?: SecretsmanagerSecretRotation;

  private readonly grants = new Map<IGrantable, Grant>();
  private readonly sidSuffix: string;

  constructor(scope: Construct, id: string, props: SecretsManagerSecretProps) {
    super(scope, id);
    const where = `secret "${props.secretName}"`;
    resolveSetting(where, "secretName", SECRETS_MANAGER_SECRET_SETTINGS.secretName, props.secretName);
    const recoveryWindowDays = resolveSetting(where, "recoveryWindowDays", SECRETS_MANAGER_SECRET_SETTINGS.recoveryWindowDays, props.recoveryWindowDays);
    const seed = checkSeedProps(where, props);
    if ((props.rotationLambdaArn === undefined) !== (props.rotationDays === undefined)) {
      throw new Error(
        props.rotationLambdaArn === undefined
          ? `${where}: rotationDays is ${props.rotationDays} but rotationLambdaArn is missing; give the ARN of the rotation function too, or remove rotationDays`
          : `${where}: rotationLambdaArn is set but rotationDays is missing; give the days between rotations too, or remove rotationLambdaArn`,
      );
    }
    if ((props.rotationLambdaArn === undefined) !== (props.rotationRoleArn === undefined)) {
      throw new Error(
        props.rotationLambdaArn === undefined
          ? `${where}: rotationRoleArn is set but rotationLambdaArn is missing; give the rotation function's ARN too, or remove rotationRoleArn`
          : `${where}: rotationLambdaArn is set but rotationRoleArn is missing; give the ARN of the rotation function's execution role, which the key must let use it for this secret`,
      );
    }
    if (props.rotationRoleArn !== undefined) checkPrincipalArns(`${where}: rotationRoleArn`, [props.rotationRoleArn]);
    if (props.rotationDays !== undefined) resolveSetting(where, "rotationDays", SECRETS_MANAGER_SECRET_SETTINGS.rotationDays, props.rotationDays);
    if (props.rotationLambdaArn !== undefined && !Token.isUnresolved(props.rotationLambdaArn) && !LAMBDA_ARN_PATTERN.test(props.rotationLambdaArn)) {
      throw new Error(`${where}: rotationLambdaArn "${props.rotationLambdaArn}" is not a Lambda function ARN; use arn:aws:lambda:<region>:<account-id>:function:<name>`);
    }
    // Checked before anything is added, so a clash leaves nothing half-built.
    const variableName = seed.seeded ? seedVariableName(this, where) : undefined;

    this.secretName = props.secretName;
    this.key = props.key;
    this.sidSuffix = pathPascalCase(this);

    this.resource = new SecretsmanagerSecret(this, "secret", {
      name: props.secretName,
      description: props.description,
      kmsKeyId: props.key.keyArn,
      recoveryWindowInDays: recoveryWindowDays,
      tags: props.tags ? { ...props.tags } : undefined,
    });
    props.key.allowDeployerToManageSecret(props.secretName);

    if (variableName !== undefined) {
      this.seedVariable = createSeedVariable(this, variableName, `Value of the Secrets Manager secret ${props.secretName}`);
      this.seedVersionResource = new SecretsmanagerSecretVersion(this, "seed", {
        secretId: this.resource.id,
        secretStringWo: this.seedVariable.stringValue,
        secretStringWoVersion: seed.version,
      });
    }

    if (props.rotationLambdaArn !== undefined && props.rotationDays !== undefined && props.rotationRoleArn !== undefined) {
      props.key.allowSecretRotation(props.secretName, props.rotationRoleArn);
      this.rotation = new SecretsmanagerSecretRotation(this, "rotation", {
        secretId: this.resource.id,
        rotationLambdaArn: props.rotationLambdaArn,
        rotationRules: { automaticallyAfterDays: props.rotationDays },
        // Turning rotation on does not replace the current (perhaps seeded) value at once: the first rotation waits for the schedule.
        rotateImmediately: false,
      });
    }
  }

  /** The secret's full ARN (with the random suffix Secrets Manager adds), a reference resolved by Terraform. */
  public get secretArn(): string {
    return this.resource.arn;
  }

  /** The secret's ARN: what a function's environment variable holds (`ISecret`). */
  public get reference(): string {
    return this.secretArn;
  }

  /** `secret "<secretName>"`, for messages (`ISecret`). */
  public get displayName(): string {
    return `secret "${this.secretName}"`;
  }

  /**
   * Bytes the ARN takes in a function's environment (`ISecret`): known at
   * synth but for its 7-character random suffix; 100 when the name, account
   * or region is a token.
   */
  public get referenceBytes(): number {
    const env = this.key.environment;
    if (![this.secretName, env.accountId, env.region].some((part) => Token.isUnresolved(part)) && SECRET_NAME_PATTERN.test(this.secretName)) {
      return formatArn(env, "secretsmanager", `secret:${this.secretName}`).length + SECRET_ARN_SUFFIX_LENGTH;
    }
    return SECRET_REFERENCE_BYTES;
  }

  /**
   * Lets the grantee read the value: `secretsmanager:GetSecretValue` on
   * exactly this secret, and `kms:Decrypt` on exactly its key, only through
   * Secrets Manager (`kms:ViaService`) and only with this secret's ARN as the
   * `SecretARN` encryption context
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
   * The grantee is a role, or a function (its execution role gets the
   * statements). Returns the grant: the read statement, then the decrypt
   * statement. Calling it again for the same grantee (or the function after
   * its role) adds nothing and returns the first grant.
   */
  public grantRead(grantee: IGrantable): Grant {
    // A function and its execution role are one grantee: the statements land in the role's policy.
    const principal = grantPrincipalOf(grantee);
    const existing = this.grants.get(principal);
    if (existing) return existing;
    const read = new PolicyStatement({
      sid: `ReadSecret${this.sidSuffix}`,
      actions: SECRET_READ_ACTIONS,
      resources: [this.secretArn],
    });
    principal.addToPrincipalPolicy(read);
    const decrypt = this.key.grantDecrypt(principal, {
      sid: `DecryptSecret${this.sidSuffix}`,
      viaService: `secretsmanager.${this.key.environment.region}.amazonaws.com`,
      encryptionContext: { SecretARN: this.secretArn },
    });
    const grant: Grant = { grantee: principal, statements: [read, ...decrypt.statements] };
    this.grants.set(principal, grant);
    return grant;
  }
}

/**
 * `seedFromVariable` (default false) and `seedVersion` (default 1, only when
 * seeded), checked. Throws with `where` and the fix.
 * @internal shared by the secret constructs
 */
export function checkSeedProps(
  where: string,
  props: { readonly seedFromVariable?: boolean; readonly seedVersion?: number },
): { readonly seeded: boolean; readonly version: number } {
  const seeded = resolveSetting(where, "seedFromVariable", SEED_FROM_VARIABLE, props.seedFromVariable);
  if (props.seedVersion !== undefined && !seeded) {
    throw new Error(`${where}: seedVersion is ${props.seedVersion} but seedFromVariable is off; set seedFromVariable to true, or remove seedVersion`);
  }
  const version = resolveSetting(where, "seedVersion", SECRETS_MANAGER_SECRET_SETTINGS.seedVersion, props.seedVersion);
  return { seeded, version };
}

/**
 * The variable name for a construct's seed value: the construct's path below
 * its stack, with every character other than a letter, digit or `_` turned
 * into `_` (so the name also works as `TF_VAR_<name>` in a shell), plus
 * `_value`. Throws when another variable of the stack already has that name.
 * @internal shared by the secret constructs
 */
export function seedVariableName(scope: Construct, where: string): string {
  const stack = TerraformStack.of(scope);
  let name = `${idsBelowStack(scope)
    .join("_")
    .replace(/[^A-Za-z0-9_]/g, "_")}_value`;
  if (!/^[A-Za-z_]/.test(name)) name = `v_${name}`;
  const clash = stack.node.findAll().find((c) => c instanceof TerraformVariable && c.friendlyUniqueId === name);
  if (clash) {
    throw new Error(`${where}: its seed variable would be named "${name}", which "${clash.node.path}" already uses; give one of the constructs another id`);
  }
  return name;
}

/**
 * A required string variable that is `sensitive` and `ephemeral` (Terraform
 * ≥ 1.10: never stored in the plan file or the state, usable only in
 * write-only attributes and other ephemeral contexts). cdktf 0.21 has no
 * `ephemeral` option, hence the override.
 * @internal shared by the secret constructs
 */
export function createSeedVariable(scope: Construct, name: string, description: string): TerraformVariable {
  const variable = new TerraformVariable(scope, "seed-value", {
    type: "string",
    sensitive: true,
    nullable: false,
    description: `${description}. Supplied at apply time (-var or TF_VAR_${name}); never stored in the plan or the state.`,
  });
  variable.overrideLogicalId(name);
  variable.addOverride("ephemeral", true);
  return variable;
}

/**
 * The construct's path below its stack in PascalCase, letters and digits
 * only, for statement IDs that differ per construct.
 * @internal shared by the secret constructs
 */
export function pathPascalCase(scope: Construct): string {
  return pascalCase(idsBelowStack(scope).join("-"));
}

/** The ids of the construct and its parents below its stack, outermost first. */
function idsBelowStack(scope: Construct): string[] {
  const stack = TerraformStack.of(scope);
  return scope.node.scopes.slice(stack.node.scopes.length).map((c) => c.node.id);
}
