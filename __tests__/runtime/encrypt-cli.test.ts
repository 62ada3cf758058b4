/**
 * The encrypt command (the package's bin `lambda-kms-encrypt`, and
 * `npm run encrypt` in this repository = node dist/bin/encrypt-value.js),
 * run as a child process against moto through AWS_ENDPOINT_URL only (no
 * endpoint flag: the SDK's own endpoint resolution is what is tested), with
 * the plaintext on stdin. jest's globalSetup has built dist/. The check of
 * the key KMS reports having used cannot fail against moto (it answers with
 * the key ARN, as KMS does), so it is also run in process with a stand-in
 * client that answers with another key.
 */
import { spawn } from "child_process";
import * as path from "path";
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, KMSClient, KeyMetadata } from "@aws-sdk/client-kms";
import { MOTO_CREDENTIALS, MotoClients, MotoServer, motoClients, motoEnvironment, startMoto } from "../support/moto";
import { clearCaches, decryptEnvironment, resetClients, setClients } from "../../runtime";
import { CliError, EncryptClient, encryptValue, parseKeyArn } from "../../bin/encrypt-value";

const root = path.resolve(__dirname, "..", "..");
const cli = path.join(root, "dist", "bin", "encrypt-value.js");
const ALIAS = "alias/payments-lambda-env";
/** A region other than moto's default (AWS_REGION of the child processes). */
const OTHER_REGION = "eu-west-1";

let moto: MotoServer;
let aws: MotoClients;
/** The same moto, in OTHER_REGION. */
let kmsOtherRegion: KMSClient;
/** The workload key (in moto's default region), with ALIAS pointing at it. */
let key: KeyMetadata;
/** A key in OTHER_REGION. */
let otherRegionKey: KeyMetadata;
/** `key`'s ARN: the one form --key accepts. */
let KEY_ARN: string;

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

async function decrypt(ciphertext: string, functionName: string, kms: KMSClient = aws.kms): Promise<string> {
  const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(ciphertext, "base64"), EncryptionContext: { LambdaFunctionName: functionName } }));
  return Buffer.from(Plaintext!).toString("utf8");
}

beforeAll(async () => {
  moto = await startMoto();
  aws = motoClients(moto.endpoint);
  kmsOtherRegion = new KMSClient({ endpoint: moto.endpoint, region: OTHER_REGION, credentials: MOTO_CREDENTIALS });
  key = (await aws.kms.send(new CreateKeyCommand({ Description: "payments workload key (test)" }))).KeyMetadata!;
  await aws.kms.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: key.KeyId }));
  otherRegionKey = (await kmsOtherRegion.send(new CreateKeyCommand({ Description: "payments workload key in another region (test)" }))).KeyMetadata!;
  KEY_ARN = key.Arn!;
});

afterAll(async () => {
  resetClients();
  aws?.destroy();
  kmsOtherRegion?.destroy();
  await moto?.stop();
});

test("prints only the base64 ciphertext, which decrypts to the input with the function's context", async () => {
  const result = await run(["--key", KEY_ARN, "--function", "orders-api"], "s3cr3t value with spaces\n");
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^[A-Za-z0-9+/]+={0,2}\n$/);
  const ciphertext = result.stdout.trim();
  await expect(decrypt(ciphertext, "orders-api")).resolves.toBe("s3cr3t value with spaces"); // one trailing newline trimmed
  await expect(decrypt(ciphertext, "billing-api")).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  expect(result.stderr).not.toContain("s3cr3t");
});

test("accepts --region when it is the key ARN's region", async () => {
  const result = await run(["--key", KEY_ARN, "--function", "orders-api", "--region", "us-east-1"], "value\r\n");
  expect(result).toMatchObject({ code: 0, stderr: "" });
  await expect(decrypt(result.stdout.trim(), "orders-api")).resolves.toBe("value");
});

