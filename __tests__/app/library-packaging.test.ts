import { execFileSync, spawnSync } from "child_process";
import { builtinModules } from "module";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Proves that other cdktf apps can use the construct library as a package,
 * installed the way a consumer gets it: `npm pack` makes the tarball, which
 * is extracted as the consumer's node_modules/cdktf-lambda-kms, with the
 * package's bin linked into node_modules/.bin as npm links it. Only the peers
 * (cdktf, constructs, @cdktf/provider-aws), the package's dependencies (the
 * AWS SDK clients of the runtime helpers and the encrypt command) and
 * @types/node are linked from this repository, at the consumer's top level
 * where npm would hoist them, so the library must resolve them from the
 * consumer. The consumer imports the constructs from the package root and the
 * runtime helpers from `cdktf-lambda-kms/runtime`, type-checks against the
 * shipped declarations, synthesizes, and runs the bin. The `exports` map is
 * the public surface.
 */

const REPO = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO, "node_modules", ".bin", "tsc");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
/** The packages a consumer app must install itself: one copy each, shared by the app and the library. */
const PEERS = { "@cdktf/provider-aws": "20.1.0", cdktf: "0.21.0", constructs: "^10.4.2" };
/** What the runtime helpers and the encrypt command load: installed with the package (see the dependencies test). */
const SDK_CLIENTS = ["@aws-sdk/client-kms", "@aws-sdk/client-secrets-manager", "@aws-sdk/client-ssm"];
const BIN = "lambda-kms-encrypt";
const REENCRYPT_BIN = "lambda-kms-reencrypt";
const SHARED_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/**
 * For runs that load the SDK: on Node < 22 the SDK warns on stderr that its releases after January 2027
 * need Node 22. That advisory is the SDK's own; switched off so that stderr holds only the package's output.
 */
const NO_SDK_NODE_WARNING = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

const CONSUMER_APP = `import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { EncryptedFunction, EncryptionKey, Grant, IEncryptionKey, SecretsManagerSecret } from "${PACKAGE.name}";

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
// The function is grantable: its execution role gets the read and decrypt statements.
const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "consumer/db-password", key });
const grant: Grant = secret.grantRead(fn);
// A key created elsewhere: its policy is not managed here.
const shared: IEncryptionKey = EncryptionKey.fromKeyArn(stack, "shared-key", "${SHARED_KEY_ARN}");
new EncryptedFunction(stack, "reporter", {
  functionName: "consumer-reporter",
  key: shared,
  codeDirectory: path.join(__dirname, "..", "code"),
  environment: { MODE: "report" },
});
console.log(fn.node.path);
console.log(grant.statements.map((statement) => statement.sid).join(","));
console.log(shared.requiredKeyPolicyStatements.map((statement) => statement.sid).join(","));
app.synth();
`;

