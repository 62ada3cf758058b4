import { PolicyStatement } from "./policy-document";

/**
 * Something that holds an identity policy (an IAM role), so that resources can
 * grant it exactly the permissions it needs, e.g. `key.grantDecrypt(role)`.
 */
export interface IGrantable {
  /** Adds a statement to the principal's identity policy. */
  addToPrincipalPolicy(statement: PolicyStatement): void;
}
