/**
 * Decrypts the environment variables that were encrypted client-side with
 * the function's KMS key — the Lambda console's "encryption helpers"
 * convention, produced by the package's encrypt command (`npx lambda-kms-encrypt`;
 * `npm run encrypt` in the cdktf-lambda-kms repository).
 *
 * Cost model (why the memoization matters): each encrypted variable costs
 * one KMS `Decrypt` call (and one CloudTrail event) per *execution
 * environment*, not per invocation. The promises live at module scope, so a
 * warm invocation makes no KMS call at all; all variables are decrypted in
 * parallel, so a cold start waits for one KMS round trip, not one per
 * variable. Compare Powertools Parameters (no KMS helper provider at all, and
 * a 5 s default cache for what it does fetch) and the Parameters and Secrets
 * Lambda extension (no KMS helper support; 300 s TTL). A decrypted helper
 * value cannot change while the environment lives (the ciphertext is part of
 * the function configuration), so no TTL applies here.
 *
 * The encryption context is enforced: every `Decrypt` passes
 * `{ LambdaFunctionName: <this function's name> }`. KMS only decrypts when
 * the context is exactly the one used at encryption, so a value encrypted
 * for another function fails (`InvalidCiphertextException`), and the key
 * policy / role can allow decryption per function with the condition
 * `kms:EncryptionContext:LambdaFunctionName`.
 */
import { getKmsClient } from "./clients";
import {
  CIPHERTEXT_BASE64_PATTERN,
  ENCRYPTED_VARIABLES_ENV,
  ENCRYPTED_VARIABLES_SEPARATOR,
  ENCRYPT_COMMAND_NAME,
  FUNCTION_NAME_CONTEXT_CONDITION_KEY,
  FUNCTION_NAME_CONTEXT_KEY,
} from "./contract";
import { RuntimeSecretError, awsErrorName, commonHint, describeCiphertext, sanitizeAwsMessage } from "./errors";

// The runtime's public names for two of the contract's values (runtime/index.ts exports them from here).
export { ENCRYPTED_VARIABLES_ENV, FUNCTION_NAME_CONTEXT_KEY } from "./contract";

/** How the messages name the encrypt command: the package's bin, and the script in the repository. */
const ENCRYPT_COMMAND = `"npx ${ENCRYPT_COMMAND_NAME}" ("npm run encrypt" in the cdktf-lambda-kms repository)`;

/** The encrypt command for one function, as the messages show it. */
function encryptCommand(functionName: string): string {
  return `"npx ${ENCRYPT_COMMAND_NAME} --key <key> --function ${functionName}" ("npm run encrypt -- …" in the cdktf-lambda-kms repository)`;
}

/** Options of {@link decryptEnvironment}. */
export interface DecryptEnvironmentOptions {
  /**
   * Names of the encrypted environment variables.
   * @default the comma-separated list in `LAMBDA_KMS_ENCRYPTED_VARIABLES`
   */
  readonly names?: readonly string[];
  /**
   * Function name for the encryption context `{ LambdaFunctionName }`.
   * @default process.env.AWS_LAMBDA_FUNCTION_NAME (set by Lambda)
   */
  readonly functionName?: string;
}

/** Options of {@link getDecryptedVariable}. */
export type DecryptVariableOptions = Pick<DecryptEnvironmentOptions, "functionName">;

/**
 * One promise per (function name, variable, ciphertext), for the life of the
 * execution environment. Keyed by the ciphertext too, so a changed value (only
 * possible outside Lambda, e.g. in tests) is decrypted again.
 */
const decrypted = new Map<string, Promise<string>>();

/**
 * Decrypts every helper-encrypted environment variable, once per execution
 * environment, and returns `{ name: plaintext }`.
 *
 * Call it outside the handler (or at the top of it; it is memoized): the
 * first call makes exactly one KMS `Decrypt` per variable, all in parallel;
 * later and concurrent calls share the same promises and make no KMS call.
 * A failure is not cached: the next call retries the variables that failed.
 *
 * @throws RuntimeSecretError naming the variable, the AWS error and a fix;
 *   when several variables fail, the error of the first one listed.
 *
 * @example
 * // Start during the init phase (its CPU time comes before the first invocation)…
 * decryptEnvironment().catch(() => undefined);
 * export const handler = async () => {
 *   // …and await it in the handler: memoized, so no KMS call when warm, and a
 *   // retry if the init-phase attempt failed. Do not keep the init promise in a
 *   // const and await that: a rejected promise would fail every invocation of
 *   // the environment, and an unhandled rejection at init fails the init.
 *   const { API_KEY } = await decryptEnvironment();
 * };
 */
export async function decryptEnvironment(options: DecryptEnvironmentOptions = {}): Promise<Record<string, string>> {
  const names = [...new Set((options.names ?? encryptedVariableNames()).map((name) => name.trim()).filter((name) => name !== ""))];
  if (names.length === 0) return {};
  const functionName = resolveFunctionName(options.functionName, names[0]);
  // allSettled, not all: every variable gets its outcome (and failures leave
  // the memo), and the error reported is deterministic (first name listed).
  const results = await Promise.allSettled(names.map((name) => decryptVariable(name, functionName)));
  const values: Record<string, string> = {};
  results.forEach((result, i) => {
    if (result.status === "rejected") throw result.reason;
    values[names[i]] = result.value;
  });
  return values;
}

/**
 * The plaintext of one helper-encrypted environment variable; shares the
 * memoized decryption with {@link decryptEnvironment} (no second KMS call).
 *
 * @throws RuntimeSecretError naming the variable, the AWS error and a fix
 */
