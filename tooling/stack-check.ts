/**
 * Offline Terraform checker for synthesized stacks, behind `npm run preview`
 * and the Terraform tests.
 *
 * Runs `terraform init`, `terraform validate` and (where the backend allows it)
 * `terraform plan` (validate can be left out: plan validates too; init can be
 * reused from an earlier check, see {@link CheckStackOptions.reuseInit}) on `cdktf.out/stacks/<stack>/cdk.tf.json` without network
 * access and without AWS credentials:
 *
 * - Providers come from a filesystem mirror through a generated Terraform CLI
 *   config passed as `TF_CLI_CONFIG_FILE`, so the registry is never contacted
 *   for `hashicorp/*` (the tests: env `TF_PROVIDER_MIRROR`, default
 *   `/opt/tf-plugins`; `npm run preview` passes `TF_PROVIDER_MIRROR` when it
 *   is set, and otherwise lets Terraform use the registry).
 * - A Terraform override file (`zz_offline_override.tf.json`) is written next to
 *   `cdk.tf.json`. Override files merge into the blocks they name, so the
 *   synthesized JSON stays untouched while every `aws` provider block (default
 *   and aliased) gets dummy credentials and skips every AWS API call made at
 *   configure time. See {@link buildOfflineOverride} for the exact content and
 *   why each attribute is there.
 * - Plan runs against a throw-away state inside the stack folder, never against
 *   the state file the stack's backend points at.
 *
 * Everything is written inside the given stack folder (override, CLI config,
 * `.terraform/`, `.terraform.lock.hcl`, plan file); the override and the plan
 * file are removed again afterwards. Use a temporary outdir, or one only the
 * checks use (`npm run preview` keeps `.preview/`): the lock file left behind
 * only carries a `linux_amd64` hash of the mirrored provider.
 *
 * Measured on our machines (2 vCPU) for a 2-resource stack: init 0.5 s (2 s the
 * very first time, while the 700 MB provider binary is read into the page
 * cache to hash it for the lock file), validate 2.3 s, plan 2.5 s, show 2.3 s.
 * validate, plan and show each start the provider and load its schema
 * (~620 MB RSS per process). `TF_PLUGIN_CACHE_DIR` is not set by default:
 * with an unpacked mirror Terraform already symlinks the provider into
 * `.terraform/`, and a cache only adds one more symlink (0.52 s either way;
 * measured again for the default app's audit stack: 0.7-1.3 s either way).
 * Without a mirror a shared cache saves a 700 MB download per stack, so
 * `npm run preview` passes one then ({@link CheckStackOptions.pluginCacheDir}).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { initKey } from "./init-key";
import { resolveProviderMirror, writeOfflineCliConfig } from "./offline-terraform";

export { CLI_CONFIG_FILE_NAME, resolveProviderMirror, writeOfflineCliConfig } from "./offline-terraform";

/** Name of the override file written into the stack folder. */
export const OVERRIDE_FILE_NAME = "zz_offline_override.tf.json";
const PLAN_FILE = path.join(".terraform", "offline-check.tfplan");
const ISOLATED_STATE_FILE = path.join(".terraform", "offline-check.tfstate");
/** Where {@link CheckStackOptions.reuseInit} keeps the key of the last successful init (inside `.terraform/`, so a new synth carries it along). */
const INIT_KEY_FILE = path.join(".terraform", "offline-check.init-key");

/**
 * Returns the absolute path of the `terraform` executable found on PATH;
 * throws a clear error when there is none (offline checks never skip silently).
 */
export function requireTerraform(): string {
  const exe = findOnPath("terraform");
  if (!exe) {
    throw new Error(
      `terraform is not on PATH (searched: ${process.env.PATH ?? "<PATH is empty>"}). ` +
        "Install Terraform >= 1.11 and put it on PATH; the offline stack checks need it and are never skipped.",
    );
  }
  return exe;
}

