import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { formatArn } from "./aws-environment";
import { IEncryptionKey, isSameKey } from "./encryption-key-interface";
import { Grant } from "./grant";
import { IGrantable, grantPrincipalOf } from "./grantable";
import { PolicyStatement, pascalCase } from "./policy-document";
import { PARAMETER_READ_ACTIONS } from "./private/perms";
import { PARAMETER_ARN_MAX_LENGTH, SSM_PARAMETER_NAME } from "./private/aws-limits";
import { choiceSetting, resolveSetting } from "./private/setting";
import { SECRETS_MANAGER_SECRET_SETTINGS, SEED_FROM_VARIABLE, checkSeedProps, createSeedVariable, pathPascalCase, seedVariableName } from "./secrets-manager-secret";
import { ISecret, SECRET_REFERENCE_BYTES } from "./secret-interface";

/** Props of {@link SecureStringParameter}. */
export interface SecureStringParameterProps {
  /** Fully qualified name; rules in `SECURE_STRING_PARAMETER_SETTINGS` (and its full ARN must fit SSM's ARN limit). */
  readonly parameterName: string;
  /**
   * Customer-managed key that encrypts the value (`key_id`). Required: the
   * AWS managed key `aws/ssm` cannot be scoped or audited per workload.
   * A key this app creates, or one imported with `EncryptionKey.fromKeyArn`.
   */
  readonly key: IEncryptionKey;
  /** @default none */
  readonly description?: string;
  /** `Standard` (values up to 4 KB, no charge) or `Advanced` (up to 8 KB, charged). @default "Standard" */
  readonly tier?: "Standard" | "Advanced";
  /**
   * Seed the value from a Terraform variable supplied at apply time: the
   * construct declares a variable `<path>_value` (`type = string`,
   * `sensitive`, `ephemeral`, no default) and writes it through the
   * write-only attribute `value_wo` (Terraform ≥ 1.11), so it is in neither
   * the synthesized JSON, nor the plan file, nor the state. Pass it with
   * `-var <name>=...` or `TF_VAR_<name>`; Terraform asks for it on every plan
   * and apply of the stack.
   * @default false: the parameter is created with the placeholder
   * `"set-out-of-band"` (written through `value_wo`, version 0) and the real
   * value is put out of band; Terraform never writes over it and never
   * records it in the state
   */
  readonly seedFromVariable?: boolean;
  /**
   * `value_wo_version`. Terraform cannot see a write-only value, so it writes
   * the variable again only when this number changes: bump it to store a new
   * value. Only with `seedFromVariable`. Turning `seedFromVariable` on for an
   * unseeded parameter (version 0) writes the seed; after turning it off and
   * on again, bump the version.
   * @default 1
   */
  readonly seedVersion?: number;
  /**
   * Keys the value may still be encrypted under besides `key`: during a
   * manual rotation, the retiring keys, until the value is put again with
   * `key` (Terraform never changes `key_id` after creation; see the class
   * comment). `grantRead` lets the grantee decrypt through SSM with each of
   * them too, and the deploy pipeline may read the value back with them.
   * @default none
   */
  readonly previousKeys?: readonly IEncryptionKey[];
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The value an unseeded parameter is created with; not a secret. */
export const PARAMETER_PLACEHOLDER_VALUE = "set-out-of-band";
/**
 * `value_wo_version` of the placeholder. Below the smallest `seedVersion`
 * (1), so turning `seedFromVariable` on later changes the version and writes
 * the seed.
 */
export const PARAMETER_PLACEHOLDER_VERSION = 0;

/**
 * The parameter's settings; the config file's `secrets[]` entries of type
 * `ssm` apply the same ones
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
 */
export const SECURE_STRING_PARAMETER_SETTINGS = {
  parameterName: SSM_PARAMETER_NAME,
  tier: choiceSetting({
    code: "SSM_TIER",
    doc: "`Standard` (values up to 4 KB, no charge) or `Advanced` (up to 8 KB, charged).",
    default: "Standard",
    values: ["Standard", "Advanced"] as const,
  }),
  seedFromVariable: SEED_FROM_VARIABLE,
  seedVersion: SECRETS_MANAGER_SECRET_SETTINGS.seedVersion,
} as const;

/**
 * An SSM SecureString parameter encrypted with a customer-managed key. Its
 * value never appears in the synthesized JSON:
 *
 * - seeded (`seedFromVariable: true`): written through the write-only
 *   `value_wo` from an ephemeral variable; the provider stores no value in
 *   state (`value` is null there);
 * - not seeded (the default): created with the non-secret placeholder
 *   `"set-out-of-band"`, also through `value_wo` (version 0, with
 *   `lifecycle.ignore_changes = ["value_wo_version"]` so that turning seeding
 *   off never writes the placeholder over a real value). Put the real value
 *   later with
 *   `aws ssm put-parameter --name <name> --type SecureString --key-id <key-arn> --value ... --overwrite`:
 *   Terraform never compares a write-only value, so every later plan and
 *   apply keeps it, and none records it in the state. (The obvious
 *   alternative, `value = "set-out-of-band"` with
 *   `lifecycle.ignore_changes = ["value"]`, also keeps the value, but the
 *   provider reads the parameter with decryption on every refresh and writes
 *   the decrypted value into the state: measured with provider 5.100.0
 *   against moto.)
 *
 * The key (`key_id`) is fixed at creation (`lifecycle.ignore_changes`):
 * provider 5.100.0 sends an empty value with any update that brings no new
 * `value_wo_version`, and SSM refuses it. To move a parameter to another key
 * (a manual rotation), put its value again with that key's ARN, as above,
 * and list the old key in `previousKeys` until then.
 *
 * The identity that runs Terraform needs `kms:Decrypt` on the key in both
 * cases: the provider reads SecureString parameters with decryption, even
 * with `value_wo` (https://github.com/hashicorp/terraform-provider-aws/issues/42849).
 *
 * `grantRead(role)` gives a role `ssm:GetParameter` on this parameter's ARN
 * and `kms:Decrypt` on the key only through SSM in the key's region and only
 * with this parameter's `PARAMETER_ARN` encryption context
 * (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html).
 */
export class SecureStringParameter extends Construct implements ISecret {
  /** The underlying `aws_ssm_parameter` (escape hatch). */
  public readonly resource: SsmParameter;
  /** The parameter name as given, with its leading `/`. */
  public readonly parameterName: string;
  /**
   * `arn:<partition>:ssm:<region>:<account>:parameter/<name without the leading slash>`,
   * a literal built from the key's environment (no reference, so policies
   * naming it create no dependency).
   */
  public readonly parameterArn: string;
  /** Keys the value may still be encrypted under (`previousKeys`), without `key`. */
  public readonly previousKeys: readonly IEncryptionKey[];
  /** The key that encrypts the value. */
  public readonly key: IEncryptionKey;
  /** The ephemeral variable that seeds the value; only with `seedFromVariable`. */
  public readonly seedVariable?: TerraformVariable;

