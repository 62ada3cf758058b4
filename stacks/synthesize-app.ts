import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { App, TerraformStack } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { DecisionCache } from "../access/decision-cache";
import { DecisionStore, decisionStoreFile } from "../access/decision-store";
import { AccessCheckError, AccessCounts, AccessExpectation, AccessReportWriter, NamedPrincipals, StackAccess, StackModel, accessFailures, checkAccess } from "../access";
import { AccountConfig, AppConfig, STACK_FOLDER_STATE_FILE, rotationRoleArn } from "../config/app-config";
import { ComplianceChecker, ComplianceFinding, DeployerPolicyDocument, PolicyDocument } from "../modules";
import { ComplianceResults, writeComplianceReports } from "../modules/compliance/report";
import { stackView } from "../modules/compliance/stack-view";
import { deployerPolicyDocument } from "../modules/deployer-policy-document";
import { AuditStack } from "./audit-stack";
import { normalizeAliasName } from "../modules/private/aws-limits";
import { auditStackName, deployerStackName, generationAliasName, stackName } from "./construct-ids";
import { METRIC_FILTERS_PER_LOG_GROUP } from "../config/scale-limits";
import { DeployerStack } from "./deployer-stack";
import {
  STACK_FOLDER_WORKSPACES,
  acquireSynthLock,
  checkNoStrandedState,
  checkNoTerraformRunning,
  checkRemovedStacks,
  checkStateOutsideOutdir,
  orphanedStateWarnings,
  removeStaleStaging,
  stackFolders,
} from "./state-safety";
import { resolveOnceAfterPrepare } from "./resolve-once";
import { newApp } from "./stack-traces";
import { SynthProgress } from "./synth-progress";
import { ProgressOutput } from "../tooling/preview-progress";
import { WorkloadStack } from "./workload-stack";

export interface SynthesizeAppResult {
  /** Absolute path of the output folder. */
  readonly outdir: string;
  /** Stack names, in config order. */
  readonly stacks: readonly string[];
  /** The compliance rules' findings (the reports are in the output folder). */
  readonly compliance: ComplianceResults;
  /** The access check's results, per stack (access.md and access.json are in the output folder); empty with `keepAccessResults: false`. */
  readonly access: readonly StackAccess[];
  /** How many requests the access check evaluated, and their decisions. */
  readonly accessCounts: AccessCounts;
  /** The deploy pipeline's policy per account name (deployer-policy-<account>.json in the output folder). */
  readonly deployerPolicies: ReadonlyMap<string, DeployerPolicyDocument>;
  /** Problems that do not stop the synth, e.g. state of stacks no longer in the config. */
  readonly warnings: readonly string[];
}

/**
 * Adds, per account, an AuditStack and one WorkloadStack per region. Each
 * workload stack depends on its account's audit stack (its key alarms read the
 * trail's log group), and, with multi-Region keys, the other regions' stacks
 * on the first region's (their replicas need its primary keys), so
 * `cdktf deploy` orders them.
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
        alarmTopicArn: audit.trail.alarmTopicArn,
      });
      stack.addDependency(audit);
      return stack;
    });
    // Replica keys look up their multi-Region primary, which the first region's stack creates.
    if (account.multiRegionKeysFromGeneration !== undefined) for (const replicas of workloads.slice(1)) replicas.addDependency(workloads[0]);
    return [audit, ...workloads];
  });
}

/**
 * Counts the metric filters of an account's stacks, those added with
 * `extendStacks` included, against CloudWatch Logs' quota per log group
 * (every alarm of an account filters its trail's log group). The
 * configuration's own filters were counted at load (`scaleProblems`).
 */
function checkMetricFilterQuota(account: AccountConfig, stacks: readonly TerraformStack[]): void {
  const filters = stacks.reduce((sum, stack) => sum + stack.node.findAll().filter((c) => c instanceof CloudwatchLogMetricFilter).length, 0);
  if (filters > METRIC_FILTERS_PER_LOG_GROUP) {
    throw new Error(
      `account "${account.name}": its stacks have ${filters} metric filters (those added with extendStacks included), over CloudWatch Logs' quota of ${METRIC_FILTERS_PER_LOG_GROUP} per log group (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html); ` +
        "the alarms of each region have 3 to 12, those of the audit stack 15 — add fewer filters, use fewer regions, or set audit.cisAlarms to false (12 fewer)",
    );
  }
}

