/**
 * `npm run check:cdktn`: does the project still build on CDK Terrain
 * (cdktn), the community fork of the archived CDK for Terraform?
 *
 * 1. Copies the library and the app (main.ts, modules/, stacks/, config/, access/)
 *    into a temporary folder and rewrites their module specifiers
 *    (cdktf → cdktn, @cdktf/provider-aws/lib/<resource> →
 *    @cdktn/provider-aws/lib/<resource>, and the provider's package.json;
 *    see rewrite-imports.ts). A cdktf specifier that no rule covers fails
 *    the check.
 * 2. Type-checks and compiles the copy with the TypeScript of compat/cdktn,
 *    against the packages installed there (`npm --prefix compat/cdktn ci`),
 *    with the project's compiler options (declarations included).
 * 3. Synthesizes config/default.json with the compiled copy and with the
 *    pinned cdktf app (dist/main.js, so run `npm run build` first; the npm
 *    script does), and compares every file of both outputs. Only the
 *    differences listed in EXPLAINED are allowed; any other fails the check.
 *
 * What it does not do: terraform validate or plan of the cdktn output (the
 * bindings target hashicorp/aws 6.x, and the machines carry 5.100.0 only).
 * Prints a one-line result; CDKTN_CHECK_KEEP=1 keeps the temporary folder.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { SpecifierProblem, rewriteImports } from "./rewrite-imports";

const ROOT = path.resolve(__dirname, "..", "..");
const COMPAT = path.join(ROOT, "compat", "cdktn");
const COMPAT_MODULES = path.join(COMPAT, "node_modules");
/**
 * The library and the app; tests, tooling and the Lambda runtime do not import cdktf (runtime/ must not).
 * The runtime contract is copied too: the constructs import it, and it imports nothing.
 */
const SOURCES = ["main.ts", "modules", "stacks", "config", "access", "runtime/contract.ts"];
const CONFIG_FILE = path.join(ROOT, "config", "default.json");
/**
 * The Terraform versions the synthesized JSON is for (README: Terraform ≥ 1.11). cdktn validates
 * features against declared targets; without a declaration it assumes Terraform ≥ 1.5.7 and OpenTofu ≥ 1.6.
 */
const TARGET_VERSIONS = { terraform: ">=1.11.0" };
const started = Date.now();

class CheckFailure extends Error {}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

function installedVersion(modules: string, name: string): string {
  const file = path.join(modules, ...name.split("/"), "package.json");
  if (!fs.existsSync(file)) throw new CheckFailure(`${path.relative(ROOT, file)} is missing: install compat/cdktn first (npm --prefix compat/cdktn ci --no-audit --no-fund)`);
  return readJson(file).version as string;
}

/** The hashicorp/aws version a prebuilt provider package was generated for (its package.json `cdktf` / `cdktn` field). */
function boundProviderVersion(modules: string, name: string, field: "cdktf" | "cdktn"): string {
  const meta = readJson(path.join(modules, ...name.split("/"), "package.json"))[field] as { provider?: { version?: string } } | undefined;
  const version = meta?.provider?.version;
  if (!version) throw new CheckFailure(`${name} does not say which hashicorp/aws version it was generated for (package.json "${field}.provider.version")`);
  return version;
}

/** Every package pinned in compat/cdktn/package.json must be installed at exactly that version (a stale install is a failed check, not a silent one). */
function checkCompatInstall(): Record<string, string> {
  if (!fs.existsSync(COMPAT_MODULES)) throw new CheckFailure("compat/cdktn is not installed: run npm --prefix compat/cdktn ci --no-audit --no-fund");
  const pinned = readJson(path.join(COMPAT, "package.json")).devDependencies as Record<string, string>;
  const stale = Object.entries(pinned)
    .map(([name, version]) => ({ name, version, installed: installedVersion(COMPAT_MODULES, name) }))
    .filter(({ version, installed }) => version !== installed);
  if (stale.length > 0) {
    throw new CheckFailure(
      `compat/cdktn/node_modules does not match compat/cdktn/package.json (${stale.map((s) => `${s.name} ${s.installed}, pinned ${s.version}`).join("; ")}): run npm --prefix compat/cdktn ci --no-audit --no-fund`,
    );
  }
  return pinned;
}

function listTsFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (fs.statSync(full).isFile()) return entry.endsWith(".ts") ? [entry] : [];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((dirent) =>
      dirent.isDirectory() ? listTsFiles(path.join(entry, dirent.name)) : dirent.name.endsWith(".ts") && !dirent.name.endsWith(".d.ts") ? [path.join(entry, dirent.name)] : [],
    );
}

interface CopyResult {
  files: number;
  filesRewritten: number;
  specifiers: number;
}

function copyAndRewrite(work: string): CopyResult {
  const files = SOURCES.flatMap(listTsFiles);
  const problems: Array<SpecifierProblem & { file: string }> = [];
  let filesRewritten = 0;
  let specifiers = 0;
  for (const file of files) {
    const result = rewriteImports(file, fs.readFileSync(path.join(ROOT, file), "utf8"));
    problems.push(...result.problems.map((problem) => ({ ...problem, file })));
    if (result.rewritten.length > 0) filesRewritten++;
    specifiers += result.rewritten.length;
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), result.text);
  }
  if (problems.length > 0) {
    throw new CheckFailure(
      `${problems.length} cdktf reference(s) the import rewrite does not cover (extend REWRITE_RULES in compat/rewrite-imports.ts, or change the import):\n` +
        problems.map((p) => `  ${p.file}:${p.line}: "${p.specifier}": ${p.reason}`).join("\n"),
    );
  }
  return { files: files.length, filesRewritten, specifiers };
}