describe("the request goes to the key ARN's region, whatever AWS_REGION says", () => {
  test.each([
    ["AWS_REGION another region", "us-east-1"],
    ["no AWS_REGION", undefined],
    ["an empty AWS_REGION", ""],
  ])("%s", async (_label, region) => {
    const arn = otherRegionKey.Arn!;
    expect(arn).toContain(`:kms:${OTHER_REGION}:`);
    const result = await run(["--key", arn, "--function", "orders-api"], "regional value", { AWS_REGION: region });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    await expect(decrypt(result.stdout.trim(), "orders-api", kmsOtherRegion)).resolves.toBe("regional value");
  });
});

test("removes exactly one trailing newline and keeps UTF-8 intact", async () => {
  const result = await run(["--key", KEY_ARN, "--function", "orders-api"], "line1\nünïcödé\n\n");
  await expect(decrypt(result.stdout.trim(), "orders-api")).resolves.toBe("line1\nünïcödé\n");
});

test("its output is what the runtime library decrypts (both halves of the helper convention)", async () => {
  const result = await run(["--key", KEY_ARN, "--function", "orders-api"], "end-to-end-secret");
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
  const ok = () => ["--key", KEY_ARN, "--function", "orders-api"];
  test.each([
    ["missing --function", () => ["--key", KEY_ARN], "x", /missing --function/],
    ["missing --key", () => ["--function", "orders-api"], "x", /missing --key/],
    ["no flags", () => [], "x", /missing --key and --function/],
    ["an unknown flag", () => [...ok(), "--bogus"], "x", /Unknown option '--bogus'/],
    ["empty stdin", ok, "", /stdin is empty: pipe the value to encrypt, e\.g\. printf %s "\$VALUE" \| npx lambda-kms-encrypt --key <key> --function <name>/],
    ["stdin with only a newline", ok, "\n", /stdin is empty/],
    [
      "a key name without alias/",
      () => ["--key", "payments", "--function", "orders-api"],
      "x",
      /--key \(8 characters, not shown\) is not a KMS key ARN \(aliases and key IDs are refused\)\. Pass the key ARN/,
    ],
    [
      "a key ARN with an uppercase key ID",
      () => ["--key", "arn:aws:kms:us-east-1:123456789012:key/1234ABCD-12AB-34CD-56EF-1234567890AB", "--function", "orders-api"],
      "x",
      /is not a KMS key ARN/,
    ],
    ["a key ARN of another service", () => ["--key", KEY_ARN.replace(":kms:", ":sqs:"), "--function", "orders-api"], "x", /is not a KMS key ARN/],
    ["a function ARN", () => ["--key", KEY_ARN, "--function", "arn:aws:lambda:us-east-1:123456789012:function:orders-api"], "x", /pass the function name, not its ARN/],
    ["a malformed region", () => [...ok(), "--region", "Europe"], "x", /not an AWS region name/],
    ["a plaintext over 4096 bytes", ok, "x".repeat(4097), /4097 bytes; KMS Encrypt accepts at most 4096/],
  ])("fails on %s", async (_label, args, input, message) => {
    const result = await run(args(), input);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^lambda-kms-encrypt: /);
    expect(result.stderr).toMatch(message);
  });

  test.each([
    ["--key", () => ["--key", "hunter2 plaintext", "--function", "orders-api"], "--key (17 characters, not shown) is not a KMS key ARN"],
    ["--function", () => ["--key", KEY_ARN, "--function", "hunter2 plaintext"], "--function (17 characters, not shown) is not a Lambda function name"],
  ])("a plaintext pasted into %s is refused and not echoed", async (_flag, args, message) => {
    const result = await run(args(), "x");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("hunter2");
  });

  test("control characters in an argument never reach the terminal raw", async () => {
    const result = await run(["--key", "alias/x\u001b]0;owned\u0007", "--function", "orders-api"], "x");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--key "alias/x\\u001b]0;owned\\u0007" is an alias name');

    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  test("a plaintext passed as an argument is refused and not echoed", async () => {
    const result = await run(["--key", KEY_ARN, "--function", "orders-api", "hunter2-on-the-command-line"], "");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the plaintext is read from stdin, never from arguments");
    expect(result.stderr).not.toContain("hunter2");
  });
});

describe("--key takes only a key ARN: aliases and key IDs are refused with exit 2, why, and where to get the ARN", () => {
  const whereToGetIt = (stderr: string) => {
    expect(stderr).toContain("Pass the key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>) of the function's stack: its Terraform output key_arn");
    expect(stderr).toContain("terraform -chdir=cdktf.out/stacks/<account>-<region> output -raw key_arn (or cdktf output <account>-<region>)");
    expect(stderr).toMatch(/"aws kms describe-key --key-id \S+ --query KeyMetadata\.Arn --output text" .*use its result only after checking it against that output/);
  };
  const repointable = "aliases are refused because anyone with kms:UpdateAlias can repoint an alias to a key they own";

  test.each([
    ["an alias name (that exists and points at the right key)", () => ALIAS, "an alias name"],
    ["an alias ARN", () => `arn:aws:kms:us-east-1:123456789012:${ALIAS}`, "an alias ARN"],
  ])("%s", async (_label, keyRef, form) => {
    const result = await run(["--key", keyRef(), "--function", "orders-api"], "s3cr3t");
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`lambda-kms-encrypt: --key "${keyRef()}" is ${form}; ${repointable}`);
    expect(result.stderr).toContain(`"aws kms describe-key --key-id ${keyRef()} --query KeyMetadata.Arn --output text"`);
    whereToGetIt(result.stderr);
    expect(result.stderr).not.toContain("s3cr3t");
  });

  test.each([
    ["a key ID", () => key.KeyId!],
    ["a multi-Region key ID", () => `mrk-${"0123456789abcdef".repeat(2)}`],
  ])("%s", async (_label, keyRef) => {
    const result = await run(["--key", keyRef(), "--function", "orders-api"], "s3cr3t");
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`lambda-kms-encrypt: --key "${keyRef()}" is a key ID; a key ID alone does not pin the account and region the value is sent to.`);
    whereToGetIt(result.stderr);
    expect(result.stderr).not.toContain("s3cr3t");
  });

  test.each([
    ["alias name", "alias/aws/lambda"],
    ["alias ARN", "arn:aws:kms:us-east-1:123456789012:alias/aws/lambda"],
  ])("an AWS managed key, by its %s", async (_label, keyRef) => {
    const result = await run(["--key", keyRef, "--function", "orders-api"], "x");
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`lambda-kms-encrypt: --key "${keyRef}" is an AWS managed key; use the customer-managed key of the function's stack.`);
    whereToGetIt(result.stderr);
  });

  test("--region that disagrees with the key ARN's region, naming both", async () => {
    const result = await run(["--key", otherRegionKey.Arn!, "--function", "orders-api", "--region", "us-east-1"], "x");
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe(
      `lambda-kms-encrypt: --region "us-east-1" differs from the region "${OTHER_REGION}" in the key ARN; the request goes to the key's region. ` +
        "Drop --region, or pass the key ARN of the function's stack in us-east-1\n",
    );
  });

  test("a key ARN of another region than --region, even one that exists in --region's moto", async () => {
    // The same key ID in us-east-1 exists; the ARN says eu-west-1: refused before any request.
    const result = await run(["--key", KEY_ARN.replace(":us-east-1:", `:${OTHER_REGION}:`), "--function", "orders-api", "--region", "us-east-1"], "x");
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(new RegExp(`--region "us-east-1" differs from the region "${OTHER_REGION}" in the key ARN`));
  });
});

