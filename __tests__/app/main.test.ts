import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppConfig } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { snapshot, stagingLeftovers } from "../support/output-folder";
import { DEFAULT_STACKS, DEFAULT_WORKLOAD_STACKS } from "../support/stack-config";

/**
 * End-to-end tests of the compiled app (`node dist/main.js`), the way the
 * synth job and `cdktf synth` run it.
 */

const REPO = path.resolve(__dirname, "..", "..");
const MAIN = path.join(REPO, "dist", "main.js");
const DEFAULT_DOCUMENT = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));
/** Per account its audit stack, then one workload stack per region, in config order. */
const STACKS = DEFAULT_STACKS;
const WORKLOAD_STACKS = DEFAULT_WORKLOAD_STACKS;
/** The audit home region of both accounts of the default configuration (their first region). */
const AUDIT_HOME_REGION = "eu-west-1";

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "main-test-"));
}, 180_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/main.js` with a clean environment: no inherited config or context. */
function runMain(options: { outdir?: string; config?: string; context?: Record<string, unknown>; cwd?: string }): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };
  delete env.LAMBDA_KMS_CONFIG;
  delete env.CDKTF_CONTEXT_JSON;
  delete env.CDKTF_OUTDIR;
  if (options.outdir) env.CDKTF_OUTDIR = options.outdir;
  if (options.config) env.LAMBDA_KMS_CONFIG = options.config;
  if (options.context) env.CDKTF_CONTEXT_JSON = JSON.stringify(options.context);
  const result = spawnSync(process.execPath, [MAIN], { cwd: options.cwd ?? tmp, env, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh folder under tmp that holds the output folder (and nothing else). */
function workspace(name: string): string {
  const folder = path.join(tmp, name);
  fs.mkdirSync(folder);
  return folder;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** Writes a config file into `folder` from a modified copy of the default (code paths absolute). */
function writeConfig(folder: string, name: string, modify: (document: Doc) => void): string {
  const document: Doc = structuredClone(DEFAULT_DOCUMENT);
  for (const fn of document.functions) fn.codeDirectory = path.join(REPO, "functions", "config-reader");
  document.codeRoot = REPO;
  document.backend.directory = path.join(folder, "state");
  modify(document);
  const file = path.join(folder, name);
  fs.writeFileSync(file, JSON.stringify(document, null, 2));
  return file;
}

/**
 * Keeps the staging account and orders-api only; orders-api keeps the
 * ciphertexts of the staging stacks and the staging environment overrides
 * (config validation refuses one for a stack or account the function no
 * longer runs in).
 */
function stagingOnly(document: Doc): void {
  document.accounts = [document.accounts[0]];
  document.functions = [document.functions[0]];
  const perStack = document.functions[0].encryptedEnvironment.PARTNER_API_KEY;
  for (const stack of Object.keys(perStack)) if (!stack.startsWith("staging-")) delete perStack[stack];
  expect(Object.keys(perStack)).toEqual(["staging-eu-west-1", "staging-us-east-1"]);
  delete document.functions[0].environmentOverrides.production;
  expect(Object.keys(document.functions[0].environmentOverrides)).toEqual(["staging"]);
}

/**
 * A config that passes config validation but whose key policies exceed KMS's 32 KB limit: a construct
 * validation fails at synth, after cdktf wrote the stacks. Administrators, because they are in every key
 * policy of the account but not in the unexpected-key-use alarm's patterns (key users and deployers are,
 * split over as many filters as needed). The production audit
 * stack is synthesized before the production workload stacks, so its audit key ("key") is reported.
 */
function oversizedKeyPolicyConfig(folder: string): string {
  return writeConfig(folder, "too-many-admins.json", (document) => {
    document.accounts[1].keyAdministratorArns = Array.from({ length: 800 }, (_, i) => `arn:aws:iam::222222222222:role/platform-key-admin-${String(i).padStart(4, "0")}`);
  });
}

describe("node dist/main.js", () => {
  test("synthesizes the default configuration: 8 stacks and a manifest with each stack depending on the ones deployed before it", () => {
    const folder = workspace("default");
    const outdir = path.join(folder, "cdktf.out");
    const run = runMain({ outdir });

    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(
      `synthesized 8 stacks from ${DEFAULT_CONFIG_FILE} into ${outdir}: ${STACKS.join(", ")}\n` +
        `access check: 998 requests evaluated, as expected; who can use which key: ${outdir}/access.md\n` +
        `deploy pipeline policies: ${outdir}/deployer-policy-staging.json, ${outdir}/deployer-policy-production.json`,
    );
    for (const stack of STACKS) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      const region = stack.endsWith("-audit") || stack.endsWith("-deployer") ? AUDIT_HOME_REGION : stack.replace(/^(staging|production)-/, "");
      expect(json.provider.aws[0].region).toBe(region);
    }
    expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual([...STACKS].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual([...STACKS].sort());
    for (const stack of STACKS) expect(manifest.stacks[stack].synthesizedStackPath).toBe(`stacks/${stack}/cdk.tf.json`);
    // cdktf deploy orders stacks by these: the key alarms of a workload stack need the trail's log group,
    // and every role the deploy role creates needs the boundary of the bootstrap stack.
    for (const stack of STACKS) {
      const account = stack.split("-")[0];
      const expected = stack.endsWith("-deployer") ? [] : stack.endsWith("-audit") ? [`${account}-deployer`] : [`${account}-audit`, `${account}-deployer`];
      expect([...manifest.stacks[stack].dependencies].sort()).toEqual(expected);
    }
    // The deploy pipeline's policy: an IAM policy document per account, naming the account's resources.
    const deployerPolicy = JSON.parse(fs.readFileSync(path.join(outdir, "deployer-policy-production.json"), "utf8"));
    expect(deployerPolicy.Version).toBe("2012-10-17");
    expect(deployerPolicy.Statement.flatMap((s: { Resource: string[] }) => s.Resource)).toContain("arn:aws:lambda:us-east-1:222222222222:function:nightly-report");
    expect(JSON.stringify(deployerPolicy)).not.toContain("111111111111");
    expect(fs.readdirSync(folder)).toEqual(["cdktf.out"]);
    // Readable like any build output, not 0700 like the temporary folder it was staged in.
    expect(fs.statSync(outdir).mode & 0o777).toBe(0o755);
  });

  test("writes to ./cdktf.out of the working directory when CDKTF_OUTDIR is unset", () => {
    const folder = workspace("cwd");
    const run = runMain({ cwd: folder });
    expect(run.status).toBe(0);
    expect(fs.existsSync(path.join(folder, "cdktf.out", "manifest.json"))).toBe(true);
    expect(fs.readdirSync(folder)).toEqual(["cdktf.out"]);
  });

  test("is deterministic: a second run gives byte-identical files, assets included", () => {
    const folder = workspace("deterministic");
    const outdir = path.join(folder, "cdktf.out");
    expect(runMain({ outdir }).status).toBe(0);
    const first = snapshot(outdir);
    expect(runMain({ outdir }).status).toBe(0);
    const second = snapshot(outdir);

    expect(second).toEqual(first);
    // The comparison covered the stacks and their code zips.
    const files = Object.keys(first);
    for (const stack of STACKS) expect(files).toContain(path.join("stacks", stack, "cdk.tf.json"));
    const zips = files.filter((file) => file.endsWith(".zip"));
    expect(zips).toHaveLength(6); // orders-api in 4 stacks, nightly-report in 2
    // Only workload stacks carry code; the audit stacks have no assets.
    expect(new Set(zips.map((zip) => zip.split(path.sep)[1]))).toEqual(new Set(WORKLOAD_STACKS));
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("selects the configuration with LAMBDA_KMS_CONFIG over the context value", () => {
    const folder = workspace("precedence");
    const good = writeConfig(folder, "good.json", stagingOnly);
    const bad = writeConfig(folder, "bad.json", (document) => {
      document.project = "Bad Project";
    });

    const envWins = runMain({ outdir: path.join(folder, "env-wins"), config: good, context: { config: bad } });
    expect(envWins.stderr).toBe("");
    expect(envWins.status).toBe(0);
    expect(envWins.stdout).toContain(`synthesized 4 stacks from ${good}`);

    const contextUsed = runMain({ outdir: path.join(folder, "context-used"), context: { config: good } });
    expect(contextUsed.status).toBe(0);
    expect(fs.readdirSync(path.join(folder, "context-used", "stacks")).sort()).toEqual(["staging-audit", "staging-deployer", "staging-eu-west-1", "staging-us-east-1"]);

    const badContext = runMain({ outdir: path.join(folder, "bad-context"), context: { config: bad } });
    expect(badContext.status).toBe(1);
    expect(badContext.stderr).toContain(`invalid configuration ${bad}`);
  });

  test("fails on a bad configuration with the field path, the value and the fix, and writes nothing", () => {
    const folder = workspace("bad-config");
    const outdir = path.join(folder, "cdktf.out");
    const config = writeConfig(folder, "bad.json", (document) => {
      document.accounts[1].regions[0] = "europe-west1";
      document.accounts[0].accountId = 111111111111;
    });
    const run = runMain({ outdir, config });

    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`invalid configuration ${config}:`);
    expect(run.stderr).toContain('accounts[1].regions[0]: "europe-west1" is invalid; use a region code such as "eu-west-1"');
    expect(run.stderr).toContain('accounts[0].accountId: expected a string, got 111111111111; write the 12-digit account ID as a string, e.g. "111111111111"');
    // A clear message, not a stack trace.
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(outdir)).toBe(false);
    expect(fs.readdirSync(folder).sort()).toEqual(["bad.json"]);
  });

  test("fails on a refused encrypted value or secret reference with the field path, only the length of the value and the fix, and writes nothing", () => {
    const folder = workspace("bad-secrets");
    const outdir = path.join(folder, "cdktf.out");
    const plaintext = "partner-plaintext-key-4711";
    const config = writeConfig(folder, "bad-secrets.json", (document) => {
      document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-eu-west-1"] = plaintext;
      document.functions[0].secrets.DB_PASSWORD_SECRET_ARN = "payments/orders-api/db-pasword";
    });
    const run = runMain({ outdir, config });

    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`invalid configuration ${config}:`);
    expect(run.stderr).toContain(
      `  - functions[0].encryptedEnvironment.PARTNER_API_KEY.production-eu-west-1: is not valid base64 (${plaintext.length} characters); paste the base64 ciphertext printed by the encrypt command`,
    );
    expect(run.stderr).toContain(
      '  - functions[0].secrets.DB_PASSWORD_SECRET_ARN: "payments/orders-api/db-pasword" is not defined in "secrets"; add it there (name, type) or fix the name: defined are payments/orders-api/db-password, /payments/orders-api/partner-webhook-token',
    );
    expect(run.stderr).not.toContain("plaintext-key");
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test("fails when LAMBDA_KMS_CONFIG names a missing file", () => {
    const folder = workspace("missing-config");
    const outdir = path.join(folder, "cdktf.out");
    const run = runMain({ outdir, config: path.join(folder, "nope.json") });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`invalid configuration ${path.join(folder, "nope.json")}`);
    expect(run.stderr).toContain("cannot read the file (ENOENT); check the path, or unset LAMBDA_KMS_CONFIG");
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test("leaves a previous output folder byte-identical when the configuration is bad", () => {
    const folder = workspace("keep-on-bad-config");
    const outdir = path.join(folder, "cdktf.out");
    expect(runMain({ outdir }).status).toBe(0);
    const before = snapshot(outdir);

    const config = writeConfig(folder, "bad.json", (document) => {
      document.key.rotationPeriodDays = 80;
    });
    const run = runMain({ outdir, config });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("key.rotationPeriodDays: 80 is out of range; use a whole number from 90 to 2560");

    expect(snapshot(outdir)).toEqual(before);
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("refuses a configuration whose key policy would exceed KMS's 32 KB at load, with the field, and writes nothing", () => {
    const folder = workspace("key-policy-too-large");
    const outdir = path.join(folder, "cdktf.out");
    const run = runMain({ outdir, config: oversizedKeyPolicyConfig(folder) });

    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^invalid configuration .*too-many-admins\.json:\n {2}- accounts\[1\]\.keyAdministratorArns: the workload key policy of stack production-eu-west-1 is [\d,]+ bytes before any function/,
    );
    expect(fs.existsSync(outdir)).toBe(false);
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("leaves a previous output folder byte-identical, reports included, when synth fails after staging every stack", () => {
    const folder = workspace("late-failure");
    const outdir = path.join(folder, "cdktf.out");
    expect(runMain({ outdir }).status).toBe(0);
    // A Terraform command holding a stack's state lock: checked last, just before the staged output would replace this one.
    fs.writeFileSync(path.join(outdir, "stacks", "staging-audit", ".terraform.tfstate.lock.info"), "{}\n");
    const before = snapshot(outdir);

    const run = runMain({ outdir, config: writeConfig(folder, "changed.json", (document) => (document.key.rotationPeriodDays = 180)) });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^synthesis failed: a Terraform command holds the state lock in /);

    expect(snapshot(outdir)).toEqual(before);
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("carries .terraform folders and lock files of existing stacks over to the new output", () => {
    const folder = workspace("carry-over");
    const outdir = path.join(folder, "cdktf.out");
    expect(runMain({ outdir }).status).toBe(0);

    const stackDir = path.join(outdir, "stacks", "production-eu-west-1");
    fs.mkdirSync(path.join(stackDir, ".terraform", "providers", "registry.terraform.io"), { recursive: true });
    fs.writeFileSync(path.join(stackDir, ".terraform", "providers", "registry.terraform.io", "marker"), "provider cache\n");
    fs.writeFileSync(path.join(stackDir, ".terraform", "terraform.tfstate"), '{"backend":{"type":"local"}}\n');
    fs.writeFileSync(path.join(stackDir, ".terraform.lock.hcl"), "# lock file\n");
    // A stray file of the previous synth is not carried over: the output is replaced, not merged.
    fs.writeFileSync(path.join(stackDir, "stray.txt"), "old\n");

    const run = runMain({ outdir });
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(stackDir, ".terraform", "providers", "registry.terraform.io", "marker"), "utf8")).toBe("provider cache\n");
    expect(fs.readFileSync(path.join(stackDir, ".terraform", "terraform.tfstate"), "utf8")).toBe('{"backend":{"type":"local"}}\n');
    expect(fs.readFileSync(path.join(stackDir, ".terraform.lock.hcl"), "utf8")).toBe("# lock file\n");
    expect(fs.existsSync(path.join(stackDir, "stray.txt"))).toBe(false);
    expect(fs.existsSync(path.join(stackDir, "cdk.tf.json"))).toBe(true);
    // Other stacks had none and got none.
    expect(fs.existsSync(path.join(outdir, "stacks", "staging-eu-west-1", ".terraform"))).toBe(false);
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("drops the folders of stacks no longer in the configuration", () => {
    const folder = workspace("removed-stacks");
    const outdir = path.join(folder, "cdktf.out");
    expect(runMain({ outdir }).status).toBe(0);

    const config = writeConfig(folder, "staging-only.json", stagingOnly);
    expect(runMain({ outdir, config }).status).toBe(0);
    expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual(["staging-audit", "staging-deployer", "staging-eu-west-1", "staging-us-east-1"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["staging-audit", "staging-deployer", "staging-eu-west-1", "staging-us-east-1"]);
  });
});

describe("synthesizeApp", () => {
  let config: AppConfig;

  beforeAll(() => {
    config = loadConfig(DEFAULT_CONFIG_FILE);
  });

  test("returns the output folder and the stack names", async () => {
    const folder = workspace("direct");
    const result = await synthesizeApp(config, path.join(folder, "out"));
    expect({ outdir: result.outdir, stacks: result.stacks }).toEqual({ outdir: path.join(folder, "out"), stacks: STACKS });
    expect(result.compliance.failing).toEqual([]);
    expect(fs.readdirSync(folder)).toEqual(["out"]);
  });

  test("keeps the previous output when a construct validation fails after the stacks were written", async () => {
    const folder = workspace("direct-validation");
    const outdir = path.join(folder, "out");
    await synthesizeApp(config, outdir);
    const before = snapshot(outdir);

    // Administrators: see oversizedKeyPolicyConfig.
    const admins = Array.from({ length: 1000 }, (_, i) => `arn:aws:iam::222222222222:user/user-${i}`);
    const oversized: AppConfig = { ...config, accounts: config.accounts.map((a) => ({ ...a, keyAdministratorArns: admins })) };
    await expect(synthesizeApp(oversized, outdir)).rejects.toThrow(/key policy is \d+ bytes, over the 32768-byte limit/);

    expect(snapshot(outdir)).toEqual(before);
    expect(stagingLeftovers(folder)).toEqual([]);
  });

  test("keeps the previous output when a construct throws while the stacks are built", async () => {
    const folder = workspace("direct-constructor");
    const outdir = path.join(folder, "out");
    await synthesizeApp(config, outdir);
    const before = snapshot(outdir);

    // Bypasses config validation: the construct itself refuses the alias.
    const reserved: AppConfig = { ...config, key: { ...config.key, aliases: ["alias/aws/lambda"] } };
    await expect(synthesizeApp(reserved, outdir)).rejects.toThrow('alias "alias/aws/lambda" is reserved for AWS managed keys');

    expect(snapshot(outdir)).toEqual(before);
    expect(stagingLeftovers(folder)).toEqual([]);
  });
});
