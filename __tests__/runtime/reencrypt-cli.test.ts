/**
 * The re-encrypt command (the package's bin `lambda-kms-reencrypt`, and
 * `npm run reencrypt` in this repository = node dist/bin/reencrypt-config.js),
 * run as a child process against moto through AWS_ENDPOINT_URL, on a copy of
 * the default configuration whose production account is at key generation 2
 * with generation 1 retiring. Moto holds, per production region, a key of
 * each generation behind the aliases a deployed stack has. jest's
 * globalSetup has built dist/. The checks of the keys KMS reports cannot
 * fail against moto, so they are also run in process with a stand-in client.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ReEncryptCommand,
  ReEncryptCommandOutput,
  ReplicateKeyCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { CliError, ReEncryptKmsClient, reencryptConfig } from "../../bin/reencrypt-config";
import { validateConfig } from "../../config/validate-config";
import { MotoServer, motoEnvironment, startMoto } from "../support/moto";
import { defaultConfigDocument } from "../support/stack-config";

const root = path.resolve(__dirname, "..", "..");
const cli = path.join(root, "dist", "bin", "reencrypt-config.js");
const ACCOUNT_ID = "222222222222";
const REGIONS = ["eu-west-1", "us-east-1"] as const;
const ALIAS = "alias/payments-lambda-env";
const PLAINTEXT = (region: string) => `partner key of production in ${region}`;

let moto: MotoServer;
let tmp: string;
const kms = new Map<string, KMSClient>();
/** Region → key ARN of each generation. */
const generation1 = new Map<string, string>();
const generation2 = new Map<string, string>();
/** The configuration file's text before any run: production's ciphertexts made with generation 1. */
let original: string;

/** The patched moto tells accounts apart by the access key ID. */
const CREDENTIALS = { accessKeyId: ACCOUNT_ID, secretAccessKey: "test" };

async function encrypt(region: string, keyArn: string, plaintext: string): Promise<string> {
  const { CiphertextBlob } = await kms
    .get(region)!
    .send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from(plaintext), EncryptionContext: { LambdaFunctionName: "orders-api" } }));
  return Buffer.from(CiphertextBlob!).toString("base64");
}

async function decrypt(region: string, ciphertext: string): Promise<{ plaintext: string; keyArn: string }> {
  const response = await kms.get(region)!.send(new DecryptCommand({ CiphertextBlob: Buffer.from(ciphertext, "base64"), EncryptionContext: { LambdaFunctionName: "orders-api" } }));
  return { plaintext: Buffer.from(response.Plaintext!).toString("utf8"), keyArn: response.KeyId! };
}

/** A fresh copy of the original configuration in its own folder. */
function configCopy(name: string, text = original): string {
  const folder = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const file = path.join(folder, "config.json");
  fs.writeFileSync(file, text);
  return file;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...motoEnvironment(moto.endpoint), AWS_ACCESS_KEY_ID: ACCOUNT_ID };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const backupsIn = (file: string) => fs.readdirSync(path.dirname(file)).filter((name) => name.endsWith(".bak"));

