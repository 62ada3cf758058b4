/**
 * The encrypt command (the package's bin `lambda-kms-encrypt`, and
 * `npm run encrypt` in this repository = node dist/bin/encrypt-value.js),
 * run as a child process against moto through AWS_ENDPOINT_URL only (no
 * endpoint flag: the SDK's own endpoint resolution is what is tested), with
 * the plaintext on stdin. jest's globalSetup has built dist/.
 */
import { spawn } from "child_process";
import * as path from "path";
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, KeyMetadata } from "@aws-sdk/client-kms";
import { MotoClients, MotoServer, motoClients, motoEnvironment, startMoto } from "../support/moto";
import { clearCaches, decryptEnvironment, resetClients, setClients } from "../../runtime";

const root = path.resolve(__dirname, "..", "..");
const cli = path.join(root, "dist", "bin", "encrypt-value.js");
const ALIAS = "alias/payments-lambda-env";

let moto: MotoServer;
let aws: MotoClients;
let key: KeyMetadata;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only moto's AWS environment (no ~/.aws, no real credentials). */
function run(args: string[], input: string | Buffer, env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...motoEnvironment(moto.endpoint), ...env };
  for (const name of Object.keys(base)) if (base[name] === undefined) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: base, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function decrypt(ciphertext: string, functionName: string): Promise<string> {
  const { Plaintext } = await aws.kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(ciphertext, "base64"), EncryptionContext: { LambdaFunctionName: functionName } }));
  return Buffer.from(Plaintext!).toString("utf8");
}

beforeAll(async () => {
  moto = await startMoto();
  aws = motoClients(moto.endpoint);
  key = (await aws.kms.send(new CreateKeyCommand({ Description: "payments workload key (test)" }))).KeyMetadata!;
  await aws.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: key.KeyId }));
});

afterAll(async () => {
  resetClients();
  aws?.destroy();
  await moto?.stop();
});

test("prints only the base64 ciphertext, which decrypts to the input with the function's context", async () => {
  const result = await run(["--key", ALIAS, "--function", "orders-api"], "s3cr3t value with spaces\n");
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^[A-Za-z0-9+/]+={0,2}\n$/);
  const ciphertext = result.stdout.trim();
  await expect(decrypt(ciphertext, "orders-api")).resolves.toBe("s3cr3t value with spaces"); // one trailing newline trimmed
  await expect(decrypt(ciphertext, "billing-api")).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  expect(result.stderr).not.toContain("s3cr3t");
});

test.each([
  ["alias ARN", () => `arn:aws:kms:us-east-1:123456789012:${ALIAS}`],
  ["key ID", () => key.KeyId!],
  ["key ARN", () => key.Arn!],
])("accepts the key as %s, and --region", async (_form, keyRef) => {
  const result = await run(["--key", keyRef(), "--function", "orders-api", "--region", "us-east-1"], "value\r\n");
  expect(result).toMatchObject({ code: 0, stderr: "" });
  await expect(decrypt(result.stdout.trim(), "orders-api")).resolves.toBe("value");
});

test("removes exactly one trailing newline and keeps UTF-8 intact", async () => {
  const result = await run(["--key", ALIAS, "--function", "orders-api"], "line1\nünïcödé\n\n");
  await expect(decrypt(result.stdout.trim(), "orders-api")).resolves.toBe("line1\nünïcödé\n");
});

test("its output is what the runtime library decrypts (both halves of the helper convention)", async () => {
  const result = await run(["--key", ALIAS, "--function", "orders-api"], "end-to-end-secret");
  const saved = { ...process.env };
  try {
    process.env = { ...saved, AWS_LAMBDA_FUNCTION_NAME: "orders-api", LAMBDA_KMS_ENCRYPTED_VARIABLES: "PAYMENT_KEY", PAYMENT_KEY: result.stdout.trim() };
    clearCaches();
    setClients({ kms: aws.kms });
    await expect(decryptEnvironment()).resolves.toEqual({ PAYMENT_KEY: "end-to-end-secret" });
  } finally {
    process.env = saved;
  }
});