  private readonly grants = new Map<IGrantable, Grant>();
  private readonly sidSuffix: string;

  constructor(scope: Construct, id: string, props: SecureStringParameterProps) {
    super(scope, id);
    const where = `parameter "${props.parameterName}"`;
    const name = props.parameterName;
    const arn = formatArn(props.key.environment, "ssm", `parameter/${name.replace(/^\//, "")}`);
    if (!Token.isUnresolved(name)) {
      resolveSetting(where, "parameterName", SECURE_STRING_PARAMETER_SETTINGS.parameterName, name);
      if (arn.length > PARAMETER_ARN_MAX_LENGTH) {
        throw new Error(
          `${where}: the parameter's ARN would have ${arn.length} characters; SSM allows at most ${PARAMETER_ARN_MAX_LENGTH} including the ARN prefix, so shorten the name`,
        );
      }
    }
    const tier = resolveSetting(where, "tier", SECURE_STRING_PARAMETER_SETTINGS.tier, props.tier);
    const seed = checkSeedProps(where, props);
    // Checked before anything is added, so a clash leaves nothing half-built.
    const variableName = seed.seeded ? seedVariableName(this, where) : undefined;

    this.parameterName = name;
    this.parameterArn = arn;
    this.key = props.key;
    this.sidSuffix = pathPascalCase(this);
    if (variableName !== undefined) {
      this.seedVariable = createSeedVariable(this, variableName, `Value of the SSM SecureString parameter ${name}`);
    }

    props.key.allowDeployerToManageParameter(name);
    this.previousKeys = (props.previousKeys ?? []).filter((key) => !isSameKey(key, props.key));
    for (const key of this.previousKeys) key.allowDeployerToManageParameter(name);
    this.resource = new SsmParameter(this, "parameter", {
      name,
      type: "SecureString",
      keyId: props.key.keyArn,
      tier,
      description: props.description,
      ...(this.seedVariable
        ? // The key too is fixed at creation: a new key_id without a new value_wo_version makes provider 5.100 send an empty Value.
          { valueWo: this.seedVariable.stringValue, valueWoVersion: seed.version, lifecycle: { ignoreChanges: ["key_id"] } }
        : {
            valueWo: PARAMETER_PLACEHOLDER_VALUE,
            valueWoVersion: PARAMETER_PLACEHOLDER_VERSION,
            // Turning seeding off must not write the placeholder over the real value. Provider 5.100
            // sends an empty Value on any update that does not bump value_wo_version (which this
            // parameter never does), and SSM rejects it: so description, tier and key are fixed at creation.
            lifecycle: { ignoreChanges: ["value_wo_version", "description", "tier", "key_id"] },
          }),
      tags: props.tags ? { ...props.tags } : undefined,
    });
  }

