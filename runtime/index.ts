/**
 * Runtime library for Lambda handlers (TypeScript/JavaScript) deployed by
 * this project, published as `cdktf-lambda-kms/runtime`. It runs inside
 * Lambda: it never imports cdktf, and uses only the AWS SDK v3 that the
 * Lambda Node.js runtime provides (bundles leave the SDK out).
 *
 * Three paths to configuration that must stay secret, and what each costs:
 *
 * | Path | API | AWS calls |
 * |---|---|---|
 * | helper-encrypted environment variable | {@link decryptEnvironment}, {@link getDecryptedVariable} | one KMS `Decrypt` per variable per execution environment (cold start), in parallel; none when warm |
 * | Secrets Manager secret | {@link getSecret} | one `GetSecretValue` per TTL window (default 300 s) per environment |
 * | SSM SecureString parameter | {@link getParameter} | one `GetParameter` per TTL window (default 300 s) per environment |
 *
 * All failures are {@link RuntimeSecretError}s that name the variable or
 * secret, the AWS error and a fix, and never contain a plaintext.
 */
export { RuntimeSecretError, type RuntimeSecretErrorDetails, type RuntimeService } from "./errors";
export { getKmsClient, getSecretsManagerClient, getSsmClient, resetClients, setClients, type RuntimeClients } from "./clients";
export {
  ENCRYPTED_VARIABLES_ENV,
  FUNCTION_NAME_CONTEXT_KEY,
  decryptEnvironment,
  encryptedVariableNames,
  getDecryptedVariable,
  resetDecryptedEnvironment,
  type DecryptEnvironmentOptions,
  type DecryptVariableOptions,
} from "./encrypted-environment";
export {
  CACHE_TTL_ENV,
  DEFAULT_MAX_AGE_SECONDS,
  clearCaches,
  defaultMaxAgeSeconds,
  getParameter,
  getSecret,
  type CacheOptions,
  type GetParameterOptions,
  type GetSecretOptions,
} from "./secret-cache";