/** A Lambda handler in the consumer project, using the runtime helpers through the subpath export. */
const CONSUMER_HANDLER = `import { RuntimeSecretError, decryptEnvironment, encryptedVariableNames, getSecret } from "${PACKAGE.name}/runtime";

export const handler = async (): Promise<string> => {
  const names: string[] = encryptedVariableNames();
  const values: Record<string, string> = await decryptEnvironment();
  try {
    const secret: unknown = await getSecret(process.env.DB_PASSWORD_SECRET_ARN ?? "");
    return [names.length, Object.keys(values).length, typeof secret].join(",");
  } catch (error) {
    return error instanceof RuntimeSecretError ? error.hint : "unexpected";
  }
};
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
/** `tar -tv` lines of the tarball: mode, owner, size, date, path. */
let tarListing: string[];

/** Packs the repository as npm would publish it (dist/ is built by jest's globalSetup). */
function pack(): string {
  const destination = path.join(tmp, "pack");
  fs.mkdirSync(destination);
  const output = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", destination], { cwd: REPO, encoding: "utf8" });
  packed = JSON.parse(output)[0];
  const tarball = path.join(destination, packed.filename);
  tarEntries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
  tarListing = execFileSync("tar", ["-tvzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
  return tarball;
}

/**
 * A consumer project with the tarball installed, its bin linked, and only the
 * peers and the package's dependencies linked to this repository's
 * node_modules (at the top level, where npm hoists them; their own
 * dependencies resolve next to them, as in a hoisted install).
 */
function createConsumer(tarball: string): string {
  const root = path.join(tmp, "consumer");
  pkgDir = path.join(root, "node_modules", PACKAGE.name);
  fs.mkdirSync(pkgDir, { recursive: true });
  // npm tarballs hold everything under "package/".
  execFileSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  // npm links each bin as a relative symlink in node_modules/.bin (and relies on the file's shebang and mode).
  const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { bin?: Record<string, string>; dependencies?: Record<string, string> };
  fs.mkdirSync(path.join(root, "node_modules", ".bin"));
  for (const [name, target] of Object.entries(shipped.bin ?? {})) {
    fs.symlinkSync(path.join("..", PACKAGE.name, target), path.join(root, "node_modules", ".bin", name));
  }
  for (const dependency of [...Object.keys(PEERS), ...Object.keys(shipped.dependencies ?? {}), "@types/node"]) {
    const at = path.join(root, "node_modules", dependency);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules", dependency), at, "dir");
  }
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "commonjs" }));
  fs.mkdirSync(path.join(root, "code"));
  fs.writeFileSync(path.join(root, "code", "index.js"), "exports.handler = async () => process.env.MODE;\n");
  fs.writeFileSync(path.join(root, "app.ts"), CONSUMER_APP);
  fs.writeFileSync(path.join(root, "handler.ts"), CONSUMER_HANDLER);
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

function node(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return run(process.execPath, args, { env });
}

/** Runs a program in the consumer project, e.g. a bin from node_modules/.bin, with the plaintext (if any) on stdin. */
function run(file: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", ...options.env };
  const result = spawnSync(file, args, { cwd: consumer, encoding: "utf8", timeout: 60_000, env, input: options.input ?? "" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readStack(outdir: string): any {
  return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "consumer", "cdk.tf.json"), "utf8"));
}

/** Checks what the consumer app synthesized: the library's key and function wired together, a secret granted to the function, and a function on an imported key. */
function expectKeyAndFunction(outdir: string): void {
  const json = readStack(outdir);
  // Only the owned key is a resource; the imported one is used by ARN.
  const keys = Object.entries(json.resource.aws_kms_key);
  expect(keys).toHaveLength(1);
  const [keyId, key] = keys[0] as [string, Record<string, unknown>];
  const keyArnRef = `\${aws_kms_key.${keyId}.arn}`;
  expect(key).toMatchObject({ enable_key_rotation: true, customer_master_key_spec: "SYMMETRIC_DEFAULT", lifecycle: { prevent_destroy: true } });
  const policy = JSON.parse(key.policy as string);
  const allows = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow");
  expect(allows.map((s: { Sid: string }) => s.Sid)).toEqual(["EnableIamPoliciesForAccount", "KeyAdministration", "CloudWatchLogsEncryptsLogGroups"]);
  // The owned key's policy covers its own function's log group only.
  expect(allows[2].Condition).toEqual({ ArnEquals: { "kms:EncryptionContext:aws:logs:arn": ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/consumer-fn"] } });
  expect(Object.values(json.resource.aws_kms_alias)).toEqual([expect.objectContaining({ name: "alias/consumer-env" })]);

  const functions = Object.values(json.resource.aws_lambda_function) as Record<string, unknown>[];
  expect(functions.map((f) => f.function_name)).toEqual(["consumer-fn", "consumer-reporter"]);
  expect(functions[0]).toMatchObject({ kms_key_arn: keyArnRef, environment: { variables: { MODE: "test" } } });
  expect(functions[1]).toMatchObject({ kms_key_arn: SHARED_KEY_ARN, environment: { variables: { MODE: "report" } } });
  // The code asset was copied next to the stack, where Terraform looks for it.
  expect(fs.existsSync(path.join(outdir, "stacks", "consumer", functions[0].filename as string))).toBe(true);
  const logGroups = Object.values(json.resource.aws_cloudwatch_log_group) as Record<string, unknown>[];
  expect(logGroups.map((g) => [g.name, g.kms_key_id])).toEqual([
    ["/aws/lambda/consumer-fn", keyArnRef],
    ["/aws/lambda/consumer-reporter", SHARED_KEY_ARN],
  ]);
  expect((Object.values(json.resource.aws_iam_role) as Record<string, unknown>[]).map((r) => r.name)).toEqual(["consumer-fn-eu-west-1", "consumer-reporter-eu-west-1"]);

  // secret.grantRead(fn): the function's role reads exactly the secret and decrypts only through Secrets Manager.
  const [secretId, secret] = Object.entries(json.resource.aws_secretsmanager_secret)[0] as [string, Record<string, unknown>];
  expect(secret.kms_key_id).toBe(keyArnRef);
  const secretArnRef = `\${aws_secretsmanager_secret.${secretId}.arn}`;
  const [fnPolicy, reporterPolicy] = (Object.values(json.resource.aws_iam_role_policy) as Record<string, unknown>[]).map((p) => JSON.parse(p.policy as string));
  expect(fnPolicy.Statement.slice(2)).toEqual([
    { Sid: "ReadSecretDbPassword", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArnRef] },
    {
      Sid: "DecryptSecretDbPassword",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArnRef],
      Condition: { StringEquals: { "kms:EncryptionContext:SecretARN": secretArnRef, "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
    },
  ]);
  // The imported key's identity-policy side works as for an owned key.
  expect(reporterPolicy.Statement[1]).toEqual({
    Sid: "DecryptOwnEnvironment",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: [SHARED_KEY_ARN],
    Condition: { StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:consumer-reporter" } },
  });

  // The statement the imported key's owner must add is a warning in the manifest, where `cdktf synth` prints it from.
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
  const warnings = (manifest.stacks.consumer.annotations as { constructPath: string; level: string; message: string }[]).filter((a) => a.level === "@cdktf/warn");
  expect(warnings.map((w) => w.constructPath)).toEqual(["consumer/shared-key"]);
  expect(warnings[0].message).toContain(`imported key "shared-key" (${SHARED_KEY_ARN}): this app cannot change the key's policy.`);
  const required = JSON.parse(warnings[0].message.slice(warnings[0].message.indexOf("\n") + 1));
  expect(required).toEqual([
    expect.objectContaining({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Principal: { Service: ["logs.eu-west-1.amazonaws.com"] },
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/consumer-reporter"] } },
    }),
  ]);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "library-packaging-test-"));
  consumer = createConsumer(pack());
}, 180_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the packed package", () => {
  test("points main, types, the exports map and typesVersions at the built library and runtime, and ships those files", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    expect(shipped.name).toBe("cdktf-lambda-kms");
    expect(shipped.exports).toEqual({
      ".": { types: "./dist/modules/index.d.ts", default: "./dist/modules/index.js" },
      "./runtime": { types: "./dist/runtime/index.d.ts", default: "./dist/runtime/index.js" },
      "./package.json": "./package.json",
    });
    expect(`./${shipped.types}`).toBe(shipped.exports["."].types);
    expect(`./${shipped.main}`).toBe(shipped.exports["."].default);
    // node10 resolution ignores the exports map; typesVersions gives it the runtime subpath's types.
    expect(shipped.typesVersions).toEqual({ "*": { runtime: ["dist/runtime/index.d.ts"] } });
    for (const file of [shipped.main, shipped.types, "dist/runtime/index.js", "dist/runtime/index.d.ts"]) expect(fs.existsSync(path.join(pkgDir, file))).toBe(true);
  });

  test("declares cdktf, constructs and the provider as peer dependencies, never as dependencies", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    // A dependency would give the consumer a second cdktf/constructs copy under
    // node_modules/cdktf-lambda-kms/node_modules, and two copies break the
    // construct tree. cdktf and the provider are exact: the synthesized JSON is
    // validated against hashicorp/aws 5.100.0, which @cdktf/provider-aws 20.1.0 targets.
    expect(shipped.peerDependencies).toEqual(PEERS);
    for (const peer of Object.keys(PEERS)) expect(Object.keys(shipped.dependencies ?? {})).not.toContain(peer);
    expect(shipped.private).toBeUndefined();
    // This repository still installs the exact versions for its own app and tests (`npm ci`).
    expect(PACKAGE.devDependencies).toEqual(expect.objectContaining({ "@cdktf/provider-aws": "20.1.0", cdktf: "0.21.0", constructs: expect.stringMatching(/^10\.\d+\.\d+$/) }));
    // `npm pack` / `npm publish` rebuild dist/ from scratch first.
    expect(PACKAGE.scripts.prepack).toMatch(/clean.*build/);
  });

  test("depends on exactly the AWS SDK clients the runtime helpers and the encrypt command load, with caret ranges this repository tests", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    // Dependencies, not optional peers: a plain `npm install cdktf-lambda-kms` must give a working
    // runtime and bin. A second SDK copy is harmless (nothing compares SDK classes across copies), and
    // Lambda bundles leave the SDK out (the Node.js runtime provides it).
    expect(Object.keys(shipped.dependencies).sort()).toEqual(SDK_CLIENTS);
    for (const client of SDK_CLIENTS) {
      const range = shipped.dependencies[client] as string;
      expect({ client, range }).toEqual({ client, range: expect.stringMatching(/^\^3\.\d+\.\d+$/) });
      // The range's floor is what this repository installs and tests against, so the floor is tested
      // (after a lockfile update, raise the floor to the version installed).
      const installed = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", client, "package.json"), "utf8")).version;
      expect({ client, installed }).toEqual({ client, installed: range.slice(1) });
      // Not listed twice: a devDependency entry would hide a missing dependency from this repository's own checks.
      expect(Object.keys(PACKAGE.devDependencies)).not.toContain(client);
    }
  });

  test("the tarball holds only the library, the runtime, the encrypt and re-encrypt commands, the configuration's schema and validator, the docs, the license and the package metadata, and everything they load", () => {
    // No bundled node_modules: the peers and dependencies come from the consumer's install.
    expect(tarEntries.filter((entry) => entry.includes("node_modules"))).toEqual([]);
    const files: string[] = packed.files.map((f) => f.path);
    expect(tarEntries.map((entry) => entry.replace(/^package\//, "")).sort()).toEqual([...files].sort());
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/modules/index.js",
        "dist/modules/index.d.ts",
        "dist/runtime/index.js",
        "dist/runtime/index.d.ts",
        "dist/bin/encrypt-value.js",
        "dist/bin/reencrypt-config.js",
        "dist/config/validate-config.js",
        "dist/stacks/construct-ids.js",
        "config/config.schema.json",
        "docs/configuration.md",
        "LICENSE",
        "package.json",
      ]),
    );
    for (const file of files)
      expect(file).toMatch(
        /^(dist\/modules\/|dist\/runtime\/|dist\/bin\/(encrypt-value|reencrypt-config)\.js$|dist\/config\/|dist\/stacks\/construct-ids\.(js|d\.ts)$|config\/config\.schema\.json$|docs\/[a-z0-9-]+\.md$|package\.json$|README\.md$|LICENSE$)/,
      );
    // The access check's policy engine (AGPL-3.0) is a development dependency: no packed file names it.
    for (const file of files.filter((f) => f.endsWith(".js")))
      expect({ file, simulator: fs.readFileSync(path.join(pkgDir, file), "utf8").includes("@cloud-copilot") }).toEqual({ file, simulator: false });

    const builtins = new Set(builtinModules);
    // The construct library and the configuration's validator need only the peers; the runtime (it runs in Lambda) and the commands only the SDK clients.
    const allowed = (file: string) => (/^dist\/(modules|config|stacks)\//.test(file) ? Object.keys(PEERS) : SDK_CLIENTS);
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
          expect({ file, specifier, allowed: allowed(file).includes(name) }).toEqual({ file, specifier, allowed: true });
          checked.packages.add(name);
        }
      }
    }
    // The scan found the imports (it is not vacuous).
    expect(checked.relative).toBeGreaterThan(20);
    expect([...checked.packages].sort()).toEqual([...SDK_CLIENTS, "@cdktf/provider-aws", "cdktf", "constructs"]);
  });

  test("ships the encrypt command as an executable bin with a node shebang", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    expect(shipped.bin).toEqual({ [BIN]: "dist/bin/encrypt-value.js", [REENCRYPT_BIN]: "dist/bin/reencrypt-config.js" });
    // Mode as packed: npm keeps the executable bit of the built file.
    const entry = tarListing.filter((line) => line.endsWith(" package/dist/bin/encrypt-value.js"));
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatch(/^-rwxr-xr-x /);
    expect(fs.readFileSync(path.join(pkgDir, "dist", "bin", "encrypt-value.js"), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  test("ships the full Apache License 2.0 text that package.json names", () => {
    expect(PACKAGE.license).toBe("Apache-2.0");
    const license = fs.readFileSync(path.join(pkgDir, "LICENSE"), "utf8");
    expect(license).toBe(fs.readFileSync(path.join(REPO, "LICENSE"), "utf8"));
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n\s+http:\/\/www\.apache\.org\/licenses\/\n/);
    // All nine sections and the appendix, not an abbreviated notice.
    for (const heading of [
      "1. Definitions.",
      "2. Grant of Copyright License.",
      "3. Grant of Patent License.",
      "9. Accepting Warranty or Additional Liability.",
      "END OF TERMS AND CONDITIONS",
      "APPENDIX: How to apply the Apache License to your work.",
    ]) {
      expect(license).toContain(heading);
    }
  });
});