  /** The parameter's name: what a function's environment variable holds (`ISecret`). */
  public get reference(): string {
    return this.parameterName;
  }

  /** `parameter "<parameterName>"`, for messages (`ISecret`). */
  public get displayName(): string {
    return `parameter "${this.parameterName}"`;
  }

  /** Bytes the name takes in a function's environment (`ISecret`); 100 when the name is a token. */
  public get referenceBytes(): number {
    return Token.isUnresolved(this.parameterName) ? SECRET_REFERENCE_BYTES : Buffer.byteLength(this.parameterName, "utf8");
  }

  /**
   * Lets the grantee read the decrypted value: `ssm:GetParameter` on exactly
   * this parameter, and `kms:Decrypt` on exactly its key, only through SSM
   * (`kms:ViaService`) and only with this parameter's ARN as the
   * `PARAMETER_ARN` encryption context
   * (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html).
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
      sid: `ReadParameter${this.sidSuffix}`,
      actions: PARAMETER_READ_ACTIONS,
      resources: [this.parameterArn],
    });
    principal.addToPrincipalPolicy(read);
    const decrypt = this.key.grantDecrypt(principal, {
      sid: `DecryptParameter${this.sidSuffix}`,
      viaService: `ssm.${this.key.environment.region}.amazonaws.com`,
      encryptionContext: { PARAMETER_ARN: this.parameterArn },
    });
    const previous = this.previousKeys.flatMap(
      (key) =>
        key.grantDecrypt(principal, {
          sid: `DecryptParameter${this.sidSuffix}With${pascalCase(key.node.id)}`,
          viaService: `ssm.${key.environment.region}.amazonaws.com`,
          encryptionContext: { PARAMETER_ARN: this.parameterArn },
        }).statements,
    );
    const grant: Grant = { grantee: principal, statements: [read, ...decrypt.statements, ...previous] };
    this.grants.set(principal, grant);
    return grant;
  }
}
