/**
 * Measures the main job on the default configuration:
 * - the synthesis itself: `node dist/main.js` (compiled app, deep imports),
 *   wall time and peak resident memory of the process, over several runs;
 * - the whole `npm run synth` (compile + synthesis) once, wall time.
 * Targets (issue 2): synthesis < 1.5 s and < 200 MB; `npm run synth` < 15 s.
 * Run with `npm run bench`; options: `--runs N` (default 5).
 * A benchmark, not a test: it reports and never fails on a slow machine.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const mainJs = path.join(root, "dist", "main.js");

interface Sample {
  wallMs: number;
  peakRssMb: number;
}

// The child reports its own peak RSS (getrusage ru_maxrss, in KB) when it exits.
const reporter = `process.on("exit", () => process.stderr.write("BENCH " + process.resourceUsage().maxRSS + "\\n"));`;

function synthOnce(outdir: string): Sample {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["-e", `${reporter} require(${JSON.stringify(mainJs)})`], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`synthesis failed (exit ${child.status}):\n${child.stderr}`);
  const rssKb = Number(/BENCH (\d+)/.exec(child.stderr)?.[1]);
  return { wallMs, peakRssMb: rssKb / 1024 };
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `median ${median.toFixed(0)}  min ${sorted[0].toFixed(0)}  max ${sorted[sorted.length - 1].toFixed(0)}`;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "synth-bench-"));
try {
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${runs} runs of the compiled app on config/default.json`);
  synthOnce(path.join(work, "warmup"));
  const samples = Array.from({ length: runs }, (_, i) => synthOnce(path.join(work, `run-${i}`)));
  const wall = samples.map((s) => s.wallMs);
  const rss = samples.map((s) => s.peakRssMb);
  const stacks = fs.readdirSync(path.join(work, "run-0", "stacks")).length;
  console.log(`stacks per run:        ${stacks}`);
  console.log(`synthesis wall (ms):   ${stats(wall)}   target < 1500`);
  console.log(`synthesis peak RSS (MB): ${stats(rss)}   target < 200`);

  const started = process.hrtime.bigint();
  execFileSync("npm", ["run", "--silent", "synth"], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: path.join(work, "npm-synth"), CHECKPOINT_DISABLE: "1" },
    stdio: "ignore",
  });
  const npmMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`npm run synth wall (ms): ${npmMs.toFixed(0)}   target < 15000 (includes tsc; incremental)`);
  const over = [Math.min(...wall) > 1500, Math.min(...rss) > 200, npmMs > 15000].some(Boolean);
  console.log(over ? "RESULT: over a target" : "RESULT: within all targets");
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
