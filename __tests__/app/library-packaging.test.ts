import { execFileSync, spawnSync } from "child_process";
import { builtinModules } from "module";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Proves that other cdktf apps can use the construct library as a package,
 * installed the way a consumer gets it: `npm pack` makes the tarball, which
 * is extracted as the consumer's node_modules/cdktf-lambda-kms; only the
 * peers (cdktf, constructs, @cdktf/provider-aws) and @types/node are linked
 * from this repository, so the library must resolve them from the consumer.
 * The consumer imports the constructs from the package root, type-checks
 * against the shipped declarations, and synthesizes. The `exports` map is
 * the public surface.
 */

const REPO = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO, "node_modules", ".bin", "tsc");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
/** The packages a consumer app must install itself: one copy each, shared by the app and the library. */
const PEERS = { "@cdktf/provider-aws": "20.1.0", cdktf: "0.21.0", constructs: "^10.4.2" };

const CONSUMER_APP = `import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { EncryptedFunction, EncryptionKey } from "${PACKAGE.name}";

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, "consumer");
new AwsProvider(stack, "aws", { region: "eu-west-1", allowedAccountIds: ["123456789012"] });
const key = new EncryptionKey(stack, "key", {
  accountId: "123456789012",
  region: "eu-west-1",
  aliases: ["consumer-env"],
  administratorArns: ["arn:aws:iam::123456789012:role/admin"],
});
const fn: EncryptedFunction = new EncryptedFunction(stack, "fn", {
  functionName: "consumer-fn",
  key,
  codeDirectory: path.join(__dirname, "..", "code"),
  environment: { MODE: "test" },
});
console.log(fn.node.path);
app.synth();
`;

const DEEP_IMPORT = `import { EncryptionKey } from "${PACKAGE.name}/dist/modules/encryption-key";
export const keyClass: typeof EncryptionKey = EncryptionKey;
`;

let tmp: string;
let consumer: string;
/** The package as installed in the consumer: the extracted tarball. */
let pkgDir: string;
/** `npm pack --json` output: the packed file list. */
let packed: { filename: string; files: { path: string }[] };
/** Every entry of the tarball, as `tar -t` lists it. */
let tarEntries: string[];

/** Packs the repository as npm would publish it (dist/ is built by jest's globalSetup). */
function pack(): string {
  const destination = path.join(tmp, "pack");
  fs.mkdirSync(destination);
  const output = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", destination], { cwd: REPO, encoding: "utf8" });
  packed = JSON.parse(output)[0];
  const tarball = path.join(destination, packed.filename);
  tarEntries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
  return tarball;
}

/** A consumer project with the tarball installed and only the peers linked to this repository's node_modules. */
function createConsumer(tarball: string): string {
  const root = path.join(tmp, "consumer");
  pkgDir = path.join(root, "node_modules", PACKAGE.name);
  fs.mkdirSync(pkgDir, { recursive: true });
  // npm tarballs hold everything under "package/".
  execFileSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  for (const dependency of [...Object.keys(PEERS), "@types/node"]) {
    const at = path.join(root, "node_modules", dependency);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules", dependency), at, "dir");
  }
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "commonjs" }));
  fs.mkdirSync(path.join(root, "code"));
  fs.writeFileSync(path.join(root, "code", "index.js"), "exports.handler = async () => process.env.MODE;\n");
  fs.writeFileSync(path.join(root, "app.ts"), CONSUMER_APP);
  fs.writeFileSync(path.join(root, "deep-import.ts"), DEEP_IMPORT);
  return root;
}

function writeTsconfig(name: string, options: Record<string, unknown>, files: string[]): string {
  const file = path.join(consumer, name);
  const compilerOptions = { target: "ES2022", strict: true, types: ["node"], ...options };
  fs.writeFileSync(file, JSON.stringify({ compilerOptions, files }, null, 2));
  return file;
}

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [TSC, "-p", project], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: consumer, encoding: "utf8", timeout: 60_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readStack(outdir: string): any {
  return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "consumer", "cdk.tf.json"), "utf8"));
}

