/**
 * `cdktf synth` (and so `cdktf deploy`/`diff`, which synthesize the same way)
 * keeps working through cdktf.json, next to the fast `npm run synth` path.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

test("cdktf synth runs the app from cdktf.json and writes every stack", () => {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cdktf-cli-")), "out");
  try {
    const run = spawnSync(path.join(REPO, "node_modules", ".bin", "cdktf"), ["synth", "--output", outdir], {
      cwd: REPO,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", LAMBDA_KMS_CONFIG: "" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("production-eu-west-1");
    const stacks = ["production-audit", "production-eu-west-1", "production-us-east-1", "staging-audit", "staging-eu-west-1", "staging-us-east-1"];
    expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual(stacks);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(stacks);
    // cdktf deploy '*' deploys an account's audit stack before its workload stacks.
    expect(manifest.stacks["staging-eu-west-1"].dependencies).toEqual(["staging-audit"]);
    expect(manifest.stacks["production-us-east-1"].dependencies).toEqual(["production-audit"]);
    expect(manifest.stacks["production-audit"].dependencies).toEqual([]);
    const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "staging-eu-west-1", "cdk.tf.json"), "utf8"));
    expect(Object.keys(json.resource.aws_lambda_function)).toHaveLength(1);
  } finally {
    fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  }
}, 150_000);
