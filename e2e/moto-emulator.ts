/**
 * Starts moto (moto 5.2.1, Python), a real AWS API emulator, on a free
 * loopback port, waits until it answers, and stops it cleanly. Used by the
 * runtime tests (plain `moto_server`) and by the end-to-end test (the
 * patched server in e2e/moto/patched_moto_server.py, see `patched`).
 *
 * Never skipped: if moto is missing or does not answer, the caller gets an
 * error with the reason and moto's output.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint`, or as `AWS_ENDPOINT_URL` to a child process. */
  readonly endpoint: string;
  /** Empties moto's state (all services): `POST /moto-api/reset`. */
  reset(): Promise<void>;
  /** SIGTERM, then SIGKILL if moto has not exited after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** The tail of moto's stdout and stderr (its request log), for failure messages. */
  output(): string;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /**
   * Run e2e/moto/patched_moto_server.py (moto with the documented fixes of
   * gaps that break a Terraform apply) instead of plain `moto_server`.
   * @default false
   */
  readonly patched?: boolean;
  /** Plain server command. @default "moto_server" (found on PATH) */
  readonly command?: string;
  /** Python that has moto installed, for the patched server. @default $MOTO_PYTHON, else "python3" */
  readonly python?: string;
  /** How long to wait for moto to answer. @default 20000 */
  readonly timeoutMs?: number;
  /** Also append moto's whole output to this file. @default none (only the tail is kept) */
  readonly logFile?: string;
  /**
   * The patched server writes its record of every call it checked under IAM
   * enforcement ("iam-enforcement: allowed|denied <caller> <action>") to this
   * file, one whole line each, instead of to its output.
   * @default none (the records go to the output)
   */
  readonly iamLogFile?: string;
}

/** The patched server script (this file runs from e2e/ in tests and from dist/e2e/ when compiled). */
export const PATCHED_MOTO_SERVER =
  [path.resolve(__dirname, "moto", "patched_moto_server.py"), path.resolve(__dirname, "..", "..", "e2e", "moto", "patched_moto_server.py")].find((file) => fs.existsSync(file)) ??
  path.resolve(__dirname, "moto", "patched_moto_server.py");

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
 * Starts moto on a free loopback port and waits until `GET /moto-api/`
 * answers. Retries on a new port if the one picked was taken in between
 * (another test file may start its own moto at the same time).
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

function serverCommand(options: StartMotoOptions, port: number): { command: string; args: string[] } {
  const address = ["-H", "127.0.0.1", "-p", String(port)];
  if (options.patched) return { command: options.python ?? process.env.MOTO_PYTHON ?? "python3", args: [PATCHED_MOTO_SERVER, ...address] };
  return { command: options.command ?? "moto_server", args: address };
}

async function startOnce(options: StartMotoOptions, port: number): Promise<MotoServer> {
  const { command, args } = serverCommand(options, port);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const endpoint = `http://127.0.0.1:${port}`;
  const started = Date.now();
  let log = "";
  const logFile = options.logFile ? fs.openSync(options.logFile, "a") : undefined;
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-16_000);
    if (logFile !== undefined) fs.writeSync(logFile, chunk);
  };

  const env = options.iamLogFile ? { ...process.env, MOTO_IAM_ENFORCEMENT_LOG: options.iamLogFile } : process.env;
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
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
  // Close the log only after the last output arrived.
  child.once("close", () => {
    if (logFile !== undefined) fs.closeSync(logFile);
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

  const shown = [command, ...args].join(" ");
  while (Date.now() - started < timeoutMs) {
    if (spawnError) {
      const missing = spawnError.code === "ENOENT";
      throw new Error(
        missing
          ? `${command} not found on PATH: moto's server is needed (pip install "moto[server]==5.2.1"); the tests that use it are never skipped`
          : `cannot start ${shown}: ${spawnError.message}`,
      );
    }
    if (exited) {
      throw new Error(`${shown} exited (code ${exited.code}, signal ${exited.signal}) before answering on ${endpoint}; its output:\n${log}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) {
      return {
        endpoint,
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
  throw new Error(`${shown} did not answer on ${endpoint} within ${timeoutMs} ms; its output:\n${log}`);
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
