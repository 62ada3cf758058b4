/**
 * `npm run test:e2e`: deploys the app's local configuration (config/local.json)
 * to the moto AWS emulator with `npm run deploy` (cdktf deploy): each
 * account's bootstrap stack as its administrator, then every other stack as
 * its deploy role, with nothing but the generated deployer policy, while the
 * emulator enforces IAM (a call the policy lacks fails the run). It checks
 * the deployment through the AWS SDK, plans again (no changes allowed),
 * invokes the example handler locally against the deployment, removes an
 * account from the configuration and deploys again, destroys everything, and
 * checks that only keys (and secrets) pending deletion remain. No AWS account, no internet:
 * providers come from TF_PROVIDER_MIRROR, as documented for air-gapped use.
 *
 * Prints each step with its duration; on failure, the failing step, the
 * error and the tail of the emulator's log. All output of the child
 * processes is kept in the run folder (printed at the end); the folder is
 * removed after a passing run unless E2E_KEEP=1.
 */
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteBucketPolicyCommand, DeleteObjectsCommand, ListObjectVersionsCommand, PutBucketLoggingCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { AccountConfig, AppConfig, FunctionConfig, auditStackName, isMultiRegionGeneration, stackName, targetStacks } from "../config/app-config";
import { deployerStackName } from "../stacks/deployer-stack";
import { normalizeAliasName } from "../modules/private/aws-limits";
import { DeployedStack } from "./deployed-stack";
import { EmulatorClients } from "./emulator-clients";
import { InvocationResult, digest } from "./invoke-handler";
import { Ciphertexts, KeyGenerations, LOCAL_CONFIG_FILE, PIPELINE_USER, writeRunConfig } from "./local-run-config";
import { MotoServer, startMoto } from "./moto-emulator";
import { resolveProviderMirror } from "../tooling/offline-terraform";
import { CommandResult, runCommand, runningChildren } from "./run-command";
import { verifyDeployment } from "./verify-deployment";
import { verifyTeardown } from "./verify-teardown";

// The SDK's notice that its 2027 releases need Node 22: true, and noise in every step's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const REPO = path.resolve(__dirname, "..", "..");
const CDKTF = path.join(REPO, "node_modules", ".bin", "cdktf");
/** What `npm run deploy/destroy` runs: the cdktf CLI with Terraform's error messages kept. */
const CDKTF_RUN = path.join(REPO, "dist", "bin", "cdktf-run.js");
const started = Date.now();

function elapsed(since: number): string {
  const seconds = (Date.now() - since) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
}

function say(message: string): void {
  console.log(`[e2e ${elapsed(started).padStart(9)}] ${message}`);
}

/** A failed step: its name travels with the error to the failure report. */
class StepFailure extends Error {
  constructor(
    public readonly step: string,
    cause: Error,
  ) {
    super(cause.message);
  }
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const begin = Date.now();
  say(`▶ ${name}`);
  try {
    const result = await work();
    say(`✓ ${name} (${elapsed(begin)})`);
    return result;
  } catch (error) {
    say(`✗ ${name} (${elapsed(begin)})`);
    throw new StepFailure(name, error as Error);
  }
}

/** Random test values, new every run: nothing can pass by matching a constant. */
function testValue(label: string): string {
  return `e2e-${label}-${randomBytes(12).toString("hex")}`;
}

/** Lines of cdktf/terraform output worth showing live. */
const PROGRESS = /(Creation complete|Modifications complete|Destruction complete|Apply complete|Destroy complete|No changes\.|Error|error:)/;

class EndToEndRun {
  private readonly runDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-kms-e2e-"));
  private readonly commandLog = path.join(this.runDir, "commands.log");
  private readonly emulatorLog = path.join(this.runDir, "moto.log");
  /** The emulator's record of every call it checked under IAM enforcement. */
  private readonly enforcementLog = path.join(this.runDir, "iam-enforcement.log");
  private readonly outdir = path.join(this.runDir, "cdktf.out");
  private readonly seeds = new Map<string, string>();
  private moto?: MotoServer;
  private clients?: EmulatorClients;
  /** Account ID → the access key of its CI user. */
  private readonly pipelineKeys = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
  /** An empty Terraform CLI configuration, written on first use (see {@link childEnv}). */
  private cliConfigFile?: string;

