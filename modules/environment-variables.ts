/**
 * Checks for Lambda environment variables. The Terraform provider checks none
 * of these (`variables` is a plain map), so without them mistakes surface only
 * at `terraform apply`, or never (a secret in plain text).
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
import { CIPHERTEXT_BASE64_PATTERN, ENCRYPTED_VARIABLES_ENV, ENCRYPT_COMMAND_NAME, FUNCTION_NAME_CONTEXT_KEY } from "../runtime/contract";
import { knownSecretFormat } from "./private/safe-output";

/** Keys start with a letter, are at least 2 characters, and use letters, digits and `_`. */
export const ENVIRONMENT_VARIABLE_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]+$/;

/** Total size of all keys and values (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const ENVIRONMENT_MAX_BYTES = 4096;

/** Keys the Lambda runtime sets itself; `TZ` is included because older runtimes reserve it. */
export const RESERVED_ENVIRONMENT_VARIABLES: ReadonlySet<string> = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
  "TZ",
]);

/**
 * The variable that lists a function's client-side encrypted variables
 * (comma-separated, sorted). `EncryptedFunction` sets it from
 * `encryptedEnvironment`, and the runtime library reads it to know which
 * values to decrypt, so nobody may set it by hand. The constructs' name for
 * the runtime contract's `ENCRYPTED_VARIABLES_ENV`.
 */
export const ENCRYPTED_VARIABLES_LIST_NAME = ENCRYPTED_VARIABLES_ENV;

/** Why a variable name is refused (pattern, Lambda-reserved or library-reserved), or undefined. */
export function environmentVariableNameProblem(name: string): string | undefined {
  if (!ENVIRONMENT_VARIABLE_NAME_PATTERN.test(name)) {
    return `has an invalid name; start with a letter and use at least 2 letters, digits or "_"`;
  }
  if (RESERVED_ENVIRONMENT_VARIABLES.has(name)) return "is reserved by the Lambda runtime; choose another name";
  if (name === ENCRYPTED_VARIABLES_LIST_NAME) {
    return "is reserved: the function sets it to the names of its client-side encrypted variables; list encrypted values under encryptedEnvironment and choose another name";
  }
  return undefined;
}

/**
 * A KMS ciphertext blob (symmetric key) carries a version, the key's ID, an
 * IV and an authentication tag besides the data, so it is never shorter than
 * this; anything shorter was not produced by KMS Encrypt.
 */
export const MIN_CIPHERTEXT_BYTES = 32;

/**
 * Why a client-side encrypted value is refused, or undefined when it looks
 * like a KMS ciphertext in standard base64. The message shows at most the
 * first 12 characters of the value.
 */
export function ciphertextProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `has a ${typeof value} value; paste the base64 ciphertext as a string`;
  // Only the length: a plaintext pasted here by mistake must not reach logs, not even in part.
  const shown = `${value.length} characters`;
  const fix = `paste the base64 ciphertext printed by the encrypt command ("npx ${ENCRYPT_COMMAND_NAME}", or "npm run encrypt" in the cdktf-lambda-kms repository), made with this function's key and the encryption context ${FUNCTION_NAME_CONTEXT_KEY}=<function name>`;
  if (!CIPHERTEXT_BASE64_PATTERN.test(value) || value.length % 4 !== 0) {
    return `is not valid base64 (${shown}); ${fix}`;
  }
  const bytes = Buffer.from(value, "base64").length;
  if (bytes < MIN_CIPHERTEXT_BYTES) {
    return `decodes to ${bytes} bytes (${shown}), too short for a KMS ciphertext (at least ${MIN_CIPHERTEXT_BYTES}); ${fix}`;
  }
  return undefined;
}

/**
 * Words that mark a variable name as holding a secret. A word may be glued to
 * what comes before it (`DBPASSWORD`, `APITOKEN`) but must end the name or be
 * followed by `_`, so `PASSWORDLESS_LOGIN`, `TOKENIZER_MODEL` and
 * `SECRETARY_EMAIL` are not flagged.
 */
