/**
 * Reading Terraform's own error messages back from the capture logs of
 * `npm run deploy/diff/destroy` (the cdktf CLI loses them), and the check
 * that stops a command before Terraform would prompt for a variable.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  exitCodeOf,
  explainFailures,
  formatCaptureFooter,
  formatCaptureHeader,
  formatMissingVariables,
  missingRequiredVariables,
  parseCapturedRun,
  printedDiagnostics,
  readCapturedRuns,
} from "../../tooling/terraform-failures";

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "terraform-failures-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What `terraform destroy` prints when prevent_destroy stops it (Terraform 1.11, colours on). */
const PREVENT_DESTROY_OUTPUT = [
  "\x1b[0m\x1b[1maws_kms_key.audit_key_0A822D18: Refreshing state... [id=3d4f]\x1b[0m",
  "Terraform planned the following actions, but then encountered a problem:",
  "\x1b[31m╷\x1b[0m\x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mInstance cannot be destroyed\x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0m\x1b[0m  on cdk.tf.json line 285, in resource.aws_kms_key:",
  '\x1b[31m│\x1b[0m \x1b[0m 285:       "audit_key_0A822D18": \x1b[4m{\x1b[0m\x1b[0m',
  "\x1b[31m│\x1b[0m \x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0mResource aws_kms_key.audit_key_0A822D18 has lifecycle.prevent_destroy set,",
  "\x1b[31m│\x1b[0m \x1b[0mbut the plan calls for this resource to be destroyed.",
  "\x1b[31m╵\x1b[0m\x1b[0m",
  "\x1b[31m╷\x1b[0m\x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mInstance cannot be destroyed\x1b[0m",
  "\x1b[31m│\x1b[0m \x1b[0mResource aws_s3_bucket.audit_bucket_95DA8A96 has lifecycle.prevent_destroy",
  "\x1b[31m│\x1b[0m \x1b[0mset, but the plan calls for this resource to be destroyed.",
  "\x1b[31m╵\x1b[0m\x1b[0m",
  "",
].join("\r\n");

function capturedLog(cwd: string, args: string[], output: string, exitCode?: number): string {
  return formatCaptureHeader(cwd, args) + output + (exitCode === undefined ? "" : formatCaptureFooter(exitCode));
}

describe("parseCapturedRun", () => {
  test("reads the folder, the arguments, the exit code and the output without colour codes", () => {
    const run = parseCapturedRun(capturedLog("/out/stacks/staging-audit", ["destroy", "-auto-approve"], PREVENT_DESTROY_OUTPUT, 1));
    expect(run).toEqual({ cwd: "/out/stacks/staging-audit", args: ["destroy", "-auto-approve"], exitCode: 1, output: expect.any(String) });
    expect(run?.output).not.toContain("\x1b");
    expect(run?.output).not.toContain("\r");
    expect(run?.output).toContain("Resource aws_kms_key.audit_key_0A822D18 has lifecycle.prevent_destroy set,");
  });

  test("has no exit code when the run was killed before its footer was written", () => {
    expect(parseCapturedRun(capturedLog("/x", ["apply"], "Applying...\n"))?.exitCode).toBeUndefined();
  });

  test("ignores a file that is not a capture log", () => {
    expect(parseCapturedRun("some other file\n")).toBeUndefined();
  });
});

test("printedDiagnostics takes each boxed diagnostic whole, with its severity and summary", () => {
  const run = parseCapturedRun(capturedLog("/x", ["destroy"], PREVENT_DESTROY_OUTPUT, 1));
  const diagnostics = printedDiagnostics(run?.output ?? "");
  expect(diagnostics.map((d) => [d.severity, d.summary])).toEqual([
    ["Error", "Instance cannot be destroyed"],
    ["Error", "Instance cannot be destroyed"],
  ]);
  expect(diagnostics[0].text).toBe(
    [
      "Error: Instance cannot be destroyed",
      "",
      "  on cdk.tf.json line 285, in resource.aws_kms_key:",
      ' 285:       "audit_key_0A822D18": {',
      "",
      "Resource aws_kms_key.audit_key_0A822D18 has lifecycle.prevent_destroy set,",
      "but the plan calls for this resource to be destroyed.",
    ].join("\n"),
  );
});