describe("usage errors exit 2 with a clear message on stderr and nothing on stdout", () => {
  const ok = ["--key", ALIAS, "--function", "orders-api"];
  test.each([
    ["missing --function", ["--key", ALIAS], "x", /missing --function/],
    ["missing --key", ["--function", "orders-api"], "x", /missing --key/],
    ["no flags", [], "x", /missing --key and --function/],
    ["an unknown flag", [...ok, "--bogus"], "x", /Unknown option '--bogus'/],
    ["empty stdin", ok, "", /stdin is empty: pipe the value to encrypt, e\.g\. printf %s "\$VALUE" \| npx lambda-kms-encrypt --key <key> --function <name>/],
    ["stdin with only a newline", ok, "\n", /stdin is empty/],
    ["an AWS managed key", ["--key", "alias/aws/lambda", "--function", "orders-api"], "x", /AWS managed key; use the customer-managed key/],
    ["a key name without alias/", ["--key", "payments", "--function", "orders-api"], "x", /is not a KMS key reference/],
    ["a function ARN", ["--key", ALIAS, "--function", "arn:aws:lambda:us-east-1:123456789012:function:orders-api"], "x", /pass the function name, not its ARN/],
    ["a malformed region", [...ok, "--region", "Europe"], "x", /not an AWS region name/],
    ["a plaintext over 4096 bytes", ok, "x".repeat(4097), /4097 bytes; KMS Encrypt accepts at most 4096/],
  ])("fails on %s", async (_label, args, input, message) => {
    const result = await run(args, input);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^lambda-kms-encrypt: /);
    expect(result.stderr).toMatch(message);
  });

  test("a plaintext passed as an argument is refused and not echoed", async () => {
    const result = await run(["--key", ALIAS, "--function", "orders-api", "hunter2-on-the-command-line"], "");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the plaintext is read from stdin, never from arguments");
    expect(result.stderr).not.toContain("hunter2");
  });
});

describe("AWS errors exit 1 and are named", () => {
  test("unknown key", async () => {
    const result = await run(["--key", "alias/does-not-exist", "--function", "orders-api"], "x");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/KMS Encrypt with key "alias\/does-not-exist" failed: NotFoundException/);
    expect(result.stderr).toMatch(/hint: no key "alias\/does-not-exist" in this account and region/);
  });

  test("no credentials", async () => {
    const result = await run(["--key", ALIAS, "--function", "orders-api"], "x", { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: CredentialsProviderError/);
    expect(result.stderr).toMatch(/hint: no AWS credentials found/);
  });

  test.each([
    ["no region", undefined, "RegionMissing"],
    ["an empty region", "", "InvalidRegion"],
  ])("%s", async (_label, region, code) => {
    const result = await run(["--key", ALIAS, "--function", "orders-api"], "x", { AWS_REGION: region });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`failed: ${code}`);
    expect(result.stderr).toMatch(/hint: no valid region configured: pass --region or set AWS_REGION/);
  });

  test("unreachable endpoint", async () => {
    const result = await run(["--key", ALIAS, "--function", "orders-api"], "x", { AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_MAX_ATTEMPTS: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: ECONNREFUSED/);
  });
});

test("--help prints the usage on stdout and exits 0 without reading stdin", async () => {
  const result = await run(["--help"], "");
  expect(result.code).toBe(0);
  // Named as package users run it; the repository's npm script is listed too.
  expect(result.stdout).toMatch(/^usage: lambda-kms-encrypt --key <key> --function <name> \[--region <region>\] < plaintext-file\n/);
  expect(result.stdout).toContain("npm run encrypt --silent -- --key <key> --function <name> [--region <region>] < plaintext-file   (in the cdktf-lambda-kms repository)");
  expect(result.stdout).toContain("never from arguments");
});
