/**
 * The stacks part of `npm run preview`: plans the synthesized stacks,
 * `jobs` at a time, and skips those unchanged since their last successful
 * preview (see {@link previewFingerprint} and the records of
 * `preview-records.ts`).
 *
 * Per stack: `terraform init` only when the folder's initialization does not
 * fit any more (`reuseInit`), then `terraform plan`, which validates the
 * configuration itself, so no separate `terraform validate` runs.
 */
import * as path from "path";
import { previewFingerprint } from "./preview-fingerprint";
import { PreviewProgress } from "./preview-progress";
import { PreviewRecord, forgetRecord, readRecord, writeRecord } from "./preview-records";
import { StackCheckResult, TerraformDiagnostic, checkStack, requireTerraform } from "./stack-check";

/** How one stack of the run ended. */
export type StackOutcome =
  | { readonly stack: string; readonly status: "planned"; readonly result: string; readonly warnings: readonly string[]; readonly ms: number }
  | { readonly stack: string; readonly status: "skipped"; readonly last: PreviewRecord }
  | { readonly stack: string; readonly status: "failed"; readonly error: Error; readonly ms: number };

export interface PreviewRunOptions {
  /** The preview folder (holds `cdktf.out/` and `results/`). */
  readonly folder: string;
  /** The synthesized output folder (`<folder>/cdktf.out`). */
  readonly outdir: string;
  /** The stacks to preview, in order. */
  readonly stacks: readonly string[];
  /** Provider mirror root, or `null` for the registry. */
  readonly mirror: string | null;
  /** Stacks planned at once. */
  readonly jobs: number;
  /** Plan every stack, recorded or not. @default false */
  readonly force?: boolean;
  /** Names of the variables given a placeholder (part of the fingerprint). @default none */
  readonly placeholders?: readonly string[];
  /** The CLI config every stack's Terraform uses (the mirror rules). @default one per stack folder */
  readonly cliConfigFile?: string;
  /** The shared provider plugin cache. @default none */
  readonly pluginCacheDir?: string;
  /** Where progress goes. @default none */
  readonly progress?: PreviewProgress;
}

/** Runs the preview of every stack and returns their outcomes, in the order of `stacks`. */
export async function runPreview(opts: PreviewRunOptions): Promise<StackOutcome[]> {
  const terraform = requireTerraform();
  const outcomes = new Map<string, StackOutcome>();
  let next = 0;
  const previewOne = async (stack: string): Promise<StackOutcome> => {
    const stackDir = path.join(opts.outdir, "stacks", stack);
    const fingerprintOf = () => previewFingerprint(stackDir, { mirror: opts.mirror, terraform, placeholders: opts.placeholders ?? [] });
    const last = readRecord(opts.folder, stack);
    if (!opts.force && last !== undefined && last.fingerprint === fingerprintOf()) return { stack, status: "skipped", last };
    // Forget the old result first: if this plan fails or is interrupted, the stack must not count as done.
    forgetRecord(opts.folder, stack);
    const started = Date.now();
    try {
      const result = await checkStack(stackDir, {
        mirror: opts.mirror,
        cliConfigFile: opts.cliConfigFile,
        pluginCacheDir: opts.pluginCacheDir,
        planNonLocalBackends: true,
        requirePlan: true,
        validate: false,
        reuseInit: true,
      });
      const outcome = { stack, status: "planned" as const, result: planText(result), warnings: warningLines(result), ms: Date.now() - started };
      // After the run: init may have written the lock file, which is part of the fingerprint.
      writeRecord(opts.folder, stack, { fingerprint: fingerprintOf(), result: outcome.result, warnings: outcome.warnings, ms: outcome.ms, finishedAt: new Date().toISOString() });
      return outcome;
    } catch (error) {
      return { stack, status: "failed", error: error instanceof Error ? error : new Error(String(error)), ms: Date.now() - started };
    }
  };
  const worker = async (): Promise<void> => {
    while (next < opts.stacks.length) {
      const stack = opts.stacks[next++];
      const outcome = await previewOne(stack);
      outcomes.set(stack, outcome);
      opts.progress?.finished(outcomeLine(outcome), outcome.status === "skipped" ? undefined : outcome.ms);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, opts.stacks.length) }, worker));
  return opts.stacks.map((stack) => outcomes.get(stack)!);
}

/** One line for a finished stack, as the progress prints it outside a terminal. */
export function outcomeLine(outcome: StackOutcome): string {
  switch (outcome.status) {
    case "planned":
      return `✓ ${outcome.stack}: ${outcome.result} (${seconds(outcome.ms)})`;
    case "skipped":
      return `– ${outcome.stack}: skipped, unchanged since ${outcome.last.finishedAt} (${outcome.last.result})`;
    case "failed":
      return `✗ ${outcome.stack}: failed (${seconds(outcome.ms)})`;
  }
}

function planText(result: StackCheckResult): string {
  const plan = result.plan;
  return plan.ran ? `planned ${plan.resourcesToAdd} to add, ${plan.resourcesToChange} to change, ${plan.resourcesToDestroy} to destroy` : `not planned (${plan.skippedReason})`;
}

function warningLines(result: StackCheckResult): string[] {
  // A planned stack's validation warnings are its plan's (no separate validate ran).
  const warnings: readonly TerraformDiagnostic[] = result.plan.ran ? result.plan.warnings : result.validate.warnings;
  return warnings.map((w) => `${w.summary}${w.address ? ` (${w.address})` : ""}${w.detail ? `: ${w.detail.replace(/\s+/g, " ").trim()}` : ""}`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