/**
 * Adds the bootstrap stack `<account>-deployer` of every account with a
 * `deployer`, after the account's other stacks are complete (its policy is
 * derived from them); they deploy after it, because their roles need its
 * permissions boundary.
 */
export function addDeployerStacks(app: App, config: AppConfig, stacks: readonly TerraformStack[], finalOutdir: string): DeployerStack[] {
  return config.accounts
    .filter((account) => account.deployer)
    .map((account) => {
      const deployedStacks = stacks.filter((stack) => isAccountStack(account, stack.node.id));
      const stack = new DeployerStack(app, { config, account, deployedStacks, stackDirectory: path.join(finalOutdir, "stacks", deployerStackName(account)) });
      for (const deployed of deployedStacks) deployed.addDependency(stack);
      return stack;
    });
}

/** The deploy pipeline's policy per account name, from the account's audit and workload stacks. */
function deployerPolicies(config: AppConfig, stacks: readonly TerraformStack[], deployerStacks: readonly DeployerStack[]): Map<string, DeployerPolicyDocument> {
  return new Map(
    config.accounts.map((account) => {
      const bootstrapped = deployerStacks.find((stack) => stack.node.id === deployerStackName(account));
      const document = bootstrapped?.policy.document ?? deployerPolicyDocument(stacks.filter((stack) => isAccountStack(account, stack.node.id)).map(stackView));
      return [account.name, document];
    }),
  );
}

/** Whether `stack` is one of the account's audit and workload stacks. */
function isAccountStack(account: AccountConfig, stack: string): boolean {
  return stack === auditStackName(account) || account.regions.some((region) => stack === stackName(account, region));
}

/** Writes `deployer-policy-<account>.json` per account: the IAM policy document, as the pipeline's role needs it. */
function writeDeployerPolicies(outdir: string, policies: Map<string, DeployerPolicyDocument>): void {
  for (const [account, document] of policies) {
    fs.writeFileSync(path.join(outdir, `deployer-policy-${account}.json`), `${JSON.stringify(new PolicyDocument([...document.statements]).toJSON(), null, 2)}\n`);
  }
}

export interface SynthesizeAppOptions {
  /** Treat compliance warnings as errors. @default false */
  readonly failOnWarnings?: boolean;
  /** Called with the stacks before synthesis, e.g. to add resources next to the app's. @default none */
  readonly extendStacks?: (stacks: readonly TerraformStack[]) => void;
  /**
   * The app runs under the cdktf CLI (`cdktf synth/diff/deploy/destroy`).
   * The CLI lists the stack folders before it runs the app, and afterwards
   * removes those whose stack is gone with `fs.rmSync` without `force`: a
   * folder that no longer exists crashes it with ENOENT. So the stack
   * folders the previous output had and this one has not are left behind
   * empty, for the CLI to remove. @default false
   */
  readonly runByCdktfCli?: boolean;
  /**
   * Root of a Terraform provider filesystem mirror (the folder that holds
   * `registry.terraform.io/`). Each stack folder then gets
   * `terraform.d/plugins` pointing at it, one of Terraform's implied local
   * mirror folders, so `terraform init` run inside the stack folder (as the
   * cdktf CLI does) installs the provider from it and never asks the registry.
   * @default none (Terraform installs providers as its CLI configuration says)
   */
  readonly providerMirror?: string;
  /**
   * Your own access expectations for a stack, e.g. for raw resources added
   * with `extendStacks`; they are evaluated with the generated ones and an
   * unexpected decision fails the synth.
   * @default none
   */
  readonly accessExpectations?: (model: StackModel) => readonly AccessExpectation[];
  /**
   * Return every access check result in `access`. The reports in the output
   * folder list them all either way; at hundreds of stacks the results take
   * hundreds of megabytes, so the main job turns this off.
   * @default true
   */
  readonly keepAccessResults?: boolean;
  /**
   * Where a long synth shows its progress (accounts done, time left); only a
   * terminal gets it, and only after the first seconds.
   * @default none
   */
  readonly progress?: ProgressOutput;
}