describe("the ciphertext is printed only if KMS encrypted with exactly the requested key", () => {
  const requested = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const ciphertext = Buffer.from("ciphertext-bytes");
  /** The smallest stand-in for a KMS client: one canned Encrypt response. */
  const answering = (response: { KeyId?: string; CiphertextBlob?: Uint8Array }): EncryptClient & { keyIds: (string | undefined)[] } => {
    const keyIds: (string | undefined)[] = [];
    return {
      keyIds,
      send: async (command) => {
        keyIds.push(command.input.KeyId);
        return { ...response, $metadata: {} };
      },
    };
  };

  test("KMS answering with another key fails with exit 1 and no ciphertext", async () => {
    const kms = answering({ KeyId: "arn:aws:kms:eu-west-1:999999999999:key/99999999-9999-9999-9999-999999999999", CiphertextBlob: ciphertext });
    const error = await encryptValue(kms, parseKeyArn(requested), "orders-api", Buffer.from("x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: 1 });
    expect((error as Error).message).toBe(
      `KMS Encrypt answered with key "arn:aws:kms:eu-west-1:999999999999:key/99999999-9999-9999-9999-999999999999", not the requested "${requested}"; ` +
        "no ciphertext printed. Check AWS_ENDPOINT_URL and the credentials before trying again",
    );
    expect((error as Error).message).not.toContain(ciphertext.toString("base64"));
    expect(kms.keyIds).toEqual([requested]);
  });

  test("KMS answering without a KeyId fails the same way", async () => {
    await expect(encryptValue(answering({ CiphertextBlob: ciphertext }), parseKeyArn(requested), "orders-api", Buffer.from("x"))).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining(`KMS Encrypt answered with key (none), not the requested "${requested}"`),
    });
  });

  test("KMS answering with the requested key ARN returns the ciphertext (moto does, as KMS does)", async () => {
    await expect(encryptValue(answering({ KeyId: requested, CiphertextBlob: ciphertext }), parseKeyArn(requested), "orders-api", Buffer.from("x"))).resolves.toBe(
      ciphertext.toString("base64"),
    );
    const real = await encryptValue(aws.kms, parseKeyArn(KEY_ARN), "orders-api", Buffer.from("through moto"));
    await expect(decrypt(real, "orders-api")).resolves.toBe("through moto");
  });
});

