/**
 * `npm run preview` (node dist/bin/preview.js): terraform init and plan of
 * every stack without AWS credentials, run as a user runs it, into a preview
 * folder kept between runs (`.preview/` in the folder it runs in).
 *
 * The tests run in order and share one preview folder, as a user's runs do:
 * the first plans every stack (the only cold run; each plan takes seconds and
 * over 1 GB), the later ones show what the next runs skip, re-plan and retry.
 * `terraform` on PATH is a wrapper that logs every command (with the stack
 * folder it runs in) before it runs the real one, and fails the plan of the
 * stack named in a marker file, to see which commands ran.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveProviderMirror } from "../../tooling/offline-terraform";
import { requireTerraform } from "../../tooling/stack-check";
import { defaultConfigDocument, restrictToAccounts } from "../support/stack-config";

const REPO = path.resolve(__dirname, "..", "..");
const PREVIEW = path.join(REPO, "dist", "bin", "preview.js");
const STACKS = ["staging-audit", "staging-eu-west-1"];

let tmp: string;
let configFile: string;
/** The child's temporary folder (TMPDIR), to see what it leaves behind. */
let childTmp: string;
/** Each terraform command: "<stack folder name> <arguments>". */
let terraformLog: string;
/** While it exists, the plan of the stack it names fails. */
let failMarker: string;
let binDir: string;
/** The configuration with one change for the workload stack (written by the third test, used from then on). */
let changedConfig: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "preview-test-"));
  configFile = path.join(tmp, "config.json");
  // Without the bootstrap stack: two stacks are enough to show the preview, and each plan takes seconds.
  fs.writeFileSync(configFile, JSON.stringify(configDocument()));
  childTmp = path.join(tmp, "tmpdir");
  fs.mkdirSync(childTmp);
  fs.writeFileSync(path.join(tmp, "empty.tfrc"), "");
  terraformLog = path.join(tmp, "terraform.log");
  failMarker = path.join(tmp, "fail-plan-of");
  binDir = path.join(tmp, "bin");
  fs.mkdirSync(binDir);
  const wrapper = [
    "#!/bin/sh",
    `echo "$(basename "$PWD") $*" >> ${JSON.stringify(terraformLog)}`,
    `if [ "$1" = plan ] && [ -f ${JSON.stringify(failMarker)} ] && [ "$(basename "$PWD")" = "$(cat ${JSON.stringify(failMarker)})" ]; then`,
    '  echo "injected failure of the plan" >&2',
    "  exit 1",
    "fi",
    `exec ${JSON.stringify(requireTerraform())} "$@"`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(binDir, "terraform"), wrapper, { mode: 0o755 });
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function configDocument(): ReturnType<typeof defaultConfigDocument> {
  const document = restrictToAccounts(defaultConfigDocument(), { staging: ["eu-west-1"] });
  delete document.accounts[0].deployer;
  return document;
}

function preview(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; terraform: string[] } {
  fs.rmSync(terraformLog, { force: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("TF_VAR_") && name !== "LAMBDA_KMS_PREVIEW_JOBS") env[name] = value;
  Object.assign(env, {
    CHECKPOINT_DISABLE: "1",
    LAMBDA_KMS_CONFIG: configFile,
    TF_PROVIDER_MIRROR: resolveProviderMirror(),
    TF_CLI_CONFIG_FILE: path.join(tmp, "empty.tfrc"),
    TMPDIR: childTmp,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    // Credentials that would break the plan if they reached Terraform: a profile that does not exist
    // fails the provider's configuration ("failed to get shared config profile").
    AWS_PROFILE: "does-not-exist",
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "not-a-real-secret",
    ...extraEnv,
  });
  const result = spawnSync(process.execPath, [PREVIEW, ...args], { cwd: tmp, env, encoding: "utf8", timeout: 240_000 });
  const terraform = fs.existsSync(terraformLog) ? fs.readFileSync(terraformLog, "utf8").trim().split("\n") : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, terraform };
}

/** The terraform subcommands (init, plan, …) run in a stack's folder. */
function commands(run: { terraform: string[] }, stack: string): string[] {
  return run.terraform.filter((line) => line.startsWith(`${stack} `)).map((line) => line.split(" ")[1]);
}

const recordFile = (stack: string) => path.join(tmp, ".preview", "results", `${stack}.json`);

test("first run: init and plan of every stack, no separate validate, without AWS credentials, with a placeholder for the seed variable", () => {
  const run = preview([]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    `preview of 2 stacks from ${configFile} in ${path.join(fs.realpathSync(tmp), ".preview")}: terraform plan (which validates) without AWS credentials, from an empty state, `,
  );
  expect(run.stdout).toContain(`providers from the mirror ${resolveProviderMirror()}\n`);
  for (const stack of STACKS) {
    // No terminal: one plain line per finished stack, then a row of the summary table.
    expect(run.stdout).toMatch(new RegExp(`\\[[12]/2\\] ✓ ${stack}: planned [1-9]\\d* to add, 0 to change, 0 to destroy \\([\\d.]+ s\\)`));
    expect(run.stdout).toMatch(new RegExp(`\\n  ${stack}\\s+planned [1-9]\\d* to add, 0 to change, 0 to destroy\\s+[\\d.]+ s\\n`));
    expect(commands(run, stack)).toEqual(["init", "plan"]);
    expect(fs.existsSync(recordFile(stack))).toBe(true);
  }
  expect(run.terraform.filter((line) => / validate/.test(line))).toEqual([]);
  expect(run.stdout).toContain("planned with a placeholder for secret_payments_orders_api_db_password_value (no TF_VAR_ value set;");
  expect(run.stdout).toMatch(/2 stacks valid and planned in [\d.]+ s \(2 planned, 0 skipped as unchanged; --force plans them all\)\. Nothing was deployed\.\n$/);
  // The preview folder stays in the folder the command ran in; the system's temporary folder gets only synth's code-asset cache.
  expect(fs.readdirSync(childTmp).filter((name) => name.startsWith("lambda-kms-preview-"))).toEqual([]);
  expect(fs.readdirSync(path.join(tmp, ".preview")).sort()).toEqual([".terraform.offline.tfrc", "cdktf.out", "results", "synth.json"]);
}, 300_000);