/** The project's compiler options (tsconfig.json), emitting into `dist/` of the copy, Node types only. */
function writeTsconfig(work: string): void {
  const read = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  if (read.error) throw new CheckFailure(`cannot read tsconfig.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
  const compilerOptions = { ...(read.config.compilerOptions as Record<string, unknown>), noEmit: false, outDir: "dist", rootDir: ".", types: ["node"], incremental: false };
  fs.writeFileSync(path.join(work, "tsconfig.json"), JSON.stringify({ compilerOptions, include: SOURCES.map((s) => (s.endsWith(".ts") ? s : `${s}/**/*.ts`)) }, null, 2));
}

interface TypeCheckResult {
  errors: number;
  output: string;
}

function typeCheck(work: string): TypeCheckResult {
  const tsc = path.join(COMPAT_MODULES, "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { cwd: work, encoding: "utf8" });
  const output = `${run.stdout}${run.stderr}`.trim();
  const errors = output.split("\n").filter((line) => / error TS\d+:/.test(line) || /^error TS\d+:/.test(line)).length;
  if (run.status !== 0 && errors === 0) throw new CheckFailure(`tsc of compat/cdktn exited with ${run.status ?? run.signal} without a diagnostic:\n${output}`);
  return { errors, output };
}

/** Runs one compiled app on the default configuration into `outdir`. */
function synthesize(label: string, mainJs: string, outdir: string, context?: Record<string, unknown>): void {
  // Both runs see the same environment, whatever the caller's shell holds: no CDKTF_* / CDKTN_* settings (both
  // libraries read CDKTF_*), no app settings (LAMBDA_KMS_*), no provider mirror (it must hold the exact provider
  // version the bindings declare, which differs), and no SYNTH_HCL_OUTPUT (set by the CLI, read by both libraries).
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(CDKTF_|CDKTN_|LAMBDA_KMS_)/.test(name) && name !== "TF_PROVIDER_MIRROR" && name !== "SYNTH_HCL_OUTPUT"),
  );
  Object.assign(env, { CHECKPOINT_DISABLE: "1", LAMBDA_KMS_CONFIG: CONFIG_FILE, CDKTF_OUTDIR: outdir });
  if (context) env.CDKTF_CONTEXT_JSON = JSON.stringify(context);
  const run = spawnSync(process.execPath, [mainJs], { cwd: ROOT, env, encoding: "utf8" });
  if (run.status !== 0) throw new CheckFailure(`synthesis with ${label} failed (exit ${run.status ?? run.signal}):\n${`${run.stdout}${run.stderr}`.trim()}`);
}

function listFiles(dir: string, prefix = ""): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((dirent) => (dirent.isDirectory() ? listFiles(dir, path.posix.join(prefix, dirent.name)) : [path.posix.join(prefix, dirent.name)]))
    .sort();
}

interface Difference {
  file: string;
  /** JSON path, e.g. `terraform.required_providers.aws.version`; empty for a whole file. */
  path: string;
  cdktf: unknown;
  cdktn: unknown;
}

const ABSENT = Symbol("absent");

function jsonDifferences(file: string, a: unknown, b: unknown, at: string[] = []): Difference[] {
  const here = at.join(".");
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const recordA = a as Record<string, unknown>;
    const recordB = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(recordA), ...Object.keys(recordB)])];
    return keys.flatMap((key) => jsonDifferences(file, key in recordA ? recordA[key] : ABSENT, key in recordB ? recordB[key] : ABSENT, [...at, key]));
  }
  return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b ? [] : [{ file, path: here, cdktf: a, cdktn: b }];
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function compareOutputs(cdktfOut: string, cdktnOut: string): { files: number; stacks: number; differences: Difference[] } {
  const filesA = listFiles(cdktfOut);
  const filesB = new Set(listFiles(cdktnOut));
  const differences: Difference[] = [];
  for (const file of filesA) {
    if (!filesB.has(file)) {
      differences.push({ file, path: "", cdktf: "(file)", cdktn: ABSENT });
    } else if (file.endsWith(".json")) {
      differences.push(...jsonDifferences(file, readJson(path.join(cdktfOut, file)), readJson(path.join(cdktnOut, file))));
    } else if (sha256(path.join(cdktfOut, file)) !== sha256(path.join(cdktnOut, file))) {
      differences.push({ file, path: "", cdktf: `sha256 ${sha256(path.join(cdktfOut, file))}`, cdktn: `sha256 ${sha256(path.join(cdktnOut, file))}` });
    }
    filesB.delete(file);
  }
  for (const file of filesB) differences.push({ file, path: "", cdktf: ABSENT, cdktn: "(file)" });
  const stacks = filesA.filter((file) => /^stacks\/[^/]+\/cdk\.tf\.json$/.test(file)).length;
  return { files: filesA.length, stacks, differences };
}

/** A difference the check allows: exactly these values at exactly this place. */
interface Explained {
  file: RegExp;
  path: string;
  cdktf: unknown;
  cdktn: unknown;
  reason: string;
}

function show(value: unknown): string {
  if (value === ABSENT) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function main(): void {
  const pinned = checkCompatInstall();
  const cdktfVersion = installedVersion(path.join(ROOT, "node_modules"), "cdktf");
  const cdktnVersion = installedVersion(COMPAT_MODULES, "cdktn");
  const awsCdktf = boundProviderVersion(path.join(ROOT, "node_modules"), "@cdktf/provider-aws", "cdktf");
  const awsCdktn = boundProviderVersion(COMPAT_MODULES, "@cdktn/provider-aws", "cdktn");
  const mainJs = path.join(ROOT, "dist", "main.js");
  if (!fs.existsSync(mainJs)) throw new CheckFailure("dist/main.js is missing: run npm run build first (npm run check:cdktn does)");

  const STACK = /^stacks\/[^/]+\/cdk\.tf\.json$/;
  const EXPLAINED: Explained[] = [
    {
      file: STACK,
      path: "terraform.required_providers.aws.version",
      cdktf: awsCdktf,
      cdktn: awsCdktn,
      reason: "each provider package pins the hashicorp/aws version it was generated for",
    },
    // Terraform reads a bare type as the hashicorp namespace: both are registry.terraform.io/hashicorp/aws (`terraform providers` shows the same address).
    {
      file: STACK,
      path: "terraform.required_providers.aws.source",
      cdktf: "aws",
      cdktn: "hashicorp/aws",
      reason: "the two provider packages spell the same source address differently",
    },
    { file: STACK, path: "//.metadata.version", cdktf: cdktfVersion, cdktn: cdktnVersion, reason: "the library version each writes into its metadata" },
    { file: /^manifest\.json$/, path: "version", cdktf: cdktfVersion, cdktn: cdktnVersion, reason: "the library version each writes into the manifest" },
  ];

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-kms-cdktn-"));
  try {
    // Node and tsc resolve cdktn, its provider and constructs from here, following the links to compat/cdktn.
    // The access check's policy engine, which does not depend on cdktf, comes from the project's own (patched) install.
    const modules = path.join(work, "node_modules");
    fs.mkdirSync(modules);
    for (const entry of fs.readdirSync(COMPAT_MODULES)) fs.symlinkSync(path.join(COMPAT_MODULES, entry), path.join(modules, entry));
    fs.symlinkSync(path.join(ROOT, "node_modules", "@cloud-copilot"), path.join(modules, "@cloud-copilot"), "dir");
    const copy = copyAndRewrite(work);
    writeTsconfig(work);
    const check = typeCheck(work);
    const versions = `cdktn ${cdktnVersion}, @cdktn/provider-aws ${pinned["@cdktn/provider-aws"]} (hashicorp/aws ${awsCdktn}), constructs ${pinned.constructs}, Node ${process.version}`;
    const compiled = `${copy.files} files copied, ${copy.filesRewritten} rewritten (${copy.specifiers} imports), ${check.errors} type errors`;
    if (check.errors > 0) {
      console.error(check.output);
      throw new CheckFailure(`${versions}: ${compiled}`);
    }

    const cdktfOut = path.join(work, "out-cdktf");
    const cdktnOut = path.join(work, "out-cdktn");
    synthesize(`cdktf ${cdktfVersion} (dist/main.js)`, mainJs, cdktfOut);
    synthesize(`cdktn ${cdktnVersion}`, path.join(work, "dist", "main.js"), cdktnOut, { targetVersions: TARGET_VERSIONS });
    const compared = compareOutputs(cdktfOut, cdktnOut);
    const explained = new Map<Explained, Difference[]>();
    const unexplained: Difference[] = [];
    for (const difference of compared.differences) {
      const rule = EXPLAINED.find((e) => e.file.test(difference.file) && e.path === difference.path && e.cdktf === difference.cdktf && e.cdktn === difference.cdktn);
      if (rule) explained.set(rule, [...(explained.get(rule) ?? []), difference]);
      else unexplained.push(difference);
    }
    for (const [rule, list] of explained) {
      console.log(`  explained: ${rule.path} ${show(rule.cdktf)} → ${show(rule.cdktn)} in ${list.length} file(s): ${rule.reason}`);
    }
    for (const d of unexplained) console.log(`  DIFFERENT: ${d.file}${d.path ? ` ${d.path}` : ""}: cdktf ${show(d.cdktf)} → cdktn ${show(d.cdktn)}`);
    const synth = `synth of config/default.json: ${compared.stacks} stacks, ${compared.files} files compared, ${unexplained.length} unexplained differences, ${compared.differences.length - unexplained.length} explained`;
    const line = `${versions}: ${compiled}; ${synth} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
    if (unexplained.length > 0) throw new CheckFailure(line);
    console.log(`check:cdktn OK: ${line}`);
  } finally {
    if (process.env.CDKTN_CHECK_KEEP === "1") console.log(`  kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  if (!(error instanceof CheckFailure)) throw error;
  console.error(`check:cdktn FAILED: ${error.message}`);
  process.exitCode = 1;
}
