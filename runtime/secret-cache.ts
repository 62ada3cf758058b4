/**
 * Secrets Manager secrets and SSM parameters, fetched with a TTL cache that
 * lives at module scope, i.e. for the life of the execution environment.
 *
 * Why a TTL and why 300 s by default: a warm function should not call AWS on
 * every invocation (latency, `GetSecretValue` is billed per 10,000 calls, and
 * every call through a customer-managed key is also a KMS `Decrypt` billed and
 * logged in CloudTrail), yet a rotated secret must reach running functions
 * within a bounded time. 300 s is the default (and the maximum CDK accepts) of
 * the AWS Parameters and Secrets Lambda extension; Powertools Parameters
 * defaults to 5 s, which refetches on almost every invocation of a busy
 * function. Override per call with `maxAgeSeconds`, or for the whole function
 * with `LAMBDA_KMS_CACHE_TTL_SECONDS`.
 *
 * Concurrent requests for the same value share one in-flight call (a handler
 * that fans out with `Promise.all` costs one fetch, not N). Failures are not
 * cached: the next call retries.
 */
import { getSecretsManagerClient, getSsmClient } from "./clients";
import { resetDecryptedEnvironment } from "./encrypted-environment";
import { RuntimeSecretError, RuntimeService, awsErrorName, commonHint, sanitizeAwsMessage } from "./errors";

/** Environment variable that overrides the default TTL (seconds, ≥ 0; 0 disables caching). */
export const CACHE_TTL_ENV = "LAMBDA_KMS_CACHE_TTL_SECONDS";

/** Default TTL: the Parameters and Secrets Lambda extension's default. */
export const DEFAULT_MAX_AGE_SECONDS = 300;

/** Options shared by {@link getSecret} and {@link getParameter}. */
export interface CacheOptions {
  /**
   * The oldest cached value this call accepts, in seconds since it was
   * fetched; 0 fetches every time (concurrent calls still share one request).
   * @default LAMBDA_KMS_CACHE_TTL_SECONDS, else 300
   */
  readonly maxAgeSeconds?: number;
  /**
   * Fetch now even if a cached value is still fresh (e.g. after an
   * authentication failure that suggests the secret was rotated), and cache
   * the result.
   * @default false
   */
  readonly forceFetch?: boolean;
  /**
   * `"json"` returns `JSON.parse(value)` (a fresh object on every call, so
   * callers cannot corrupt the cache); otherwise the string.
   * @default undefined (the string)
   */
  readonly parse?: "json";
}

/** Options of {@link getSecret}. */
export interface GetSecretOptions extends CacheOptions {
  /**
   * Version stage to read.
   * @default "AWSCURRENT" (Secrets Manager's default)
   */
  readonly versionStage?: string;
  /**
   * Version ID to read.
   * @default undefined (the version of `versionStage`)
   */
  readonly versionId?: string;
}

/** Options of {@link getParameter}. */
export interface GetParameterOptions extends CacheOptions {
  /**
   * Decrypt a SecureString parameter (`WithDecryption`); needs `kms:Decrypt`
   * on the parameter's key. With `false`, a SecureString comes back as
   * ciphertext.
   * @default true
   */
  readonly decrypt?: boolean;
}

interface CacheEntry {
  readonly value: string;
  /** When the answer arrived (ms since the epoch). */
  readonly fetchedAt: number;
}

/** Fetched values, keyed by service, id and the options that change the value. */
const values = new Map<string, CacheEntry>();
/** Requests in flight, with the same keys: concurrent callers share them. */
const inFlight = new Map<string, Promise<string>>();

/**
 * A Secrets Manager secret (`GetSecretValue`): its `SecretString`, or its
 * `SecretBinary` decoded as UTF-8; cached for `maxAgeSeconds`.
 *
 * The role needs `secretsmanager:GetSecretValue` on the secret ARN and, for a
 * secret encrypted with a customer-managed key, `kms:Decrypt` on that key via
 * `secretsmanager.<region>.amazonaws.com`.
 *
 * @param secretId the secret's ARN (recommended: what the infrastructure puts in the environment) or name
 * @throws RuntimeSecretError naming the secret, the AWS error and a fix
 */
