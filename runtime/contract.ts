/**
 * The contract between the constructs that configure a function (modules/:
 * `EncryptedFunction`, `EncryptionKey`), the runtime library that runs inside
 * it (runtime/) and the encrypt command that produces its ciphertexts
 * (bin/encrypt-value.ts). Each side must use exactly these values, or a
 * deployed function cannot decrypt what it was given: they are defined here
 * once, and every side imports them.
 *
 * This file imports nothing at all, so that every side may import it: the
 * runtime (which runs inside Lambda and must not load cdktf or constructs),
 * the constructs (through `../runtime/contract`, which the published package
 * ships in dist/runtime) and the command.
 */

/**
 * The environment variable that lists a function's client-side encrypted
 * variables by name, joined with {@link ENCRYPTED_VARIABLES_SEPARATOR}
 * (sorted). `EncryptedFunction` sets it from `encryptedEnvironment` and
 * refuses it as a user-chosen name; the runtime's `decryptEnvironment` and
 * `encryptedVariableNames` read it to know which variables to decrypt.
 */
export const ENCRYPTED_VARIABLES_ENV = "LAMBDA_KMS_ENCRYPTED_VARIABLES";

/**
 * Joins the names in {@link ENCRYPTED_VARIABLES_ENV}. Environment variable
 * names cannot contain it (letters, digits and `_` only), so no escaping is
 * needed; the runtime also trims spaces around each name.
 */
export const ENCRYPTED_VARIABLES_SEPARATOR = ",";

/**
 * The encryption-context key of a client-side encrypted value, the one the
 * Lambda console's encryption helpers use; its value is the function's name
 * (`AWS_LAMBDA_FUNCTION_NAME` at run time). The encrypt command encrypts with
 * `{ LambdaFunctionName: <function name> }`, the runtime decrypts with the
 * same context (KMS refuses any other), and the constructs condition the
 * execution role's grant and the helper encrypters' key-policy statement on
 * it ({@link FUNCTION_NAME_CONTEXT_CONDITION_KEY}).
 */
export const FUNCTION_NAME_CONTEXT_KEY = "LambdaFunctionName";

/**
 * The KMS condition key for {@link FUNCTION_NAME_CONTEXT_KEY}
 * (`kms:EncryptionContext:LambdaFunctionName`): key-policy and IAM statements
 * use it to allow encryption or decryption only for a function name, or only
 * with that context present
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context).
 */
export const FUNCTION_NAME_CONTEXT_CONDITION_KEY = `kms:EncryptionContext:${FUNCTION_NAME_CONTEXT_KEY}` as const;

/**
 * The form of a client-side encrypted value: the KMS ciphertext blob in
 * standard base64 (`+` and `/`, `=` padding), and its length a multiple of 4
 * (checked besides this pattern). The encrypt command prints it; the
 * constructs refuse any other value at synth, and the runtime refuses it
 * before calling KMS.
 */
export const CIPHERTEXT_BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The name of the package's encrypt command (its `bin` in package.json): the
 * constructs' and the runtime's error messages tell users to run
 * `npx lambda-kms-encrypt`, and the command names itself by it.
 */
export const ENCRYPT_COMMAND_NAME = "lambda-kms-encrypt";

/** The name of the package's re-encrypt command (its `bin` in package.json), which moves helper values to a new key generation. */
export const REENCRYPT_COMMAND_NAME = "lambda-kms-reencrypt";