  public async run(): Promise<void> {
    say(`run folder ${this.runDir} (commands.log, moto.log, iam-enforcement.log, config.json, cdktf.out, state)`);
    const moto = await step("start the AWS emulator (moto with the documented patches)", () =>
      startMoto({ patched: true, logFile: this.emulatorLog, iamLogFile: this.enforcementLog, timeoutMs: 30_000 }),
    );
    this.moto = moto;
    say(`  ${moto.endpoint}: ${moto.output().split("\n")[0]}`);
    const clients = (this.clients = new EmulatorClients(moto.endpoint));
    let config = writeRunConfig({ endpoint: moto.endpoint, runDir: this.runDir });
    const accountStacks = (account: AccountConfig) => ({
      bootstrap: deployerStackName(account),
      audit: auditStackName(account),
      workloads: account.regions.map((region) => stackName(account, region)),
    });
    const allStacks = config.accounts.flatMap((account) => {
      const { bootstrap, audit, workloads } = accountStacks(account);
      return [bootstrap, audit, ...workloads];
    });

    await step(`synthesize ${allStacks.length} stacks from the local configuration`, () => this.cdktf("synth", []));
    this.seedVariables(allStacks);

    // An administrator bootstraps each account once: the deploy role, its generated policy, the boundary.
    for (const account of config.accounts) {
      await step(`cdktf deploy ${deployerStackName(account)} as the account's administrator`, () =>
        this.cdktf("deploy", [deployerStackName(account)], DEPLOY_FLAGS, administrator(account)),
      );
    }
    await step(`create the CI identity of each account (user ${PIPELINE_USER}: nothing but sts:AssumeRole on the deploy role)`, () => this.createPipelineUsers(config));
    // From here on, the deploy roles have nothing but the generated policy, and the emulator enforces it.
    const deploy = async (what: string, stacksOf: (account: AccountConfig) => readonly string[], flags = DEPLOY_FLAGS) => {
      for (const account of config.accounts.filter((a) => stacksOf(a).length > 0)) {
        // With --ignore-missing-stack-dependencies cdktf starts every stack at once; one at a time, in the manifest's
        // order, the first region's stack (the multi-Region primaries) is applied before the replicas look them up.
        const oneAtATime = account.multiRegionKeysFromGeneration !== undefined && flags.includes("--ignore-missing-stack-dependencies") ? ["--parallelism", "1"] : [];
        await step(`cdktf ${what} ${stacksOf(account).join(", ")} as ${deployerOf(account)} (IAM enforced)`, async () =>
          this.asDeployer(account, (credentials) => this.cdktf(what.split(" ")[0], stacksOf(account), [...flags, ...oneAtATime], credentials)),
        );
      }
    };
    await deploy("deploy", (account) => [accountStacks(account).audit], [...DEPLOY_FLAGS, "--ignore-missing-stack-dependencies"]);
    await deploy("deploy", (account) => accountStacks(account).workloads, [...DEPLOY_FLAGS, "--ignore-missing-stack-dependencies"]);

    // What a user does once the keys exist (docs/security-model.md, "Configuration vs secrets"):
    // encrypt each value with its stack's key, and set the SSM values out of band.
    /** `<function>/<variable>` → the plaintext encrypted for it. */
    const plaintexts = new Map<string, string>();
    const ciphertexts = await step("encrypt the encryptedEnvironment values with each deployed key (npm run encrypt)", () =>
      this.unenforced(() => this.encryptValues(config, plaintexts)),
    );
    let parameterValues = await step("set the SSM SecureString values out of band", () => this.unenforced(() => this.setParameters(config)));
    config = writeRunConfig({ endpoint: moto.endpoint, runDir: this.runDir, ciphertexts });
    await step("synthesize again with the real ciphertexts", () => this.cdktf("synth", []));
    await deploy("deploy", (account) => accountStacks(account).workloads, [...DEPLOY_FLAGS, "--ignore-missing-stack-dependencies"]);

    const stacks = await step("read the Terraform state of every stack", () => Promise.all(allStacks.map((name) => this.readStack(config, name))));
    const report = await step("verify every resource through the AWS SDK", () =>
      this.unenforced(async () => {
        const found = await verifyDeployment(config, stacks, clients);
        if (found.failures.length > 0) throw new Error(`${found.failures.length} finding(s):\n  ${found.failures.join("\n  ")}`);
        say(`  ${found.verified.size} of ${found.resources} resources read back and compared, ${found.checks} checks passed`);
        return found;
      }),
    );

    // The pipeline plans every stack, its own bootstrap stack included (which it may read, not change).
    for (const account of config.accounts) {
      const { bootstrap, audit, workloads } = accountStacks(account);
      await step(`plan ${[bootstrap, audit, ...workloads].join(", ")} again as ${deployerOf(account)}: no changes (terraform plan -detailed-exitcode)`, () =>
        this.asDeployer(account, (credentials) => this.planWithoutChanges([bootstrap, audit, ...workloads], credentials)),
      );
    }
    const invoked = await step("invoke the example handler locally with each deployed function's environment", () =>
      this.unenforced(() => this.invokeHandlers(config, stacks, plaintexts, parameterValues)),
    );

    // A manual key rotation of the account that leaves next (docs/key-rotation.md), so that the rest of the run is unchanged.
    const rotation = await this.rotateKeys(config, config.accounts[config.accounts.length - 1], ciphertexts, {
      apply: async (keyGenerations, newCiphertexts) => {
        config = writeRunConfig({ endpoint: moto.endpoint, runDir: this.runDir, ciphertexts: newCiphertexts, keyGenerations });
        await step("synthesize with the account's key generations", () => this.cdktf("synth", []));
        await deploy("deploy", (account) => (keyGenerations[account.name] ? accountStacks(account).workloads : []), [...DEPLOY_FLAGS, "--ignore-missing-stack-dependencies"]);
        return this.unenforced(() => this.invokeHandlers(config, stacks, plaintexts, parameterValues));
      },
      putParametersAgain: async () => {
        parameterValues = await this.unenforced(() => this.setParameters(config));
      },
    });
    Object.assign(ciphertexts, rotation.ciphertexts);

    // An account leaves the configuration, as users' account lists change: its pipeline destroys its stacks,
    // its administrator the bootstrap stack; then the pipeline deploys everything that is left with the new list
    // (cdktf removes the old stack folders).
    const [kept, ...removed] = config.accounts;
    if (removed.length === 0) throw new Error(`${LOCAL_CONFIG_FILE} has one account; the run removes all but the first, so it needs two or more`);
    const removedStacks = allStacks.filter((name) => removed.some((account) => name.startsWith(`${account.name}-`)));
    const keptStacks = allStacks.filter((name) => !removedStacks.includes(name));
    for (const account of removed) {
      const { bootstrap, audit, workloads } = accountStacks(account);
      await step(EMPTY_ACCESS_LOGS, () => this.unenforced(() => this.emptyAccessLogBucket(account)));
      await step(`cdktf destroy ${[...workloads, audit].join(", ")} as ${deployerOf(account)} (IAM enforced)`, () =>
        this.asDeployer(account, (credentials) => this.cdktf("destroy", [...workloads, audit], DEPLOY_FLAGS, credentials)),
      );
      await step(`cdktf destroy ${bootstrap} as the account's administrator`, () =>
        this.unenforced(() => this.cdktf("destroy", [bootstrap], BOOTSTRAP_DESTROY_FLAGS, administrator(account))),
      );
    }
    await step(`cdktf deploy '*' with ${kept.name} as the only account (synthesized anew) as ${deployerOf(kept)} (IAM enforced)`, async () => {
      writeRunConfig({ endpoint: moto.endpoint, runDir: this.runDir, ciphertexts, accounts: { [kept.name]: kept.regions } });
      await this.asDeployer(kept, (credentials) => this.cdktf("deploy", ["*"], ["--auto-approve"], credentials));
      const folders = fs.readdirSync(path.join(this.outdir, "stacks")).sort();
      if (JSON.stringify(folders) !== JSON.stringify([...keptStacks].sort()))
        throw new Error(`stack folders after the deploy: ${folders.join(", ")}; expected ${keptStacks.join(", ")}`);
    });
    await step(`plan the remaining stacks again as ${deployerOf(kept)}: no changes`, () =>
      this.asDeployer(kept, (credentials) => this.planWithoutChanges(keptStacks, credentials)),
    );
    const { bootstrap, audit, workloads } = accountStacks(kept);
    await step(EMPTY_ACCESS_LOGS, () => this.unenforced(() => this.emptyAccessLogBucket(kept)));
    await step(`cdktf destroy ${[...workloads, audit].join(", ")} as ${deployerOf(kept)} (IAM enforced)`, () =>
      this.asDeployer(kept, (credentials) => this.cdktf("destroy", [...workloads, audit], DEPLOY_FLAGS, credentials)),
    );
    const enforced = await step("read what the emulator enforced: every call of a deploy role allowed", async () => this.enforcementReport());
    await step(`cdktf destroy ${bootstrap} as the account's administrator`, () =>
      this.unenforced(() => this.cdktf("destroy", [bootstrap], BOOTSTRAP_DESTROY_FLAGS, administrator(kept))),
    );
    await step(`turn IAM enforcement off and delete the CI users`, async () => {
      await this.enforceIam(false);
      await this.deletePipelineUsers(config);
    });
    const teardown = await step("check that nothing is left but keys and secrets pending deletion", async () => {
      // `config` still has every account deployed, the removed one included.
      const left = await verifyTeardown(config, clients, [MOTO_DEFAULT_ACCOUNT]);
      const problems = [...left.leftovers];
      // The generation-2 keys of the rotation were deployed after the state was read.
      const keys = stacks.flatMap((stack) => [...stack.ofType("aws_kms_key"), ...stack.ofType("aws_kms_replica_key")]).length + rotation.stacks.length;
      const secrets = stacks.flatMap((stack) => stack.ofType("aws_secretsmanager_secret")).length;
      if (left.keysPendingDeletion !== keys) problems.push(`${left.keysPendingDeletion} KMS keys pending deletion, but ${keys} were deployed`);
      if (left.secretsPendingDeletion !== secrets) problems.push(`${left.secretsPendingDeletion} secrets pending deletion, but ${secrets} were deployed`);
      if (problems.length > 0) throw new Error(`after destroy:\n  ${problems.join("\n  ")}`);
      return left;
    });

    say(`PASSED in ${elapsed(started)}`);
    say(
      `  stacks deployed with cdktf deploy: ${allStacks.length} (${allStacks.join(", ")}); all but the bootstrap stacks by the deploy roles, with only the generated policy, under IAM enforcement`,
    );
    say(`  resources deployed: ${report.resources}; read back and compared through the SDK: ${report.verified.size} (${report.checks} checks)`);
    say(`  deploy roles' calls checked by the emulator: ${enforced.calls} (${enforced.actions.length} distinct actions), none refused`);
    say(`  second plan: no changes in ${allStacks.length} stacks`);
    say(`  account list changed: ${removedStacks.length} stacks destroyed, ${keptStacks.length} deployed again with cdktf deploy '*' and planned without changes`);
    say(
      `  manual key rotation of ${rotation.account} in ${rotation.stacks.length} stacks (${rotation.stacks.join(", ")}): keys per stack 1 → 2 → 1; ` +
        `${rotation.reEncrypted} ciphertexts re-encrypted with npm run reencrypt; handler results equal before, after the switch, after re-encryption and after retirement (${rotation.invocations} invocations); ` +
        `generation-1 keys ${rotation.oldKeyStates.join(" → ")}`,
    );
    say(`  handler invoked locally in ${invoked.length} stacks (${invoked.join(", ")}): encrypted variables, secrets and parameters decrypted to the values set`);
    for (const account of config.accounts.filter((a) => isMultiRegionGeneration(a, a.encryptedEnvironmentKeyGeneration))) {
      const replicas = stacks
        .filter((s) => s.accountId === account.accountId)
        .flatMap((s) => s.ofType("aws_kms_replica_key"))
        .map((r) => r.region);
      say(
        `  multi-Region keys of ${account.name}: primary in ${account.regions[0]}, replicas in ${replicas.join(", ")}; one ciphertext per helper value for the account, decrypted by the handler in ${invoked.filter((name) => name.startsWith(`${account.name}-`)).length} regions`,
      );
    }
    say(`  after destroy: ${teardown.keysPendingDeletion} KMS keys pending deletion, ${teardown.secretsPendingDeletion} secrets in their recovery window, nothing else`);
  }