export function getSecret(secretId: string, options?: GetSecretOptions & { parse?: undefined }): Promise<string>;
export function getSecret<T = unknown>(secretId: string, options: GetSecretOptions & { parse: "json" }): Promise<T>;
export async function getSecret(secretId: string, options: GetSecretOptions = {}): Promise<unknown> {
  const key = ["secretsmanager", secretId, options.versionStage ?? "", options.versionId ?? ""].join("\u0000");
  const value = await cached(key, options, async () => {
    const operation = "GetSecretValue";
    try {
      const client = await getSecretsManagerClient();
      const { GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
      const response = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: options.versionStage, VersionId: options.versionId }));
      if (response.SecretString !== undefined) return response.SecretString;
      if (response.SecretBinary !== undefined) return Buffer.from(response.SecretBinary).toString("utf8");
    } catch (error) {
      throw fetchError("secretsmanager", operation, secretId, error);
    }
    throw new RuntimeSecretError({
      subject: `cannot read secret "${secretId}"`,
      code: "EmptyValue",
      fromAws: false,
      hint: "the secret version has neither SecretString nor SecretBinary; put a value (aws secretsmanager put-secret-value)",
      service: "secretsmanager",
      operation,
      secretId,
    });
  });
  return transform(value, options, "secretsmanager", secretId);
}

/**
 * An SSM parameter (`GetParameter`, `WithDecryption` by default); cached for
 * `maxAgeSeconds`.
 *
 * The role needs `ssm:GetParameter` on the parameter ARN and, for a
 * SecureString with a customer-managed key, `kms:Decrypt` on that key via
 * `ssm.<region>.amazonaws.com`.
 *
 * @param name the parameter name (`/app/db/password`) or ARN
 * @throws RuntimeSecretError naming the parameter, the AWS error and a fix
 */
export function getParameter(name: string, options?: GetParameterOptions & { parse?: undefined }): Promise<string>;
export function getParameter<T = unknown>(name: string, options: GetParameterOptions & { parse: "json" }): Promise<T>;
export async function getParameter(name: string, options: GetParameterOptions = {}): Promise<unknown> {
  const decrypt = options.decrypt ?? true;
  const key = ["ssm", name, String(decrypt)].join("\u0000");
  const value = await cached(key, options, async () => {
    const operation = "GetParameter";
    try {
      const client = await getSsmClient();
      const { GetParameterCommand } = await import("@aws-sdk/client-ssm");
      const response = await client.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }));
      if (response.Parameter?.Value !== undefined) return response.Parameter.Value;
    } catch (error) {
      throw fetchError("ssm", operation, name, error);
    }
    throw new RuntimeSecretError({
      subject: `cannot read parameter "${name}"`,
      code: "EmptyValue",
      fromAws: false,
      hint: "SSM returned no value",
      service: "ssm",
      operation,
      secretId: name,
    });
  });
  return transform(value, options, "ssm", name);
}

/**
 * Empties every cache of the runtime library: fetched secrets and parameters
 * and decrypted environment variables — the state of a fresh execution
 * environment. Meant for tests; in a function, prefer `forceFetch`.
 */
export function clearCaches(): void {
  values.clear();
  inFlight.clear();
  resetDecryptedEnvironment();
}

/** The TTL in effect: `LAMBDA_KMS_CACHE_TTL_SECONDS` if set, else 300 s. */
export function defaultMaxAgeSeconds(): number {
  const raw = process.env[CACHE_TTL_ENV];
  if (raw === undefined || raw.trim() === "") return DEFAULT_MAX_AGE_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`${CACHE_TTL_ENV} must be a number of seconds ≥ 0, got "${raw}"; unset it for the default of ${DEFAULT_MAX_AGE_SECONDS}`);
  }
  return seconds;
}