/**
 * Synthesizes every stack of the config into `outdir`, all or nothing: the
 * app is written to a staging folder beside `outdir` and swapped in only
 * after synthesis and every construct validation succeeded (cdktf itself
 * writes stacks *before* it runs validations). `.terraform` folders and lock
 * files of stacks already initialized are carried over, so a re-synth does
 * not force a new `terraform init`, and so is state kept in stack folders.
 * A failed synth writes nothing, reports included (the error lists the
 * findings). One synth at a time writes an output folder (a lock file beside
 * it); staging folders left by a synth that was killed are removed by the next.
 * After the compliance rules, the access check evaluates every stack with an
 * IAM policy engine; an unexpected decision fails the synth (AccessCheckError).
 */
export async function synthesizeApp(config: AppConfig, outdir: string, options: SynthesizeAppOptions = {}): Promise<SynthesizeAppResult> {
  const finalOutdir = path.resolve(outdir);
  checkStateOutsideOutdir(config, finalOutdir);
  fs.mkdirSync(path.dirname(finalOutdir), { recursive: true });
  const releaseLock = acquireSynthLock(finalOutdir);
  try {
    checkNoStrandedState(finalOutdir);
    removeStaleStaging(finalOutdir);
    return await synthesizeLocked(config, finalOutdir, options);
  } finally {
    releaseLock();
  }
}

