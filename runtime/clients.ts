/**
 * AWS SDK v3 clients for the runtime library, created lazily and shared by
 * every call in the execution environment.
 *
 * Why lazily, and why `import()` instead of a top-level import: requiring an
 * SDK client package costs tens of milliseconds of cold start (measured on
 * Node 20: ~50 ms for `@aws-sdk/client-kms` alone, ~80 ms for KMS, Secrets
 * Manager and SSM together). A function that only decrypts helper-encrypted
 * variables should not pay for the SSM client, and a function that uses none
 * of this library should pay nothing for importing it.
 *
 * Why no endpoint or region here: the clients are created with an empty
 * configuration so the SDK's standard provider chains apply — region from
 * `AWS_REGION` (Lambda sets it), credentials from the execution role (or
 * `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, … elsewhere), and the endpoint from
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (read by the SDK itself
 * since v3.540; verified in `@smithy/core` `getEndpointUrlConfig` and by the
 * runtime tests against moto).
 *
 * The `@aws-sdk/client-*` packages are *provided* in Lambda: the Node.js
 * runtime ships the SDK v3, so function bundles leave them out. They are
 * dependencies of the package all the same, so that an install of
 * `cdktf-lambda-kms` runs these helpers outside Lambda (tests, scripts) and
 * the encrypt command.
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SSMClient } from "@aws-sdk/client-ssm";

/** The clients the runtime library uses. */
export interface RuntimeClients {
  /** Decrypts helper-encrypted environment variables. */
  readonly kms: KMSClient;
  /** Reads Secrets Manager secrets. */
  readonly secretsManager: SecretsManagerClient;
  /** Reads SSM parameters (SecureString with decryption). */
  readonly ssm: SSMClient;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** Clients handed in with {@link setClients}; they win over created ones. */
const injected: Mutable<RuntimeClients> = {};
/** Clients this module created on first use. */
const created: Mutable<RuntimeClients> = {};

/**
 * Uses the given clients instead of the default ones, e.g. clients with
 * custom retry settings, tracing (X-Ray `captureAWSv3Client`), or test
 * middleware. Only the services named are replaced; pass `undefined` for a
 * service to go back to its default client.
 *
 * Caches are not cleared: call `clearCaches()` as well if values fetched
 * through the previous clients must not be served.
 */
export function setClients(clients: Partial<RuntimeClients>): void {
  for (const service of ["kms", "secretsManager", "ssm"] as const) {
    if (service in clients) {
      (injected as Record<string, unknown>)[service] = clients[service];
    }
  }
}

/** Forgets injected and created clients; the next call creates fresh default clients. */
export function resetClients(): void {
  for (const service of ["kms", "secretsManager", "ssm"] as const) {
    delete injected[service];
    delete created[service];
  }
}

/** The KMS client: injected, or created on first use with the standard chains. */
export async function getKmsClient(): Promise<KMSClient> {
  if (injected.kms) return injected.kms;
  if (!created.kms) {
    const { KMSClient } = await import("@aws-sdk/client-kms");
    created.kms ??= new KMSClient({});
  }
  return created.kms;
}

/** The Secrets Manager client: injected, or created on first use with the standard chains. */
export async function getSecretsManagerClient(): Promise<SecretsManagerClient> {
  if (injected.secretsManager) return injected.secretsManager;
  if (!created.secretsManager) {
    const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
    created.secretsManager ??= new SecretsManagerClient({});
  }
  return created.secretsManager;
}

/** The SSM client: injected, or created on first use with the standard chains. */
export async function getSsmClient(): Promise<SSMClient> {
  if (injected.ssm) return injected.ssm;
  if (!created.ssm) {
    const { SSMClient } = await import("@aws-sdk/client-ssm");
    created.ssm ??= new SSMClient({});
  }
  return created.ssm;
}