async function cached(key: string, options: CacheOptions, fetch: () => Promise<string>): Promise<string> {
  const maxAgeSeconds = options.maxAgeSeconds ?? defaultMaxAgeSeconds();
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new RangeError(`maxAgeSeconds must be a number of seconds ≥ 0, got ${maxAgeSeconds}`);
  }
  // Freshness is judged by each caller's own maxAgeSeconds ("at most this
  // old"), not fixed by whoever fetched: a caller asking for 0 always fetches.
  const entry = values.get(key);
  if (!options.forceFetch && entry && Date.now() - entry.fetchedAt < maxAgeSeconds * 1000) return entry.value;
  // A request already in flight is as fresh as a new one would be, even for forceFetch.
  const pending = inFlight.get(key);
  if (pending) return pending;

  const request = fetch().then((value) => {
    // Age counts from the answer, not the request: a slow call does not shorten the window.
    values.set(key, { value, fetchedAt: Date.now() });
    return value;
  });
  inFlight.set(key, request);
  try {
    return await request;
  } finally {
    if (inFlight.get(key) === request) inFlight.delete(key);
  }
}

function transform(value: string, options: CacheOptions, service: RuntimeService, secretId: string): unknown {
  if (options.parse !== "json") return value;
  try {
    return JSON.parse(value);
  } catch {
    // Not the SyntaxError's message: V8 quotes the input in it ("… "hunter2" is not valid JSON"),
    // which would print the secret. Nor is it attached as the cause, for the same reason.
    throw new RuntimeSecretError({
      subject: `cannot parse ${service === "ssm" ? "parameter" : "secret"} "${secretId}" as JSON`,
      code: "InvalidJson",
      fromAws: false,
      hint: `the value (${value.length} chars) is not valid JSON; store a JSON document, or read it without parse: "json"`,
      service,
      operation: service === "ssm" ? "GetParameter" : "GetSecretValue",
      secretId,
    });
  }
}

function fetchError(service: "secretsmanager" | "ssm", operation: string, secretId: string, error: unknown): RuntimeSecretError {
  const code = awsErrorName(error);
  const what = service === "ssm" ? "parameter" : "secret";
  return new RuntimeSecretError({
    subject: `cannot read ${what} "${secretId}" (${service} ${operation})`,
    code,
    fromAws: true,
    hint: fetchHint(service, code),
    service,
    operation,
    secretId,
    awsMessage: sanitizeAwsMessage(error),
    cause: error,
  });
}

function fetchHint(service: "secretsmanager" | "ssm", code: string): string {
  if (service === "secretsmanager") {
    switch (code) {
      case "ResourceNotFoundException":
        return "no such secret (or no such version) in this account and region: check the ARN/name in the function's environment and AWS_REGION";
      case "AccessDeniedException":
        return "the execution role needs secretsmanager:GetSecretValue on this secret's ARN, and kms:Decrypt on the secret's key with kms:ViaService=secretsmanager.<region>.amazonaws.com";
      case "DecryptionFailure":
        return "Secrets Manager could not decrypt the secret with its KMS key: the role lacks kms:Decrypt on that key (via secretsmanager), or the key is disabled or pending deletion";
      case "InvalidRequestException":
        return "the secret is scheduled for deletion or disabled: restore it (aws secretsmanager restore-secret)";
      case "InvalidParameterException":
        return "the secret ID, version stage or version ID is malformed";
      default:
        return commonHint(code) ?? "see the AWS error above; the next call retries";
    }
  }
  switch (code) {
    case "ParameterNotFound":
      return "no such parameter in this account and region: check the name in the function's environment and AWS_REGION";
    case "ParameterVersionNotFound":
      return "the parameter version or label does not exist";
    case "AccessDeniedException":
      return "the execution role needs ssm:GetParameter on this parameter's ARN, and for a SecureString kms:Decrypt on its key with kms:ViaService=ssm.<region>.amazonaws.com";
    case "InvalidKeyId":
      return "the parameter's KMS key is disabled, deleted or not usable by the role: enable the key or grant kms:Decrypt";
    default:
      return commonHint(code) ?? "see the AWS error above; the next call retries";
  }
}