describe("a consumer cdktf app", () => {
  test("imports the constructs from the package root and the runtime from /runtime with node16 resolution (exports map), type-checks and synthesizes", () => {
    const project = writeTsconfig("tsconfig.node16.json", { module: "node16", moduleResolution: "node16", outDir: "out-node16", skipLibCheck: false }, ["app.ts", "handler.ts"]);
    const compiled = tsc(project);
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);

    const outdir = path.join(tmp, "synth-node16");
    const run = node([path.join(consumer, "out-node16", "app.js"), outdir]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // The function's path, the statements of the secret's grant, then the statements the imported key's owner must add.
    expect(run.stdout.trim().split("\n")).toEqual(["consumer/fn", "ReadSecretDbPassword,DecryptSecretDbPassword", "CloudWatchLogsEncryptsLogGroups"]);
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

  test("imports the constructs with classic node10 resolution through the types field, and the runtime through typesVersions", () => {
    const project = writeTsconfig("tsconfig.node10.json", { module: "commonjs", moduleResolution: "node10", outDir: "out-node10", skipLibCheck: true }, ["app.ts", "handler.ts"]);
    const compiled = tsc(project);
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);

    const outdir = path.join(tmp, "synth-node10");
    const run = node([path.join(consumer, "out-node10", "app.js"), outdir]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expectKeyAndFunction(outdir);
  });

  test("requires the runtime helpers from cdktf-lambda-kms/runtime; they load the SDK client from the package's dependencies", () => {
    const script = `const runtime = require("${PACKAGE.name}/runtime");
      process.env.LAMBDA_KMS_ENCRYPTED_VARIABLES = " API_TOKEN, DB_PASSWORD ,";
      runtime.getKmsClient().then((kms) => {
        console.log(JSON.stringify({
          names: runtime.encryptedVariableNames(),
          client: kms.constructor.name,
          sdk: require.resolve("@aws-sdk/client-kms", { paths: [${JSON.stringify(pkgDir)}] }),
          cdktfLoaded: Object.keys(require.cache).some((file) => file.includes("/cdktf/")),
        }));
      });`;
    const result = node(["-e", script], NO_SDK_NODE_WARNING);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      names: ["API_TOKEN", "DB_PASSWORD"],
      client: "KMSClient",
      // Resolved from the package through the consumer's top-level copy (the link to this repository's).
      sdk: fs.realpathSync(path.join(REPO, "node_modules", "@aws-sdk", "client-kms", "dist-cjs", "index.js")),
      // The runtime runs in Lambda: loading it must not load cdktf.
      cdktfLoaded: false,
    });
  });

  test(`node_modules/.bin/${BIN} runs the encrypt command: --help prints the usage, bad arguments a one-line error, never a stack trace`, () => {
    const bin = path.join(consumer, "node_modules", ".bin", BIN);
    const help = run(bin, ["--help"]);
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: ${BIN} --key <key> --function <name> \\[--region <region>\\] < plaintext-file\n`));

    const invalid = run(bin, ["--key", "orders-key", "--function", "orders-api"], { input: "x" });
    expect(invalid.status).toBe(2);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(new RegExp(`^${BIN}: --key \\(10 characters, not shown\\) is not a KMS key ARN \\(aliases and key IDs are refused\\)\\. `));

    // Far enough to load @aws-sdk/client-kms (a dependency) and call KMS: an endpoint that refuses the connection.
    const env = {
      ...NO_SDK_NODE_WARNING,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example",
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      AWS_MAX_ATTEMPTS: "1",
    };
    const keyArn = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const unreachable = run(bin, ["--key", keyArn, "--function", "consumer-fn"], { input: "value", env });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stdout).toBe("");
    expect(unreachable.stderr).toBe(
      `${BIN}: KMS Encrypt with key "${keyArn}" failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1\nhint: the KMS endpoint of eu-west-1 (the key ARN's region) could not be reached; check AWS_ENDPOINT_URL and the network\n`,
    );
    for (const output of [help, invalid, unreachable]) expect(output.stderr).not.toMatch(/^\s+at /m);
  });

  test(`node_modules/.bin/${REENCRYPT_BIN} runs the re-encrypt command: it loads with the configuration's validator, and reports a missing file without a stack trace`, () => {
    const bin = path.join(consumer, "node_modules", ".bin", REENCRYPT_BIN);
    expect(tarListing.filter((line) => line.endsWith(" package/dist/bin/reencrypt-config.js"))[0]).toMatch(/^-rwxr-xr-x /);
    const help = run(bin, ["--help"]);
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: ${REENCRYPT_BIN} --config <file> --account <name> \\[--write\\]`));
    const missing = run(bin, ["--config", path.join(consumer, "no-such-config.json"), "--account", "production"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read the file (ENOENT)");
    expect(missing.stderr).not.toMatch(/^\s+at /m);
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
    for (const file of ["dist/modules/encryption-key", "dist/runtime/clients"]) {
      const deep = node(["-e", `require("${PACKAGE.name}/${file}")`]);
      expect(deep.status).not.toBe(0);
      expect(deep.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
    }

    const root = node([
      "-e",
      `const m = require("${PACKAGE.name}"); console.log(typeof m.EncryptionKey, typeof m.EncryptedFunction, require("${PACKAGE.name}/package.json").name)`,
    ]);
    expect(root.stderr).toBe("");
    expect(root.stdout.trim()).toBe(`function function ${PACKAGE.name}`);
  });

  test("the package root exports the constructs, the policy classes and the compliance entry points, and no helper", () => {
    // The values of the public API (etc/cdktf-lambda-kms.api.md lists its types too); helpers such as
    // formatArn, KEY_ADMIN_ACTIONS or createDeterministicZip are imported by deep path inside the repository only.
    const root = node(["-e", `console.log(JSON.stringify(Object.keys(require("${PACKAGE.name}")).sort()))`]);
    expect(root.stderr).toBe("");
    expect(JSON.parse(root.stdout)).toEqual([
      "AuditTrail",
      "ComplianceChecker",
      "DEFAULT_RULES",
      "DeadLetterQueue",
      "DeployerPolicy",
      "EncryptedFunction",
      "EncryptionKey",
      "KeyGrant",
      "KeyUseAlarms",
      "LambdaCodeSigning",
      "LambdaExecutionRole",
      "LogMetricAlarm",
      "PolicyDocument",
      "PolicyStatement",
      "SecretsManagerSecret",
      "SecureStringParameter",
      "suppressRule",
    ]);
  });
});
