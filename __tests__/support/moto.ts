/**
 * A real AWS API emulator for the runtime tests: `moto_server` (moto 5.2.1,
 * Python) on a free loopback port, one per test file (start it in
 * `beforeAll`, stop it in `afterAll`).
 *
 * Never skipped: if `moto_server` is missing or does not answer, the test
 * fails with the reason and moto's output. Calls are counted with an SDK
 * middleware on the clients (see {@link countCalls}): that counts the HTTP
 * requests the code under test really sends, which is the honest measure of
 * "one KMS call per variable".
 */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";

// The SDK warns once per process that its releases after January 2027 need
// Node >= 22 (we run Node 20). True, but noise in every test file's output;
// the project notes it elsewhere. Set before any test file copies process.env.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint`, or as `AWS_ENDPOINT_URL` to a child process. */
  readonly endpoint: string;
  /** Milliseconds from spawn until moto answered. */
  readonly startupMs: number;
  /** Empties moto's state (all services): `POST /moto-api/reset`. */
  reset(): Promise<void>;
  /** SIGTERM, then SIGKILL if moto has not exited after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** The tail of moto's stdout and stderr, for failure messages. */
  output(): string;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /** @default "moto_server" (found on PATH) */
  readonly command?: string;
  /** How long to wait for moto to answer. @default 20000 */
  readonly timeoutMs?: number;
}

/** Environment for AWS SDK clients and child processes talking to moto. */
export const MOTO_REGION = "us-east-1";
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** A free TCP port on 127.0.0.1 (asked from the OS, then released for moto to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

/**
 * Starts `moto_server` on a free loopback port and waits until
 * `GET /moto-api/` answers. Retries on a new port if the one picked was taken
 * in between (another test file may start its own moto at the same time).
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error as Error;
      if (!/address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError;
}

async function startOnce(options: StartMotoOptions, port: number): Promise<MotoServer> {
  const command = options.command ?? "moto_server";
  const timeoutMs = options.timeoutMs ?? 20_000;
  const endpoint = `http://127.0.0.1:${port}`;
  const started = Date.now();
  let log = "";
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-8_000);
  };

  const child: ChildProcess = spawn(command, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve();
    });
  });

  const stop = async (graceMs = 5_000): Promise<void> => {
    if (exited || spawnError || child.exitCode !== null) return;
    child.kill("SIGTERM");
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
    if ((await Promise.race([exit.then(() => "exited" as const), timer])) === "timeout") {
      child.kill("SIGKILL");
      await exit;
    }
  };

  while (Date.now() - started < timeoutMs) {
    if (spawnError) {
      const missing = spawnError.code === "ENOENT";
      throw new Error(
        missing
          ? `${command} not found on PATH: the runtime tests need moto's server (pip install "moto[server]==5.2.1"); they are never skipped`
          : `cannot start ${command}: ${spawnError.message}`,
      );
    }
    if (exited) {
      throw new Error(`${command} exited (code ${exited.code}, signal ${exited.signal}) before answering on ${endpoint}; its output:\n${log}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) {
      const startupMs = Date.now() - started;
      return {
        endpoint,
        startupMs,
        stop,
        output: () => log,
        reset: async () => {
          const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
          if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop(1_000);
  throw new Error(`${command} did not answer on ${endpoint} within ${timeoutMs} ms; its output:\n${log}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Calls sent by one client, counted per HTTP attempt (retries count). */
export interface CallCounter {
  /** Requests by command name, e.g. `{ DecryptCommand: 2 }`. */
  readonly counts: Record<string, number>;
  /** Most requests in flight at the same moment: > 1 proves calls ran in parallel. */
  readonly maxInFlight: number;
  /** Requests of one command. */
  count(commandName: string): number;
  /** Zeroes the counts and the in-flight maximum. */
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
 * request that really leaves the process.
 */
export function countCalls(client: KMSClient | SecretsManagerClient | SSMClient): CallCounter {
  const state = { counts: {} as Record<string, number>, inFlight: 0, maxInFlight: 0 };
  (client.middlewareStack as unknown as LooseMiddlewareStack).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      state.counts[name] = (state.counts[name] ?? 0) + 1;
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
    get maxInFlight() {
      return state.maxInFlight;
    },
    count: (commandName) => state.counts[commandName] ?? 0,
    reset: () => {
      state.counts = {};
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
