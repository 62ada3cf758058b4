import { IConstruct } from "constructs";
import { IEncryptionKey } from "./encryption-key-interface";
import { Grant } from "./grant";
import { IGrantable } from "./grantable";

/**
 * A secret a function reads at run time, passed to it by reference in an
 * environment variable (`EncryptedFunctionProps.secrets`):
 * `SecretsManagerSecret` (the variable holds the secret's ARN) or
 * `SecureStringParameter` (the parameter's name). The function grants its
 * execution role `grantRead` and never sees the value at synth.
 */
export interface ISecret extends IConstruct {
  /** The value the function's environment variable holds: the secret's ARN or the parameter's name (either may be a token). */
  readonly reference: string;
  /** The customer-managed key that encrypts the value; a function may only read secrets encrypted with its own key. */
  readonly key: IEncryptionKey;
  /** How messages name the secret, e.g. `secret "orders/db-password"` or `parameter "/orders/api-key"`. */
  readonly displayName: string;
  /**
   * Bytes `reference` takes in a function's environment, which Lambda
   * limits to 4 KB in all: its length when known at synth, an estimate
   * otherwise.
   */
  readonly referenceBytes: number;
  /**
   * Lets the grantee read the value (read on exactly this secret, decrypt on
   * exactly its key through the service), once per grantee: a second call
   * for the same grantee, or for a function after its role, adds nothing and
   * returns the first grant.
   */
  grantRead(grantee: IGrantable): Grant;
}

/** Bytes counted for a secret reference whose length is not known at synth (a token). */
export const SECRET_REFERENCE_BYTES = 100;
