/**
 * The compiled app reuses the output of accounts whose inputs did not change
 * since its last synth into the same folder (stacks/account-reuse.ts), and
 * the output is the same bytes as a synth of every account.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../config/load-config";
import { SYNTH_REUSE_ENV, reuseFolder } from "../../stacks/account-reuse";
import { snapshot } from "../support/output-folder";
import { DEFAULT_DOCUMENT, Json, REPO } from "../support/stack-config";

const MAIN = path.join(REPO, "dist", "main.js");
const NOTHING_REUSED = "reused the output";

let tmp: string;
let configFile: string;
let outdir: string;
let kept: string;
let document: Json;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "account-reuse-"));
  configFile = path.join(tmp, "config.json");
  outdir = path.join(tmp, "cdktf.out");
  kept = reuseFolder(outdir, REPO)!;
  // The functions' code in folders of the test's own, so that a test can change it.
  document = structuredClone(DEFAULT_DOCUMENT);
  for (const fn of document.functions) {
    const copy = path.join(tmp, "code", fn.name);
    fs.cpSync(path.resolve(REPO, "config", fn.codeDirectory), copy, { recursive: true });
    fn.codeDirectory = copy;
  }
  writeConfig();
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(kept, { recursive: true, force: true });
});

function writeConfig(): void {
  fs.writeFileSync(configFile, JSON.stringify(document, null, 2));
}

function synth(env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["CDKTF_CONTEXT_JSON", "LAMBDA_KMS_STACK_TRACES", SYNTH_REUSE_ENV]) delete childEnv[name];
  Object.assign(childEnv, { CDKTF_OUTDIR: outdir, LAMBDA_KMS_CONFIG: configFile, CHECKPOINT_DISABLE: "1" }, env);
  const result = spawnSync(process.execPath, [MAIN], { cwd: REPO, env: childEnv, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Synthesizes, expecting success; returns what it printed. */
function synthOk(env: NodeJS.ProcessEnv = {}): string {
  const result = synth(env);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout;
}

function reusedLine(reused: number, synthesized: string[] = []): string {
  const fresh = synthesized.length > 0 ? `; synthesized ${synthesized.join(", ")}` : "";
  return `reused the output of ${reused} of 2 accounts, unchanged since the last synth${fresh} (${SYNTH_REUSE_ENV}=off synthesizes every account)`;
}

/** The output of a synth of every account (the reuse off) into the same folder. */
function fullSynthSnapshot(): Record<string, string> {
  expect(synthOk({ [SYNTH_REUSE_ENV]: "off" })).not.toContain(NOTHING_REUSED);
  return snapshot(outdir);
}

test("a synth with nothing changed reuses every account, writes the same bytes and keeps Terraform's working files", () => {
  expect(synthOk()).not.toContain(NOTHING_REUSED);
  const first = snapshot(outdir);
  const terraformFile = path.join(outdir, "stacks", "staging-audit", ".terraform", "terraform.tfstate");
  fs.mkdirSync(path.dirname(terraformFile), { recursive: true });
  fs.writeFileSync(terraformFile, "{}");

  expect(synthOk()).toContain(reusedLine(2));
  expect(fs.readFileSync(terraformFile, "utf8")).toBe("{}");
  fs.rmSync(path.dirname(terraformFile), { recursive: true });
  expect(snapshot(outdir)).toEqual(first);
  expect(fullSynthSnapshot()).toEqual(first);
});

test("a changed account entry synthesizes that account only, and the output is that of a synth of every account", () => {
  synthOk();
  const before = snapshot(outdir);
  document.accounts.find((account: Json) => account.name === "production").tags = { CostCentre: "4711" };
  writeConfig();

  expect(synthOk()).toContain(reusedLine(1, ["production"]));
  const reused = snapshot(outdir);
  expect(reused["stacks/production-eu-west-1/cdk.tf.json"]).not.toBe(before["stacks/production-eu-west-1/cdk.tf.json"]);
  expect(reused["stacks/staging-eu-west-1/cdk.tf.json"]).toBe(before["stacks/staging-eu-west-1/cdk.tf.json"]);
  expect(fullSynthSnapshot()).toEqual(reused);
});

test.each([
  ["a file of a function's code folder", () => fs.appendFileSync(path.join(document.functions[0].codeDirectory, "index.js"), "\n// changed\n")],
  [
    "a shared setting of the configuration",
    () => {
      document.functions[0].memorySize = 512;
      writeConfig();
    },
  ],
  ["cdktf's context in the environment", () => ({ CDKTF_CONTEXT_JSON: "{}" })],
  ["the stack traces switch", () => ({ LAMBDA_KMS_STACK_TRACES: "1" })],
])("a change of %s synthesizes every account", (_what, change: () => NodeJS.ProcessEnv | void) => {
  synthOk();
  const env = change() ?? {};
  expect(synthOk(env)).not.toContain(NOTHING_REUSED);
  // The next synth with the same inputs reuses them again.
  expect(synthOk(env)).toContain(reusedLine(2));
});

