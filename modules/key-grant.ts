import { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { checkPrincipalPartitions } from "./aws-environment";
import type { EncryptionKey } from "./encryption-key";
import { GRANT_OPERATIONS, KeyGrantOperation } from "./private/perms";
import { show } from "./private/setting";

/** Props of {@link KeyGrant}: the key, who receives the grant, for which operations, under which encryption context. */
export interface KeyGrantProps {
  /**
   * The key the grant is on; its policy lets the deploy pipeline create this
   * grant and limits the grantee to it. `EncryptionKey.addConstrainedGrant`
   * fills it in.
   */
  readonly key: EncryptionKey;
  /**
   * The role or user that receives the grant (`arn:<partition>:iam::<account-id>:role/<name>`
   * or `:user/<name>`), as a literal. It must be a principal of its own: the
   * key policy denies it every use the grants do not give, so a role that is
   * also a key user, deployer, helper encrypter or `grantDecrypt` grantee of
   * this key is refused at synth.
   */
  readonly granteePrincipalArn: string;
  /**
   * What the grantee may do: cryptographic operations that take an
   * encryption context, so the constraint applies to each of them.
   * @default ["Decrypt"]
   */
  readonly operations?: readonly ("Decrypt" | "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext")[];
  /**
   * The grant works only for requests whose encryption context is exactly
   * these pairs (`EncryptionContextEquals`), e.g.
   * `{ LambdaFunctionName: "orders-api" }` for one function's helper values.
   * Give this or `encryptionContextSubset`, not both; AWS recommends this one
   * (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#grant-best-practices).
   * @default none: `encryptionContextSubset` must be given
   */
  readonly encryptionContextEquals?: Readonly<Record<string, string>>;
  /**
   * The grant works only for requests whose encryption context includes
   * these pairs, and may have others (`EncryptionContextSubset`).
   * @default none: `encryptionContextEquals` must be given
   */
  readonly encryptionContextSubset?: Readonly<Record<string, string>>;
  /**
   * A principal that may retire the grant (`RetireGrant`) when it is done,
   * without any key or IAM policy permission
   * (https://docs.aws.amazon.com/kms/latest/developerguide/grant-manage.html#grant-delete).
   * @default none: only the key's account (and `RevokeGrant`) can end it
   */
  readonly retiringPrincipalArn?: string;
  /**
   * How Terraform deletes the grant: `RetireGrant` (true), which only the
   * retiring principal or the key's account may call, so the principal that
   * runs Terraform must be `retiringPrincipalArn`; or `RevokeGrant` (false),
   * which the key policy gives the deploy pipeline.
   * @default false
   */
  readonly retireOnDelete?: boolean;
  /**
   * The grant's name, shown by `ListGrants`; letters, digits, `:`, `/`, `_`
   * and `-`, up to 256 characters.
   * @default the construct ID
   */
  readonly name?: string;
}

/** "Each grant constraint value can include up to 8 encryption context pairs" (https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-constraints). */
export const GRANT_CONSTRAINT_MAX_PAIRS = 8;
const GRANT_NAME = /^[a-zA-Z0-9:/_-]{1,256}$/;
const ROLE_OR_USER_ARN = /^arn:[a-z-]+:iam::\d{12}:(role|user)\/.+$/;

/**
 * A KMS grant (`aws_kms_grant`) on an {@link EncryptionKey} with an
 * encryption-context constraint: a narrow, revocable permission for one
 * principal, e.g. a batch job that decrypts one function's helper values
 * (`encryptionContextEquals: { LambdaFunctionName: "orders-api" }`).
 * Create it with `EncryptionKey.addConstrainedGrant`.
 *
 * The key policy follows the grant (see `EncryptionKey.registerGrant`):
 * - nobody may create a grant that is not for an AWS resource unless it
 *   names a registered grantee, carries an encryption-context constraint
 *   and gives only registered operations (`DenyGrantsForNonAwsResources`,
 *   `DenyUnconstrainedGrants`, `DenyGrantOperationsNotRegistered`);
 * - the grantee is denied, whatever IAM allows, every key use outside the
 *   operations and encryption-context values of its grants
 *   (`DenyGrantee<n>OperationsOutsideGrants`, `DenyGrantee<n>ContextOutsideGrants`): a key-policy Deny also applies to
 *   permissions that come from a grant
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/policy-evaluation.html);
 * - the deploy pipeline may create grants for registered grantees, list
 *   them, and revoke them (`DeployPipelineManagesConstrainedGrants`).
 *
 * A new grant can take up to five minutes to work everywhere in KMS; the
 * grantee can use it at once by passing `grantToken` in the request's
 * `GrantTokens` (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#grant_token).
 */
export class KeyGrant extends Construct {
  /** The underlying `aws_kms_grant` (escape hatch). */
  public readonly resource: KmsGrant;
  /** The role or user that receives the grant. */
  public readonly granteePrincipalArn: string;
  /** The grant operations, e.g. `["Decrypt"]`. */
  public readonly operations: NonNullable<KeyGrantProps["operations"]>;
  /** `EncryptionContextEquals` or `EncryptionContextSubset`. */
  public readonly constraintType: "EncryptionContextEquals" | "EncryptionContextSubset";
  /** The constraint's encryption-context pairs. */
  public readonly encryptionContext: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KeyGrantProps) {
    super(scope, id);
    const at = `key grant "${id}" (${this.node.path})`;
    const { key } = props;
    if (Token.isUnresolved(props.granteePrincipalArn) || !ROLE_OR_USER_ARN.test(props.granteePrincipalArn)) {
      throw new Error(
        `${at}: granteePrincipalArn ${show(props.granteePrincipalArn)} is not a literal role or user ARN; the key policy names the grantee, so give arn:aws:iam::<account-id>:role/<name> or :user/<name>`,
      );
    }
    checkPrincipalPartitions(`${at}: granteePrincipalArn`, [props.granteePrincipalArn], key.environment);
    if (props.retiringPrincipalArn !== undefined) checkPrincipalPartitions(`${at}: retiringPrincipalArn`, [props.retiringPrincipalArn], key.environment);
    if (props.retireOnDelete === true && props.retiringPrincipalArn === undefined) {
      throw new Error(
        `${at}: retireOnDelete is true but no retiringPrincipalArn is given; only a retiring principal (or the key's account) may retire a grant, so name the principal that runs Terraform in retiringPrincipalArn, or leave retireOnDelete off to revoke the grant`,
      );
    }

    this.operations = checkOperations(at, props.operations ?? ["Decrypt"]);
    if (key.decryptOnly && this.operations.some((op) => op !== "Decrypt")) {
      throw new Error(`${at}: operations ${JSON.stringify(this.operations)} on decryptOnly key "${key.node.id}"; a retiring key encrypts nothing, so grant "Decrypt" only`);
    }
    const { constraintType, encryptionContext } = checkConstraint(at, props);
    this.constraintType = constraintType;
    this.encryptionContext = encryptionContext;
    this.granteePrincipalArn = props.granteePrincipalArn;
    const name = props.name ?? id;
    if (!GRANT_NAME.test(name)) {
      throw new Error(
        `${at}: name ${show(name)} is not a valid grant name; use 1 to 256 letters, digits, ':', '/', '_' or '-'${props.name === undefined ? " (the name defaults to the construct ID: give name)" : ""}`,
      );
    }

    key.registerGrant(this);
    this.resource = new KmsGrant(this, "grant", {
      keyId: key.keyId,
      name,
      granteePrincipal: props.granteePrincipalArn,
      operations: [...this.operations],
      constraints: [constraintType === "EncryptionContextEquals" ? { encryptionContextEquals: { ...encryptionContext } } : { encryptionContextSubset: { ...encryptionContext } }],
      retiringPrincipal: props.retiringPrincipalArn,
      retireOnDelete: props.retireOnDelete ?? false,
    });
  }

  /** The grant's ID, a reference resolved by Terraform. */
  public get grantId(): string {
    return this.resource.grantId;
  }

  /**
   * The grant token, a reference resolved by Terraform: pass it in
   * `GrantTokens` to use the grant before it is consistent throughout KMS.
   * It is not secret, but only `CreateGrant` returns it.
   */
  public get grantToken(): string {
    return this.resource.grantToken;
  }
}

