/**
 * `npm run preview` (node dist/bin/preview.js): terraform init, validate and
 * plan of every stack without AWS credentials, run as a user runs it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveProviderMirror } from "../../tooling/offline-terraform";
import { defaultConfigDocument, restrictToAccounts } from "../support/stack-config";

const REPO = path.resolve(__dirname, "..", "..");
const PREVIEW = path.join(REPO, "dist", "bin", "preview.js");

let tmp: string;
let configFile: string;
/** The child's temporary folder (TMPDIR), to see what it leaves behind. */
let childTmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "preview-test-"));
  configFile = path.join(tmp, "config.json");
  // Without the bootstrap stack: two stacks are enough to show the preview, and each plan takes seconds.
  const document = restrictToAccounts(defaultConfigDocument(), { staging: ["eu-west-1"] });
  delete document.accounts[0].deployer;
  fs.writeFileSync(configFile, JSON.stringify(document));
  childTmp = path.join(tmp, "tmpdir");
  fs.mkdirSync(childTmp);
  fs.writeFileSync(path.join(tmp, "empty.tfrc"), "");
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function preview(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("TF_VAR_")) env[name] = value;
  Object.assign(env, {
    CHECKPOINT_DISABLE: "1",
    LAMBDA_KMS_CONFIG: configFile,
    TF_PROVIDER_MIRROR: resolveProviderMirror(),
    TF_CLI_CONFIG_FILE: path.join(tmp, "empty.tfrc"),
    TMPDIR: childTmp,
    // Credentials that would break the plan if they reached Terraform: a profile that does not exist
    // fails the provider's configuration ("failed to get shared config profile").
    AWS_PROFILE: "does-not-exist",
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "not-a-real-secret",
  });
  const result = spawnSync(process.execPath, [PREVIEW, ...args], { cwd: tmp, env, encoding: "utf8", timeout: 240_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("validates and plans every stack without AWS credentials, with a placeholder for the seed variable, and removes its folder", () => {
  const run = preview([]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    `preview of 2 stacks from ${configFile}: terraform init, validate and plan without AWS credentials, from an empty state; providers from the mirror ${resolveProviderMirror()}`,
  );
  for (const stack of ["staging-audit", "staging-eu-west-1"]) {
    expect(run.stdout).toMatch(new RegExp(`✓ ${stack}\\s+valid · plan: [1-9]\\d* to add, 0 to change, 0 to destroy`));
  }
  expect(run.stdout).toContain("planned with a placeholder for secret_payments_orders_api_db_password_value (no TF_VAR_ value set;");
  expect(run.stdout).toMatch(/2 stacks valid and planned in [\d.]+ s\. Nothing was deployed\.\n$/);
  // The preview's own folder is gone; only synth's shared code-asset cache stays in the temporary folder.
  expect(fs.readdirSync(childTmp).filter((name) => name.startsWith("lambda-kms-preview-"))).toEqual([]);
  expect(fs.readdirSync(tmp).sort()).toEqual(["config.json", "empty.tfrc", "tmpdir"]);
}, 300_000);

test("fails with exit status 2 and the list of stacks when a stack name is unknown", () => {
  const run = preview(["staging-eu-west-2"]);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(`no stack staging-eu-west-2 in ${configFile}; its stacks are staging-audit, staging-eu-west-1\n`);
  expect(fs.readdirSync(childTmp).filter((name) => name.startsWith("lambda-kms-preview-"))).toEqual([]);
}, 120_000);