/** A diagnostic as printed by `terraform validate -json` / `plan -json`. */
export interface TerraformDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { readonly filename: string; readonly start: { readonly line: number; readonly column: number } };
  readonly snippet?: { readonly context?: string | null; readonly code?: string };
}

/** One `aws` provider block of the stack, as found in `cdk.tf.json`. */
export interface AwsProviderSummary {
  /** `undefined` for the default (unaliased) configuration. */
  readonly alias?: string;
  readonly region?: string;
  /**
   * The stack's `allowed_account_ids`. The offline override has to null this
   * attribute (see {@link buildOfflineOverride}), so the provider does not
   * check it here: assert it in your test.
   */
  readonly allowedAccountIds?: readonly string[];
  /** Whether the block assumes a role (neutralized by the override). */
  readonly assumesRole: boolean;
}

export type ChangeAction = "create" | "update" | "delete" | "replace" | "read" | "no-op" | "move" | "import" | "forget" | "remove";

export interface PlannedChange {
  readonly address: string;
  readonly action: ChangeAction;
}

/** Plan outcome when the plan ran. */
export interface PlanRan {
  readonly ran: true;
  /** `terraform plan -detailed-exitcode`: 0 = no changes, 2 = changes. */
  readonly exitCode: 0 | 2;
  readonly resourcesToAdd: number;
  readonly resourcesToChange: number;
  readonly resourcesToDestroy: number;
  readonly resourcesToImport: number;
  /** Every resource instance with a planned action other than no-op. */
  readonly changes: readonly PlannedChange[];
  /** Warnings (harness-made ones from the override file are left out). */
  readonly warnings: readonly TerraformDiagnostic[];
  /** `terraform show -json <planfile>`, only with `showPlan: true`. */
  readonly planJson?: TerraformPlanJson;
}

/** Plan outcome when the plan was not run (the stack's backend is not local). */
export interface PlanSkipped {
  readonly ran: false;
  /** Why the plan was skipped, e.g. `backend "s3" is not local: ...`. */
  readonly skippedReason: string;
}

/** The parts of `terraform show -json` the harness reads; the rest is passed through. */
export interface TerraformPlanJson {
  readonly format_version: string;
  readonly resource_changes?: ReadonlyArray<{
    readonly address: string;
    readonly type: string;
    readonly change: { readonly actions: readonly string[]; readonly after?: unknown };
  }>;
  readonly [key: string]: unknown;
}

export interface StackCheckTimings {
  /**
   * Milliseconds per terraform command; `validate`/`plan`/`show` absent when
   * not run, `init` 0 when an existing initialization was reused
   * ({@link CheckStackOptions.reuseInit}).
   */
  readonly init: number;
  readonly validate?: number;
  readonly plan?: number;
  readonly show?: number;
  readonly total: number;
}

export interface StackCheckResult {
  /** Folder name under `stacks/`. */
  readonly stack: string;
  readonly stackDir: string;
  /** Backend type from `terraform.backend` (`local` when none is declared). */
  readonly backend: string;
  readonly awsProviders: readonly AwsProviderSummary[];
  readonly validate: {
    /**
     * `true`: `terraform validate` accepted the stack, or, with `validate: false`
     * (then `timings.validate` is absent), the plan did, which validates too.
     */
    readonly valid: true;
    /**
     * Warnings (harness-made ones from the override file are left out); empty
     * when validate did not run: the plan's warnings are in `plan.warnings`.
     */
    readonly warnings: readonly TerraformDiagnostic[];
  };
  readonly plan: PlanRan | PlanSkipped;
  readonly timings: StackCheckTimings;
}