export async function getDecryptedVariable(name: string, options: DecryptVariableOptions = {}): Promise<string> {
  return decryptVariable(name, resolveFunctionName(options.functionName, name));
}

/** Names listed in `LAMBDA_KMS_ENCRYPTED_VARIABLES` (empty when unset). */
export function encryptedVariableNames(): string[] {
  return (process.env[ENCRYPTED_VARIABLES_ENV] ?? "")
    .split(ENCRYPTED_VARIABLES_SEPARATOR)
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/**
 * Forgets every decrypted value, as a new execution environment would.
 * For tests; `clearCaches()` calls it too.
 */
export function resetDecryptedEnvironment(): void {
  decrypted.clear();
}

function resolveFunctionName(explicit: string | undefined, variable: string): string {
  const functionName = explicit ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!functionName) {
    throw localError(
      variable,
      "MissingFunctionName",
      "AWS_LAMBDA_FUNCTION_NAME is not set (Lambda sets it); outside Lambda set it, or pass options.functionName, to the function name the value was encrypted for",
    );
  }
  return functionName;
}

function decryptVariable(variable: string, functionName: string): Promise<string> {
  const ciphertext = process.env[variable];
  // Checked before the memo and before any KMS call: these are configuration
  // mistakes that a retry cannot fix and that cost nothing to detect.
  if (ciphertext === undefined || ciphertext.trim() === "") {
    const state = ciphertext === undefined ? "not set" : "empty";
    return Promise.reject(
      localError(
        variable,
        "MissingVariable",
        `the variable is listed as encrypted (${ENCRYPTED_VARIABLES_ENV} or options.names) but is ${state}; set it to the output of ${ENCRYPT_COMMAND}`,
      ),
    );
  }
  const value = ciphertext.trim();
  if (!isBase64(value)) {
    return Promise.reject(
      localError(variable, "InvalidBase64", `the value (${describeCiphertext(value)}) is not base64; set it to the exact output of ${encryptCommand(functionName)}`),
    );
  }

  const key = `${functionName}\u0000${variable}\u0000${value}`;
  const existing = decrypted.get(key);
  if (existing) return existing;
  const pending = kmsDecrypt(variable, value, functionName);
  decrypted.set(key, pending);
  // Failures are not cached: drop this promise so the next call retries
  // (unless someone already replaced it).
  pending.catch(() => {
    if (decrypted.get(key) === pending) decrypted.delete(key);
  });
  return pending;
}

async function kmsDecrypt(variable: string, ciphertext: string, functionName: string): Promise<string> {
  const subject = `cannot decrypt environment variable "${variable}" (${describeCiphertext(ciphertext)}) for function "${functionName}"`;
  let plaintext: Uint8Array | undefined;
  try {
    const kms = await getKmsClient();
    const { DecryptCommand } = await import("@aws-sdk/client-kms");
    const response = await kms.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(ciphertext, "base64"),
        EncryptionContext: { [FUNCTION_NAME_CONTEXT_KEY]: functionName },
      }),
    );
    plaintext = response.Plaintext;
  } catch (error) {
    const code = awsErrorName(error);
    throw new RuntimeSecretError({
      subject,
      code,
      fromAws: true,
      hint: decryptHint(code, functionName),
      service: "kms",
      operation: "Decrypt",
      variable,
      awsMessage: sanitizeAwsMessage(error, ciphertext),
      cause: error,
    });
  }
  if (!plaintext) {
    throw new RuntimeSecretError({ subject, code: "EmptyValue", fromAws: false, hint: "KMS returned no plaintext", service: "kms", operation: "Decrypt", variable });
  }
  return Buffer.from(plaintext).toString("utf8");
}

/** How to fix a failed helper decryption, by AWS error name. */
function decryptHint(code: string, functionName: string): string {
  switch (code) {
    case "InvalidCiphertextException":
      return (
        `the value was not encrypted for this function, or it is damaged: KMS decrypts only with the encryption context used at encryption, here ${FUNCTION_NAME_CONTEXT_KEY}=${functionName}; ` +
        `re-encrypt it with ${encryptCommand(functionName)} and paste the output whole`
      );
    case "IncorrectKeyException":
      return "the value was encrypted under another KMS key; re-encrypt it with this function's key";
    case "AccessDeniedException":
      return `the execution role may not decrypt with this key: it needs kms:Decrypt on the key ARN with the condition ${FUNCTION_NAME_CONTEXT_CONDITION_KEY}=${functionName}, and the key policy must allow the role`;
    case "DisabledException":
      return "the KMS key is disabled: enable it (aws kms enable-key --key-id <key>) or re-encrypt the value with an enabled key";
    case "KMSInvalidStateException":
      return "the KMS key cannot be used in its current state (pending deletion, pending import, or unavailable): cancel the deletion (aws kms cancel-key-deletion) or re-encrypt the value with a usable key";
    case "NotFoundException":
      return "the KMS key that encrypted the value does not exist (deleted, or in another account or region); re-encrypt the value with the function's key";
    case "KeyUnavailableException":
    case "KMSInternalException":
    case "DependencyTimeoutException":
      return "KMS could not serve the request right now; the next call retries";
    default:
      return commonHint(code) ?? "see the AWS error above; the next call retries";
  }
}

/** Strict base64: the alphabet, correct padding, length a multiple of 4. */
function isBase64(value: string): boolean {
  return value.length % 4 === 0 && CIPHERTEXT_BASE64_PATTERN.test(value);
}

function localError(variable: string, code: string, hint: string): RuntimeSecretError {
  return new RuntimeSecretError({ subject: `cannot decrypt environment variable "${variable}"`, code, fromAws: false, hint, service: "kms", operation: "Decrypt", variable });
}
