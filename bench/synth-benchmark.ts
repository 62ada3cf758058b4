/**
 * Measures the main job, side by side in one run:
 * - `node dist/main.js` on the default configuration, on 50 accounts (250
 *   stacks) and on 250 accounts (1,250 stacks; see bench/scale-config.ts):
 *   wall time, peak resident memory, cost per stack, and a SHA-256 of the
 *   whole output folder, so runs of two commits can be checked for
 *   byte-identical output;
 * - the default configuration once more with the access check's kept
 *   decisions switched off (`LAMBDA_KMS_ACCESS_CACHE=off`): a first synth;
 * - the 50 and 250 accounts again into the same folder, with nothing
 *   changed and with one account changed (the others' output is reused,
 *   see stacks/account-reuse.ts); the cold runs above start from an empty
 *   folder;
 * - a warm `npm run synth` (nothing changed since the last build or synth)
 *   and `cdktf synth` on the default configuration, and their ratio, and
 *   `npm run synth` with the reuse off (`LAMBDA_KMS_SYNTH_REUSE=off`).
 * Medians of `--runs N` runs (default 3; the 250-account synth runs once
 * unless `--scale-runs N`). Results go to `--json FILE` (default
 * bench/results/<commit>.json) to compare between commits; `--compare FILE`
 * prints the ratio to an earlier result. `--quick` skips the 250 accounts.
 * A benchmark, not a test: it reports and never fails on a slow machine.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { STACKS_PER_SCALE_ACCOUNT, writeScaleConfig } from "./scale-config";

const root = path.resolve(__dirname, "..", "..");
const mainJs = path.join(root, "dist", "main.js");

const USAGE = "usage: npm run bench -- [--runs N] [--scale-runs N] [--quick] [--json FILE] [--compare FILE]";

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) usage(`--${name} must be a positive integer, received ${JSON.stringify(value)}; for example --${name} 3`);
  return Number(value);
}

function usage(problem: string): never {
  console.error(`synth-benchmark: ${problem}\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: { runs: { type: "string" }, "scale-runs": { type: "string" }, quick: { type: "boolean" }, json: { type: "string" }, compare: { type: "string" } },
  });
} catch (error) {
  usage((error as Error).message);
}
const runs = positive("runs", parsed.values.runs, 3);
const scaleRuns = positive("scale-runs", parsed.values["scale-runs"], 1);

interface Sample {
  readonly wallMs: number;
  readonly peakRssMb: number;
}

interface Measured {
  readonly stacks: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly msPerStack: number;
  readonly kbPerStack: number;
  readonly runs: number;
  /** SHA-256 over the output folder's files (paths and bytes). */
  readonly outputSha256: string;
}

// The child reports its own peak RSS (getrusage ru_maxrss, in KB) when it exits.
const reporter = `process.on("exit", () => process.stderr.write("BENCH " + process.resourceUsage().maxRSS + "\\n"));`;

