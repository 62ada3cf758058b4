import { App, TerraformStack } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { AppConfig, auditStackName, stackName } from "../config/app-config";
import { ComplianceChecker, writeComplianceReports } from "../modules";
import { AuditStack } from "./audit-stack";
import { WorkloadStack } from "./workload-stack";

export interface SynthesizeAppResult {
  /** Absolute path of the output folder. */
  readonly outdir: string;
  /** Stack names, in config order. */
  readonly stacks: readonly string[];
  /** The compliance checker's findings (the reports are in the output folder). */
  readonly compliance: ComplianceChecker;
}

/**
 * Adds, per account, an AuditStack and one WorkloadStack per region. Each
 * workload stack depends on its account's audit stack (its key alarms read the
 * trail's log group), so `cdktf deploy` orders them.
 */
export function addStacks(app: App, config: AppConfig, finalOutdir: string): TerraformStack[] {
  const stackDirectory = (name: string) => path.join(finalOutdir, "stacks", name);
  return config.accounts.flatMap((account) => {
    const audit = new AuditStack(app, { config, account, stackDirectory: stackDirectory(auditStackName(account)) });
    const workloads = account.regions.map((region) => {
      const stack = new WorkloadStack(app, {
        config,
        account,
        region,
        stackDirectory: stackDirectory(stackName(account, region)),
        trailLogGroupName: audit.trail.logGroupName,
        alarmTopicArn: audit.trail.alarmTopic.topicArn,
      });
      stack.addDependency(audit);
      return stack;
    });
    return [audit, ...workloads];
  });
}

export interface SynthesizeAppOptions {
  /** Treat compliance warnings as errors. @default false */
  readonly failOnWarnings?: boolean;
  /** Called with the stacks before synthesis, e.g. to add resources next to the app's. @default none */
  readonly extendStacks?: (stacks: readonly TerraformStack[]) => void;
}

/**
 * Synthesizes every stack of the config into `outdir`, all or nothing: the
 * app is written to a staging folder beside `outdir` and swapped in only
 * after synthesis and every construct validation succeeded (cdktf itself
 * writes stacks *before* it runs validations). `.terraform` folders and lock
 * files of stacks already initialized are carried over, so a re-synth does
 * not force a new `terraform init`.
 */
export function synthesizeApp(config: AppConfig, outdir: string, options: SynthesizeAppOptions = {}): SynthesizeAppResult {
  const finalOutdir = path.resolve(outdir);
  fs.mkdirSync(path.dirname(finalOutdir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(finalOutdir), `.${path.basename(finalOutdir)}.staging-`));
  // mkdtemp creates 0700; the output is read by other tools and users like any build output.
  fs.chmodSync(staging, 0o755);
  let checker: ComplianceChecker | undefined;
  try {
    const app = new App({ outdir: staging });
    const stackList = addStacks(app, config, finalOutdir);
    options.extendStacks?.(stackList);
    // After every stack exists: the checker covers the stacks present when it is enabled.
    checker = ComplianceChecker.enable(app, { failOnWarnings: options.failOnWarnings });
    const stacks = stackList.map((stack) => stack.node.id);
    app.synth();
    writeComplianceReports(staging, checker);
    swapIn(staging, finalOutdir, stacks);
    return { outdir: finalOutdir, stacks, compliance: checker };
  } catch (error) {
    // The reports are written on every synth; a failed one updates only them, never the stacks.
    if (checker) {
      fs.mkdirSync(finalOutdir, { recursive: true });
      writeComplianceReports(finalOutdir, checker);
    }
    throw error;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Replaces `outdir` with `staging`, then moves the previous stacks' `.terraform` folders and lock files across. */
function swapIn(staging: string, outdir: string, stacks: readonly string[]): void {
  const old = `${staging}.old`;
  if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
  fs.renameSync(staging, outdir);
  for (const stack of stacks) {
    for (const entry of [".terraform", ".terraform.lock.hcl"]) {
      const from = path.join(old, "stacks", stack, entry);
      if (fs.existsSync(from)) fs.renameSync(from, path.join(outdir, "stacks", stack, entry));
    }
  }
  fs.rmSync(old, { recursive: true, force: true });
}