/** Checks what the consumer app synthesized: the library's key and function, wired together. */
function expectKeyAndFunction(outdir: string): void {
  const json = readStack(outdir);
  const keys = Object.entries(json.resource.aws_kms_key);
  expect(keys).toHaveLength(1);
  const [keyId, key] = keys[0] as [string, Record<string, unknown>];
  expect(key).toMatchObject({ enable_key_rotation: true, customer_master_key_spec: "SYMMETRIC_DEFAULT", lifecycle: { prevent_destroy: true } });
  const policy = JSON.parse(key.policy as string);
  expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["EnableIamPoliciesForAccount", "KeyAdministration", "CloudWatchLogsEncryptsLogGroups"]);
  expect(Object.values(json.resource.aws_kms_alias)).toEqual([expect.objectContaining({ name: "alias/consumer-env" })]);

  const functions = Object.values(json.resource.aws_lambda_function) as Record<string, unknown>[];
  expect(functions).toHaveLength(1);
  expect(functions[0]).toMatchObject({
    function_name: "consumer-fn",
    kms_key_arn: `\${aws_kms_key.${keyId}.arn}`,
    environment: { variables: { MODE: "test" } },
  });
  // The code asset was copied next to the stack, where Terraform looks for it.
  expect(fs.existsSync(path.join(outdir, "stacks", "consumer", functions[0].filename as string))).toBe(true);
  expect(Object.values(json.resource.aws_iam_role)).toEqual([expect.objectContaining({ name: "consumer-fn-eu-west-1" })]);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "library-packaging-test-"));
  consumer = createConsumer(pack());
}, 180_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the packed package", () => {
  test("points main, types and the exports map at the built library, and ships those files", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    expect(shipped.name).toBe("cdktf-lambda-kms");
    expect(shipped.exports).toEqual({
      ".": { types: "./dist/modules/index.d.ts", default: "./dist/modules/index.js" },
      "./package.json": "./package.json",
    });
    expect(`./${shipped.types}`).toBe(shipped.exports["."].types);
    expect(`./${shipped.main}`).toBe(shipped.exports["."].default);
    for (const file of [shipped.main, shipped.types]) expect(fs.existsSync(path.join(pkgDir, file))).toBe(true);
  });

  test("declares cdktf, constructs and the provider as peer dependencies, never as dependencies", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    // A dependency would give the consumer a second cdktf/constructs copy under
    // node_modules/cdktf-lambda-kms/node_modules, and two copies break the
    // construct tree. cdktf and the provider are exact: the synthesized JSON is
    // validated against hashicorp/aws 5.100.0, which @cdktf/provider-aws 20.1.0 targets.
    expect(shipped.peerDependencies).toEqual(PEERS);
    expect(shipped.dependencies ?? {}).toEqual({});
    expect(shipped.private).toBeUndefined();
    // This repository still installs the exact versions for its own app and tests (`npm ci`).
    expect(PACKAGE.devDependencies).toEqual(expect.objectContaining({ "@cdktf/provider-aws": "20.1.0", cdktf: "0.21.0", constructs: expect.stringMatching(/^10\.\d+\.\d+$/) }));
    // `npm pack` / `npm publish` rebuild dist/ from scratch first.
    expect(PACKAGE.scripts.prepack).toMatch(/clean.*build/);
  });

  test("the tarball holds only the library and the package metadata, and everything the library loads", () => {
    // No bundled node_modules: the peers come from the consumer.
    expect(tarEntries.filter((entry) => entry.includes("node_modules"))).toEqual([]);
    const files: string[] = packed.files.map((f) => f.path);
    expect(tarEntries.map((entry) => entry.replace(/^package\//, "")).sort()).toEqual([...files].sort());
    expect(files).toEqual(expect.arrayContaining(["dist/modules/index.js", "dist/modules/index.d.ts", "package.json"]));
    for (const file of files) expect(file).toMatch(/^(dist\/modules\/|package\.json$|README\.md$|LICENSE)/);

    const builtins = new Set(builtinModules);
    const peers = Object.keys(PEERS);
    const checked = { relative: 0, packages: new Set<string>() };
    for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const text = fs.readFileSync(path.join(pkgDir, file), "utf8");
      const specifiers = [...text.matchAll(/(?:require\(|from |import\()"([^"]+)"/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        if (specifier.startsWith(".")) {
          const target = path.posix.join(path.posix.dirname(file), specifier);
          const candidates = file.endsWith(".d.ts") ? [`${target}.d.ts`, `${target}/index.d.ts`] : [`${target}.js`, `${target}/index.js`];
          expect({ file, specifier, packed: candidates.some((c) => files.includes(c)) }).toEqual({ file, specifier, packed: true });
          checked.relative++;
        } else if (!builtins.has(specifier.replace(/^node:/, ""))) {
          const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
          expect({ file, specifier, peer: peers.includes(name) }).toEqual({ file, specifier, peer: true });
          checked.packages.add(name);
        }
      }
    }
    // The scan found the imports (it is not vacuous).
    expect(checked.relative).toBeGreaterThan(20);
    expect([...checked.packages].sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
  });
});

describe("a consumer cdktf app", () => {
  test("imports the constructs from the package root with node16 resolution (exports map), type-checks and synthesizes", () => {
    const project = writeTsconfig("tsconfig.node16.json", { module: "node16", moduleResolution: "node16", outDir: "out-node16", skipLibCheck: false }, ["app.ts"]);
    const compiled = tsc(project);
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);

    const outdir = path.join(tmp, "synth-node16");
    const run = node([path.join(consumer, "out-node16", "app.js"), outdir]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("consumer/fn");
    expectKeyAndFunction(outdir);
  });

  test("shares one copy of each peer with the library: the package resolves cdktf, constructs and the provider from the consumer", () => {
    // A second copy (e.g. under node_modules/cdktf-lambda-kms/node_modules) would make
    // the library's cdktf classes differ from the app's: `instanceof` and the construct tree break.
    expect(fs.existsSync(path.join(pkgDir, "node_modules"))).toBe(false);
    // A module each peer's copy is told apart by (deep import: the provider root costs ~5 s to load).
    const entries = { "@cdktf/provider-aws": "@cdktf/provider-aws/lib/kms-key", cdktf: "cdktf", constructs: "constructs" };
    const script = `const pkgDir = ${JSON.stringify(pkgDir)};
      require("${PACKAGE.name}");
      console.log(JSON.stringify(Object.entries(${JSON.stringify(entries)}).map(([peer, entry]) => ({
        peer,
        fromConsumer: require.resolve(peer + "/package.json"),
        fromLibrary: require.resolve(peer + "/package.json", { paths: [pkgDir] }),
        sameModule: require(require.resolve(entry, { paths: [pkgDir] })) === require(entry),
      }))));`;
    const run = node(["-e", script]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const peers = JSON.parse(run.stdout) as { peer: string; fromConsumer: string; fromLibrary: string; sameModule: boolean }[];
    expect(peers.map((p) => p.peer)).toEqual(Object.keys(PEERS));
    for (const { peer, fromConsumer, fromLibrary, sameModule } of peers) {
      expect({ peer, fromLibrary, sameModule }).toEqual({ peer, fromLibrary: fromConsumer, sameModule: true });
      // The linked peer, in this repository's node_modules (Node resolves symlinks to their target).
      expect(fromConsumer).toBe(path.join(REPO, "node_modules", peer, "package.json"));
    }
  });

  test("imports the constructs with classic node10 resolution through the types field", () => {
    const project = writeTsconfig("tsconfig.node10.json", { module: "commonjs", moduleResolution: "node10", outDir: "out-node10", skipLibCheck: true }, ["app.ts"]);
    const compiled = tsc(project);
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);

    const outdir = path.join(tmp, "synth-node10");
    const run = node([path.join(consumer, "out-node10", "app.js"), outdir]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expectKeyAndFunction(outdir);
  });

  test("cannot import a deep path: the exports map rejects it under node16 resolution", () => {
    const rejected = tsc(writeTsconfig("tsconfig.deep-node16.json", { module: "node16", moduleResolution: "node16", noEmit: true, skipLibCheck: true }, ["deep-import.ts"]));
    expect(rejected.status).not.toBe(0);
    expect(rejected.output).toContain(`error TS2307: Cannot find module '${PACKAGE.name}/dist/modules/encryption-key'`);

    // The file exists: node10 resolution, which ignores the exports map, accepts the same import.
    const accepted = tsc(writeTsconfig("tsconfig.deep-node10.json", { module: "commonjs", moduleResolution: "node10", noEmit: true, skipLibCheck: true }, ["deep-import.ts"]));
    expect(accepted.output).toBe("");
    expect(accepted.status).toBe(0);
  });

  test("cannot require a deep path at run time either; the package root and package.json load", () => {
    const deep = node(["-e", `require("${PACKAGE.name}/dist/modules/encryption-key")`]);
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");

    const root = node(["-e", `const m = require("${PACKAGE.name}"); console.log(typeof m.EncryptionKey, typeof m.EncryptedFunction, require("${PACKAGE.name}/package.json").name)`]);
    expect(root.stderr).toBe("");
    expect(root.stdout.trim()).toBe(`function function ${PACKAGE.name}`);
  });
});