/** One synth into `outdir`, emptied first unless `keepOutput` (then unchanged accounts are reused). */
function synthOnce(outdir: string, env: NodeJS.ProcessEnv, keepOutput = false): Sample {
  if (!keepOutput) fs.rmSync(outdir, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["-e", `${reporter} require(${JSON.stringify(mainJs)})`], {
    cwd: root,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`synthesis failed (exit ${child.status}):\n${child.stderr.slice(-4000)}`);
  return { wallMs, peakRssMb: Number(/BENCH (\d+)/.exec(child.stderr)?.[1]) / 1024 };
}

/** Gives one account of a scale configuration a tag whose value is the run's number: one changed account per run. */
function changeOneAccount(config: string): (run: number) => void {
  const original = fs.readFileSync(config, "utf8");
  return (run) => {
    const changed = JSON.parse(original) as { accounts: { tags?: Record<string, string> }[] };
    const account = changed.accounts[Math.floor(changed.accounts.length / 3)];
    account.tags = { ...account.tags, BenchRun: String(run) };
    fs.writeFileSync(config, JSON.stringify(changed));
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Same paths and bytes give the same digest; the folder's location does not count. */
function folderSha256(folder: string): string {
  const hash = crypto.createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(`${path.relative(folder, file)}\0`).update(fs.readFileSync(file));
    }
  };
  walk(folder);
  return hash.digest("hex");
}

/**
 * Median of `count` synths into `outdir`; each starts from an empty folder,
 * or with `again`, from the last one's output, after `again(run)` (which may
 * change the configuration).
 */
function measureSynth(label: string, outdir: string, count: number, env: NodeJS.ProcessEnv = {}, again?: (run: number) => void): Measured {
  const samples = Array.from({ length: count }, (_, run) => {
    again?.(run);
    return synthOnce(outdir, env, again !== undefined);
  });
  const stacks = fs.readdirSync(path.join(outdir, "stacks")).length;
  const wallMs = median(samples.map((s) => s.wallMs));
  const peakRssMb = median(samples.map((s) => s.peakRssMb));
  const measured = {
    stacks,
    wallMs,
    peakRssMb,
    msPerStack: wallMs / stacks,
    kbPerStack: (peakRssMb * 1024) / stacks,
    runs: count,
    outputSha256: folderSha256(outdir),
  };
  console.log(
    `${label.padEnd(34)} ${String(stacks).padStart(5)} stacks  ${(wallMs / 1000).toFixed(2).padStart(6)} s  ${peakRssMb.toFixed(0).padStart(5)} MB  ` +
      `${measured.msPerStack.toFixed(1).padStart(6)} ms/stack  output ${measured.outputSha256.slice(0, 12)}`,
  );
  return measured;
}

/** Median wall time of a command run from the project root (its output is discarded). */
function measureCommand(label: string, command: string, args: string[], count: number, env: NodeJS.ProcessEnv): number {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const child = spawnSync(command, args, { cwd: root, env: { ...process.env, ...env, CHECKPOINT_DISABLE: "1" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (child.status !== 0) throw new Error(`${label} failed (exit ${child.status}):\n${child.stderr.slice(-4000)}`);
  }
  const wallMs = median(times);
  console.log(`${label.padEnd(34)} ${(wallMs / 1000).toFixed(2).padStart(19)} s`);
  return wallMs;
}

function commit(): string {
  const git = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).stdout.trim() !== "";
  return git.status === 0 ? `${git.stdout.trim()}${dirty ? "-dirty" : ""}` : "unknown";
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "synth-bench-"));
try {
  const cores = os.availableParallelism();
  console.log(`node ${process.version}, ${cores} cores, load average ${os.loadavg()[0].toFixed(2)}; medians of ${runs} runs (${scaleRuns} for 250 accounts)`);
  // Fills the access check's kept decisions and the code zip cache, as any earlier synth would have.
  synthOnce(path.join(work, "warmup"), {});
  const synth: Record<string, Measured> = {};
  synth.defaultFirst = measureSynth("default, access decisions not kept", path.join(work, "default-first"), runs, { LAMBDA_KMS_ACCESS_CACHE: "off" });
  synth.default = measureSynth("default (node dist/main.js)", path.join(work, "default"), runs);
  for (const accounts of parsed.values.quick ? [50] : [50, 250]) {
    const config = writeScaleConfig(root, accounts, path.join(work, `accounts-${accounts}.json`), path.join(work, "state"));
    synthOnce(path.join(work, `warmup-${accounts}`), { LAMBDA_KMS_CONFIG: config });
    fs.rmSync(path.join(work, `warmup-${accounts}`), { recursive: true, force: true });
    const label = `${accounts} accounts (${accounts * STACKS_PER_SCALE_ACCOUNT} stacks)`;
    const outdir = path.join(work, `accounts-${accounts}`);
    const count = accounts === 250 ? scaleRuns : runs;
    synth[`accounts${accounts}`] = measureSynth(label, outdir, count, { LAMBDA_KMS_CONFIG: config });
    synth[`accounts${accounts}Unchanged`] = measureSynth(`${accounts} accounts, nothing changed`, outdir, count, { LAMBDA_KMS_CONFIG: config }, () => undefined);
    synth[`accounts${accounts}OneChanged`] = measureSynth(`${accounts} accounts, one changed`, outdir, count, { LAMBDA_KMS_CONFIG: config }, changeOneAccount(config));
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  // Warm: built, nothing changed since. Both write into a throw-away folder.
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const npmOutdir = { CDKTF_OUTDIR: path.join(work, "npm-synth") };
  measureCommand("(first npm run synth, not counted)", npm, ["run", "--silent", "synth"], 1, npmOutdir);
  const npmSynthMs = measureCommand("npm run synth, warm", npm, ["run", "--silent", "synth"], runs, npmOutdir);
  const npmSynthNoReuseMs = measureCommand("npm run synth, warm, reuse off", npm, ["run", "--silent", "synth"], runs, { ...npmOutdir, LAMBDA_KMS_SYNTH_REUSE: "off" });
  const cdktf = path.join(root, "node_modules", ".bin", "cdktf");
  const cdktfArgs = ["synth", "--output", path.join(work, "cdktf-synth")];
  measureCommand("(first cdktf synth, not counted)", cdktf, cdktfArgs, 1, {});
  const cdktfSynthMs = measureCommand("cdktf synth, warm", cdktf, cdktfArgs, runs, {});
  console.log(`cdktf synth / npm run synth: ${(cdktfSynthMs / npmSynthMs).toFixed(2)}`);

  const result = {
    commit: commit(),
    date: new Date().toISOString(),
    node: process.version,
    cores,
    loadAverage: os.loadavg()[0],
    runs,
    synth,
    npmRunSynthWarmMs: npmSynthMs,
    npmRunSynthWarmNoReuseMs: npmSynthNoReuseMs,
    cdktfSynthWarmMs: cdktfSynthMs,
    cdktfToNpmRatio: cdktfSynthMs / npmSynthMs,
  };
  const jsonFile = path.resolve(parsed.values.json ?? path.join(root, "bench", "results", `${result.commit}.json`));
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results: ${jsonFile}`);
  if (parsed.values.compare) compare(result, JSON.parse(fs.readFileSync(parsed.values.compare, "utf8")) as typeof result);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

/** Ratios to an earlier result (below 1: faster or smaller now), and whether the output bytes are the same. */
function compare(now: { synth: Record<string, Measured> }, before: { commit: string; synth: Record<string, Measured> }): void {
  console.log(`compared with ${before.commit}:`);
  for (const [name, measured] of Object.entries(now.synth)) {
    const earlier = before.synth[name];
    if (!earlier) continue;
    const same = earlier.outputSha256 === measured.outputSha256 ? "same output bytes" : "OUTPUT DIFFERS";
    console.log(`  ${name.padEnd(16)} time ×${(measured.wallMs / earlier.wallMs).toFixed(2)}  memory ×${(measured.peakRssMb / earlier.peakRssMb).toFixed(2)}  ${same}`);
  }
}