export interface CheckStackOptions {
  /**
   * Mirror root; `null` installs providers the way the user's Terraform CLI
   * configuration says (the registry, by default). @default resolveProviderMirror()
   */
  readonly mirror?: string | null;
  /** An existing CLI config (see {@link writeOfflineCliConfig}). @default one written into the stack folder */
  readonly cliConfigFile?: string;
  /**
   * Throw instead of skipping the plan when the backend is not local (and
   * `planNonLocalBackends` is off). @default false
   */
  readonly requirePlan?: boolean;
  /**
   * Plan stacks whose backend is not local too, by replacing the backend with a
   * throw-away local one in the override file (the backend itself is then not
   * validated beyond `terraform validate`). @default false
   */
  readonly planNonLocalBackends?: boolean;
  /** Also run `terraform show -json` on the plan file and return it (costs ~2.3 s). @default false */
  readonly showPlan?: boolean;
  /** Keep the override file after the check, to rerun terraform by hand. @default false */
  readonly keepOverride?: boolean;
  /** Per-command timeout in milliseconds. @default 300000 */
  readonly timeoutMs?: number;
  /**
   * Run `terraform validate` before the plan. `terraform plan` validates the
   * configuration itself (an invalid one fails the plan with the same
   * diagnostics, and its warnings come in the plan's JSON stream), so a caller
   * that always plans can leave it out and save a provider start (~2.3 s and
   * ~620 MB per stack). It still runs when the plan cannot run (a backend
   * that is not local), since nothing else would validate the stack. Without
   * it, `validate.warnings` are the plan's warnings.
   * @default true
   */
  readonly validate?: boolean;
  /**
   * Skip `terraform init` when the stack folder was initialized before with the
   * same provider requirements, backend, modules, CLI configuration and plugin
   * cache ({@link initKey}, kept in `.terraform/`), and its lock file is
   * there. A plan that then reports a missing or stale initialization is run
   * once more after a real init. @default false (always init)
   */
  readonly reuseInit?: boolean;
  /**
   * Terraform's provider plugin cache (`TF_PLUGIN_CACHE_DIR`), shared by
   * every stack, so a provider installed from the registry is downloaded once
   * instead of once per stack. @default none (the caller's environment decides)
   */
  readonly pluginCacheDir?: string;
}

/** A failed terraform command; the message names the stack, the command, the diagnostics and stderr. */
export class TerraformCheckError extends Error {
  override readonly name = "TerraformCheckError";
  constructor(
    message: string,
    readonly stackName: string,
    readonly command: readonly string[] | undefined,
    readonly exitCode: number | null | undefined,
    readonly stderr: string,
    readonly diagnostics: readonly TerraformDiagnostic[],
  ) {
    super(message);
  }
}

/** Raised by {@link checkStacks} when one or more stacks fail; the others' results are kept. */
export class TerraformStacksCheckError extends Error {
  override readonly name = "TerraformStacksCheckError";
  constructor(
    readonly failures: Readonly<Record<string, Error>>,
    readonly results: Readonly<Record<string, StackCheckResult>>,
  ) {
    super(
      `terraform check failed for ${Object.keys(failures).length} stack(s): ${Object.keys(failures).join(", ")}\n\n` +
        Object.values(failures)
          .map((e) => e.message)
          .join("\n\n"),
    );
  }
}

type Json = Record<string, unknown>;