async function synthesizeLocked(config: AppConfig, finalOutdir: string, options: SynthesizeAppOptions): Promise<SynthesizeAppResult> {
  const staging = fs.mkdtempSync(path.join(path.dirname(finalOutdir), `.${path.basename(finalOutdir)}.staging-`));
  // mkdtemp creates 0700; the output is read by other tools and users like any build output.
  fs.chmodSync(staging, 0o755);
  try {
    const storeFile = decisionStoreFile(process.env);
    const store = storeFile === undefined ? undefined : DecisionStore.open(storeFile);
    const run: SynthRun = {
      config,
      finalOutdir,
      staging,
      options,
      decisions: new DecisionCache(store),
      accessReports: new AccessReportWriter(staging),
      manifest: { version: "", stacks: {} },
      stacks: [],
      checkers: [],
      policies: new Map(),
      access: [],
    };
    // Account by account (those with extendStacks, which may join them, all at once): only one group's constructs are in memory.
    const groups = options.extendStacks ? [config.accounts] : config.accounts.map((account) => [account]);
    const progress = new SynthProgress(config.accounts.length, options.progress ?? { write: () => true });
    try {
      for (const accounts of groups) {
        await synthesizeAccounts(run, accounts);
        progress.update(config.accounts.indexOf(accounts[accounts.length - 1]) + 1, run.stacks.length);
      }
    } finally {
      progress.stop();
    }
    store?.save();
    writeManifest(staging, run.manifest);
    const compliance = mergedCompliance(config, run.checkers);
    writeComplianceReports(staging, compliance);
    writeDeployerPolicies(staging, run.policies);
    const access = run.accessReports.finish();
    const stacks = run.stacks;
    if (options.providerMirror) linkProviderMirror(staging, stacks, options.providerMirror);
    checkRemovedStacks(finalOutdir, stacks);
    checkNoTerraformRunning(finalOutdir);
    const warnings = [
      ...orphanedStateWarnings(config, stacks),
      ...[...run.policies].flatMap(([account, policy]) => policy.warnings.map((warning) => `deployer policy of ${account}: ${warning}`)),
    ];
    swapIn(staging, finalOutdir, stacks, options.runByCdktfCli === true);
    return {
      outdir: finalOutdir,
      stacks,
      compliance,
      access: run.access,
      accessCounts: access.counts,
      deployerPolicies: run.policies,
      warnings,
    };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** What a synth collects from its groups of accounts. */
interface SynthRun {
  readonly config: AppConfig;
  readonly finalOutdir: string;
  readonly staging: string;
  readonly options: SynthesizeAppOptions;
  readonly decisions: DecisionCache;
  readonly accessReports: AccessReportWriter;
  readonly manifest: { version: string; stacks: Record<string, unknown> };
  readonly stacks: string[];
  /** Each group's findings (not its checker, which holds the group's constructs). */
  readonly checkers: ComplianceResults[];
  readonly policies: Map<string, DeployerPolicyDocument>;
  readonly access: StackAccess[];
}

/**
 * Synthesizes the stacks of `accounts` into the staging folder with an app
 * of their own, checks them (compliance rules, access check) and adds what
 * they give to `run`. Accounts share nothing but the configuration, so their
 * stacks are the same whichever accounts are synthesized with them.
 */
async function synthesizeAccounts(run: SynthRun, accounts: readonly AccountConfig[]): Promise<void> {
  const { finalOutdir, options } = run;
  const config = { ...run.config, accounts: [...accounts] };
  const app = newApp(run.staging);
  const accountStacks = addStacks(app, config, finalOutdir);
  options.extendStacks?.(accountStacks);
  for (const account of accounts)
    checkMetricFilterQuota(
      account,
      accountStacks.filter((stack) => isAccountStack(account, stack.node.id)),
    );
  const deployerStacks = addDeployerStacks(app, config, accountStacks, finalOutdir);
  // Account by account, each in deployment order: the deploy role, the trail, the workloads.
  const stackList = accounts.flatMap((account) => [
    ...deployerStacks.filter((stack) => stack.node.id === deployerStackName(account)),
    ...accountStacks.filter((stack) => isAccountStack(account, stack.node.id)),
  ]);
  // After every stack exists: the checker covers the stacks present when it is enabled.
  const checker = ComplianceChecker.enable(app, { failOnWarnings: options.failOnWarnings });
  resolveOnceAfterPrepare(stackList);
  app.synth();
  run.checkers.push({
    rules: checker.rules,
    failOnWarnings: checker.failOnWarnings,
    findings: checker.findings,
    failing: checker.failing,
    stackNames: checker.stackNames,
  });
  // Each app writes its own manifest.json; the synth's lists every group's stacks.
  const manifest = JSON.parse(fs.readFileSync(path.join(run.staging, "manifest.json"), "utf8")) as { version: string; stacks: Record<string, unknown> };
  run.manifest.version = manifest.version;
  Object.assign(run.manifest.stacks, manifest.stacks);
  const stacks = stackList.map((stack) => stack.node.id);
  run.stacks.push(...stacks);
  const policies = deployerPolicies(config, accountStacks, deployerStacks);
  for (const [account, policy] of policies) run.policies.set(account, policy);
  const access = await checkAccess(
    stacks.map((name) => ({
      stackName: name,
      json: JSON.parse(fs.readFileSync(path.join(run.staging, "stacks", name, "cdk.tf.json"), "utf8")) as Record<string, unknown>,
      principals: namedPrincipals(config, name, policies),
    })),
    { extraExpectations: options.accessExpectations, decisions: run.decisions },
  );
  const failures = accessFailures(access);
  if (failures.length > 0) throw new AccessCheckError(failures);
  run.accessReports.add(access);
  if (options.keepAccessResults !== false) run.access.push(...access);
}

/** manifest.json as cdktf writes it (its own key-sorted JSON), with the stacks of every group. */
function writeManifest(staging: string, manifest: { version: string; stacks: Record<string, unknown> }): void {
  // cdktf's own copy of the package, so the bytes are those cdktf writes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (
    value: unknown,
    options: { space: number },
  ) => string;
  fs.writeFileSync(path.join(staging, "manifest.json"), stringify(manifest, { space: 2 }));
}

/**
 * The findings of every group's checker, as one checker of all the stacks
 * would list them: the audit and workload stacks of every account, then the
 * deploy stacks (created last, once the stacks they deploy exist).
 */
function mergedCompliance(config: AppConfig, checkers: readonly ComplianceResults[]): ComplianceResults {
  const deployStacks = new Set(config.accounts.map(deployerStackName));
  const all = checkers.flatMap((checker) => checker.stackNames);
  const stackNames = [...all.filter((name) => !deployStacks.has(name)), ...all.filter((name) => deployStacks.has(name))];
  const inStackOrder = (findings: readonly ComplianceFinding[]) => stackNames.flatMap((name) => findings.filter((finding) => finding.stack === name));
  return {
    rules: checkers[0]?.rules ?? [],
    failOnWarnings: checkers[0]?.failOnWarnings ?? false,
    findings: inStackOrder(checkers.flatMap((checker) => checker.findings)),
    failing: inStackOrder(checkers.flatMap((checker) => checker.failing)),
    stackNames,
  };
}

/**
 * The principals the config names for the account of `stack`; the workload
 * key's users and helper encrypters are not users of the audit key. The
 * deployers' identity policy is the account's generated deployer policy.
 */
function namedPrincipals(config: AppConfig, stack: string, policies: Map<string, DeployerPolicyDocument>): NamedPrincipals {
  const account = config.accounts.find((a: AccountConfig) => isAccountStack(a, stack) || stack === deployerStackName(a));
  if (!account) return {};
  const audit = stack === auditStackName(account);
  return {
    keyAdministrators: account.keyAdministratorArns,
    keyUsers: audit ? [] : account.keyUserArns,
    helperEncrypters: audit ? [] : account.helperEncrypterArns,
    deployers: account.deployerArns,
    // An administrator deploys the bootstrap stack; the pipeline deploys the others.
    deployerPolicy: isAccountStack(account, stack) ? new PolicyDocument([...(policies.get(account.name)?.statements ?? [])]).toJSON() : undefined,
    logReaders: audit ? account.audit.readerArns : [],
    allowIamToGrantKeyUse: account.allowIamToGrantKeyUse,
    retiringKeyAliases: audit ? [] : account.retiringKeyGenerations.map((generation) => normalizeAliasName(generationAliasName(config.key.aliases[0], generation))),
    keyReplicaRegions: account.regions.slice(1),
    secretRotationRoles: Object.fromEntries(
      config.secrets
        .filter((secret) => secret.rotation && secret.accounts.includes(account.name))
        .map((secret) => [secret.name, rotationRoleArn(account, secret.rotation!.roleName)]),
    ),
  };
}

/** What a stack folder keeps from one synth to the next: Terraform's working files and, with `stateInStackFolder`, the state. */
const CARRIED_ACROSS_SYNTHS = [".terraform", ".terraform.lock.hcl", STACK_FOLDER_STATE_FILE, `${STACK_FOLDER_STATE_FILE}.backup`, STACK_FOLDER_WORKSPACES];

/**
 * Replaces `outdir` with `staging`, then moves what each stack folder keeps
 * ({@link CARRIED_ACROSS_SYNTHS}) across. With `leaveRemovedStackFolders`,
 * the folders of stacks that are gone stay behind, empty (see
 * {@link SynthesizeAppOptions.runByCdktfCli}).
 */
function swapIn(staging: string, outdir: string, stacks: readonly string[], leaveRemovedStackFolders: boolean): void {
  const old = `${staging}.old`;
  if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
  fs.renameSync(staging, outdir);
  for (const stack of stacks) {
    for (const entry of CARRIED_ACROSS_SYNTHS) {
      const from = path.join(old, "stacks", stack, entry);
      if (fs.existsSync(from)) fs.renameSync(from, path.join(outdir, "stacks", stack, entry));
    }
  }
  if (leaveRemovedStackFolders) {
    for (const removed of stackFolders(old).filter((name) => !stacks.includes(name))) fs.mkdirSync(path.join(outdir, "stacks", removed));
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** Points `<stack>/terraform.d/plugins` of every staged stack at the provider mirror (see {@link SynthesizeAppOptions.providerMirror}). */
function linkProviderMirror(staging: string, stacks: readonly string[], mirror: string): void {
  for (const stack of stacks) {
    const folder = path.join(staging, "stacks", stack, "terraform.d");
    fs.mkdirSync(folder, { recursive: true });
    fs.symlinkSync(mirror, path.join(folder, "plugins"), "dir");
  }
}
