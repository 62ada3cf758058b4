import { IGrantable } from "./grantable";
import { PolicyStatement } from "./policy-document";

/**
 * What a grant method did: the grantable whose identity policy received the
 * statements, and the statements themselves. Returned by
 * `IEncryptionKey.grantDecrypt` and `ISecret.grantRead` (aws-cdk's
 * `iam.Grant`, reduced to what these constructs need).
 */
export interface Grant {
  /**
   * The grantable whose identity policy holds the statements: the grantee
   * given, or the one it delegates to (an `EncryptedFunction` → its
   * execution role, see `IGrantable.grantPrincipal`).
   */
  readonly grantee: IGrantable;
  /** The statements that give the access, in the order they were added to the grantee's policy. */
  readonly statements: readonly PolicyStatement[];
}
