/**
 * `npm run preview [-- <stack>…] [--keep]`
 *
 * Validates and plans every stack of the configuration without AWS
 * credentials and without touching AWS: the app is synthesized into a
 * temporary folder, and each stack gets `terraform init`, `validate` and
 * `plan` with dummy credentials and an empty, throw-away state (an override
 * file beside `cdk.tf.json`; the stacks themselves are not changed). With
 * `TF_PROVIDER_MIRROR` set, providers come from that mirror only, so it also
 * works without registry access.
 *
 * It proves that Terraform and the AWS provider accept every stack as
 * synthesized. It cannot show what would change in an account: a plan
 * against real state needs credentials (`npm run diff -- <stack>`).
 *
 * Nothing is written in the project: the stacks go to the temporary folder,
 * which is removed at the end unless `--keep` is given (synth's code assets
 * go to their usual cache in the system's temporary folder). Exit codes: 0
 * every stack valid and planned, 1 a stack failed (or the configuration is
 * wrong), 2 usage error (an unknown option or stack).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { errorText } from "../modules/private/safe-output";
import { currentConfigFile, loadConfig } from "../config/load-config";
import { PROVIDER_MIRROR_ENV, readProviderMirror } from "../config/provider-mirror";
import { ConfigError } from "../config/validate-config";
import { synthesizeApp } from "../stacks/synthesize-app";
import { StackCheckResult, TerraformStacksCheckError, checkStacks } from "../tooling/stack-check";
import { missingRequiredVariables } from "../tooling/terraform-failures";

const USAGE = `usage: npm run preview -- [<stack>…] [--keep]

Synthesizes the configuration (LAMBDA_KMS_CONFIG, the cdktf.json context, or
config/default.json) into a temporary folder and runs terraform init, validate
and plan on each stack (all of them, or those named), without AWS credentials:
plans start from an empty state, so they list every resource as to be created.
With ${PROVIDER_MIRROR_ENV} set, providers come only from that mirror.

  --keep       keep the temporary folder and print its path
  -h, --help   show this help`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { keep: { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-kms-preview-"));
  try {
    const config = loadConfig(currentConfigFile(process.env));
    const mirror = readProviderMirror(process.env);
    const synthesized = await synthesizeApp(config, path.join(folder, "cdktf.out"));
    const unknown = parsed.positionals.filter((name) => !synthesized.stacks.includes(name));
    if (unknown.length > 0) {
      console.error(`no stack ${unknown.join(", ")} in ${config.sourceFile}; its stacks are ${synthesized.stacks.join(", ")}`);
      return 2;
    }
    const stacks = parsed.positionals.length > 0 ? parsed.positionals : synthesized.stacks;
    const placeholders = setPlaceholderVariables(synthesized.outdir, stacks);
    console.log(
      `preview of ${stacks.length} stacks from ${config.sourceFile}: terraform init, validate and plan without AWS credentials, ` +
        `from an empty state; providers from ${mirror ? `the mirror ${mirror}` : "the registry (set TF_PROVIDER_MIRROR to use a mirror)"}`,
    );
    let results: Record<string, StackCheckResult>;
    try {
      results = await checkStacks(synthesized.outdir, { stacks, mirror: mirror ?? null, planNonLocalBackends: true, requirePlan: true });
    } catch (error) {
      if (!(error instanceof TerraformStacksCheckError)) throw error;
      for (const result of Object.values(error.results)) console.log(formatResult(result));
      for (const [stack, failure] of Object.entries(error.failures)) console.log(`  ✗ ${stack}\n${indent(failure.message)}`);
      console.error(`preview failed for ${Object.keys(error.failures).length} of ${stacks.length} stacks: ${Object.keys(error.failures).join(", ")}`);
      return 1;
    }
    for (const result of Object.values(results)) console.log(formatResult(result));
    if (placeholders.length > 0) {
      console.log(`planned with a placeholder for ${placeholders.join(", ")} (no TF_VAR_ value set; seed values are write-only and never appear in a plan)`);
    }
    console.log(`${stacks.length} stacks valid and planned in ${seconds(Date.now() - started)}. Nothing was deployed.`);
    return 0;
  } catch (error) {
    console.error(errorText(error, error instanceof ConfigError ? "" : "preview failed: "));
    return 1;
  } finally {
    if (parsed.values.keep) console.log(`kept the preview folder: ${folder}`);
    else fs.rmSync(folder, { recursive: true, force: true });
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

function formatResult(result: StackCheckResult): string {
  const plan = result.plan;
  const planned = plan.ran
    ? `plan: ${plan.resourcesToAdd} to add, ${plan.resourcesToChange} to change, ${plan.resourcesToDestroy} to destroy`
    : `not planned (${plan.skippedReason})`;
  const warnings = [...result.validate.warnings, ...(plan.ran ? plan.warnings : [])];
  const warningLines = warnings.map((w) => `\n      warning: ${w.summary}${w.address ? ` (${w.address})` : ""}${w.detail ? `: ${w.detail.replace(/\s+/g, " ").trim()}` : ""}`);
  return `  ✓ ${result.stack.padEnd(24)} valid · ${planned} (${seconds(result.timings.total)})${warningLines.join("")}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(errorText(error, "preview failed: "));
    process.exit(1);
  },
);
