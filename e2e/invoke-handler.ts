/**
 * Runs in a child process of the end-to-end test, with exactly the
 * environment the deployed function has (read back from the emulator) plus
 * what the Lambda service would add (function name, region, credentials):
 *
 *   node dist/e2e/invoke-handler.js <bundle.js> <handler export> '{"secrets":[…],"parameters":[…]}'
 *
 * The JSON names the environment variables that hold a Secrets Manager
 * secret's ARN and an SSM parameter's name.
 *
 * 1. Invokes the bundled handler, the same bytes as the deployed zip, and
 *    prints its response.
 * 2. Reads the three secret paths with the runtime library, as a handler
 *    would, and prints a SHA-256 digest of each plaintext: the parent compares
 *    them with the values it encrypted and seeded, without the plaintexts
 *    ever reaching a log.
 *
 * Prints one JSON line on stdout; exits 1 with the error on stderr.
 */
import { createHash } from "crypto";
import * as path from "path";
import { decryptEnvironment, getParameter, getSecret } from "../runtime";

/** What the child prints. */
export interface InvocationResult {
  readonly response: unknown;
  /** Variable or secret name → hex SHA-256 of the plaintext read at run time. */
  readonly digests: Record<string, string>;
}

/** Hex SHA-256 of a plaintext. */
export function digest(plaintext: string): string {
  return createHash("sha256").update(plaintext, "utf8").digest("hex");
}

async function main(): Promise<void> {
  const [bundle, exportName = "handler", pathsJson = "{}"] = process.argv.slice(2);
  if (!bundle) throw new Error('usage: invoke-handler.js <bundle.js> [handler export] [{"secrets":[…],"parameters":[…]}]');
  const paths = JSON.parse(pathsJson) as { secrets?: string[]; parameters?: string[] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const handler = require(path.resolve(bundle))[exportName];
  if (typeof handler !== "function") throw new Error(`${bundle} does not export a function "${exportName}"`);
  const response = await handler({}, { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME });

  const digests: Record<string, string> = {};
  for (const [name, plaintext] of Object.entries(await decryptEnvironment())) digests[name] = digest(plaintext);
  for (const name of paths.secrets ?? []) digests[name] = digest(await getSecret(requiredEnv(name)));
  for (const name of paths.parameters ?? []) digests[name] = digest(await getParameter(requiredEnv(name)));
  process.stdout.write(`${JSON.stringify({ response, digests } satisfies InvocationResult)}\n`);
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set in the deployed function`);
  return value;
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  });
}
