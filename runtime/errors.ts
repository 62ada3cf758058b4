/**
 * The one error type of the runtime library.
 *
 * Every failure names *what* could not be read (the environment variable or
 * the secret/parameter), *why* (the AWS error name, e.g.
 * `AccessDeniedException`, or a local reason such as `InvalidBase64`) and
 * *how to fix it* (a hint). Messages never contain a plaintext value, and
 * never a whole ciphertext: a ciphertext is described by its length and a
 * short SHA-256 fingerprint, enough to tell which pasted value is wrong.
 */
import { createHash } from "crypto";

/** The AWS service a runtime call goes to. */
export type RuntimeService = "kms" | "secretsmanager" | "ssm";

/** Fields of a {@link RuntimeSecretError}. */
export interface RuntimeSecretErrorDetails {
  /** What failed, lowercase, without a trailing period (e.g. `cannot decrypt environment variable "API_KEY"`). */
  readonly subject: string;
  /** The AWS error name, or a local reason such as `InvalidBase64`, `MissingVariable`, `InvalidJson`. */
  readonly code: string;
  /** True when `code` is the name of an error AWS (or the SDK talking to AWS) returned. */
  readonly fromAws: boolean;
  /** How to fix it. */
  readonly hint: string;
  /** The service called (or that would have been called). */
  readonly service: RuntimeService;
  /** The API operation, e.g. `Decrypt`, `GetSecretValue`, `GetParameter`. */
  readonly operation: string;
  /** The environment variable that could not be decrypted. */
  readonly variable?: string;
  /** The secret ID/ARN or parameter name that could not be read. */
  readonly secretId?: string;
  /** The AWS error's own message, already sanitized by the caller. */
  readonly awsMessage?: string;
  /** The underlying SDK error (never an error whose message could hold a plaintext). */
  readonly cause?: unknown;
}

/**
 * A value could not be decrypted or fetched.
 *
 * @example
 * try { await getSecret(process.env.DB_SECRET_ARN!) }
 * catch (e) { if (e instanceof RuntimeSecretError && e.awsErrorName === "AccessDeniedException") … }
 */
export class RuntimeSecretError extends Error {
  override readonly name = "RuntimeSecretError";
  /** The AWS error name, or a local reason (`InvalidBase64`, `MissingVariable`, `MissingFunctionName`, `InvalidJson`, `EmptyValue`). */
  readonly code: string;
  /** The AWS error name (`AccessDeniedException`, `InvalidCiphertextException`, `DisabledException`, …); undefined for local failures. */
  readonly awsErrorName?: string;
  /** How to fix it (also the last sentence of the message). */
  readonly hint: string;
  /** The service called (or that would have been called). */
  readonly service: RuntimeService;
  /** The API operation. */
  readonly operation: string;
  /** The environment variable that could not be decrypted, for helper-encrypted values. */
  readonly variable?: string;
  /** The secret ID/ARN or SSM parameter name, for fetched values. */
  readonly secretId?: string;

  constructor(details: RuntimeSecretErrorDetails) {
    const aws = details.awsMessage ? ` (${details.awsMessage})` : "";
    super(`${details.subject}: ${details.code}${aws}. ${details.hint}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.awsErrorName = details.fromAws ? details.code : undefined;
    this.hint = details.hint;
    this.service = details.service;
    this.operation = details.operation;
    this.variable = details.variable;
    this.secretId = details.secretId;
  }
}

/**
 * Describes a ciphertext without revealing it: its length and the first 12
 * hex digits of its SHA-256, e.g. `248 base64 chars, sha256 3f9a0c…`.
 */
export function describeCiphertext(ciphertext: string): string {
  const digest = createHash("sha256").update(ciphertext).digest("hex").slice(0, 12);
  return `${ciphertext.length} base64 chars, sha256 ${digest}…`;
}

/** The name of an SDK error (`AccessDeniedException`, `CredentialsProviderError`, `ECONNREFUSED`, …). */
export function awsErrorName(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    // Network failures surface as a plain Error with a Node `code`.
    if ((e.name === "Error" || e.name === undefined) && typeof e.code === "string") return e.code;
    // The SDK's region failures are plain Errors too ("Region is missing",
    // "Region not accepted: region=\"\" is not a valid hostname component").
    if (e.name === "Error" && typeof e.message === "string") {
      if (/region is missing/i.test(e.message)) return "RegionMissing";
      if (/region not accepted/i.test(e.message)) return "InvalidRegion";
    }
    if (typeof e.name === "string" && e.name !== "") return e.name;
  }
  return "UnknownError";
}

/**
 * The AWS error's message, made safe to print: anything that looks like
 * ciphertext or a long base64 blob is cut out (defence in depth: AWS does not
 * echo request payloads, but a proxy or emulator might), and the result is
 * short. Returns undefined when there is nothing useful to add.
 */
export function sanitizeAwsMessage(error: unknown, ...secrets: Array<string | undefined>): string | undefined {
  const raw = error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string" ? (error as { message: string }).message : "";
  let message = raw;
  for (const secret of secrets) {
    if (secret && secret.length >= 8) message = message.split(secret).join("[redacted]");
  }
  message = message
    .replace(/[A-Za-z0-9+/]{64,}={0,2}/g, "[redacted]")
    .replace(/\s+/g, " ")
    .trim();
  if (message === "" || message === "UnknownError" || message === awsErrorName(error)) return undefined;
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** Hints that apply whatever the service: credentials, region, network. */
export function commonHint(code: string): string | undefined {
  switch (code) {
    case "CredentialsProviderError":
      return "no AWS credentials were found: inside Lambda they come from the execution role; elsewhere set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
    case "ExpiredTokenException":
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
      return "the AWS credentials are expired or invalid: refresh them (aws sso login, new session token)";
    case "ThrottlingException":
    case "TooManyRequestsException":
      return "the request rate was exceeded: cache values (this library does) instead of calling AWS on every invocation; the next call retries";
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "ETIMEDOUT":
    case "ECONNRESET":
    case "TimeoutError":
      return "the AWS endpoint could not be reached: check AWS_REGION, AWS_ENDPOINT_URL and the function's network access (a function in a VPC needs a NAT gateway or a VPC endpoint); the next call retries";
    default:
      if (/region/i.test(code)) return "no valid AWS region is configured: set AWS_REGION";
      return undefined;
  }
}