  /** Turns the emulator's IAM enforcement on (every call is checked against its caller's policies) or off. */
  /**
   * The manual rotation of docs/key-rotation.md on one account's workload
   * stacks: generation 2 with generation 1 retiring (deploy, handler); the
   * SSM parameters put again with the new key; the helper values
   * re-encrypted with the project's command against each stack's key_arn
   * output (deploy, handler); generation 1 retired (deploy, handler).
   * `steps.apply` writes the configuration with the given generations and
   * ciphertexts, deploys the account's workload stacks and invokes the
   * handlers; every invocation compares the plaintexts with those set last.
   * Checks, through the SDK, that each stack has the keys and aliases each
   * phase should, and that generation 1's keys are scheduled for deletion
   * only once they are retired.
   */
  private async rotateKeys(
    config: AppConfig,
    account: AccountConfig,
    ciphertexts: Ciphertexts,
    steps: {
      readonly apply: (keyGenerations: Record<string, KeyGenerations>, ciphertexts: Ciphertexts) => Promise<string[]>;
      readonly putParametersAgain: () => Promise<void>;
    },
  ): Promise<{ account: string; stacks: string[]; reEncrypted: number; invocations: number; oldKeyStates: string[]; ciphertexts: Ciphertexts }> {
    const stacks = account.regions.map((region) => stackName(account, region));
    const alias = normalizeAliasName(config.key.aliases[0]);
    const keyOf = (region: string, keyId: string) =>
      this.clients!.get(KMSClient, account.accountId, region)
        .send(new DescribeKeyCommand({ KeyId: keyId }))
        .then(
          (r) => r.KeyMetadata!,
          (error: Error) => ({ Arn: undefined, KeyState: error.name }),
        );
    const generation1 = new Map<string, string>();
    const oldKeyStates: string[] = [];
    await this.unenforced(async () => {
      for (const region of account.regions) generation1.set(region, (await keyOf(region, alias)).Arn!);
      oldKeyStates.push(`${(await keyOf(account.regions[0], alias)).KeyState} (current)`);
    });
    const checkKeys = async (phase: string, expectOldKey: "Enabled" | "PendingDeletion") => {
      const problems: string[] = [];
      for (const region of account.regions) {
        const current = await keyOf(region, alias);
        const byGeneration = await keyOf(region, `${alias}-generation-2`);
        const retiringAlias = await keyOf(region, `${alias}-generation-1`);
        const old = await keyOf(region, generation1.get(region)!);
        if (current.Arn === generation1.get(region) || current.Arn !== byGeneration.Arn)
          problems.push(`${region}: ${alias} is ${current.Arn}, generation 2's alias ${byGeneration.Arn}`);
        if (old.KeyState !== expectOldKey) problems.push(`${region}: generation 1's key is ${old.KeyState}, expected ${expectOldKey}`);
        const retiringAliasExpected = expectOldKey === "Enabled" ? generation1.get(region) : undefined;
        if (retiringAlias.Arn !== retiringAliasExpected)
          problems.push(`${region}: ${alias}-generation-1 is ${retiringAlias.Arn ?? retiringAlias.KeyState}, expected ${retiringAliasExpected ?? "none"}`);
      }
      if (problems.length > 0) throw new Error(`${phase}:\n  ${problems.join("\n  ")}`);
      oldKeyStates.push(expectOldKey);
      say(`  ${stacks.join(", ")}: ${alias} → generation 2; generation 1's keys ${expectOldKey}`);
    };
    let invocations = 0;
    const invoke = async (phase: string, keyGenerations: KeyGenerations, values: Ciphertexts) => {
      invocations += (await step(`${phase}: deploy ${stacks.join(", ")} and invoke the handlers`, () => steps.apply({ [account.name]: keyGenerations }, values))).length;
    };

    await invoke("key generation 2, generation 1 retiring (decrypt-only)", { keyGeneration: 2, retiringKeyGenerations: [1] }, ciphertexts);
    await step("check the keys: the aliases on generation 2, generation 1 decrypt-only and enabled", () => this.unenforced(() => checkKeys("after the switch", "Enabled")));

    // Terraform leaves a parameter's key as it was created: the operator puts each value again with the new key.
    await step("put the SSM SecureString values again with each stack's new key (aws ssm put-parameter --key-id)", () => steps.putParametersAgain());

    const file = path.join(this.runDir, "config.json");
    const expectKeys: string[] = [];
    for (const stack of stacks) {
      const output = await this.terraform(stack, ["output", "-raw", "key_arn"]);
      if (output.code !== 0) throw new Error(`terraform output -raw key_arn in ${stack} failed (exit ${output.code}):\n${output.tail}`);
      expectKeys.push("--expect-key", `${stack}=${output.stdout.trim()}`);
    }
    const reEncrypted = await step(`re-encrypt ${account.name}'s helper values under generation 2 (npm run reencrypt -- --write, keys pinned to the key_arn outputs)`, () =>
      this.unenforced(async () => {
        const result = await runCommand("node", [path.join(REPO, "dist", "bin", "reencrypt-config.js"), "--config", file, "--account", account.name, "--write", ...expectKeys], {
          cwd: REPO,
          env: this.childEnv(this.awsEnv(account, account.regions[0])),
          logFile: this.commandLog,
        });
        if (result.code !== 0) throw new Error(`npm run reencrypt failed (exit ${result.code}):\n${result.tail}`);
        const count = Number(/re-encrypted (\d+) ciphertext/.exec(result.stdout)?.[1] ?? NaN);
        say(`  ${result.stdout.trim()}`);
        return count;
      }),
    );
    // The command rewrote the run's configuration: its ciphertexts are the ones to deploy from now on.
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as { functions: { name: string; encryptedEnvironment?: Record<string, Record<string, string>> }[] };
    const reEncryptedValues: Ciphertexts = Object.fromEntries(written.functions.map((fn) => [fn.name, fn.encryptedEnvironment ?? {}]));
    await invoke("re-encrypted values", { keyGeneration: 2, retiringKeyGenerations: [1], encryptedEnvironmentKeyGeneration: 2 }, reEncryptedValues);
    await step("check the keys: generation 1 still enabled until it is retired", () => this.unenforced(() => checkKeys("after re-encryption", "Enabled")));
    await invoke("generation 1 retired", { keyGeneration: 2, retiringKeyGenerations: [], encryptedEnvironmentKeyGeneration: 2 }, reEncryptedValues);
    await step("check the keys: generation 1 pending deletion, its alias gone", () => this.unenforced(() => checkKeys("after retirement", "PendingDeletion")));
    return { account: account.name, stacks, reEncrypted, invocations, oldKeyStates, ciphertexts: reEncryptedValues };
  }

