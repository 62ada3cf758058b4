import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AssetType, Testing, TerraformStack } from "cdktf";
import { createDeterministicZip } from "../../modules/deterministic-zip";
import { LambdaCodeAsset } from "../../modules/lambda-code-asset";

/**
 * os.tmpdir() with an override. Setting process.env.TMPDIR does not work here:
 * os.tmpdir() reads the real environment, and jest gives each test file a
 * copy of process.env. The mock applies to every module this test file loads
 * (the construct under test and cdktf's Testing.app() output folders).
 */
let mockTmpdir: string | undefined;
/** The real zip function, with its calls counted (see the zip-once test). */
jest.mock("../../modules/deterministic-zip", () => {
  const actual = jest.requireActual<typeof import("../../modules/deterministic-zip")>("../../modules/deterministic-zip");
  return { ...actual, createDeterministicZip: jest.fn(actual.createDeterministicZip) };
});
const zipCalls = (directory: string) => (createDeterministicZip as jest.Mock).mock.calls.filter(([folder]) => folder === directory).length;
jest.mock("os", () => {
  const actual = jest.requireActual<typeof import("os")>("os");
  return { ...actual, tmpdir: () => mockTmpdir ?? actual.tmpdir() };
});

/** The private per-user cache folder, under whatever os.tmpdir() currently returns (see mockTmpdir). */
function cacheFolder(): string {
  return path.join(os.tmpdir(), `cdktf-lambda-kms-assets-${process.getuid?.() ?? os.userInfo().username}`);
}
const CACHE = cacheFolder();
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

/**
 * Points os.tmpdir() (and so the cache folder and the test app's output
 * folders) at a fresh temporary folder until the end of the test.
 */
function isolatedTmpdir(): string {
  const root = tempDir("lambda-code-asset-tmpdir-");
  mockTmpdir = root;
  expect(os.tmpdir()).toBe(root);
  return root;
}