const SECRET_NAME_PATTERN =
  /(PASSWORD|PASSWD|PASSPHRASE|SECRETS?|TOKEN|APIKEY|API_KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|SIGNING_?KEY|ENCRYPTION_?KEY)(_|$)|(^|_)(PWD|PASS)(_|$)/i;

/**
 * Last name parts that say the variable describes a secret rather than holds
 * it: `DB_PASSWORD_SECRET_ARN`, `API_TOKEN_PARAMETER`, `TOKEN_TTL`.
 */
const METADATA_SUFFIX_PATTERN =
  /_(ARN|NAME|ID|PATH|PARAMETER|PARAM|TTL|TIMEOUT|SECONDS|MINUTES|HOURS|DAYS|ENABLED|DISABLED|LENGTH|VERSION|URL|ENDPOINT|HEADER|REGION|COUNT|SIZE)$/i;

/**
 * Values that cannot be the secret itself: an ARN (the recommended way to
 * point a function at a secret) or a boolean switch.
 */
function isReference(value: string): boolean {
  return /^arn:aws[a-z-]*:/.test(value) || /^(true|false)$/i.test(value);
}

const SECRETS_PATH_HINT =
  'keep secrets out of plain environment variables: declare it in "secrets" (Secrets Manager or SSM SecureString) and reference it from the function\'s "secrets", which passes only its ARN or name, or encrypt it client-side with "npx lambda-kms-encrypt" ("npm run encrypt" in the cdktf-lambda-kms repository) and put the ciphertext in "encryptedEnvironment" (see docs/security-model.md, "Configuration vs secrets")';

/** Why a variable looks like a secret, or undefined when it does not. */
export function secretLikeReason(name: string, value: string): string | undefined {
  const known = knownSecretFormat(value);
  if (known) return `its value looks like ${known}`;
  if (SECRET_NAME_PATTERN.test(name) && !METADATA_SUFFIX_PATTERN.test(name) && !isReference(value)) {
    return "its name says it holds a secret";
  }
  return undefined;
}

/** A problem with one variable (`variable` set) or with the environment as a whole. */
export interface EnvironmentProblem {
  readonly variable?: string;
  readonly message: string;
}

export interface EnvironmentCheckOptions {
  /**
   * Bytes of the function's other variables (secret references, encrypted
   * values), counted toward Lambda's 4 KB limit together with these.
   * @default 0
   */
  readonly additionalBytes?: number;
}

/**
 * Every problem with a function's plaintext environment, as messages that
 * name the variable and say how to fix it. Values are never echoed: they may
 * be real secrets.
 */
export function environmentProblems(variables: Readonly<Record<string, string>>, options: EnvironmentCheckOptions = {}): EnvironmentProblem[] {
  const problems: EnvironmentProblem[] = [];
  let bytes = options.additionalBytes ?? 0;
  for (const [name, value] of Object.entries(variables)) {
    const problem = (message: string) => problems.push({ variable: name, message: `environment variable "${name}" ${message}` });
    if (typeof value !== "string") {
      problem(`has a ${typeof value} value; write it as a string`);
      continue;
    }
    // Counted after the type check: Buffer.byteLength throws on a non-string.
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
    const nameProblem = environmentVariableNameProblem(name);
    if (nameProblem) problem(nameProblem);
    const reason = secretLikeReason(name, value);
    if (reason) problem(`looks like a secret (${reason}); ${SECRETS_PATH_HINT}`);
  }
  if (bytes > ENVIRONMENT_MAX_BYTES) {
    problems.push({
      message: `environment variables total ${bytes} bytes, over Lambda's ${ENVIRONMENT_MAX_BYTES}-byte limit; move large values to SSM parameters or the code package`,
    });
  }
  return problems;
}
