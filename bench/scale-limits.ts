/**
 * Measures how the generated documents grow with the number of functions
 * per account, on real synths of one workload stack (production-eu-west-1
 * of config/default.json, functions fn-0000, fn-0001, ... in production
 * only), next to what config/scale-limits.ts predicts:
 * - the bytes of the workload key policy (KMS: 32,768);
 * - the metric filters of the unexpected-key-use alarm (CloudWatch: 10
 *   metrics per metric-math alarm, so 1 + 9 lists of principals);
 * then the maxima the check derives, and how long `scaleProblems` takes on
 * 5,000 functions.
 * Run with `npm run build && node dist/bench/scale-limits.js [N ...]`
 * (default N: 0 1 2 10 60 61 62 135 136). A measurement, not a test: it
 * reports and never fails.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing } from "cdktf";
import { AppConfig } from "../config/app-config";
import { KEY_POLICY_BUDGET_BYTES, scaleProblems, scaleReport } from "../config/scale-limits";
import { KEY_POLICY_MAX_BYTES } from "../modules/encryption-key";
import { validateConfig } from "../config/validate-config";
import { WorkloadStack } from "../stacks/workload-stack";

/** The repository: bench/ compiled into dist/bench/, or run from source. */
const root = fs.existsSync(path.resolve(__dirname, "..", "package.json")) ? path.resolve(__dirname, "..") : path.resolve(__dirname, "..", "..");
/** Never written: paths resolve from its folder, inside the repository (the default code root). */
const source = path.join(root, "config", "scale-limits.bench.json");
const code = path.join(root, "functions", "config-reader");
const base = JSON.parse(fs.readFileSync(path.join(root, "config", "default.json"), "utf8"));
const counts = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [0, 1, 2, 10, 60, 61];

function config(functions: number): AppConfig {
  const document = structuredClone(base);
  document.backend.directory = "state";
  document.secrets = [];
  document.functions = Array.from({ length: functions }, (_, i) => ({ name: `fn-${String(i).padStart(4, "0")}`, codeDirectory: code, accounts: ["production"] }));
  return validateConfig(document, source, { checkScale: false });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "scale-limits-bench-"));
try {
  console.log("functions | key policy bytes: synthesized / predicted | unexpected-use filters: built / predicted | synth ms");
  for (const count of counts) {
    const cfg = config(count);
    const account = cfg.accounts[1];
    const started = Date.now();
    const stack = new WorkloadStack(Testing.app({ outdir: path.join(work, String(count)) }), {
      config: cfg,
      account,
      region: "eu-west-1",
      stackDirectory: path.join(work, "stack"),
      trailLogGroupName: `/aws/cloudtrail/${account.audit.trailName}`,
      alarmTopicArn: `arn:aws:sns:${account.audit.homeRegion}:${account.accountId}:${account.audit.trailName}-alarms`,
    });
    const json = JSON.parse(Testing.synth(stack, false));
    const policy = (Object.values(json.resource.aws_kms_key)[0] as { policy: string }).policy;
    const ms = Date.now() - started;
    const predicted = scaleReport(cfg)[1].stacks[0];
    console.log(
      `${String(count).padStart(9)} | ${String(Buffer.byteLength(policy, "utf8")).padStart(6)} / ${String(predicted.keyPolicy?.bytes).padStart(6)}` +
        ` | ${String(stack.keyUseAlarms.unexpectedKeyUse.filters.length).padStart(3)} / ${String(predicted.alarm.filters).padStart(3)} | ${ms}`,
    );
  }

  const probe = scaleReport(config(200))[1].stacks[0];
  console.log(
    `maxima for production-eu-west-1: ${probe.keyPolicy?.maxFunctions} functions in the key policy (${KEY_POLICY_BUDGET_BYTES} of ${KEY_POLICY_MAX_BYTES} bytes), ` +
      `${probe.alarm.maxFunctions} in the unexpected-key-use alarm (9 lists); per function ${probe.keyPolicy?.lastFunctionBytes} key policy bytes`,
  );

  const small = config(1);
  const large: AppConfig = { ...small, functions: Array.from({ length: 5000 }, (_, i) => ({ ...small.functions[0], name: `fn-${String(i).padStart(4, "0")}` })) };
  const times: number[] = [];
  let issues = 0;
  for (let run = 0; run < 5; run++) {
    const started = process.hrtime.bigint();
    issues = scaleProblems(large).length;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`scaleProblems on 5,000 functions: ${issues} issues, median ${times[2].toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[4].toFixed(1)})`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
