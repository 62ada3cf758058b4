import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AssetType, Testing, TerraformStack } from "cdktf";
import { LambdaCodeAsset } from "../../modules/lambda-code-asset";

const CACHE = path.join(os.tmpdir(), "cdktf-lambda-kms-assets");
const temporaryFolders: string[] = [];
const cachedZips = new Set<string>();

function tempDir(prefix = "lambda-code-asset-test-"): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryFolders.push(folder);
  return folder;
}

/** A code folder with a unique marker, so parallel runs never share a cache file. */
function codeFolder(): string {
  const root = tempDir();
  fs.writeFileSync(path.join(root, "index.js"), `exports.handler = async () => "${crypto.randomUUID()}";\n`);
  fs.mkdirSync(path.join(root, "lib"));
  fs.writeFileSync(path.join(root, "lib", "util.js"), "module.exports = 1;\n");
  return root;
}

interface Synthesized {
  readonly code: LambdaCodeAsset;
  /** Folder of the synthesized stack (holds cdk.tf.json and assets/). */
  readonly stackDir: string;
  readonly config: { resource: { aws_lambda_function: Record<string, Record<string, unknown>> } };
}

function synthesize(directory: string, exclude?: string[]): Synthesized {
  const app = Testing.app();
  temporaryFolders.push(app.outdir);
  const stack = new TerraformStack(app, "stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const code = new LambdaCodeAsset(stack, "code", { directory, exclude });
  cachedZips.add(path.join(CACHE, `${code.asset.assetHash}.zip`));
  new LambdaFunction(stack, "fn", {
    functionName: "fn",
    role: "arn:aws:iam::123456789012:role/fn",
    handler: "index.handler",
    runtime: "nodejs20.x",
    filename: code.path,
    sourceCodeHash: code.sourceCodeHash,
  });
  const outdir = Testing.fullSynth(stack);
  temporaryFolders.push(outdir);
  const stackDir = path.join(outdir, "stacks", "stack");
  const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  return { code, stackDir, config };
}

/** An empty stack whose app output folder is cleaned up after the tests. */
function emptyStack(): TerraformStack {
  const app = Testing.app();
  temporaryFolders.push(app.outdir);
  return new TerraformStack(app, "stack");
}

function sha256(bytes: Buffer, encoding: "hex" | "base64"): string {
  return crypto.createHash("sha256").update(bytes).digest(encoding);
}

afterAll(() => {
  for (const folder of temporaryFolders) fs.rmSync(folder, { recursive: true, force: true });
  for (const zip of cachedZips) fs.rmSync(zip, { force: true });
});

describe("LambdaCodeAsset", () => {
  test("copies the zip under the stack folder at asset.path, with a matching source code hash", () => {
    const { code, stackDir, config } = synthesize(codeFolder());
    const hex = code.asset.assetHash;

    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(code.path).toBe(code.asset.path);
    expect(code.path).toMatch(new RegExp(`^assets/[^/]+/${hex}/${hex}\\.zip$`));
    expect(code.asset.type).toBe(AssetType.FILE);
    expect(code.asset.node.id).toBe("asset");

    const bytes = fs.readFileSync(path.join(stackDir, code.path));
    expect(sha256(bytes, "hex")).toBe(hex);
    expect(code.sourceCodeHash).toBe(sha256(bytes, "base64"));
    expect(bytes.subarray(0, 4).readUInt32LE(0)).toBe(0x04034b50); // a zip

    const fn = config.resource.aws_lambda_function.fn;
    expect(fn.filename).toBe(code.path);
    expect(fn.source_code_hash).toBe(code.sourceCodeHash);
  });

  test("source code hash equals terraform's filebase64sha256 of the synthesized file", () => {
    const { code, stackDir } = synthesize(codeFolder());
    const output = execFileSync("terraform", ["console"], {
      cwd: tempDir(),
      input: `filebase64sha256(${JSON.stringify(path.join(stackDir, code.path))})\n`,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"], // keep terraform's CLI-config warnings out of the jest output
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    });
    expect(output.trim()).toBe(JSON.stringify(code.sourceCodeHash));
  });

  test("gives the same path, hash and bytes for two separate syntheses of unchanged code", () => {
    const directory = codeFolder();
    const first = synthesize(directory);
    const firstBytes = fs.readFileSync(path.join(first.stackDir, first.code.path));
    // A fresh checkout touches every file: modification times must not matter.
    const later = new Date("2030-01-02T03:04:05Z");
    fs.utimesSync(path.join(directory, "index.js"), later, later);
    const second = synthesize(directory);

    expect(second.stackDir).not.toBe(first.stackDir);
    expect(second.code.path).toBe(first.code.path);
    expect(second.code.sourceCodeHash).toBe(first.code.sourceCodeHash);
    expect(fs.readFileSync(path.join(second.stackDir, second.code.path)).equals(firstBytes)).toBe(true);
    expect(second.config).toEqual(first.config);
  });

  test("changes path and hash when the code changes", () => {
    const directory = codeFolder();
    const first = synthesize(directory);
    fs.appendFileSync(path.join(directory, "lib", "util.js"), "// changed\n");
    const second = synthesize(directory);
    expect(second.code.sourceCodeHash).not.toBe(first.code.sourceCodeHash);
    expect(second.code.path).not.toBe(first.code.path);
  });

  test("writes the cache file once and leaves no temporary file behind", () => {
    const directory = codeFolder();
    const { code } = synthesize(directory);
    const cached = path.join(CACHE, `${code.asset.assetHash}.zip`);
    expect(fs.existsSync(cached)).toBe(true);
    const past = new Date("2001-01-01T00:00:00Z");
    fs.utimesSync(cached, past, past);

    synthesize(directory);
    expect(fs.statSync(cached).mtime.getTime()).toBe(past.getTime()); // not rewritten
    expect(fs.readdirSync(CACHE).filter((f) => f.startsWith(code.asset.assetHash) && f.endsWith(".tmp"))).toEqual([]);
  });

  test("resolves a relative directory against process.cwd()", () => {
    const directory = codeFolder();
    const absolute = synthesize(directory);
    const relative = synthesize(path.relative(process.cwd(), directory));
    expect(path.isAbsolute(path.relative(process.cwd(), directory))).toBe(false);
    expect(relative.code.sourceCodeHash).toBe(absolute.code.sourceCodeHash);
  });

  test("passes exclude to the zip", () => {
    const directory = codeFolder();
    const all = synthesize(directory);
    const withoutLib = synthesize(directory, ["lib"]);
    expect(withoutLib.code.sourceCodeHash).not.toBe(all.code.sourceCodeHash);
    const listing = execFileSync(
      "python3",
      ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", path.join(withoutLib.stackDir, withoutLib.code.path)],
      { encoding: "utf8" },
    );
    expect(listing.trim().split("\n")).toEqual(["index.js"]);
  });

  test("fails when the directory does not exist, naming it", () => {
    const missing = path.join(tempDir(), "missing");
    const stack = emptyStack();
    expect(() => new LambdaCodeAsset(stack, "code", { directory: missing })).toThrow(
      `lambda code directory does not exist: ${missing}`,
    );
  });

  test("fails when the directory is empty, naming it", () => {
    const empty = tempDir();
    const stack = emptyStack();
    expect(() => new LambdaCodeAsset(stack, "code", { directory: empty })).toThrow(
      `lambda code directory is empty: ${empty}`,
    );
  });
});
