import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { App, Manifest, TerraformStack } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DecisionCache } from "../access/decision-cache";
import { DecisionStore, decisionStoreFile } from "../access/decision-store";
import {
  AccessCheckError,
  AccessCounts,
  AccessExpectation,
  AccessReportPart,
  AccessReportWriter,
  NamedPrincipals,
  StackAccess,
  StackModel,
  accessFailures,
  checkAccess,
} from "../access";
import { AccountConfig, AppConfig, STACK_FOLDER_STATE_FILE, rotationRoleArn } from "../config/app-config";
import { ComplianceChecker, ComplianceFinding, DEFAULT_RULES, DeployerPolicyDocument, PolicyDocument, PolicyStatement } from "../modules";
import type { PolicyStatementProps } from "../modules/policy-document";
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
import { releaseTokensSince, tokenMark } from "./token-release";
import { skipPreparingResolve, synthesizeSkippingPreparation } from "./skip-preparing-resolve";
import { IndexedGroup, SYNTH_WORKER_FILE, synthesizeInWorkers } from "./synth-workers";
import { ProgressOutput, SynthProgress } from "./synth-progress";
import { WorkloadStack } from "./workload-stack";
import { AccountReuse, stackFileHashes } from "./account-reuse";

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
  /** The accounts whose earlier output was reused (see `reuseUnchangedAccounts`), in config order. */
  readonly reusedAccounts: readonly string[];
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
  /**
   * Reuse the output of accounts whose inputs did not change since the last
   * synth into `outdir` (see account-reuse.ts); used only with
   * `keepAccessResults: false`, without function options, and when running
   * the compiled app.
   * @default false
   */
  readonly reuseUnchangedAccounts?: boolean;
  /**
   * Worker threads that synthesize accounts at once (see `SYNTH_WORKERS_ENV`);
   * used only with `keepAccessResults: false` and without function options.
   * @default LAMBDA_KMS_SYNTH_WORKERS, else one per CPU
   */
  readonly workers?: number;
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
 * Accounts are synthesized one at a time, each by an app of its own, or in
 * worker threads (see `workers`); the output is the same bytes either way.
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
    // Account by account (with extendStacks, which may join them, all at once): only one group's constructs are in memory.
    const groups = options.extendStacks ? [config.accounts] : config.accounts.map((account) => [account]);
    const progress = new SynthProgress(config.accounts.length, options.progress ?? { write: () => true });
    const results: GroupResult[] = [];
    let accountsDone = 0;
    let stacksDone = 0;
    const finished = (result: GroupResult) => {
      results.push(result);
      accountsDone += result.accounts;
      stacksDone += result.stacks.length;
      progress.update(accountsDone, stacksDone);
    };
    const reuse = options.reuseUnchangedAccounts && canHandOff(options) ? AccountReuse.open(config, finalOutdir, options.failOnWarnings === true) : undefined;
    // With the reuse on, each account is a group of its own (canHandOff excludes extendStacks).
    const reused = new Set<number>();
    const pending: IndexedGroup[] = [];
    for (const [index, accounts] of groups.entries()) {
      const result = reuse?.reuse(accounts[0], index, staging);
      if (result) {
        reused.add(index);
        finished(result);
      } else {
        pending.push({ index, accounts });
      }
    }
    const workers = synthWorkers(options, pending.length);
    const hashFiles = reuse !== undefined;
    try {
      if (workers > 1) {
        const setup = { config, finalOutdir, staging, failOnWarnings: options.failOnWarnings === true, storeFile, hashFiles };
        const decisions = await synthesizeInWorkers(setup, pending, workers, finished);
        for (const [key, entry] of decisions) store?.keep(key, entry);
      } else {
        const context: GroupContext = { config, finalOutdir, staging, options, decisions: new DecisionCache(store), hashFiles };
        for (const { index, accounts } of pending) finished(await synthesizeGroup(context, index, accounts));
      }
    } finally {
      progress.stop();
    }
    store?.save();
    // In config order, whichever group finished first.
    const ordered = [...results].sort((a, b) => a.index - b.index);
    const stacks = ordered.flatMap((result) => result.stacks);
    writeManifest(staging, { version: ordered[0]?.manifest.version ?? "", stacks: Object.assign({}, ...ordered.map((result) => result.manifest.stacks)) });
    const compliance = mergedCompliance(config, options.failOnWarnings === true, ordered);
    writeComplianceReports(staging, compliance);
    const policies = new Map(ordered.flatMap((result) => result.policies.map(([account, policy]) => [account, withStatements(policy)] as const)));
    writeDeployerPolicies(staging, policies);
    const access = AccessReportWriter.combine(
      staging,
      ordered.map((result) => result.accessPart),
    );
    if (options.providerMirror) linkProviderMirror(staging, stacks, options.providerMirror);
    checkRemovedStacks(finalOutdir, stacks);
    checkNoTerraformRunning(finalOutdir);
    const warnings = [
      ...orphanedStateWarnings(config, stacks),
      ...[...policies].flatMap(([account, policy]) => policy.warnings.map((warning) => `deployer policy of ${account}: ${warning}`)),
    ];
    const synthesized = ordered.filter((result) => !reused.has(result.index)).map((result) => [groups[result.index][0].name, result] as const);
    // Keeping the output for reuse never fails the synth: a warning says that the next one starts afresh.
    const notKept = reuse?.keepParts(synthesized);
    if (!reuse) for (const [, result] of synthesized) for (const part of [result.accessPart.json, result.accessPart.markdown]) fs.rmSync(part);
    await swapIn(staging, finalOutdir, stacks, options.runByCdktfCli === true);
    const notRecorded = notKept ?? reuse?.record(synthesized);
    if (notRecorded) warnings.push(notRecorded);
    return {
      outdir: finalOutdir,
      stacks,
      compliance,
      access: ordered.flatMap((result) => result.access),
      accessCounts: access.counts,
      deployerPolicies: policies,
      warnings,
      // Added in config order.
      reusedAccounts: [...reused].map((index) => groups[index][0].name),
    };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A worker starts by loading cdktf and the provider bindings, about as long
 * as synthesizing two accounts: with one CPU each, fewer accounts than this
 * per worker are faster in one thread (the default configuration's two
 * accounts: 0.8 s in one thread, 1.7 s in two workers).
 */