/**
 * Builds the override file content for a synthesized stack.
 *
 * For every `aws` provider block (matched by `alias`; override files merge
 * into the block with the same name and alias, and a block left out keeps its
 * production settings and fails offline):
 * - `access_key`/`secret_key` "test": static dummy credentials, so no
 *   credential chain (env, profile, web identity, IMDS) is consulted.
 * - `skip_credentials_validation`: no STS GetCallerIdentity.
 * - `skip_requesting_account_id`: no STS/IAM call to learn the account ID.
 * - `skip_metadata_api_check`: never probe EC2 IMDS (not needed here, where
 *   static credentials win, but keeps a CI runner on EC2 hermetic).
 * - `allowed_account_ids: null` (only when the stack sets it): with
 *   `skip_requesting_account_id` the provider's account ID is "" and any
 *   non-empty `allowed_account_ids` fails configure with
 *   `AWS account ID not allowed: ` (measured with aws 5.100.0). Nulling it
 *   disables that check; `[]` works too. {@link StackCheckResult.awsProviders}
 *   reports the original values so tests can assert them.
 * - `profile: null` (only when set): a named profile that does not exist on the
 *   machine fails configure (`failed to get shared config profile`).
 * - `assume_role: [{}]` (only when set): an assume_role block makes the provider
 *   call STS AssumeRole. Override files replace nested blocks of the same type
 *   but cannot delete them (`[]` and `null` leave the original in place), and a
 *   block without `role_arn` assumes nothing. The provider then warns
 *   "Missing required argument" on the override file at plan time; the
 *   harness drops warnings located in the override file.
 *   `assume_role_with_web_identity` needs nothing: static credentials win.
 *
 * `backendPath`, when given, replaces the stack's backend by a local backend
 * with that path (a throw-away state inside the stack folder).
 */
export function buildOfflineOverride(cdkTfJson: Json, backendPath?: string): Json {
  const override: Json = {};
  const blocks = awsProviderBlocks(cdkTfJson);
  if (blocks.length > 0) {
    override.provider = {
      aws: blocks.map((block) => {
        const o: Json = {};
        if (typeof block.alias === "string") o.alias = block.alias;
        o.access_key = "test";
        o.secret_key = "test";
        o.skip_credentials_validation = true;
        o.skip_requesting_account_id = true;
        o.skip_metadata_api_check = true;
        if (block.allowed_account_ids !== undefined) o.allowed_account_ids = null;
        if (block.profile !== undefined) o.profile = null;
        if (block.assume_role !== undefined) o.assume_role = [{}];
        return o;
      }),
    };
  }
  if (backendPath !== undefined) {
    override.terraform = { backend: { local: { path: backendPath } } };
  }
  return override;
}

/**
 * Checks one synthesized stack folder offline: init, validate and, for a local
 * backend, plan. Throws a {@link TerraformCheckError} naming the stack, the
 * command and its stderr on any failure.
 */