  private async enforceIam(on: boolean): Promise<void> {
    // moto counts calls and enforces from the given count on: 0 is at once, Infinity never.
    const response = await fetch(`${this.moto!.endpoint}/moto-api/reset-auth`, { method: "POST", body: on ? "0" : "Infinity" });
    if (!response.ok) throw new Error(`the emulator refused to turn IAM enforcement ${on ? "on" : "off"}: HTTP ${response.status} ${await response.text()}`);
  }

  /** Runs test instrumentation (an operator's commands, SDK checks) with IAM enforcement off, and turns it on again. */
  private async unenforced<T>(work: () => Promise<T>): Promise<T> {
    await this.enforceIam(false);
    try {
      return await work();
    } finally {
      await this.enforceIam(true);
    }
  }

  /**
   * What an operator does on purpose before destroying an audit stack: stops
   * the log bucket's access logging (the emulator, like S3, writes an access
   * log for every request, Terraform's own included) and deletes every
   * version in the access-log bucket, which Terraform never empties.
   * The emulator applies the bucket's TLS-only Deny to its own plain-HTTP
   * endpoint, so the access-log bucket's policy goes first (destroy would
   * delete it anyway); over HTTPS, as with S3, it could stay.
   */
  private async emptyAccessLogBucket(account: AccountConfig): Promise<void> {
    await this.emptyAccessLogBucketOf(account, account.audit.bucketName, account.audit.homeRegion);
    // The replica bucket logs into an access-log bucket of its own, in its region.
    const replication = account.audit.replication;
    if (replication) await this.emptyAccessLogBucketOf(account, replication.bucketName, replication.region);
  }

