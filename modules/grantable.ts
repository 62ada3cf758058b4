import { PolicyStatement } from "./policy-document";

/**
 * Something that holds an identity policy (an IAM role), or stands for one
 * (a function, through its execution role), so that resources can grant it
 * exactly the permissions it needs, e.g. `key.grantDecrypt(role)` or
 * `secret.grantRead(fn)`.
 */
export interface IGrantable {
  /** Adds a statement to the principal's identity policy. */
  addToPrincipalPolicy(statement: PolicyStatement): void;
  /**
   * The grantable whose policy really receives the statements, when this one
   * delegates (an `EncryptedFunction` → its execution role). Grants that are
   * made once per grantee (`grantRead`) treat both as the same grantee.
   * @default this grantable itself
   */
  readonly grantPrincipal?: IGrantable;
  /**
   * The ARN the principal's requests carry as `aws:PrincipalArn` (for a
   * role: the role ARN). Keys that deny use to principals they do not name
   * list it when they grant access.
   * @default none: such keys refuse the grant
   */
  readonly principalArn?: string;
}

/** The grantable whose policy receives the statements: `grantee.grantPrincipal`, or the grantee itself. */
export function grantPrincipalOf(grantee: IGrantable): IGrantable {
  return grantee.grantPrincipal ?? grantee;
}