export async function checkStack(stackDir: string, opts: CheckStackOptions = {}): Promise<StackCheckResult> {
  const started = Date.now();
  const dir = path.resolve(stackDir);
  const stack = path.basename(dir);
  const fail = (message: string): never => {
    throw new TerraformCheckError(`terraform check failed for stack "${stack}" (${dir}): ${message}`, stack, undefined, undefined, "", []);
  };

  const terraform = requireTerraform();
  const mirror = opts.mirror === undefined ? resolveProviderMirror() : opts.mirror;
  const cliConfigFile = opts.cliConfigFile ?? (mirror === null ? undefined : writeOfflineCliConfig(dir, mirror));
  const timeoutMs = opts.timeoutMs ?? 300_000;

  const mainFile = path.join(dir, "cdk.tf.json");
  if (!fs.existsSync(mainFile)) fail(`no cdk.tf.json in ${dir}`);
  let config: Json;
  try {
    config = JSON.parse(fs.readFileSync(mainFile, "utf8")) as Json;
  } catch (e) {
    return fail(`cdk.tf.json is not valid JSON: ${(e as Error).message}`);
  }

  const backend = backendType(config);
  const awsProviders = awsProviderBlocks(config).map(summarizeProvider);
  const canPlan = backend === "local" || (opts.planNonLocalBackends === true && backend !== "cloud");
  if (!canPlan && opts.requirePlan) {
    fail(`plan required, but the backend "${backend}" is not local and cannot be planned offline (use planNonLocalBackends to plan with a throw-away local state)`);
  }
  // Only a declared backend can be overridden; without one, Terraform's default
  // local state is terraform.tfstate inside the stack folder already.
  const isolateState = canPlan && hasDeclaredBackend(config);

  const overrideFile = path.join(dir, OVERRIDE_FILE_NAME);
  const planFile = path.join(dir, PLAN_FILE);
  fs.writeFileSync(overrideFile, JSON.stringify(buildOfflineOverride(config, isolateState ? ISOLATED_STATE_FILE : undefined), null, 2) + "\n");

  const env = terraformEnv(cliConfigFile);
  if (opts.pluginCacheDir !== undefined) {
    fs.mkdirSync(opts.pluginCacheDir, { recursive: true });
    env.TF_PLUGIN_CACHE_DIR = opts.pluginCacheDir;
  }
  const run = async (args: string[], okCodes: number[]): Promise<RunResult> => {
    const result = await runCommand(terraform, args, dir, env, timeoutMs);
    if (!okCodes.includes(result.code ?? -1)) {
      throw commandError(stack, dir, ["terraform", ...args], result, []);
    }
    return result;
  };

  const initArgs = ["init", "-input=false", "-no-color", ...(canPlan ? ["-reconfigure"] : ["-backend=false"])];
  // Without a CLI config of ours, the caller's (TF_CLI_CONFIG_FILE, passed through) decides where providers come from.
  const key = initKey({ config, override: fs.readFileSync(overrideFile, "utf8"), initArgs, cliConfigFile: env.TF_CLI_CONFIG_FILE, pluginCacheDir: opts.pluginCacheDir });
  const initKeyFile = path.join(dir, INIT_KEY_FILE);
  const initialize = async (): Promise<number> => {
    fs.rmSync(initKeyFile, { force: true });
    const result = await run(initArgs, [0]);
    fs.writeFileSync(initKeyFile, key);
    return result.ms;
  };

  try {
    let initMs = opts.reuseInit && isInitialized(dir, initKeyFile, key) ? 0 : await initialize();
    const reusedInit = initMs === 0;

    // Without a plan, validate is the only check of the configuration: it runs whatever `validate` says.
    const runValidate = opts.validate !== false || !canPlan;
    let validation: { warnings: TerraformDiagnostic[]; ms?: number } = { warnings: [] };
    if (runValidate) {
      const validateArgs = ["validate", "-json", "-no-color"];
      const validate = await runCommand(terraform, validateArgs, dir, env, timeoutMs);
      const parsed = parseValidateJson(validate.stdout);
      if (!parsed || validate.code !== 0 || !parsed.valid) {
        throw commandError(stack, dir, ["terraform", ...validateArgs], validate, parsed?.diagnostics ?? []);
      }
      validation = { warnings: dropHarnessDiagnostics(parsed.diagnostics), ms: validate.ms };
    }
    const validated = { stack, stackDir: dir, backend, awsProviders, validate: { valid: true as const, warnings: validation.warnings } };

    if (!canPlan) {
      return {
        ...validated,
        plan: {
          ran: false,
          skippedReason:
            `backend "${backend}" is not local: plan needs its remote state and cannot run offline` +
            (backend === "cloud" ? "" : " (planNonLocalBackends plans with a throw-away local state instead)"),
        },
        timings: { init: initMs, validate: validation.ms, total: Date.now() - started },
      };
    }

    const planArgs = ["plan", "-json", "-input=false", "-lock=false", "-detailed-exitcode", "-no-color", `-out=${planFile}`];
    let plan = await runCommand(terraform, planArgs, dir, env, timeoutMs);
    let stream = parsePlanStream(plan.stdout);
    if (reusedInit && plan.code === 1 && needsInit(plan, stream.diagnostics)) {
      // The reused initialization no longer fits (e.g. .terraform was edited by hand): init for real, once.
      initMs = await initialize();
      plan = await runCommand(terraform, planArgs, dir, env, timeoutMs);
      stream = parsePlanStream(plan.stdout);
    }
    if (plan.code !== 0 && plan.code !== 2) {
      throw commandError(stack, dir, ["terraform", ...planArgs], plan, stream.diagnostics);
    }

    let planJson: TerraformPlanJson | undefined;
    let showMs: number | undefined;
    if (opts.showPlan) {
      const show = await run(["show", "-json", "-no-color", planFile], [0]);
      showMs = show.ms;
      planJson = JSON.parse(show.stdout) as TerraformPlanJson;
    }
    const changes = planJson ? changesFromPlanJson(planJson) : stream.changes;
    const planWarnings = dropHarnessDiagnostics(stream.diagnostics.filter((d) => d.severity === "warning"));
    const planResult: PlanRan = {
      ran: true,
      exitCode: plan.code as 0 | 2,
      ...countChanges(changes),
      changes,
      warnings: planWarnings,
      ...(planJson ? { planJson } : {}),
    };
    return {
      ...validated,
      // Without a separate validate, the plan's walk validated the configuration: its warnings are the validation's.
      ...(runValidate ? {} : { validate: { valid: true as const, warnings: planWarnings } }),
      plan: planResult,
      timings: {
        init: initMs,
        ...(validation.ms !== undefined ? { validate: validation.ms } : {}),
        plan: plan.ms,
        ...(showMs !== undefined ? { show: showMs } : {}),
        total: Date.now() - started,
      },
    };
  } finally {
    fs.rmSync(planFile, { force: true });
    if (!opts.keepOverride) fs.rmSync(overrideFile, { force: true });
  }
}