  /** Stops the access logging of `logged` and empties its access-log bucket `<logged>-access`, in `region`. */
  private async emptyAccessLogBucketOf(account: AccountConfig, logged: string, region: string): Promise<void> {
    const s3 = this.clients!.get(S3Client, account.accountId, region);
    const bucket = `${logged}-access`;
    await s3.send(new PutBucketLoggingCommand({ Bucket: logged, BucketLoggingStatus: {} }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    for (;;) {
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
      const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      if (objects.length === 0) return;
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
      if (result.Errors?.length) throw new Error(`emptying ${bucket}: ${result.Errors.length} object versions not deleted, e.g. ${result.Errors[0].Key}: ${result.Errors[0].Code}`);
    }
  }

  /** Creates the CI user of each account with an access key; enforcement starts once they exist. */
  private async createPipelineUsers(config: AppConfig): Promise<void> {
    for (const account of config.accounts) {
      const iam = this.clients!.get(IAMClient, account.accountId, account.audit.homeRegion);
      await iam.send(new CreateUserCommand({ UserName: PIPELINE_USER }));
      const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: deployerOf(account) }] };
      await iam.send(new PutUserPolicyCommand({ UserName: PIPELINE_USER, PolicyName: "assume-the-deploy-role", PolicyDocument: JSON.stringify(policy) }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: PIPELINE_USER }));
      this.pipelineKeys.set(account.accountId, { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! });
    }
    await this.enforceIam(true);
    say(`  IAM enforcement on: every call is checked against its caller's identity policies`);
  }

  /** Deletes the CI users (call with enforcement off: they are test fixtures). */
  private async deletePipelineUsers(config: AppConfig): Promise<void> {
    for (const account of config.accounts) {
      const iam = this.clients!.get(IAMClient, account.accountId, account.audit.homeRegion);
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: PIPELINE_USER }))).AccessKeyMetadata ?? [];
      for (const key of keys) await iam.send(new DeleteAccessKeyCommand({ UserName: PIPELINE_USER, AccessKeyId: key.AccessKeyId }));
      await iam.send(new DeleteUserPolicyCommand({ UserName: PIPELINE_USER, PolicyName: "assume-the-deploy-role" }));
      await iam.send(new DeleteUserCommand({ UserName: PIPELINE_USER }));
    }
  }

  /** Runs `work` with a fresh session of the account's deploy role, assumed by its CI user (the trust policy and the user's policy are checked). */
  private async asDeployer<T>(account: AccountConfig, work: (credentials: Record<string, string>) => Promise<T>): Promise<T> {
    const key = this.pipelineKeys.get(account.accountId);
    if (!key) throw new Error(`no CI user for ${account.name}`);
    const sts = new STSClient({ endpoint: this.moto!.endpoint, region: account.audit.homeRegion, credentials: key, maxAttempts: 1 });
    try {
      const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: deployerOf(account), RoleSessionName: "e2e-deploy" }));
      return await work({
        AWS_ACCESS_KEY_ID: Credentials!.AccessKeyId!,
        AWS_SECRET_ACCESS_KEY: Credentials!.SecretAccessKey!,
        AWS_SESSION_TOKEN: Credentials!.SessionToken!,
      });
    } finally {
      sts.destroy();
    }
  }

  /**
   * What the emulator checked (its iam-enforcement.log): the calls of
   * the deploy roles' sessions. A refused call fails the run, even one
   * Terraform tolerated: the policy must allow everything the provider does.
   */
  private enforcementReport(): { calls: number; actions: string[] } {
    const lines = fs.existsSync(this.enforcementLog)
      ? fs
          .readFileSync(this.enforcementLog, "utf8")
          .split("\n")
          .filter((line) => line.startsWith("iam-enforcement: "))
      : [];
    const ofDeployRoles = lines.filter((line) => /:assumed-role\/[^/ ]+\/e2e-deploy /.test(line));
    const denied = ofDeployRoles.filter((line) => line.startsWith("iam-enforcement: denied"));
    if (denied.length > 0) throw new Error(`the emulator refused calls of a deploy role; the generated policy lacks:\n  ${[...new Set(denied)].join("\n  ")}`);
    if (ofDeployRoles.length === 0) throw new Error("the emulator checked no call of a deploy role: IAM enforcement was not on");
    const actions = [...new Set(ofDeployRoles.map((line) => line.split(" ").pop() as string))].sort();
    fs.writeFileSync(path.join(this.runDir, "deployer-actions-used.txt"), `${actions.join("\n")}\n`);
    say(`  ${ofDeployRoles.length} calls, ${actions.length} distinct actions (the list: ${path.join(this.runDir, "deployer-actions-used.txt")})`);
    return { calls: ofDeployRoles.length, actions };
  }

  /** Stops the emulator; keeps the run folder when asked to or when the run failed. */
  public async finish(passed: boolean): Promise<void> {
    this.clients?.destroy();
    await this.moto?.stop();
    if (passed && process.env.E2E_KEEP !== "1") fs.rmSync(this.runDir, { recursive: true, force: true });
    else say(`run folder kept: ${this.runDir}`);
  }

  /** The failure report: step, error, and the end of the emulator's log. */
  public reportFailure(error: Error): void {
    const stepName = error instanceof StepFailure ? error.step : "(outside a step)";
    const report = `[e2e] FAILED at step: ${stepName}\n${error.message}\n`;
    fs.writeFileSync(path.join(this.runDir, "failure.txt"), report);
    console.error(`\n${report}`);
    if (this.moto) {
      const lines = this.moto.output().trimEnd().split("\n").slice(-40);
      console.error(`[e2e] emulator log, last ${lines.length} lines (whole log: ${this.emulatorLog}):\n${lines.join("\n")}\n`);
    }
    console.error(`[e2e] output of every command: ${this.commandLog}`);
  }

  /**
   * Environment of every child process: the run's config, no real AWS
   * credentials, and Terraform without registry access the documented way:
   * TF_PROVIDER_MIRROR, which gives each stack folder an implied local mirror,
   * and an empty CLI configuration, so that nothing of this machine's own
   * Terraform configuration takes part.
   */
  private childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith("AWS_") || name.startsWith("TF_VAR_")) delete env[name];
    if (!this.cliConfigFile) {
      this.cliConfigFile = path.join(this.runDir, "empty.tfrc");
      fs.writeFileSync(this.cliConfigFile, "");
    }
    return {
      ...env,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_PROVIDER_MIRROR: resolveProviderMirror(),
      TF_CLI_CONFIG_FILE: this.cliConfigFile,
      LAMBDA_KMS_CONFIG: path.join(this.runDir, "config.json"),
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...Object.fromEntries([...this.seeds].map(([name, value]) => [`TF_VAR_${name}`, value])),
      ...extra,
    };
  }

  /**
   * Runs `cdktf synth`, or what `npm run deploy/destroy` runs, on `stacks`,
   * with `credentials` (AWS_* variables) for the provider; its progress lines
   * are shown with the stack they belong to.
   */
  private async cdktf(command: string, stacks: readonly string[], flags: readonly string[] = [], credentials: Record<string, string> = {}): Promise<void> {
    // cdktf prefixes a stack's first output line with the stack name and indents the rest of that block.
    let current = "";
    const firstSeen = new Map<string, number>();
    const [executable, ...prefix] = command === "synth" ? [CDKTF] : [process.execPath, CDKTF_RUN];
    const result = await runCommand(executable, [...prefix, command, ...stacks, ...flags, "--output", this.outdir], {
      cwd: REPO,
      env: this.childEnv(credentials),
      logFile: this.commandLog,
      onLine: (line) => {
        const prefix = /^(\S+)\s{2,}/.exec(line)?.[1];
        if (prefix && stacks.includes(prefix)) current = prefix;
        if (current && !firstSeen.has(current)) firstSeen.set(current, Date.now());
        if (!PROGRESS.test(line)) return;
        const text = line.slice(prefix && stacks.includes(prefix) ? prefix.length : 0).trim();
        const took = /(Apply|Destroy) complete/.test(text) && firstSeen.has(current) ? ` (${current} took ${elapsed(firstSeen.get(current) as number)})` : "";
        say(`    ${current.padEnd(22)} ${text}${took}`);
      },
    });
    if (result.code !== 0) throw new Error(`cdktf ${command} exited with ${result.code}; its output ends with:\n${result.tail}`);
  }

  /** A random value for every variable the stacks declare (the seeded secrets' write-only values). */
  private seedVariables(stacks: readonly string[]): void {
    for (const name of stacks) {
      const synthesized = JSON.parse(fs.readFileSync(path.join(this.stackDir(name), "cdk.tf.json"), "utf8"));
      for (const variable of Object.keys(synthesized.variable ?? {})) if (!this.seeds.has(variable)) this.seeds.set(variable, testValue(variable));
    }
    say(`  seed variables: ${[...this.seeds.keys()].join(", ") || "none"} (random values, passed as TF_VAR_…)`);
  }

  private stackDir(name: string): string {
    return path.join(this.outdir, "stacks", name);
  }

  /**
   * Runs the project's encrypt command per function, variable and stack; returns the new ciphertexts.
   * The key is the stack's key_arn output, as docs/security-model.md says: the command refuses aliases.
   */
  private async encryptValues(config: AppConfig, plaintexts: Map<string, string>): Promise<Ciphertexts> {
    const ciphertexts: Ciphertexts = {};
    const keyArns = new Map<string, string>();
    const keyArnOf = async (stack: string): Promise<string> => {
      if (!keyArns.has(stack)) {
        const output = await this.terraform(stack, ["output", "-raw", "key_arn"]);
        if (output.code !== 0) throw new Error(`terraform output -raw key_arn in ${stack} failed (exit ${output.code}):\n${output.tail}`);
        keyArns.set(stack, output.stdout.trim());
      }
      return keyArns.get(stack) as string;
    };
    for (const fn of config.functions) {
      const targets = targetStacks(config.accounts, fn);
      for (const variable of Object.keys(fn.encryptedEnvironment)) {
        const plaintext = testValue(variable.toLowerCase());
        plaintexts.set(`${fn.name}/${variable}`, plaintext);
        for (const { account, region } of targets) {
          // With multi-Region keys, one ciphertext for the account, made with the primary key of its first region.
          const accountWide = isMultiRegionGeneration(account, account.encryptedEnvironmentKeyGeneration);
          if (accountWide && region !== account.regions[0]) continue;
          const keyArn = await keyArnOf(stackName(account, region));
          const result = await runCommand("node", [path.join(REPO, "dist", "bin", "encrypt-value.js"), "--key", keyArn, "--function", fn.name, "--region", region], {
            cwd: REPO,
            env: this.childEnv(this.awsEnv(account, region)),
            logFile: this.commandLog,
            input: plaintext,
          });
          if (result.code !== 0) throw new Error(`encrypting ${variable} for ${fn.name} in ${stackName(account, region)} failed (exit ${result.code}):\n${result.tail}`);
          ((ciphertexts[fn.name] ??= {})[variable] ??= {})[accountWide ? account.name : stackName(account, region)] = result.stdout.trim();
        }
        const made = Object.keys(ciphertexts[fn.name][variable]);
        say(
          `  ${fn.name}: ${variable} encrypted ${made.length} times (${made.join(", ")}), with each stack's key_arn output; an account name is one ciphertext for all its regions, made with the multi-Region primary key`,
        );
      }
    }
    return ciphertexts;
  }

  /** Puts a random value into every SSM secret of every stack, encrypted with the stack's key. */
  private async setParameters(config: AppConfig): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    const alias = normalizeAliasName(config.key.aliases[0]);
    for (const secret of config.secrets.filter((s) => s.type === "ssm")) {
      const value = testValue("parameter");
      values.set(secret.name, value);
      for (const { account, region } of targetStacks(config.accounts, secret)) {
        // The key ARN, as docs/security-model.md says: Terraform records the parameter's key as an ARN, and
        // SSM keeps the key id as given, so an alias here would show as drift in the next plan.
        const key = await this.clients!.get(KMSClient, account.accountId, region).send(new DescribeKeyCommand({ KeyId: alias }));
        await this.clients!.get(SSMClient, account.accountId, region).send(
          new PutParameterCommand({ Name: secret.name, Value: value, Type: "SecureString", KeyId: key.KeyMetadata?.Arn, Overwrite: true }),
        );
      }
    }
    return values;
  }

  private async terraform(stack: string, args: string[], credentials: Record<string, string> = {}): Promise<CommandResult> {
    return runCommand("terraform", [`-chdir=${this.stackDir(stack)}`, ...args], { cwd: REPO, env: this.childEnv(credentials), logFile: this.commandLog });
  }

  private async readStack(config: AppConfig, name: string): Promise<DeployedStack> {
    const result = await this.terraform(name, ["show", "-json", "-no-color"]);
    if (result.code !== 0) throw new Error(`terraform show in ${name} failed:\n${result.tail}`);
    const account = config.accounts.find(
      (a) => name === auditStackName(a) || name === deployerStackName(a) || a.regions.some((region) => name === stackName(a, region)),
    ) as AccountConfig;
    return new DeployedStack(name, account.accountId, this.stackDir(name), JSON.parse(result.stdout));
  }

  private async planWithoutChanges(stacks: readonly string[], credentials: Record<string, string>): Promise<void> {
    // Three at a time: each plan runs its own provider process.
    const results: { name: string; result: CommandResult }[] = [];
    for (let i = 0; i < stacks.length; i += 3) {
      results.push(
        ...(await Promise.all(
          stacks
            .slice(i, i + 3)
            .map(async (name) => ({ name, result: await this.terraform(name, ["plan", "-detailed-exitcode", "-input=false", "-lock=false", "-no-color"], credentials) })),
        )),
      );
    }
    const problems: string[] = [];
    for (const { name, result } of results) {
      if (result.code === 0) say(`    ${name}: no changes`);
      else if (result.code === 2) problems.push(`${name} has changes (drift between what was applied and what the emulator returns):\n${planChanges(result.stdout)}`);
      else problems.push(`${name}: terraform plan failed (exit ${result.code}):\n${result.tail}`);
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
  }

  /** Runs dist/e2e/invoke-handler.js per stack for each function with secrets; returns the stacks. */
  private async invokeHandlers(config: AppConfig, stacks: readonly DeployedStack[], plaintexts: Map<string, string>, parameterValues: Map<string, string>): Promise<string[]> {
    const invoked: string[] = [];
    const secretValues = [...plaintexts.values(), ...parameterValues.values(), ...this.seeds.values()];
    for (const fn of config.functions.filter((f) => Object.keys(f.secrets).length + Object.keys(f.encryptedEnvironment).length > 0)) {
      const [file, exportName] = splitHandler(fn);
      const secretNames = (type: "secretsmanager" | "ssm") => Object.keys(fn.secrets).filter((variable) => secretTypeOf(config, fn.secrets[variable]) === type);
      const paths = JSON.stringify({ secrets: secretNames("secretsmanager"), parameters: secretNames("ssm") });
      for (const { account, region } of targetStacks(config.accounts, fn)) {
        const name = stackName(account, region);
        const stack = stacks.find((s) => s.name === name) as DeployedStack;
        const codeDir = await this.unpackDeployedCode(stack, fn);
        const deployed = await this.clients!.get(LambdaClient, account.accountId, region).send(new GetFunctionConfigurationCommand({ FunctionName: fn.name }));
        const environment = deployed.Environment?.Variables ?? {};
        const exposed = Object.entries(environment).filter(([, value]) => secretValues.some((secret) => value.includes(secret)));
        if (exposed.length > 0) throw new Error(`${fn.name} in ${name}: the deployed environment holds a secret value in plain text: ${exposed.map(([key]) => key).join(", ")}`);
        // What Lambda gives the function, and nothing of this process: its variables, name, region and credentials.
        const lambdaEnv = {
          PATH: process.env.PATH ?? "",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          ...environment,
          ...this.awsEnv(account, region),
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
        };
        const result = await runCommand("node", [path.join(REPO, "dist", "e2e", "invoke-handler.js"), path.join(codeDir, file), exportName, paths], {
          cwd: codeDir,
          env: lambdaEnv,
          logFile: this.commandLog,
        });
        if (result.code !== 0) throw new Error(`${fn.name} in ${name} failed:\n${result.tail}`);
        const invocation = JSON.parse(result.stdout.trim().split("\n").pop() as string) as InvocationResult;
        const expected = this.expectedDigests(config, fn, stack, environment, plaintexts, parameterValues);
        const problems = Object.entries(expected)
          .filter(([key, value]) => invocation.digests[key] !== value)
          .map(([key]) => `${key} read back ${invocation.digests[key] ? "a different value than the one set" : "nothing"}`);
        const response = invocation.response as { statusCode?: number; body?: string };
        const body = JSON.parse(response.body ?? "{}");
        if (response.statusCode !== 200) problems.push(`handler answered ${JSON.stringify(response)}`);
        for (const [key, value] of Object.entries(body)) if (key.endsWith("Loaded") && value !== true) problems.push(`handler reports ${key} = ${value}`);
        if (problems.length > 0) throw new Error(`${fn.name} in ${name}: ${problems.join("; ")}`);
        say(`    ${name}: ${fn.name} answered ${response.statusCode} ${response.body}; plaintexts match for ${Object.keys(expected).join(", ")}`);
        invoked.push(name);
      }
    }
    return invoked;
  }

  /** Unzips the code asset the stack deployed (its SHA-256 is checked against the function's CodeSha256). */
  private async unpackDeployedCode(stack: DeployedStack, fn: FunctionConfig): Promise<string> {
    const lambda = stack.ofType("aws_lambda_function").find((r) => r.intended.function_name === fn.name);
    if (!lambda) throw new Error(`${stack.name}: no aws_lambda_function ${fn.name}`);
    const zip = path.join(this.stackDir(stack.name), lambda.intended.filename);
    const target = path.join(this.runDir, "code", stack.name, fn.name);
    const result = await runCommand("python3", ["-m", "zipfile", "-e", zip, target], { cwd: REPO, env: this.childEnv(), logFile: this.commandLog });
    if (result.code !== 0) throw new Error(`cannot unzip ${zip}:\n${result.tail}`);
    // The bundle leaves the AWS SDK out (the Lambda runtime provides it); here the project's copy
    // stands in, found by Node's usual lookup of node_modules in a parent folder.
    const modules = path.join(this.runDir, "code", "node_modules");
    if (!fs.existsSync(modules)) fs.symlinkSync(path.join(REPO, "node_modules"), modules, "dir");
    return target;
  }

  /** Digest of the plaintext each secret path must yield in this stack. */
  private expectedDigests(
    config: AppConfig,
    fn: FunctionConfig,
    stack: DeployedStack,
    environment: Record<string, string>,
    plaintexts: Map<string, string>,
    parameterValues: Map<string, string>,
  ): Record<string, string> {
    const expected: Record<string, string> = {};
    for (const variable of Object.keys(fn.encryptedEnvironment)) expected[variable] = digest(plaintexts.get(`${fn.name}/${variable}`) as string);
    for (const [variable, secretName] of Object.entries(fn.secrets)) {
      if (secretTypeOf(config, secretName) === "ssm") {
        expected[variable] = digest(parameterValues.get(secretName) as string);
        continue;
      }
      // The secret's seed is the variable its secret version writes (secret_string_wo = "${var.<name>}").
      const version = stack.ofType("aws_secretsmanager_secret_version").find((v) => v.intended.secret_id === environment[variable]);
      const seed = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(version?.intended.secret_string_wo ?? "")?.[1];
      if (!seed) throw new Error(`${stack.name}: no seeded version found for the secret in ${variable} (${environment[variable]})`);
      expected[variable] = digest(this.seeds.get(seed) as string);
    }
    return expected;
  }

  /** What the Lambda service gives a function: region and credentials (here, the emulator's). */
  private awsEnv(account: AccountConfig, region: string): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.moto!.endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: account.accountId,
      AWS_SECRET_ACCESS_KEY: "emulator-dummy-secret",
    };
  }
}