describe("explainFailures", () => {
  test("names the stack and command, repeats Terraform's errors and points at key.preventDestroy in the configuration", () => {
    const run = parseCapturedRun(capturedLog("/out/stacks/staging-audit", ["destroy", "-auto-approve"], PREVENT_DESTROY_OUTPUT, 1));
    const report = explainFailures([run!], { configFile: "/repo/config/my-org.json" });
    expect(report).toMatch(/^terraform destroy failed in stack staging-audit \(exit code 1\)\.\nTerraform said:\n {2}Error: Instance cannot be destroyed\n/);
    expect(report).toContain("  Resource aws_s3_bucket.audit_bucket_95DA8A96 has lifecycle.prevent_destroy");
    expect(report).toContain("What to do:\n  aws_kms_key.audit_key_0A822D18, aws_s3_bucket.audit_bucket_95DA8A96 have prevent_destroy.");
    expect(report).toContain('set "preventDestroy": false under "key" in /repo/config/my-org.json');
  });

  test("names the TF_VAR_ variable to set and quotes the variable's description from the stack", () => {
    const stackDir = path.join(tmp, "stacks", "staging-eu-west-1");
    fs.mkdirSync(stackDir, { recursive: true });
    fs.writeFileSync(
      path.join(stackDir, "cdk.tf.json"),
      JSON.stringify({ variable: { secret_db_value: { description: "Value of the Secrets Manager secret db.", sensitive: true, ephemeral: true } } }),
    );
    const run = parseCapturedRun(capturedLog(stackDir, ["plan", "-input=false"], formatMissingVariables(["secret_db_value"]), 1));
    const report = explainFailures([run!], { configFile: "/c.json" });
    expect(report).toContain("terraform plan failed in stack staging-eu-west-1 (exit code 1).");
    expect(report).toContain('  The root module input variable "secret_db_value" is not set, and has no default value.');
    expect(report).toContain("What to do:\n  Set TF_VAR_secret_db_value before you run it again");
    expect(report).toContain(": Value of the Secrets Manager secret db.");
  });

  test("shows the last lines of a failed run that printed no diagnostic box, and says nothing about runs that passed", () => {
    const passed = parseCapturedRun(capturedLog("/out/stacks/a", ["init"], "Terraform has been successfully initialized!\n", 0));
    const failed = parseCapturedRun(capturedLog("/out/stacks/b", ["apply"], "line 1\nsegmentation fault\n", 2));
    const report = explainFailures([passed!, failed!], { configFile: "/c.json" });
    expect(report).toBe("terraform apply failed in stack b (exit code 2).\nTerraform said (last lines):\n  line 1\n  segmentation fault");
  });

  test("is empty when every run passed", () => {
    expect(explainFailures([parseCapturedRun(capturedLog("/a", ["apply"], "ok\n", 0))!], { configFile: "/c.json" })).toBe("");
  });
});

test("readCapturedRuns reads every log of a folder in the order the runs started", () => {
  const dir = path.join(tmp, "logs");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "00000000000000000002-1.log"), capturedLog("/s/b", ["apply"], "", 0));
  fs.writeFileSync(path.join(dir, "00000000000000000001-1.log"), capturedLog("/s/a", ["init"], "", 0));
  fs.writeFileSync(path.join(dir, "notes.txt"), "not a log");
  expect(readCapturedRuns(dir).map((run) => run.cwd)).toEqual(["/s/a", "/s/b"]);
  expect(readCapturedRuns(path.join(tmp, "missing"))).toEqual([]);
});

test("exitCodeOf reports a child's exit code, or 128 + the signal's number as a shell does", () => {
  expect(exitCodeOf(0, null)).toBe(0);
  expect(exitCodeOf(2, null)).toBe(2);
  expect(exitCodeOf(null, "SIGTERM")).toBe(143);
  expect(exitCodeOf(null, "SIGINT")).toBe(130);
});

describe("missingRequiredVariables", () => {
  const stack = (name: string, variables: Record<string, unknown>, files: Record<string, string> = {}): string => {
    const dir = path.join(tmp, "variables", name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ variable: variables }));
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    return dir;
  };

  test("lists the variables without default and without TF_VAR_ value or -var argument, for plan, apply and destroy", () => {
    const dir = stack("basic", { seed_a: { sensitive: true }, seed_b: {}, with_default: { default: "x" }, from_env: {}, from_arg: {} });
    const env = { TF_VAR_from_env: "set" };
    for (const command of ["plan", "apply", "destroy"]) {
      expect(missingRequiredVariables(dir, [command, "-var=from_arg=1"], env)).toEqual(["seed_a", "seed_b"]);
    }
  });

  test("counts an empty TF_VAR_ value as given, as Terraform does", () => {
    expect(missingRequiredVariables(stack("empty", { seed: {} }), ["apply"], { TF_VAR_seed: "" })).toEqual([]);
  });

  test("checks nothing for commands that need no values, or when values may come from a var file Terraform reads or TF_CLI_ARGS", () => {
    const dir = stack("other", { seed: {} });
    expect(missingRequiredVariables(dir, ["init"], {})).toEqual([]);
    expect(missingRequiredVariables(dir, ["apply", "-var-file=prod.tfvars"], {})).toEqual([]);
    expect(missingRequiredVariables(dir, ["apply"], { TF_CLI_ARGS_apply: "-var=seed=1" })).toEqual([]);
    expect(missingRequiredVariables(dir, ["plan"], { TF_CLI_ARGS: '-var-file="x.tfvars"' })).toEqual([]);
    for (const file of ["terraform.tfvars", "terraform.tfvars.json", "x.auto.tfvars", "x.auto.tfvars.json"]) {
      expect(missingRequiredVariables(stack(`loaded-${file}`, { seed: {} }, { [file]: "" }), ["apply"], {})).toEqual([]);
    }
  });

  test("still checks when a .tfvars file is there that Terraform does not load by itself", () => {
    expect(missingRequiredVariables(stack("not-loaded", { seed: {} }, { "prod.tfvars": "seed = 1" }), ["apply"], {})).toEqual(["seed"]);
  });
});