function checkOperations(at: string, operations: readonly KeyGrantOperation[]): readonly KeyGrantOperation[] {
  if (operations.length === 0) throw new Error(`${at}: operations is empty; give at least one of ${JSON.stringify(GRANT_OPERATIONS)}`);
  for (const op of operations) {
    if (!(GRANT_OPERATIONS as readonly string[]).includes(op)) {
      throw new Error(`${at}: operations: ${show(op)} is not a grantable operation here; use ${JSON.stringify(GRANT_OPERATIONS)}, the operations that take an encryption context`);
    }
  }
  const duplicate = operations.find((op, i) => operations.indexOf(op) !== i);
  if (duplicate !== undefined) throw new Error(`${at}: operations lists ${show(duplicate)} twice; list each once`);
  return [...operations];
}

function checkConstraint(at: string, props: KeyGrantProps): Pick<KeyGrant, "constraintType" | "encryptionContext"> {
  const { encryptionContextEquals: equals, encryptionContextSubset: subset } = props;
  if ((equals === undefined) === (subset === undefined)) {
    throw new Error(
      `${at}: give exactly one of encryptionContextEquals and encryptionContextSubset${equals === undefined ? "" : " (both are given)"}; a grant without an encryption-context constraint would let the grantee use the key for any value, e.g. encryptionContextEquals: { LambdaFunctionName: "orders-api" }`,
    );
  }
  const [field, context] = equals !== undefined ? (["encryptionContextEquals", equals] as const) : (["encryptionContextSubset", subset!] as const);
  const pairs = Object.entries(context);
  if (pairs.length === 0) throw new Error(`${at}: ${field} is empty; give at least one encryption-context pair, e.g. { LambdaFunctionName: "orders-api" }`);
  if (pairs.length > GRANT_CONSTRAINT_MAX_PAIRS) throw new Error(`${at}: ${field} has ${pairs.length} pairs; KMS allows at most ${GRANT_CONSTRAINT_MAX_PAIRS} per constraint`);
  for (const [name, value] of pairs) {
    if (name === "" || Token.isUnresolved(name))
      throw new Error(`${at}: ${field}: the key ${show(name)} must be a literal, non-empty string; the key policy names it in a condition key`);
    if (typeof value !== "string" || value === "") throw new Error(`${at}: ${field}.${name} must be a non-empty string, not ${show(value)}`);
  }
  return { constraintType: equals !== undefined ? "EncryptionContextEquals" : "EncryptionContextSubset", encryptionContext: { ...context } };
}
