/**
 * Why `cdktf synth --hcl` is refused (main.ts): cdktf 0.21's HCL conversion
 * of our stacks is rejected by Terraform. This runs that conversion directly
 * (SYNTH_HCL_OUTPUT=true, what `--hcl` sets for the app) on the audit stack
 * and has Terraform validate the result. If a cdktf release ever fixed it,
 * this test fails, and the refusal can go.
 */
import { App } from "cdktf";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../config/load-config";
import { addStacks } from "../../stacks/synthesize-app";
import { requireTerraform, writeOfflineCliConfig } from "../../tooling/stack-check";
import { defaultConfigDocument, restrictToAccounts } from "../support/stack-config";

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hcl-output-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("cdktf's HCL output of the audit stack is refused by terraform init, although cdktf writes it without complaint", () => {
  const configFile = path.join(tmp, "config.json");
  fs.writeFileSync(configFile, JSON.stringify(restrictToAccounts(defaultConfigDocument(), { staging: ["eu-west-1"] })));
  const outdir = path.join(tmp, "out");
  // Each stack's synthesizer reads the variable when the stack is created.
  process.env.SYNTH_HCL_OUTPUT = "true";
  try {
    const app = new App({ outdir });
    addStacks(app, loadConfig(configFile), outdir);
    app.synth();
  } finally {
    delete process.env.SYNTH_HCL_OUTPUT;
  }

  const stackDir = path.join(outdir, "stacks", "staging-audit");
  expect(fs.readdirSync(stackDir)).toContain("cdk.tf");
  const hcl = fs.readFileSync(path.join(stackDir, "cdk.tf"), "utf8");
  // The required_version override comes out as a numbered attribute, and quotes inside a string unescaped.
  expect(hcl).toContain('0 = "required_version"');
  expect(hcl).toContain('($.resources[0].ARN = "${aws_kms_key.');

  const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: writeOfflineCliConfig(tmp) };
  // Terraform already refuses to read the configuration at init.
  const init = spawnSync(requireTerraform(), ["init", "-backend=false", "-input=false", "-no-color"], { cwd: stackDir, env, encoding: "utf8", timeout: 120_000 });
  expect(init.status).toBe(1);
  expect(init.stderr).toContain("Error: Argument or block definition required");
  expect(init.stderr).toContain("Error: Invalid character");
}, 180_000);