beforeAll(async () => {
  // The patched server serves a 12-digit access key ID from that account, as the deployed stacks expect.
  moto = await startMoto({ patched: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "reencrypt-cli-"));
  const document = defaultConfigDocument();
  Object.assign(document.accounts[1], { keyGeneration: 2, retiringKeyGenerations: [1] });
  for (const region of REGIONS) {
    const client = new KMSClient({ endpoint: moto.endpoint, region, credentials: CREDENTIALS });
    kms.set(region, client);
    const key = async (description: string, aliases: string[]) => {
      const arn = (await client.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!.Arn!;
      for (const alias of aliases) await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
      return arn;
    };
    generation1.set(region, await key("generation 1 (retiring)", [`${ALIAS}-generation-1`]));
    generation2.set(region, await key("generation 2", [ALIAS, `${ALIAS}-generation-2`]));
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY[`production-${region}`] = await encrypt(region, generation1.get(region)!, PLAINTEXT(region));
  }
  // Written the way people write configuration files: two-space indentation, short lists on one line.
  original = `${JSON.stringify(document, null, 2).replace(/\[\n\s+("[^"\n]*")\n\s+\]/g, "[$1]")}\n`;
});

afterAll(async () => {
  for (const client of kms.values()) client.destroy();
  await moto?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("a dry run checks the keys and lists what it would re-encrypt, and writes nothing", async () => {
  const file = configCopy("dry-run");
  const result = await run(["--config", file, "--account", "production"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  for (const region of REGIONS) {
    expect(result.stdout).toContain(`production-${region}: 1 ciphertext(s) from generation 1 ${generation1.get(region)} to generation 2 ${generation2.get(region)}`);
  }
  expect(result.stdout).toContain("dry run: nothing re-encrypted, nothing written; run again with --write to re-encrypt 2 ciphertext(s)");
  expect(fs.readFileSync(file, "utf8")).toBe(original);
  expect(backupsIn(file)).toEqual([]);
});

test("--write re-encrypts under generation 2 without changing the values, keeps a backup, and changes only the ciphertexts and the generation", async () => {
  const file = configCopy("write");
  const result = await run(["--config", file, "--account", "production", "--write"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("re-encrypted 2 ciphertext(s) under generation 2 (0 already were) and set accounts[1].encryptedEnvironmentKeyGeneration to 2");

  const [backup] = backupsIn(file);
  expect(backup).toMatch(/^config\.json\.\d{8}T\d{6}Z\.bak$/);
  expect(fs.readFileSync(path.join(path.dirname(file), backup), "utf8")).toBe(original);

  const written = fs.readFileSync(file, "utf8");
  const before = JSON.parse(original);
  const after = JSON.parse(written);
  for (const region of REGIONS) {
    const stack = `production-${region}`;
    const moved = after.functions[0].encryptedEnvironment.PARTNER_API_KEY[stack];
    expect(moved).not.toBe(before.functions[0].encryptedEnvironment.PARTNER_API_KEY[stack]);
    expect(await decrypt(region, moved)).toEqual({ plaintext: PLAINTEXT(region), keyArn: generation2.get(region) });
  }
  // Staging is another account: untouched.
  expect(after.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"]).toBe(before.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"]);
  expect(after.accounts[1].encryptedEnvironmentKeyGeneration).toBe(2);
  // Every other byte is as it was: undo the two ciphertexts and the added member, and the original comes back.
  let undone = written.replace(/\n\s*"encryptedEnvironmentKeyGeneration": 2,/, "");
  for (const region of REGIONS) {
    const stack = `production-${region}`;
    undone = undone.replace(after.functions[0].encryptedEnvironment.PARTNER_API_KEY[stack], before.functions[0].encryptedEnvironment.PARTNER_API_KEY[stack]);
  }
  expect(undone).toBe(original);

  // Generation 1 may now be retired: the configuration loads without it.
  after.accounts[1].retiringKeyGenerations = [];
  expect(validateConfig(after, file).accounts[1]).toMatchObject({ keyGeneration: 2, retiringKeyGenerations: [], encryptedEnvironmentKeyGeneration: 2 });

  // A second run has nothing to do.
  const again = await run(["--config", file, "--account", "production", "--write"]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('nothing to do: the encryptedEnvironment ciphertexts of account "production" are under key generation 2');
  expect(fs.readFileSync(file, "utf8")).toBe(written);
  expect(backupsIn(file)).toHaveLength(1);
});

test("refuses, writing nothing, when the alias does not resolve to the key of the current generation", async () => {
  const file = configCopy("mismatched-alias");
  const region = "eu-west-1";
  await kms.get(region)!.send(new UpdateAliasCommand({ AliasName: ALIAS, TargetKeyId: generation1.get(region) }));
  try {
    const result = await run(["--config", file, "--account", "production", "--write"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `production-${region}: ${ALIAS} resolves to ${generation1.get(region)}, but the key of generation 2 (${ALIAS}-generation-2) is ${generation2.get(region)}; deploy the stack with keyGeneration 2 first`,
    );
    expect(fs.readFileSync(file, "utf8")).toBe(original);
    expect(backupsIn(file)).toEqual([]);
  } finally {
    await kms.get(region)!.send(new UpdateAliasCommand({ AliasName: ALIAS, TargetKeyId: generation2.get(region) }));
  }
});

test("refuses a current key other than the one --expect-key pins", async () => {
  const file = configCopy("expect-key");
  const pinned = generation1.get("us-east-1");
  const result = await run(["--config", file, "--account", "production", "--write", "--expect-key", `production-us-east-1=${pinned}`]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`production-us-east-1: the current key is ${generation2.get("us-east-1")}, not the expected "${pinned}" (--expect-key)`);
  expect(fs.readFileSync(file, "utf8")).toBe(original);
});

test("usage and configuration errors exit 2", async () => {
  const file = configCopy("usage");
  expect((await run(["--config", file])).stderr).toContain("missing --account");
  const unknown = await run(["--config", file, "--account", "nobody"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('--account "nobody" is not an account of');
  const broken = configCopy("broken", original.replace('"keyGeneration": 2', '"keyGeneration": 0'));
  const invalid = await run(["--config", broken, "--account", "production"]);
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain("accounts[1].keyGeneration");
});

describe("in process, with KMS answers moto never gives", () => {
  /** Moto's answers, except that ReEncrypt responses pass through `change`. */
  function standIn(change: (response: ReEncryptCommandOutput) => ReEncryptCommandOutput): (region: string) => ReEncryptKmsClient {
    return (region) => ({
      send: (async (command: DescribeKeyCommand | ReEncryptCommand) => {
        const response = await kms.get(region)!.send(command as never);
        return command instanceof ReEncryptCommand ? change(response as ReEncryptCommandOutput) : response;
      }) as ReEncryptKmsClient["send"],
    });
  }

  test.each([
    [
      "a source key that is no key of the stack",
      (r: ReEncryptCommandOutput) => ({ ...r, SourceKeyId: "arn:aws:kms:eu-west-1:999999999999:key/someone-elses" }),
      "neither the current key nor a retiring generation's key",
    ],
    ["a destination that is not the current key", (r: ReEncryptCommandOutput) => ({ ...r, KeyId: "arn:aws:kms:eu-west-1:999999999999:key/someone-elses" }), "not the current key"],
  ])("%s: refused, nothing written", async (_what, change, expected) => {
    const file = configCopy("stand-in");
    const attempt = reencryptConfig({ configFile: file, account: "production", write: true, kmsFor: standIn(change), log: () => undefined });
    await expect(attempt).rejects.toThrow(CliError);
    await expect(attempt).rejects.toThrow(expected);
    expect(fs.readFileSync(file, "utf8")).toBe(original);
    expect(backupsIn(file)).toEqual([]);
  });

  test("a value already under the current key is kept as it is", async () => {
    const document = JSON.parse(original);
    const current = await encrypt("us-east-1", generation2.get("us-east-1")!, PLAINTEXT("us-east-1"));
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"] = current;
    const file = configCopy("mixed", `${JSON.stringify(document, null, 2)}\n`);
    const result = await reencryptConfig({ configFile: file, account: "production", write: true, kmsFor: standIn((r) => r), log: () => undefined });
    expect(result).toMatchObject({ reEncrypted: 1, alreadyCurrent: 1 });
    expect(JSON.parse(fs.readFileSync(file, "utf8")).functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"]).toBe(current);
  });
});

test("multi-Region keys: one ciphertext for the account is re-encrypted in the first region, under the new primary, and still decrypts in every region", async () => {
  const STAGING = "111111111111";
  const clients = new Map(REGIONS.map((region) => [region, new KMSClient({ endpoint: moto.endpoint, region, credentials: { accessKeyId: STAGING, secretAccessKey: "test" } })]));
  try {
    const [first, other] = REGIONS;
    /** A multi-Region primary in the first region, replicated to the other, with the same aliases in both, as the stacks create them. */
    const multiRegionKey = async (aliases: string[]) => {
      const arn = (await clients.get(first)!.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata!.Arn!;
      await clients.get(first)!.send(new ReplicateKeyCommand({ KeyId: arn, ReplicaRegion: other }));
      for (const client of clients.values()) for (const alias of aliases) await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn.split("/")[1] }));
      return arn;
    };
    const generation1Primary = await multiRegionKey([`${ALIAS}-generation-1`]);
    const generation2Primary = await multiRegionKey([ALIAS, `${ALIAS}-generation-2`]);
    const context = { LambdaFunctionName: "orders-api" };
    const { CiphertextBlob } = await clients
      .get(first)!
      .send(new EncryptCommand({ KeyId: generation1Primary, Plaintext: Buffer.from("partner key of staging"), EncryptionContext: context }));
    const document = JSON.parse(original);
    Object.assign(document.accounts[0], { keyGeneration: 2, retiringKeyGenerations: [1], multiRegionKeysFromGeneration: 1 });
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY = {
      staging: Buffer.from(CiphertextBlob!).toString("base64"),
      ...Object.fromEntries(REGIONS.map((region) => [`production-${region}`, document.functions[0].encryptedEnvironment.PARTNER_API_KEY[`production-${region}`]])),
    };
    const file = configCopy("multi-region", `${JSON.stringify(document, null, 2)}\n`);
    const lines: string[] = [];

    const result = await reencryptConfig({
      configFile: file,
      account: "staging",
      write: true,
      kmsFor: (region) => clients.get(region as (typeof REGIONS)[number])!,
      log: (line) => lines.push(line),
    });

    expect(result).toMatchObject({ reEncrypted: 1, alreadyCurrent: 0 });
    expect(lines[0]).toBe(`staging-eu-west-1: 1 ciphertext(s) from generation 1 ${generation1Primary} to generation 2 ${generation2Primary}`);
    const written = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(Object.keys(written.functions[0].encryptedEnvironment.PARTNER_API_KEY)).toEqual(["staging", "production-eu-west-1", "production-us-east-1"]);
    expect(written.accounts[0].encryptedEnvironmentKeyGeneration).toBe(2);
    for (const [region, client] of clients) {
      const decrypted = await client.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(written.functions[0].encryptedEnvironment.PARTNER_API_KEY.staging, "base64"), EncryptionContext: context }),
      );
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe("partner key of staging");
      expect(decrypted.KeyId).toBe(generation2Primary.replace(first, region));
    }
    expect(validateConfig(written, file).accounts[0].encryptedEnvironmentKeyGeneration).toBe(2);
  } finally {
    for (const client of clients.values()) client.destroy();
  }
});