/** Where moto serves any request it cannot attribute to an account: nothing of ours may land there. */
const MOTO_DEFAULT_ACCOUNT = "123456789012";

/** The credentials of an account's administrator: in the emulator, any key named after the account (enforcement off). */
function administrator(account: AccountConfig): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: account.accountId, AWS_SECRET_ACCESS_KEY: "emulator-dummy-secret" };
}

const EMPTY_ACCESS_LOGS = "stop access logging and empty the access-log bucket as the account's administrator (the deliberate act before destroying an audit stack)";

/** The account's deploy role, created by its bootstrap stack. */
function deployerOf(account: AccountConfig): string {
  if (!account.deployer) throw new Error(`${LOCAL_CONFIG_FILE}: account ${account.name} has no "deployer"; the run deploys through each account's deploy role`);
  return account.deployer.roleArn;
}

/** cdktf-run adds --skip-provider-lock itself, because TF_PROVIDER_MIRROR is set. */
const DEPLOY_FLAGS = ["--auto-approve", "--skip-synth"];
/** The account's other stacks depend on its bootstrap stack; they are destroyed first, and cdktf must not ask for them. */
const BOOTSTRAP_DESTROY_FLAGS = [...DEPLOY_FLAGS, "--ignore-missing-stack-dependencies"];