test("an output file edited or removed since the last synth makes its account be synthesized again, with the same bytes", () => {
  synthOk();
  const first = snapshot(outdir);
  fs.appendFileSync(path.join(outdir, "stacks", "production-eu-west-1", "cdk.tf.json"), " ");
  expect(synthOk()).toContain(reusedLine(1, ["production"]));
  expect(snapshot(outdir)).toEqual(first);

  const asset = Object.keys(first).find((file) => file.startsWith("stacks/staging-eu-west-1/assets/"))!;
  fs.rmSync(path.join(outdir, asset));
  expect(synthOk()).toContain(reusedLine(1, ["staging"]));
  expect(snapshot(outdir)).toEqual(first);
});

test("a kept access report part that does not have its recorded size is not used", () => {
  synthOk();
  const first = snapshot(outdir);
  fs.truncateSync(path.join(kept, "staging.access.json.part"), 100);
  expect(synthOk()).toContain(reusedLine(1, ["staging"]));
  expect(snapshot(outdir)).toEqual(first);
});

test("what is kept is in node_modules/.cache, a record and the two access report parts per account; nothing goes beside the output", () => {
  synthOk();
  expect(kept.startsWith(path.join(REPO, "node_modules", ".cache", "cdktf-lambda-kms", "synth-reuse") + path.sep)).toBe(true);
  expect(fs.readdirSync(tmp).sort()).toEqual(["cdktf.out", "code", "config.json"]);
  fs.writeFileSync(path.join(kept, "gone.json"), "{}");
  fs.writeFileSync(path.join(kept, "gone.access.json.part"), "");
  synthOk();
  expect(fs.readdirSync(kept).sort()).toEqual([
    "OUTDIR",
    "production.access.json.part",
    "production.access.md.part",
    "production.json",
    "staging.access.json.part",
    "staging.access.md.part",
    "staging.json",
  ]);
});

test("what was kept for an output folder that no longer exists is removed by the next synth", () => {
  synthOk();
  const other = outdir;
  outdir = path.join(tmp, "other.out");
  synthOk();
  expect(fs.existsSync(kept)).toBe(true);
  fs.rmSync(other, { recursive: true });
  synthOk();
  expect(fs.existsSync(kept)).toBe(false);
  fs.rmSync(reuseFolder(outdir, REPO)!, { recursive: true });
});

test("a reuse folder that cannot be written does not fail the synth: a warning, and the next synth synthesizes every account", () => {
  fs.mkdirSync(path.dirname(kept), { recursive: true });
  fs.writeFileSync(kept, "not a folder");
  const first = synth();
  expect(first.status).toBe(0);
  expect(first.stderr).toContain(`warning: the output could not be kept for reuse in ${kept}`);
  expect(first.stderr).toContain(`the next synth synthesizes every account (${SYNTH_REUSE_ENV}=off keeps nothing)`);
  expect(fs.readdirSync(tmp).sort()).toEqual(["cdktf.out", "code", "config.json"]);
  expect(synth().stdout).not.toContain(NOTHING_REUSED);
});

test(`a bad ${SYNTH_REUSE_ENV} is refused, naming the variable, the value and what it takes, before anything is written`, () => {
  const result = synth({ [SYNTH_REUSE_ENV]: "yes" });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`${SYNTH_REUSE_ENV} must be "on" or "off" ("off" synthesizes every account again), got "yes"`);
  expect(fs.existsSync(outdir)).toBe(false);
});

test("a synth that fails in one account after another was reused leaves the output and what is kept as they were", async () => {
  const { synthesizeApp } = (await import(path.join(REPO, "dist", "stacks", "synthesize-app.js"))) as typeof import("../../stacks/synthesize-app");
  const config = loadConfig(configFile);
  const reusable = { keepAccessResults: false, reuseUnchangedAccounts: true } as const;
  await synthesizeApp(config, outdir, reusable);
  const output = snapshot(outdir);
  const keptFiles = snapshot(kept);

  // Staging comes first and is reused; production's key policy is over KMS's size limit, which only its synth finds.
  const admins = Array.from({ length: 1000 }, (_, i) => `arn:aws:iam::222222222222:user/user-${i}`);
  const failing = { ...config, accounts: config.accounts.map((a) => (a.name === "production" ? { ...a, keyAdministratorArns: admins } : a)) };
  await expect(synthesizeApp(failing, outdir, reusable)).rejects.toThrow(/key policy is \d+ bytes, over the 32768-byte limit/);

  expect(snapshot(outdir)).toEqual(output);
  expect(snapshot(kept)).toEqual(keptFiles);
  expect(fs.readdirSync(tmp).sort()).toEqual(["cdktf.out", "code", "config.json"]);
  expect((await synthesizeApp(config, outdir, reusable)).reusedAccounts).toEqual(["staging", "production"]);
});

test("nothing is reused when the results must come back, nor with extendStacks", async () => {
  // The compiled synth, as the app runs it: the reuse is off when running from the TypeScript sources.
  const { synthesizeApp } = (await import(path.join(REPO, "dist", "stacks", "synthesize-app.js"))) as typeof import("../../stacks/synthesize-app");
  const config = loadConfig(configFile);
  const reusable = { keepAccessResults: false, reuseUnchangedAccounts: true } as const;
  await synthesizeApp(config, outdir, reusable);
  expect((await synthesizeApp(config, outdir, reusable)).reusedAccounts).toEqual(["staging", "production"]);
  expect((await synthesizeApp(config, outdir, { reuseUnchangedAccounts: true })).reusedAccounts).toEqual([]);
  expect((await synthesizeApp(config, outdir, { ...reusable, extendStacks: () => undefined })).reusedAccounts).toEqual([]);
});
