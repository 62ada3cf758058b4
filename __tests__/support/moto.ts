/**
 * A real AWS API emulator for the runtime tests: moto on a free loopback
 * port (launcher in e2e/moto-emulator.ts), one per test file (start it in
 * `beforeAll`, stop it in `afterAll`). Calls are counted with an SDK
 * middleware on the clients (see {@link countCalls}): that counts the
 * requests the code under test really sends, which is the honest measure of
 * "one KMS call per variable"; the SDK's own retries of a transient failure
 * are counted apart.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";

// The SDK warns once per process that its releases after January 2027 need
// Node >= 22 (we run Node 20). True, but noise in every test file's output;
// the project notes it elsewhere. Set before any test file copies process.env.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export { startMoto } from "../../e2e/moto-emulator";
export type { MotoServer } from "../../e2e/moto-emulator";

/** Environment for AWS SDK clients and child processes talking to moto. */
export const MOTO_REGION = "us-east-1";
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** Calls sent by one client: first attempts by command, and the SDK's retries apart. */
export interface CallCounter {
  /** Requests by command name, e.g. `{ DecryptCommand: 2 }`. */
  readonly counts: Record<string, number>;
  /** Retries the SDK made of those requests (a socket the emulator closed under load, a 5xx). */
  readonly retries: number;
  /** Most requests in flight at the same moment: > 1 proves calls ran in parallel. */
  readonly maxInFlight: number;
  /** Requests of one command. */
  count(commandName: string): number;
  /** Zeroes the counts, the retries and the in-flight maximum. */
  reset(): void;
}

/** The part of a client's middleware stack used here, typed loosely: the SDK's overloads are per step. */
interface LooseMiddlewareStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
    options: { step: "deserialize"; name: string },
  ): void;
}

/**
 * Counts the requests a client sends, by command name. The middleware sits
 * in the `deserialize` step, inside the retry loop, so it sees each HTTP
 * request that really leaves the process; the retry middleware numbers each
 * attempt in the `amz-sdk-request` header (`attempt=2; max=3`), and a
 * second or later attempt is the same call again, so it is counted apart.
 */
export function countCalls(client: KMSClient | SecretsManagerClient | SSMClient): CallCounter {
  const state = { counts: {} as Record<string, number>, retries: 0, inFlight: 0, maxInFlight: 0 };
  (client.middlewareStack as unknown as LooseMiddlewareStack).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      const attempt = Number(/attempt=(\d+)/.exec((args as { request?: { headers?: Record<string, string> } }).request?.headers?.["amz-sdk-request"] ?? "")?.[1] ?? 1);
      if (attempt > 1) state.retries += 1;
      else state.counts[name] = (state.counts[name] ?? 0) + 1;
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        return await next(args);
      } finally {
        state.inFlight -= 1;
      }
    },
    { step: "deserialize", name: "countCallsForTests" },
  );
  return {
    get counts() {
      return { ...state.counts };
    },
    get retries() {
      return state.retries;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    count: (commandName) => state.counts[commandName] ?? 0,
    reset: () => {
      state.counts = {};
      state.retries = 0;
      state.maxInFlight = 0;
    },
  };
}

/** SDK clients pointed at moto, with dummy credentials, and a call counter on each. */
export interface MotoClients {
  readonly kms: KMSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly calls: { readonly kms: CallCounter; readonly secretsManager: CallCounter; readonly ssm: CallCounter };
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Clients for the code under test (inject with `setClients`) and for test setup. */
export function motoClients(endpoint: string): MotoClients {
  const config = { endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS };
  const kms = new KMSClient(config);
  const secretsManager = new SecretsManagerClient(config);
  const ssm = new SSMClient(config);
  return {
    kms,
    secretsManager,
    ssm,
    calls: { kms: countCalls(kms), secretsManager: countCalls(secretsManager), ssm: countCalls(ssm) },
    destroy: () => {
      kms.destroy();
      secretsManager.destroy();
      ssm.destroy();
    },
  };
}

/** Environment variables for a child process (or the default SDK clients) talking to moto. */
export function motoEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    // Keep the SDK away from ~/.aws and the instance metadata service.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    // See the top of this file: the SDK's Node 22 notice, noise in assertions on stderr.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}