function secretTypeOf(config: AppConfig, secretName: string): "secretsmanager" | "ssm" {
  const secret = config.secrets.find((s) => s.name === secretName);
  if (!secret) throw new Error(`secret ${secretName} is not defined in the configuration`);
  return secret.type;
}

/** `index.handler` → [`index.js`, `handler`]. */
function splitHandler(fn: FunctionConfig): [string, string] {
  const dot = fn.handler.lastIndexOf(".");
  return [`${fn.handler.slice(0, dot)}.js`, fn.handler.slice(dot + 1)];
}

/** The resource lines of a plan's output (`# aws_x.y will be updated in-place` and the attribute lines). */
function planChanges(output: string): string {
  const lines = output.split("\n").filter((line) => /^\s*(#|[~+-] |-\/\+)/.test(line));
  return lines.slice(0, 80).join("\n");
}

async function main(): Promise<void> {
  const run = new EndToEndRun();
  // A CI timeout or Ctrl-C: stop cdktf, terraform and moto instead of leaving them behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the child processes and the emulator`);
      for (const child of runningChildren) child.kill("SIGTERM");
      void run.finish(false).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  let passed = false;
  try {
    await run.run();
    passed = true;
  } catch (error) {
    run.reportFailure(error as Error);
    process.exitCode = 1;
  } finally {
    await run.finish(passed);
  }
}

void main();
