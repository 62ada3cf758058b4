/**
 * The docs (docs/usage.md) promise that an existing pipeline can run plain Terraform in a
 * synthesized stack folder (`terraform -chdir=cdktf.out/stacks/<stack> init|plan`)
 * and that the backend and the code asset work from there. The offline
 * harness swaps the backend for a throw-away one, so this test keeps the
 * stack's own local backend and proves that Terraform reads the state file the
 * configuration names, through the relative path in cdk.tf.json.
 */
import { execFileSync } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../config/load-config";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { OVERRIDE_FILE_NAME, buildOfflineOverride, requireTerraform, writeOfflineCliConfig } from "../../tooling/stack-check";

const REPO = path.resolve(__dirname, "..", "..");
const STACK = "staging-eu-west-1";
const LINEAGE = "pipeline-usage-test-lineage";
/** The ephemeral variable that seeds payments/orders-api/db-password (seedFromVariable in config/default.json). */
const SEED_VARIABLE = "secret_payments_orders_api_db_password_value";
const SEED_PLAINTEXT = `pipeline-usage-test-plaintext-${randomUUID()}`;

let work: string;
let stackDir: string;
let json: { terraform: { backend: { local: { path: string } } }; resource: Record<string, Record<string, Record<string, unknown>>> };
let terraform: (...args: string[]) => string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-usage-"));
  const document = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));
  document.backend = { type: "local", directory: "state" };
  for (const fn of document.functions) fn.codeDirectory = path.join(REPO, "config", fn.codeDirectory);
  document.codeRoot = REPO;
  const configFile = path.join(work, "config.json");
  fs.writeFileSync(configFile, JSON.stringify(document));

  const outdir = path.join(work, "cdktf.out");
  await synthesizeApp(loadConfig(configFile), outdir);
  stackDir = path.join(outdir, "stacks", STACK);
  json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));

  // An existing, empty state with a lineage only this test knows.
  fs.mkdirSync(path.join(work, "state"));
  fs.writeFileSync(
    path.join(work, "state", `${STACK}.tfstate`),
    JSON.stringify({ version: 4, terraform_version: "1.11.4", serial: 1, lineage: LINEAGE, outputs: {}, resources: [], check_results: null }),
  );
  // Dummy credentials only; the backend block is left as synthesized.
  fs.writeFileSync(path.join(stackDir, OVERRIDE_FILE_NAME), JSON.stringify(buildOfflineOverride(json)));

  const binary = requireTerraform();
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: writeOfflineCliConfig(work), CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  // The value is passed with -var below, as a pipeline would; none may come from the environment.
  delete env[`TF_VAR_${SEED_VARIABLE}`];
  terraform = (...args) => execFileSync(binary, [`-chdir=${stackDir}`, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  terraform("init", "-input=false", "-no-color");
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("the backend path in cdk.tf.json is relative, so it resolves the same in any clone of the repository", () => {
  const statePath = json.terraform.backend.local.path;
  expect(path.isAbsolute(statePath)).toBe(false);
  expect(path.resolve(stackDir, statePath)).toBe(path.join(work, "state", `${STACK}.tfstate`));
});

test("terraform -chdir=<stack folder> reads the state file the configuration names", () => {
  const state = JSON.parse(terraform("state", "pull"));
  expect(state.lineage).toBe(LINEAGE);
});

test("terraform -chdir=<stack folder> plan works against that state and finds the code asset", () => {
  const plan = terraform("plan", "-input=false", "-lock=false", "-no-color", "-var", `${SEED_VARIABLE}=${SEED_PLAINTEXT}`);
  // Key + alias, orders-api's role, role policy, log group and function, the key's 3 metric filters + 3 alarms,
  // and the account's secrets: the Secrets Manager secret and the version seeded from the variable, and the SSM parameter.
  expect(plan).toMatch(/Plan: 17 to add, 0 to change, 0 to destroy\./);
  expect(plan).not.toContain(SEED_PLAINTEXT);
  const [lambda] = Object.values(json.resource.aws_lambda_function);
  expect(fs.existsSync(path.join(stackDir, lambda.filename as string))).toBe(true);
  // Plan writes no state: the state file is the one this test wrote.
  expect(JSON.parse(fs.readFileSync(path.join(work, "state", `${STACK}.tfstate`), "utf8")).lineage).toBe(LINEAGE);
}, 60_000);

test("a pipeline must pass the seed variable: without it, plan fails and names it", () => {
  let stderr = "";
  try {
    terraform("plan", "-input=false", "-lock=false", "-no-color");
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr);
  }
  expect(stderr).toContain("No value for required variable");
  expect(stderr).toContain(`"${SEED_VARIABLE}"`);
}, 60_000);
