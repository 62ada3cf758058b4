/**
 * No secret reaches the synthesized output of the default app: not in a
 * cdk.tf.json, not in the manifest, not in a code zip. Three checks:
 *
 * (a) every string of every JSON file (policies embedded as JSON strings
 *     included) is judged by `secretLikeReason` under its key name, the check
 *     config validation applies to plain environment variables;
 * (b) the seeded secret's variable is sensitive and ephemeral and is read
 *     only by the write-only attribute `secret_string_wo`;
 * (c) a seed value supplied at synth time (`TF_VAR_<variable>`, the way a
 *     pipeline passes it to `terraform apply`) appears in no output file, in
 *     any encoding, inside zips included.
 *
 * Both ways of synthesizing are checked: `synthesizeApp` in this process and
 * the compiled app (`node dist/main.js`, what `cdktf synth` runs).
 */
import { spawnSync } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { ENCRYPTED_VARIABLES_LIST_NAME, ciphertextProblem, secretLikeReason } from "../../modules/environment-variables";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { DEFAULT_STACKS, DEFAULT_WORKLOAD_STACKS } from "../support/stack-config";

const REPO = path.resolve(__dirname, "..", "..");
const MAIN = path.join(REPO, "dist", "main.js");
const HANDLER = path.join(REPO, "functions", "orders-api", "dist", "index.js");
const DEFAULT_DOCUMENT = JSON.parse(fs.readFileSync(DEFAULT_CONFIG_FILE, "utf8"));
/** orders-api's ciphertexts in config/default.json, by stack. */
const CIPHERTEXTS: Record<string, string> = DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY;
const STACKS = DEFAULT_STACKS;
const WORKLOAD_STACKS = DEFAULT_WORKLOAD_STACKS;

