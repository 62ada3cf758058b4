/**
 * `npm run preview [-- <stack>…] [--jobs N] [--force]`
 *
 * Plans every stack of the configuration without AWS credentials and without
 * touching AWS: the app is synthesized into the preview folder `.preview/`
 * (in the folder it runs in: the project root under npm), and each stack gets
 * `terraform plan` with dummy credentials and an empty, throw-away state (an
 * override file beside `cdk.tf.json`; the stacks themselves are not
 * changed). `terraform plan` validates the configuration itself, so there is
 * no separate `terraform validate`. With `TF_PROVIDER_MIRROR` set, providers
 * come from that mirror only, so it also works without registry access.
 *
 * It is incremental: the preview folder stays between runs, so the synth is
 * skipped when nothing it reads changed (tooling/preview-synth-cache.ts), a
 * stack is initialized once (again only when its providers, backend or
 * modules change), and a stack whose `cdk.tf.json`, override, lock file, provider
 * mirror and terraform binary are unchanged since its last successful preview
 * is not planned again but shown as skipped with its last result (`--force`
 * synthesizes and plans everything anyway). Stacks are planned `--jobs` at a time (default: one per CPU).
 *
 * It proves that Terraform and the AWS provider accept every stack as
 * synthesized. It cannot show what would change in an account: a plan
 * against real state needs credentials (`npm run diff -- <stack>`).
 *
 * Exit codes: 0 every stack planned (or unchanged since it was), 1 a stack
 * failed (or the configuration is wrong), 2 usage error (an unknown option or
 * stack, a bad --jobs).
 */
import * as path from "path";
import { parseArgs } from "util";
import { errorText } from "../modules/private/safe-output";
import { reuseFromEnv } from "../stacks/account-reuse";
import { currentConfigFile, loadConfig } from "../config/load-config";
import { PROVIDER_MIRROR_ENV, readProviderMirror } from "../config/provider-mirror";
import { ConfigError } from "../config/validate-config";
import { PREVIEW_JOBS_ENV, PreviewJobsError, previewJobs } from "../tooling/preview-jobs";
import { PreviewProgress } from "../tooling/preview-progress";
import { pruneRecords } from "../tooling/preview-records";
import { forgetSynth, recordSynth, synthKey, unchangedSynth } from "../tooling/preview-synth-cache";
import { runPreview, seconds } from "../tooling/preview-run";
import { formatSummary } from "../tooling/preview-summary";
import { writeOfflineCliConfig } from "../tooling/offline-terraform";
import { missingRequiredVariables } from "../tooling/terraform-failures";