describe("AWS errors exit 1 and are named", () => {
  test("unknown key", async () => {
    const missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000";
    const result = await run(["--key", missing, "--function", "orders-api"], "x");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`KMS Encrypt with key "${missing}" failed: NotFoundException`);
    expect(result.stderr).toContain(`hint: no key "${missing}" for these credentials; check that they are for account 123456789012`);
  });

  test("no credentials", async () => {
    const result = await run(["--key", KEY_ARN, "--function", "orders-api"], "x", { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: CredentialsProviderError/);
    expect(result.stderr).toMatch(/hint: no AWS credentials found/);
  });

  test("unreachable endpoint", async () => {
    const result = await run(["--key", KEY_ARN, "--function", "orders-api"], "x", { AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_MAX_ATTEMPTS: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: ECONNREFUSED/);
    expect(result.stderr).toContain("hint: the KMS endpoint of us-east-1 (the key ARN's region) could not be reached");
  });
});

test("--help prints the usage on stdout and exits 0 without reading stdin", async () => {
  const result = await run(["--help"], "");
  expect(result.code).toBe(0);
  // Named as package users run it; the repository's npm script is listed too.
  expect(result.stdout).toMatch(/^usage: lambda-kms-encrypt --key <key> --function <name> \[--region <region>\] < plaintext-file\n/);
  expect(result.stdout).toContain("npm run encrypt --silent -- --key <key> --function <name> [--region <region>] < plaintext-file   (in the cdktf-lambda-kms repository)");
  expect(result.stdout).toContain("never from arguments");
  expect(result.stdout).toContain('--key "$(terraform -chdir=cdktf.out/stacks/production-eu-west-1 output -raw key_arn)" --function orders-api');
  expect(result.stdout).toContain("Aliases, alias ARNs and");
  expect(result.stdout).not.toMatch(/--key alias\//);
});