/** The variable that seeds payments/orders-api/db-password (seedFromVariable), named after the secret's construct path. */
const SEED_VARIABLE = "secret_payments_orders_api_db_password_value";
const SEED_ENV = `TF_VAR_${SEED_VARIABLE}`;
/** A value no file of the repository can contain by chance. */
const PLAINTEXT = `orders-db-password-${randomUUID()}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A string found in a JSON file: the file (relative to the outdir), its path of keys, and the key it sits under. */
interface JsonString {
  readonly file: string;
  readonly path: string;
  readonly key: string;
  readonly value: string;
}

interface ZipEntry {
  readonly name: string;
  readonly content: Buffer;
}

interface Output {
  readonly outdir: string;
  /** Every file under outdir, relative, sorted. */
  readonly files: string[];
  /** Every string of every .json file, embedded JSON documents (policies) included. */
  readonly strings: JsonString[];
  /** Every zip, by relative path: its entries, decompressed. */
  readonly zips: Record<string, ZipEntry[]>;
}

function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(path.relative(root, full));
    }
  };
  walk(root);
  return files.sort();
}

/** Parses a string that holds a JSON object or array (an IAM or key policy), or returns undefined. */
function embeddedJson(value: string): Json {
  if (!/^\s*[[{]/.test(value)) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function collectStrings(file: string, value: Json, keys: string[], out: JsonString[]): void {
  if (typeof value === "string") {
    out.push({ file, path: keys.join("."), key: keys[keys.length - 1] ?? "", value });
    const embedded = embeddedJson(value);
    if (embedded !== undefined) collectStrings(file, embedded, [...keys, "(json)"], out);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collectStrings(file, item, [...keys, String(i)], out));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      // Keys are strings too: a key can hold a value (environment variable maps are keyed by name, not value, but check anyway).
      out.push({ file, path: [...keys, key].join("."), key: "(key)", value: key });
      collectStrings(file, item, [...keys, key], out);
    }
  }
}

/**
 * The entries of a zip, decompressed. Reads the central directory (PKWARE
 * APPNOTE 4.3.12/4.3.16); enough for the archives LambdaCodeAsset writes
 * (no ZIP64, no encryption, stored or DEFLATE).
 */
function readZip(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThanOrEqual(0);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    expect(zip.readUInt32LE(localHeader)).toBe(0x04034b50);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    expect([0, 8]).toContain(method);
    entries.push({ name, content: method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function readOutput(outdir: string): Output {
  const files = listFiles(outdir);
  const strings: JsonString[] = [];
  const zips: Record<string, ZipEntry[]> = {};
  for (const file of files) {
    const full = path.join(outdir, file);
    if (file.endsWith(".json")) collectStrings(file, JSON.parse(fs.readFileSync(full, "utf8")), [], strings);
    else if (file.endsWith(".zip")) zips[file] = readZip(fs.readFileSync(full));
  }
  return { outdir, files, strings, zips };
}

/** The forms a leaked value could take in a file: as is, JSON-escaped, base64, hex. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  return [value, JSON.stringify(value).slice(1, -1), bytes.toString("base64"), bytes.toString("base64url"), bytes.toString("hex")];
}

let tmp: string;
const previousSeed = process.env[SEED_ENV];
const outputs: Record<string, Output> = {};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "no-secrets-test-"));
  // The seed value is in the environment while the app synthesizes, as in a pipeline that runs synth and apply in one job.
  process.env[SEED_ENV] = PLAINTEXT;

  const direct = path.join(tmp, "direct", "cdktf.out");
  expect((await synthesizeApp(loadConfig(DEFAULT_CONFIG_FILE), direct)).stacks).toEqual(STACKS);
  outputs.synthesizeApp = readOutput(direct);

  const compiled = path.join(tmp, "compiled", "cdktf.out");
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: compiled, [SEED_ENV]: PLAINTEXT };
  delete env.LAMBDA_KMS_CONFIG;
  delete env.CDKTF_CONTEXT_JSON;
  const run = spawnSync(process.execPath, [MAIN], { cwd: tmp, env, encoding: "utf8", timeout: 60_000 });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  outputs["node dist/main.js"] = readOutput(compiled);
}, 120_000);

afterAll(() => {
  if (previousSeed === undefined) delete process.env[SEED_ENV];
  else process.env[SEED_ENV] = previousSeed;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each(["synthesizeApp", "node dist/main.js"])("the default app synthesized by %s", (how) => {
  const output = () => outputs[how];

  test("writes the compliance reports, the deployer policies, the manifest, one cdk.tf.json per stack and one code zip per function and workload stack, nothing else", () => {
    const { files } = output();
    expect(files.filter((file) => !file.endsWith(".zip"))).toEqual([
      "access.json",
      "access.md",
      "compliance.json",
      "compliance.md",
      "compliance.sarif",
      "deployer-policy-production.json",
      "deployer-policy-staging.json",
      "manifest.json",
      ...[...STACKS].sort().map((stack) => path.join("stacks", stack, "cdk.tf.json")),
    ]);
    const zips = files.filter((file) => file.endsWith(".zip"));
    expect(zips).toHaveLength(6); // orders-api in 4 stacks, nightly-report in 2
    for (const zip of zips) expect(WORKLOAD_STACKS).toContain(zip.split(path.sep)[1]);
  });

  test("(a) no string of any JSON file looks like a secret, except the encrypted values and the seed reference, each checked to be exactly that", () => {
    const { strings, outdir } = output();
    expect(strings.length).toBeGreaterThan(1000);
    const flagged = strings.map((s) => ({ ...s, reason: secretLikeReason(s.key, s.value) })).filter((s) => s.reason !== undefined);

    // secretLikeReason judges a plain environment variable by its name. Two kinds of strings here carry a
    // secret-sounding name without holding a secret, and they are accepted only in exactly this form:
    //  - PARTNER_API_KEY of orders-api: a KMS ciphertext (client-side encrypted, decrypted by the function),
    //    exactly this stack's ciphertext from the config, and listed in LAMBDA_KMS_ENCRYPTED_VARIABLES;
    //  - secret_string_wo of the seed version: a reference to the ephemeral variable, never a value.
    const expected: string[] = [];
    for (const stack of WORKLOAD_STACKS) {
      const file = path.join("stacks", stack, "cdk.tf.json");
      const json = JSON.parse(fs.readFileSync(path.join(outdir, file), "utf8"));
      const [fnId, fn] = Object.entries(json.resource.aws_lambda_function as Record<string, Json>).find(([, f]) => f.function_name === "orders-api")!;
      const variables = fn.environment.variables;
      expect(variables.PARTNER_API_KEY).toBe(CIPHERTEXTS[stack]);
      expect(ciphertextProblem(variables.PARTNER_API_KEY)).toBeUndefined();
      expect(variables[ENCRYPTED_VARIABLES_LIST_NAME]).toBe("PARTNER_API_KEY");
      expected.push(`${file} resource.aws_lambda_function.${fnId}.environment.variables.PARTNER_API_KEY: its name says it holds a secret`);

      const versions = Object.entries(json.resource.aws_secretsmanager_secret_version as Record<string, Json>);
      expect(versions).toHaveLength(1);
      const [versionId, version] = versions[0];
      expect(version.secret_string_wo).toBe(`\${var.${SEED_VARIABLE}}`);
      expected.push(`${file} resource.aws_secretsmanager_secret_version.${versionId}.secret_string_wo: its name says it holds a secret`);
    }
    expect(flagged.map((s) => `${s.file} ${s.path}: ${s.reason}`).sort()).toEqual(expected.sort());
  });

  test("(a) no value anywhere looks like a known kind of secret (access key, private key, token, JWT, URL with password)", () => {
    // The value patterns alone, whatever the key: an empty name never matches the name rule.
    for (const s of output().strings) expect({ at: `${s.file} ${s.path}`, reason: secretLikeReason("", s.value) }).toEqual({ at: `${s.file} ${s.path}`, reason: undefined });
  });

  test("(a) orders-api's zip holds the bundled example handler, byte for byte, and no line of it looks like a secret", () => {
    const { zips } = output();
    const handler = fs.readFileSync(HANDLER);
    const ordersZips = Object.entries(zips).filter(([file]) => file.includes(`${path.sep}orders-api_code_asset_`));
    expect(ordersZips.map(([file]) => file.split(path.sep)[1]).sort()).toEqual([...WORKLOAD_STACKS].sort());
    for (const [, entries] of ordersZips) {
      expect(entries.map((e) => e.name)).toEqual(["index.js"]);
      expect(entries[0].content.equals(handler)).toBe(true);
    }
    const text = handler.toString("utf8");
    // The handler reads its secret by the reference the function gets, not by a baked-in value.
    expect(text).toContain('"DB_PASSWORD_SECRET_ARN"');
    expect(secretLikeReason("index.js", text)).toBeUndefined();
    text.split("\n").forEach((line, i) => expect({ line: i + 1, reason: secretLikeReason("", line.trim()) }).toEqual({ line: i + 1, reason: undefined }));
    // The handler carries no configuration: no ciphertext, no secret name baked in.
    for (const ciphertext of Object.values(CIPHERTEXTS)) expect(text).not.toContain(ciphertext);
  });

  test("(b) the seed variable is declared sensitive and ephemeral, without a default, in every workload stack and no other", () => {
    const { outdir } = output();
    for (const stack of STACKS) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      if (!WORKLOAD_STACKS.includes(stack)) {
        expect(json).not.toHaveProperty("variable");
        continue;
      }
      expect(Object.keys(json.variable)).toEqual([SEED_VARIABLE]);
      const variable = json.variable[SEED_VARIABLE];
      expect(variable).toEqual({
        type: "string",
        sensitive: true,
        ephemeral: true,
        nullable: false,
        description: `Value of the Secrets Manager secret payments/orders-api/db-password. Supplied at apply time (-var or TF_VAR_${SEED_VARIABLE}); never stored in the plan or the state.`,
      });
      expect(variable).not.toHaveProperty("default");
    }
  });

  test("(b) the seed variable is referenced only by secret_string_wo of the secret's version, once per workload stack", () => {
    const references = output()
      .strings.filter((s) => s.key !== "(key)" && /\$\{[^}]*\bvar\./.test(s.value))
      .map((s) => ({ file: s.file, path: s.path, value: s.value }));
    const expected = WORKLOAD_STACKS.map((stack) => ({
      file: path.join("stacks", stack, "cdk.tf.json"),
      path: expect.stringMatching(/^resource\.aws_secretsmanager_secret_version\.[^.]+\.secret_string_wo$/),
      value: `\${var.${SEED_VARIABLE}}`,
    }));
    expect(references.sort((a, b) => a.file.localeCompare(b.file))).toEqual(expected.sort((a, b) => a.file.localeCompare(b.file)));
    // Not in an output either (an ephemeral variable cannot be, and a sensitive one would only be masked).
    expect(output().strings.filter((s) => s.path.startsWith("output.") && s.value.includes(SEED_VARIABLE))).toEqual([]);
  });

  test("(c) the seed value supplied at synth time is in no output file, in no encoding, not even inside a zip", () => {
    const { outdir, files, zips } = output();
    const needles = encodings(PLAINTEXT);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(outdir, file));
      for (const needle of needles) expect({ file, found: bytes.includes(needle) }).toEqual({ file, found: false });
    }
    for (const [file, entries] of Object.entries(zips)) {
      for (const entry of entries) {
        for (const needle of needles) expect({ file, entry: entry.name, found: entry.content.includes(needle) }).toEqual({ file, entry: entry.name, found: false });
      }
    }
  });
});

test("the seed value was really in the environment while the app synthesized (so (c) can fail)", () => {
  expect(process.env[SEED_ENV]).toBe(PLAINTEXT);
  expect(Object.keys(outputs).sort()).toEqual(["node dist/main.js", "synthesizeApp"]);
});