/** The preview folder, relative to the folder the command runs in (npm runs it in the project root). */
const PREVIEW_FOLDER = ".preview";
/** The project root: this file is dist/bin/preview.js. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

const USAGE = `usage: npm run preview -- [<stack>…] [--jobs N] [--force]

Synthesizes the configuration (LAMBDA_KMS_CONFIG, the cdktf.json context, or
config/default.json) into ${PREVIEW_FOLDER}/ and runs terraform plan on each stack
(all of them, or those named), without AWS credentials: plans start from an
empty state, so they list every resource as to be created. The plan validates
each stack; init runs only where the stack's providers or backend changed.
The synth is skipped when nothing it reads changed, and a stack unchanged
since its last successful preview is skipped and shown with its last result. With ${PROVIDER_MIRROR_ENV} set, providers come only from that mirror.

  --jobs N     plan N stacks at once (default: ${PREVIEW_JOBS_ENV}, else one per CPU)
  --force      synthesize and plan every stack, even if unchanged since the last preview
  --keep       print the preview folder's path (it is always kept)
  -h, --help   show this help`;

async function main(): Promise<number> {
  let parsed;
  let jobs: number;
  try {
    parsed = parseArgs({
      options: { jobs: { type: "string" }, force: { type: "boolean" }, keep: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (parsed.values.help) {
      console.log(USAGE);
      return 0;
    }
    jobs = previewJobs(parsed.values.jobs);
  } catch (error) {
    if (!(error instanceof PreviewJobsError) && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw error;
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const folder = path.resolve(PREVIEW_FOLDER);
  try {
    const config = loadConfig(currentConfigFile(process.env));
    const mirror = readProviderMirror(process.env);
    const outdir = path.join(folder, "cdktf.out");
    const key = synthKey(config, PROJECT_ROOT);
    const previous = parsed.values.force ? undefined : unchangedSynth(folder, outdir, key);
    let allStacks: readonly string[];
    if (previous) {
      allStacks = previous.stacks;
    } else {
      forgetSynth(folder);
      // Loaded only when needed: cdktf and the provider bindings take a while to load.
      const { synthesizeApp } = await import("../stacks/synthesize-app");
      // Into the persistent folder: synth carries each stack's .terraform/ and lock file across, so nothing is initialized twice.
      allStacks = (await synthesizeApp(config, outdir, { keepAccessResults: false, reuseUnchangedAccounts: reuseFromEnv(process.env) })).stacks;
      if (key !== undefined) recordSynth(folder, { key, stacks: allStacks });
    }
    const unknown = parsed.positionals.filter((name) => !allStacks.includes(name));
    if (unknown.length > 0) {
      console.error(`no stack ${unknown.join(", ")} in ${config.sourceFile}; its stacks are ${allStacks.join(", ")}`);
      return 2;
    }
    pruneRecords(folder, allStacks);
    const stacks = parsed.positionals.length > 0 ? allStacks.filter((name) => parsed.positionals.includes(name)) : allStacks;
    const placeholders = setPlaceholderVariables(outdir, stacks);
    console.log(
      `preview of ${stacks.length} stacks from ${config.sourceFile} in ${folder}: terraform plan (which validates) without AWS credentials, ` +
        `from an empty state, ${jobs} at a time; providers from ${mirror ? `the mirror ${mirror}` : "the registry (set TF_PROVIDER_MIRROR to use a mirror)"}` +
        (previous ? "; synth skipped: the configuration, the code and the app are unchanged since the last one" : ""),
    );
    const progress = new PreviewProgress(stacks.length, jobs);
    let outcomes;
    try {
      outcomes = await runPreview({
        folder,
        outdir,
        stacks,
        mirror: mirror ?? null,
        jobs,
        force: parsed.values.force === true,
        placeholders,
        // One CLI config for every stack: the mirror rules (without a mirror, the user's own CLI config applies).
        cliConfigFile: mirror ? writeOfflineCliConfig(folder, mirror) : undefined,
        // Without a mirror, one plugin cache, so the registry's provider is downloaded once, not once per stack.
        // With an unpacked mirror Terraform already links every stack's provider to the mirror's one copy;
        // a cache only adds a link in between (measured: init 0.7-1.3 s either way), so none is set.
        pluginCacheDir: mirror ? undefined : path.join(folder, "plugin-cache"),
        progress,
      });
    } finally {
      progress.stop();
    }
    console.log(formatSummary(outcomes));
    if (placeholders.length > 0) {
      console.log(`planned with a placeholder for ${placeholders.join(", ")} (no TF_VAR_ value set; seed values are write-only and never appear in a plan)`);
    }
    const failed = outcomes.filter((o) => o.status === "failed").map((o) => o.stack);
    const skipped = outcomes.filter((o) => o.status === "skipped").length;
    if (failed.length > 0) {
      console.error(`preview failed for ${failed.length} of ${stacks.length} stacks: ${failed.join(", ")} (they are planned again next time)`);
      return 1;
    }
    console.log(
      `${stacks.length} stacks valid and planned in ${seconds(Date.now() - started)} ` +
        `(${stacks.length - skipped} planned, ${skipped} skipped as unchanged; --force plans them all). Nothing was deployed.`,
    );
    return 0;
  } catch (error) {
    console.error(errorText(error, error instanceof ConfigError ? "" : "preview failed: "));
    return 1;
  } finally {
    if (parsed.values.keep) console.log(`the preview folder: ${folder}`);
  }
}

/**
 * Gives every required variable of the stacks that has no `TF_VAR_` value a
 * placeholder, so the plan can run: the only such variables are secret seeds,
 * whose values are write-only and change nothing in a plan. Returns their names.
 */
function setPlaceholderVariables(outdir: string, stacks: readonly string[]): string[] {
  const names = new Set(stacks.flatMap((stack) => missingRequiredVariables(path.join(outdir, "stacks", stack), ["plan"], process.env)));
  for (const name of names) process.env[`TF_VAR_${name}`] = "preview-placeholder";
  return [...names];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(errorText(error, "preview failed: "));
    process.exit(1);
  },
);