afterEach(() => {
  mockTmpdir = undefined;
});

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

  test("zips a folder once per app: every stack deploying it shares one zip, and the next app zips again", () => {
    const directory = codeFolder();
    const app = Testing.app();
    temporaryFolders.push(app.outdir);
    const first = new LambdaCodeAsset(new TerraformStack(app, "first"), "code", { directory });
    cachedZips.add(path.join(CACHE, `${first.asset.assetHash}.zip`));
    const second = new LambdaCodeAsset(new TerraformStack(app, "second"), "code", { directory });
    expect(second.sourceCodeHash).toBe(first.sourceCodeHash);
    expect(second.path).toBe(first.path);
    expect(zipCalls(directory)).toBe(1);
    // Other exclusions are another zip.
    expect(new LambdaCodeAsset(new TerraformStack(app, "third"), "code", { directory, exclude: ["lib"] }).sourceCodeHash).not.toBe(first.sourceCodeHash);
    expect(zipCalls(directory)).toBe(2);
    // A cached zip removed meanwhile is built again rather than pointed at.
    fs.rmSync(path.join(CACHE, `${first.asset.assetHash}.zip`));
    new LambdaCodeAsset(new TerraformStack(app, "fourth"), "code", { directory });
    expect(zipCalls(directory)).toBe(3);
    // A new app (the next synth) zips again, so changed code is picked up.
    fs.appendFileSync(path.join(directory, "index.js"), "// changed\n");
    const next = new LambdaCodeAsset(emptyStack(), "code", { directory });
    cachedZips.add(path.join(CACHE, `${next.asset.assetHash}.zip`));
    expect(zipCalls(directory)).toBe(4);
    expect(next.sourceCodeHash).not.toBe(first.sourceCodeHash);
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
    expect(() => new LambdaCodeAsset(stack, "code", { directory: missing })).toThrow(`lambda code directory does not exist: ${missing}`);
  });

  test("fails when the directory is empty, naming it", () => {
    const empty = tempDir();
    const stack = emptyStack();
    expect(() => new LambdaCodeAsset(stack, "code", { directory: empty })).toThrow(`lambda code directory is empty: ${empty}`);
  });

  describe("private cache", () => {
    test("creates the cache folder with mode 0700", () => {
      isolatedTmpdir();
      const cache = cacheFolder();
      expect(fs.existsSync(cache)).toBe(false);
      const { code } = synthesize(codeFolder());
      const stat = fs.lstatSync(cache);
      expect(stat.isDirectory()).toBe(true);
      expect(stat.mode & 0o777).toBe(0o700);
      expect(stat.uid).toBe(process.getuid?.());
      expect(fs.lstatSync(path.join(cache, `${code.asset.assetHash}.zip`)).isFile()).toBe(true);
    });

    test("replaces a planted same-size file with wrong content by the genuine zip", () => {
      isolatedTmpdir();
      const directory = codeFolder();
      const genuine = createDeterministicZip(directory);
      const hex = sha256(genuine, "hex");
      const cache = cacheFolder();
      fs.mkdirSync(cache, { mode: 0o700 });
      const planted = crypto.randomBytes(genuine.length);
      fs.writeFileSync(path.join(cache, `${hex}.zip`), planted);

      const { code, stackDir } = synthesize(directory);
      expect(code.asset.assetHash).toBe(hex);
      const copied = fs.readFileSync(path.join(stackDir, code.path));
      expect(copied.equals(genuine)).toBe(true);
      expect(code.sourceCodeHash).toBe(sha256(copied, "base64"));
      expect(fs.readFileSync(path.join(cache, `${hex}.zip`)).equals(genuine)).toBe(true);
      expect(fs.readdirSync(cache).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    });

    test.each([
      ["a same-size file with wrong content", (genuine: Buffer) => crypto.randomBytes(genuine.length)],
      ["the genuine zip", (genuine: Buffer) => Buffer.from(genuine)],
    ])("does not follow a symlink planted at the cache file path (target holds %s)", (_label, content) => {
      isolatedTmpdir();
      const directory = codeFolder();
      const genuine = createDeterministicZip(directory);
      const hex = sha256(genuine, "hex");
      const cache = cacheFolder();
      fs.mkdirSync(cache, { mode: 0o700 });
      const elsewhere = path.join(tempDir(), "planted.zip");
      const targetBytes = content(genuine);
      fs.writeFileSync(elsewhere, targetBytes);
      const past = new Date("2001-01-01T00:00:00Z");
      fs.utimesSync(elsewhere, past, past);
      const cached = path.join(cache, `${hex}.zip`);
      fs.symlinkSync(elsewhere, cached);

      const { code, stackDir } = synthesize(directory);
      expect(fs.readFileSync(path.join(stackDir, code.path)).equals(genuine)).toBe(true);
      expect(code.sourceCodeHash).toBe(sha256(genuine, "base64"));
      // The link was replaced by a regular file; its target was neither written nor reused.
      expect(fs.lstatSync(cached).isSymbolicLink()).toBe(false);
      expect(fs.lstatSync(cached).isFile()).toBe(true);
      expect(fs.readFileSync(cached).equals(genuine)).toBe(true);
      expect(fs.readFileSync(elsewhere).equals(targetBytes)).toBe(true);
      expect(fs.statSync(elsewhere).mtime.getTime()).toBe(past.getTime());
    });

    test("refuses a cache folder open to group and other (mode 0777), naming it and the fix", () => {
      isolatedTmpdir();
      const cache = cacheFolder();
      fs.mkdirSync(cache);
      fs.chmodSync(cache, 0o777); // explicit: mkdir's mode is masked by the umask
      const directory = codeFolder();
      const stack = emptyStack();
      expect(() => new LambdaCodeAsset(stack, "code", { directory })).toThrow(
        `lambda code asset cache folder ${cache} has mode 0777, open to group or other (expected 0700); refusing to use it`,
      );
      expect(() => new LambdaCodeAsset(emptyStack(), "code", { directory })).toThrow(/remove it \(rm -rf /);
      expect(fs.readdirSync(cache)).toEqual([]); // nothing written into it
    });

    test("refuses a symlinked cache folder, even one pointing to a private folder", () => {
      isolatedTmpdir();
      const cache = cacheFolder();
      const real = tempDir();
      fs.chmodSync(real, 0o700);
      fs.symlinkSync(real, cache);
      expect(() => new LambdaCodeAsset(emptyStack(), "code", { directory: codeFolder() })).toThrow(`lambda code asset cache folder ${cache} is a symlink; refusing to use it`);
      expect(fs.readdirSync(real)).toEqual([]);
    });

    test("refuses a cache path that is a file", () => {
      isolatedTmpdir();
      const cache = cacheFolder();
      fs.writeFileSync(cache, "not a folder");
      expect(() => new LambdaCodeAsset(emptyStack(), "code", { directory: codeFolder() })).toThrow(
        `lambda code asset cache folder ${cache} is not a directory; refusing to use it`,
      );
    });

    // Giving the folder to another user needs root.
    (process.getuid?.() === 0 ? test : test.skip)("refuses a cache folder owned by another user", () => {
      isolatedTmpdir();
      const cache = cacheFolder();
      fs.mkdirSync(cache, { mode: 0o700 });
      fs.chownSync(cache, 12345, 12345);
      expect(() => new LambdaCodeAsset(emptyStack(), "code", { directory: codeFolder() })).toThrow(
        `lambda code asset cache folder ${cache} is owned by uid 12345, not by the current user (uid 0); refusing to use it`,
      );
    });
  });

  test("fails when the zip is larger than Lambda's 50 MB direct-upload limit, naming the folder, size and fix", () => {
    isolatedTmpdir();
    const directory = tempDir();
    // Random bytes do not compress: 51 MiB of them give a zip above 52,428,800 bytes.
    fs.writeFileSync(path.join(directory, "index.js"), "exports.handler = async () => 1;\n");
    fs.writeFileSync(path.join(directory, "blob.bin"), crypto.randomBytes(51 * 1024 * 1024));

    let message = "";
    try {
      new LambdaCodeAsset(emptyStack(), "code", { directory });
    } catch (error) {
      message = (error as Error).message;
    }
    // Zipping once more just to know the exact size would double the test time (~1.5 s per zip).
    const reported = /the zip of (.+) is (\d+\.\d\d) MB \((\d+) bytes\)/.exec(message);
    expect(reported).not.toBeNull();
    const [, named, megabytes, bytes] = reported ?? [];
    expect(named).toBe(directory);
    expect(Number(bytes)).toBeGreaterThan(52_428_800);
    expect(Number(bytes)).toBeGreaterThan(51 * 1024 * 1024); // incompressible data: at least its own size
    expect(megabytes).toBe((Number(bytes) / 1048576).toFixed(2));
    expect(message).toContain("above the 50 MB (52428800 bytes) Lambda accepts for a direct upload");
    expect(message).toMatch(/through S3/);
    expect(message).toMatch(/exclude/);
    // Refused before anything was cached.
    const cache = cacheFolder();
    expect(fs.existsSync(cache) ? fs.readdirSync(cache) : []).toEqual([]);
  });
});