/**
 * Checks every `stacks/<name>/cdk.tf.json` of a cdktf outdir, `concurrency`
 * stacks at a time (each terraform process uses ~1 CPU and ~620 MB). Resolves
 * to the results keyed by stack name; when any stack fails, rejects with a
 * {@link TerraformStacksCheckError} listing every failure (all stacks still run).
 */
export async function checkStacks(
  outdir: string,
  opts: CheckStackOptions & {
    readonly concurrency?: number;
    /** Check only these stacks. @default every stack of the outdir */
    readonly stacks?: readonly string[];
    /**
     * Run `terraform show -json` (as `showPlan` does) for these stacks only,
     * so a caller that reads one stack's plan JSON needs no second check of
     * it. `showPlan: true` still shows every stack. @default none
     */
    readonly showPlanStacks?: readonly string[];
  } = {},
): Promise<Record<string, StackCheckResult>> {
  const { concurrency = 2, stacks, showPlanStacks, ...stackOpts } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`checkStacks: concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  requireTerraform();
  const mirror = stackOpts.mirror === undefined ? resolveProviderMirror() : stackOpts.mirror;
  const stacksDir = path.join(path.resolve(outdir), "stacks");
  const synthesized = isDirectory(stacksDir)
    ? fs
        .readdirSync(stacksDir)
        .filter((n) => fs.existsSync(path.join(stacksDir, n, "cdk.tf.json")))
        .sort()
    : [];
  if (synthesized.length === 0) {
    throw new Error(`checkStacks: no stacks/<name>/cdk.tf.json found under ${path.resolve(outdir)}; synthesize the app into it first`);
  }
  const unknown = (stacks ?? []).filter((name) => !synthesized.includes(name));
  if (unknown.length > 0) throw new Error(`checkStacks: no stack ${unknown.join(", ")}; the stacks are ${synthesized.join(", ")}`);
  const names = stacks ? synthesized.filter((name) => stacks.includes(name)) : synthesized;

  const results: Record<string, StackCheckResult> = {};
  const failures: Record<string, Error> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++];
      try {
        const showPlan = stackOpts.showPlan === true || (showPlanStacks ?? []).includes(name);
        results[name] = await checkStack(path.join(stacksDir, name), { ...stackOpts, mirror, ...(showPlan ? { showPlan } : {}) });
      } catch (e) {
        failures[name] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  if (Object.keys(failures).length > 0) throw new TerraformStacksCheckError(failures, results);
  return Object.fromEntries(names.map((n) => [n, results[n]]));
}

// ---------------------------------------------------------------------------
// internals

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

function runCommand(exe: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(exe, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: Date.now() - started,
        timedOut,
      });
    });
  });
}

/**
 * The environment terraform runs with: the offline CLI config (when there is a mirror), no checkpoint calls,
 * and nothing from the caller's environment that could reach AWS or change
 * where terraform writes (AWS_* credentials/profiles, TF_CLI_ARGS*, TF_DATA_DIR,
 * TF_WORKSPACE).
 */
function terraformEnv(cliConfigFile: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("AWS_") || k.startsWith("TF_CLI_ARGS") || k === "TF_DATA_DIR" || k === "TF_WORKSPACE") continue;
    env[k] = v;
  }
  if (cliConfigFile !== undefined) env.TF_CLI_CONFIG_FILE = cliConfigFile;
  env.CHECKPOINT_DISABLE = "1";
  env.TF_IN_AUTOMATION = "1";
  env.TF_INPUT = "0";
  env.AWS_EC2_METADATA_DISABLED = "true";
  return env;
}

function awsProviderBlocks(config: Json): Json[] {
  const aws = (config.provider as Json | undefined)?.aws;
  if (Array.isArray(aws)) return aws.filter((b): b is Json => typeof b === "object" && b !== null);
  if (typeof aws === "object" && aws !== null) return [aws as Json];
  return [];
}

function summarizeProvider(block: Json): AwsProviderSummary {
  return {
    ...(typeof block.alias === "string" ? { alias: block.alias } : {}),
    ...(typeof block.region === "string" ? { region: block.region } : {}),
    ...(Array.isArray(block.allowed_account_ids) ? { allowedAccountIds: block.allowed_account_ids.map(String) } : {}),
    assumesRole: block.assume_role !== undefined,
  };
}

function hasDeclaredBackend(config: Json): boolean {
  const backend = (config.terraform as Json | undefined)?.backend;
  return typeof backend === "object" && backend !== null && Object.keys(backend).length > 0;
}

function backendType(config: Json): string {
  const tf = config.terraform as Json | undefined;
  if (tf?.cloud !== undefined) return "cloud";
  const backend = tf?.backend as Json | undefined;
  const types = backend ? Object.keys(backend) : [];
  return types[0] ?? "local";
}

/** Whether the folder holds an initialization made with `key`: `.terraform/`, the lock file and the same key. */
function isInitialized(dir: string, initKeyFile: string, key: string): boolean {
  if (!fs.existsSync(path.join(dir, ".terraform.lock.hcl"))) return false;
  try {
    return fs.readFileSync(initKeyFile, "utf8") === key;
  } catch {
    return false;
  }
}

/** Terraform's messages for a working folder whose init is missing or out of date. */
const NEEDS_INIT_PATTERN =
  /terraform init|Inconsistent dependency lock file|Required plugins are not installed|Missing required provider|Backend initialization required|Module not installed/i;

function needsInit(result: RunResult, diagnostics: readonly TerraformDiagnostic[]): boolean {
  return NEEDS_INIT_PATTERN.test(`${result.stderr}\n${diagnostics.map((d) => `${d.summary} ${d.detail ?? ""}`).join("\n")}`);
}

function parseValidateJson(stdout: string): { valid: boolean; diagnostics: TerraformDiagnostic[] } | undefined {
  try {
    const v = JSON.parse(stdout) as { valid?: boolean; diagnostics?: TerraformDiagnostic[] };
    return { valid: v.valid === true, diagnostics: v.diagnostics ?? [] };
  } catch {
    return undefined;
  }
}

const PLAN_ACTIONS: Record<string, ChangeAction> = {
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  read: "read",
  noop: "no-op",
  "no-op": "no-op",
  move: "move",
  import: "import",
  forget: "forget",
  remove: "remove",
};

/** Reads the `terraform plan -json` message stream (one JSON object per line). */
function parsePlanStream(stdout: string): { changes: PlannedChange[]; diagnostics: TerraformDiagnostic[] } {
  const changes: PlannedChange[] = [];
  const diagnostics: TerraformDiagnostic[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let msg: { type?: string; change?: { resource?: { addr?: string }; action?: string }; diagnostic?: TerraformDiagnostic };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.type === "planned_change" && msg.change?.resource?.addr && msg.change.action) {
      const action = PLAN_ACTIONS[msg.change.action] ?? (msg.change.action as ChangeAction);
      if (action !== "no-op") changes.push({ address: msg.change.resource.addr, action });
    } else if (msg.type === "diagnostic" && msg.diagnostic) {
      diagnostics.push(msg.diagnostic);
    }
  }
  return { changes, diagnostics };
}

function changesFromPlanJson(plan: TerraformPlanJson): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    let action: ChangeAction;
    if (a.length === 2 && a.includes("create") && a.includes("delete")) action = "replace";
    else action = PLAN_ACTIONS[a[0]] ?? (a[0] as ChangeAction);
    if (action !== "no-op") changes.push({ address: rc.address, action });
  }
  return changes;
}

function countChanges(changes: readonly PlannedChange[]): Pick<PlanRan, "resourcesToAdd" | "resourcesToChange" | "resourcesToDestroy" | "resourcesToImport"> {
  const n = (...actions: ChangeAction[]) => changes.filter((c) => actions.includes(c.action)).length;
  return {
    // Same arithmetic as Terraform's "Plan: X to add, Y to change, Z to destroy": a replace adds one and destroys one.
    resourcesToAdd: n("create", "replace"),
    resourcesToChange: n("update"),
    resourcesToDestroy: n("delete", "replace"),
    resourcesToImport: n("import"),
  };
}

function dropHarnessDiagnostics(diags: readonly TerraformDiagnostic[]): TerraformDiagnostic[] {
  return diags.filter((d) => !(d.severity === "warning" && d.range?.filename === OVERRIDE_FILE_NAME));
}

const NETWORK_PATTERN =
  /dial tcp|no such host|request send failed|i\/o timeout|connection refused|network is unreachable|Failed to query available provider packages|could not connect to registry/i;

function commandError(stack: string, dir: string, command: string[], result: RunResult, diagnostics: readonly TerraformDiagnostic[]): TerraformCheckError {
  const lines = [
    `terraform check failed for stack "${stack}" (${dir})`,
    `command: ${command.join(" ")}`,
    result.timedOut ? "result: timed out and was killed" : `exit code: ${result.code ?? `signal ${result.signal}`}`,
  ];
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    lines.push("diagnostics:", ...errors.map((d) => `  ${formatDiagnostic(d)}`));
  }
  const text = `${result.stderr}\n${diagnostics.map((d) => `${d.summary} ${d.detail ?? ""}`).join("\n")}`;
  if (NETWORK_PATTERN.test(text)) {
    lines.push(
      "hint: this needs the network, which offline checks do not have: a data source or provider setting calls an AWS API " +
        "(e.g. aws_caller_identity, aws_kms_alias), or a provider is missing from the mirror. Take such values from config instead.",
    );
  }
  if (result.stderr.trim() !== "") lines.push("stderr:", indent(result.stderr.trim()));
  if (errors.length === 0 && result.stdout.trim() !== "") lines.push("stdout (tail):", indent(tail(result.stdout.trim(), 40)));
  return new TerraformCheckError(lines.join("\n"), stack, command, result.code, result.stderr, diagnostics);
}

function formatDiagnostic(d: TerraformDiagnostic): string {
  const where = d.range ? ` [${d.range.filename}:${d.range.start.line}:${d.range.start.column}${d.snippet?.context ? `, in ${d.snippet.context}` : ""}]` : "";
  const address = d.address ? ` (${d.address})` : "";
  return `${d.severity}: ${d.summary}${d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : ""}${address}${where}`;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

function tail(s: string, n: number): string {
  return s.split("\n").slice(-n).join("\n");
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