const MIN_ACCOUNTS_PER_WORKER = 4;

/**
 * How many worker threads synthesize groups at once: the option, else
 * `LAMBDA_KMS_SYNTH_WORKERS`, else one per CPU, and by default no more than
 * one per {@link MIN_ACCOUNTS_PER_WORKER} accounts. One (this thread) when
 * results must come back (`keepAccessResults`), when options hold functions
 * a worker cannot receive, or when the compiled worker is missing (running
 * from the TypeScript sources).
 */
function synthWorkers(options: SynthesizeAppOptions, groups: number): number {
  const setting = options.workers ?? workersFromEnv(process.env);
  const wanted = Math.min(setting ?? Math.min(os.availableParallelism(), Math.floor(groups / MIN_ACCOUNTS_PER_WORKER)), groups);
  if (wanted <= 1 || !canHandOff(options)) return 1;
  return fs.existsSync(SYNTH_WORKER_FILE) ? wanted : 1;
}

/**
 * Whether an account's synth can happen elsewhere (a worker) or earlier (a
 * reused output): not when its access results must come back, nor when
 * options hold functions that may add to or judge its stacks.
 */
function canHandOff(options: SynthesizeAppOptions): boolean {
  return options.keepAccessResults === false && !options.extendStacks && !options.accessExpectations;
}

/** The environment switch for the number of synth workers. */
export const SYNTH_WORKERS_ENV = "LAMBDA_KMS_SYNTH_WORKERS";

function workersFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[SYNTH_WORKERS_ENV];
  if (value === undefined || value === "") return undefined;
  if (!/^[1-9][0-9]*$/.test(value))
    throw new Error(`${SYNTH_WORKERS_ENV} must be a positive whole number of worker threads (1 synthesizes in the main thread), got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The deployer policy's statements as PolicyStatements again (a worker sends their fields). */
function withStatements(policy: DeployerPolicyDocument): DeployerPolicyDocument {
  return policy.statements.every((statement) => statement instanceof PolicyStatement)
    ? policy
    : { ...policy, statements: policy.statements.map((statement) => new PolicyStatement(statement as PolicyStatementProps)) };
}

/** What synthesizing a group of accounts needs. */
export interface GroupContext {
  readonly config: AppConfig;
  readonly finalOutdir: string;
  readonly staging: string;
  readonly options: SynthesizeAppOptions;
  readonly decisions: DecisionCache;
  /** Record the SHA-256 of the group's stack files in its result (for the reuse). */
  readonly hashFiles: boolean;
}

/** What a group of accounts gives the synth; plain data, so a worker thread can send it. */
export interface GroupResult {
  /** The group's place in the config. */
  readonly index: number;
  /** How many accounts the group has. */
  readonly accounts: number;
  readonly stacks: readonly string[];
  readonly manifest: { readonly version: string; readonly stacks: Record<string, unknown> };
  /** The group's findings (not its checker, which holds the group's constructs). */
  readonly compliance: Pick<ComplianceResults, "findings" | "failing" | "stackNames">;
  readonly policies: readonly (readonly [string, DeployerPolicyDocument])[];
  readonly accessPart: AccessReportPart;
  /** The access results, when kept (`keepAccessResults`). */
  readonly access: readonly StackAccess[];
  /** SHA-256 of every file of the group's stack folders, by path under `stacks/`, when asked (`hashFiles`). */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * Synthesizes the stacks of `accounts` with an app of their own into a
 * folder of the staging folder, moves them into its `stacks/`, and checks
 * them (compliance rules, access check). Accounts share nothing but the
 * configuration, so their stacks are the same whichever accounts are
 * synthesized with them.
 */
export async function synthesizeGroup(context: GroupContext, index: number, accounts: readonly AccountConfig[]): Promise<GroupResult> {
  const { finalOutdir, options, staging } = context;
  const config = { ...context.config, accounts: [...accounts] };
  const groupOutdir = path.join(staging, `.group-${index}`);
  // Building and synthesizing never await: every token registered meanwhile is this app's.
  const tokens = tokenMark();
  let synthesized: SynthesizedAccounts;
  try {
    // With extendStacks, whatever the caller's code adds is prepared as cdktf always does.
    synthesized = synthesizeSkippingPreparation(
      (skipPreparation) => synthesizeAccounts(config, groupOutdir, finalOutdir, options, skipPreparation && !options.extendStacks),
      () => fs.rmSync(groupOutdir, { recursive: true, force: true }),
    );
  } finally {
    releaseTokensSince(tokens);
  }
  const { checker, policies } = synthesized;
  const stacks = synthesized.stacks.map((stack) => stack.node.id);
  fs.mkdirSync(path.join(staging, "stacks"), { recursive: true });
  for (const stack of stacks) fs.renameSync(path.join(groupOutdir, "stacks", stack), path.join(staging, "stacks", stack));
  const manifest = JSON.parse(fs.readFileSync(path.join(groupOutdir, "manifest.json"), "utf8")) as GroupResult["manifest"];
  fs.rmSync(groupOutdir, { recursive: true, force: true });
  const access = await checkAccess(
    stacks.map((name) => ({
      stackName: name,
      json: JSON.parse(fs.readFileSync(path.join(staging, "stacks", name, "cdk.tf.json"), "utf8")) as Record<string, unknown>,
      principals: namedPrincipals(config, name, policies),
    })),
    { extraExpectations: options.accessExpectations, decisions: context.decisions },
  );
  const failures = accessFailures(access);
  if (failures.length > 0) throw new AccessCheckError(failures);
  const writer = new AccessReportWriter(path.join(staging, `.group-${index}.access`));
  writer.add(access);
  return {
    index,
    accounts: accounts.length,
    stacks,
    manifest,
    compliance: { findings: checker.findings, failing: checker.failing, stackNames: checker.stackNames },
    policies: [...policies],
    accessPart: writer.close(),
    access: options.keepAccessResults !== false ? access : [],
    files: context.hashFiles ? stackFileHashes(path.join(staging, "stacks"), stacks) : undefined,
  };
}

interface SynthesizedAccounts {
  /** In deployment order, account by account. */
  readonly stacks: readonly TerraformStack[];
  readonly checker: ComplianceChecker;
  readonly policies: Map<string, DeployerPolicyDocument>;
}

/**
 * Builds the stacks of `config`'s accounts in an app of their own and
 * synthesizes it into `groupOutdir`, with the compliance rules; optionally
 * without cdktf's preparing resolve (see skip-preparing-resolve.ts).
 */
function synthesizeAccounts(config: AppConfig, groupOutdir: string, finalOutdir: string, options: SynthesizeAppOptions, skipPreparation: boolean): SynthesizedAccounts {
  const app = newApp(groupOutdir);
  const accountStacks = addStacks(app, config, finalOutdir);
  options.extendStacks?.(accountStacks);
  for (const account of config.accounts)
    checkMetricFilterQuota(
      account,
      accountStacks.filter((stack) => isAccountStack(account, stack.node.id)),
    );
  const deployerStacks = addDeployerStacks(app, config, accountStacks, finalOutdir);
  // Account by account, each in deployment order: the deploy role, the trail, the workloads.
  const stacks = config.accounts.flatMap((account) => [
    ...deployerStacks.filter((stack) => stack.node.id === deployerStackName(account)),
    ...accountStacks.filter((stack) => isAccountStack(account, stack.node.id)),
  ]);
  // After every stack exists: the checker covers the stacks present when it is enabled.
  const checker = ComplianceChecker.enable(app, { failOnWarnings: options.failOnWarnings });
  resolveOnceAfterPrepare(stacks);
  if (skipPreparation) skipPreparingResolve(stacks);
  app.synth();
  return { stacks, checker, policies: deployerPolicies(config, accountStacks, deployerStacks) };
}

/** manifest.json, written by cdktf's own Manifest (so its bytes are cdktf's), with the stacks of every group. */
function writeManifest(staging: string, manifest: { version: string; stacks: Record<string, unknown> }): void {
  const writer = new Manifest(manifest.version, staging, false);
  Object.assign(writer.stacks, manifest.stacks);
  writer.writeToFile();
}

/**
 * The findings of every group, as one checker of all the stacks would list
 * them: the audit and workload stacks of every account, then the deploy
 * stacks (created last, once the stacks they deploy exist).
 */
function mergedCompliance(config: AppConfig, failOnWarnings: boolean, groups: readonly GroupResult[]): ComplianceResults {
  const deployStacks = new Set(config.accounts.map(deployerStackName));
  const all = groups.flatMap((group) => group.compliance.stackNames);
  const stackNames = [...all.filter((name) => !deployStacks.has(name)), ...all.filter((name) => deployStacks.has(name))];
  const inStackOrder = (findings: readonly ComplianceFinding[]) => stackNames.flatMap((name) => findings.filter((finding) => finding.stack === name));
  return {
    rules: DEFAULT_RULES,
    failOnWarnings,
    findings: inStackOrder(groups.flatMap((group) => group.compliance.findings)),
    failing: inStackOrder(groups.flatMap((group) => group.compliance.failing)),
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
async function swapIn(staging: string, outdir: string, stacks: readonly string[], leaveRemovedStackFolders: boolean): Promise<void> {
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
  await removeOutput(old);
}

/**
 * Removes an output folder, its stack folders at once: removing is mostly
 * waiting for the file system, and the thread pool's threads wait in
 * parallel (about half the time of one `rmSync` for 1,250 stacks).
 */
async function removeOutput(folder: string): Promise<void> {
  const stacks = path.join(folder, "stacks");
  if (fs.existsSync(stacks)) await Promise.all(fs.readdirSync(stacks).map((name) => fs.promises.rm(path.join(stacks, name), { recursive: true, force: true })));
  fs.rmSync(folder, { recursive: true, force: true });
}

/** Points `<stack>/terraform.d/plugins` of every staged stack at the provider mirror (see {@link SynthesizeAppOptions.providerMirror}). */
function linkProviderMirror(staging: string, stacks: readonly string[], mirror: string): void {
  for (const stack of stacks) {
    const folder = path.join(staging, "stacks", stack, "terraform.d");
    fs.mkdirSync(folder, { recursive: true });
    fs.symlinkSync(mirror, path.join(folder, "plugins"), "dir");
  }
}