test("second run with nothing changed: no synth, every stack is skipped with its last result, and no terraform command runs", () => {
  const lastResults = STACKS.map((stack) => JSON.parse(fs.readFileSync(recordFile(stack), "utf8")).result as string);
  const run = preview([]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.terraform).toEqual([]);
  expect(run.stdout).toContain("; synth skipped: the configuration, the code and the app are unchanged since the last one\n");
  STACKS.forEach((stack, i) => {
    expect(lastResults[i]).toMatch(/^planned [1-9]\d* to add, 0 to change, 0 to destroy$/);
    expect(run.stdout).toContain(`– ${stack}: skipped, unchanged since `);
    expect(run.stdout).toMatch(new RegExp(`\\n  ${stack}\\s+skipped, unchanged \\(last: ${lastResults[i]}\\)\\s+0\\.0 s \\(was [\\d.]+ s\\)\\n`));
  });
  expect(run.stdout).toContain("(0 planned, 2 skipped as unchanged; --force plans them all)");
}, 120_000);

test("a configuration change that touches one stack re-plans that stack only, without a new init", () => {
  const document = configDocument();
  // The staging API's URL is an environment variable of the workload stack's function; the audit stack does not hold it.
  document.functions.find((fn: { name: string }) => fn.name === "orders-api").environmentOverrides.staging.API_BASE_URL = "https://api2.staging.example.com";
  changedConfig = path.join(tmp, "config-changed.json");
  fs.writeFileSync(changedConfig, JSON.stringify(document));
  const run = preview([], { LAMBDA_KMS_CONFIG: changedConfig });
  expect(run.stderr).toBe("");
  expect(run.stdout).not.toContain("synth skipped");
  expect(run.status).toBe(0);
  expect(commands(run, "staging-eu-west-1")).toEqual(["plan"]);
  expect(commands(run, "staging-audit")).toEqual([]);
  expect(run.stdout).toMatch(/✓ staging-eu-west-1: planned [1-9]\d* to add/);
  expect(run.stdout).toContain("– staging-audit: skipped, unchanged since ");
  expect(run.stdout).toContain("(1 planned, 1 skipped as unchanged; --force plans them all)");
}, 300_000);

test("a failed stack is not recorded as done and is planned again on the next run; --force plans a recorded stack", () => {
  expect(fs.existsSync(recordFile("staging-audit"))).toBe(true);
  fs.writeFileSync(failMarker, "staging-audit");
  const failed = preview(["staging-audit", "--force"], { LAMBDA_KMS_CONFIG: changedConfig });
  fs.rmSync(failMarker);
  expect(failed.status).toBe(1);
  expect(commands(failed, "staging-audit")).toEqual(["plan"]);
  expect(failed.stdout).toContain("[1/1] ✗ staging-audit: failed");
  expect(failed.stdout).toMatch(/\n {2}staging-audit\s+failed\s+[\d.]+ s\n/);
  expect(failed.stdout).toContain("injected failure of the plan");
  expect(failed.stderr).toBe("preview failed for 1 of 1 stacks: staging-audit (they are planned again next time)\n");
  expect(fs.existsSync(recordFile("staging-audit"))).toBe(false);

  const retried = preview([], { LAMBDA_KMS_CONFIG: changedConfig });
  expect(retried.stderr).toBe("");
  expect(retried.status).toBe(0);
  expect(commands(retried, "staging-audit")).toEqual(["plan"]);
  expect(commands(retried, "staging-eu-west-1")).toEqual([]);
  expect(retried.stdout).toMatch(/✓ staging-audit: planned [1-9]\d* to add/);
  expect(fs.existsSync(recordFile("staging-audit"))).toBe(true);
}, 300_000);

test.each([
  [["--jobs", "0"], {}, '--jobs must be a positive integer (the number of stacks planned at once), got "0"'],
  [["--jobs", "two"], {}, '--jobs must be a positive integer (the number of stacks planned at once), got "two"'],
  [["--jobs=1.5"], {}, '--jobs must be a positive integer (the number of stacks planned at once), got "1.5"'],
  [[], { LAMBDA_KMS_PREVIEW_JOBS: "-3" }, 'LAMBDA_KMS_PREVIEW_JOBS must be a positive integer (the number of stacks planned at once), got "-3"'],
])("a bad number of jobs (%j, env %j) is a usage error with exit status 2, before anything runs", (args, env, message) => {
  const run = preview(args, env);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(message);
  expect(run.stderr).toContain("usage: npm run preview -- [<stack>…] [--jobs N] [--force]");
  expect(run.stdout).toBe("");
  expect(run.terraform).toEqual([]);
});

test("fails with exit status 2 and the list of stacks when a stack name is unknown", () => {
  const run = preview(["staging-eu-west-2"]);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(`no stack staging-eu-west-2 in ${configFile}; its stacks are staging-audit, staging-eu-west-1\n`);
  expect(run.terraform).toEqual([]);
}, 120_000);
