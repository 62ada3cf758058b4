/**
 * The generated deployer policy, enforced: Terraform applies a small stack
 * as a role that has nothing but the policy generated for that stack, while
 * the patched moto emulator checks every call against it. With one action
 * taken out, the apply fails with the 403 that names it. (The end-to-end run
 * does the same for every stack of config/local.json.)
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { spawnSync } from "child_process";
import { TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyDocument, PolicyStatement } from "../../modules";
import { stackView } from "../../modules/compliance/stack-view";
import { deployerPolicyDocument } from "../../modules/deployer-policy-document";
import { requireTerraform } from "../../tooling/stack-check";
import { writeOfflineCliConfig } from "../../tooling/offline-terraform";
import { MotoServer, startMoto } from "../support/moto";

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const admin = { region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: "emulator-dummy-secret" }, maxAttempts: 1 };

let moto: MotoServer;
let work: string;
let runs = 0;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "deployer-enforcement-"));
  moto = await startMoto({ patched: true, logFile: path.join(work, "moto.log"), iamLogFile: path.join(work, "iam-enforcement.log") });
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A stack with one log group (retention set: the provider calls PutRetentionPolicy), synthesized; and its generated deployer policy. */
function logGroupStack(name: string): { stackDir: string; policy: PolicyDocument } {
  const stack = new TerraformStack(Testing.app({ outdir: path.join(work, name) }), name);
  new AwsProvider(stack, "aws", {
    region: REGION,
    allowedAccountIds: [ACCOUNT],
    skipMetadataApiCheck: "true",
    skipRegionValidation: true,
    defaultTags: [{ tags: { Project: "deployer-enforcement-test" } }],
    endpoints: [{ logs: moto.endpoint, sts: moto.endpoint, iam: moto.endpoint }],
  });
  new CloudwatchLogGroup(stack, "logs", { name: `/deployer-enforcement/${name}`, retentionInDays: 30 });
  const policy = new PolicyDocument([...deployerPolicyDocument([stackView(stack)]).statements]);
  return { stackDir: path.join(Testing.fullSynth(stack), "stacks", name), policy };
}

async function enforce(on: boolean): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: "POST", body: on ? "0" : "Infinity" });
  expect(response.status).toBe(200);
}

/** Creates a role with `policy` (enforcement off), assumes it, and runs `terraform apply` in `stackDir` with the session under enforcement. */
async function applyAs(policy: PolicyDocument, stackDir: string): Promise<{ status: number | null; output: string }> {
  await enforce(false);
  const roleName = `deployer-${++runs}`;
  const iam = new IAMClient({ ...admin, endpoint: moto.endpoint });
  const sts = new STSClient({ ...admin, endpoint: moto.endpoint });
  try {
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "deployer", PolicyDocument: JSON.stringify(policy.toJSON()) }));
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, RoleSessionName: "test" }));
    await enforce(true);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: work,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_CLI_CONFIG_FILE: writeOfflineCliConfig(work),
      AWS_ACCESS_KEY_ID: Credentials!.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: Credentials!.SecretAccessKey,
      AWS_SESSION_TOKEN: Credentials!.SessionToken,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const terraform = (...args: string[]) => spawnSync(requireTerraform(), [`-chdir=${stackDir}`, ...args, "-input=false", "-no-color"], { env, encoding: "utf8" });
    const init = terraform("init");
    expect(init.status).toBe(0);
    const apply = terraform("apply", "-auto-approve");
    return { status: apply.status, output: `${apply.stdout}${apply.stderr}` };
  } finally {
    await enforce(false);
    iam.destroy();
    sts.destroy();
  }
}

test("with the generated policy alone, Terraform creates the stack while every call is checked", async () => {
  const { stackDir, policy } = logGroupStack("complete");
  const result = await applyAs(policy, stackDir);
  expect(result.output).toContain("Apply complete! Resources: 1 added");
  expect(result.status).toBe(0);
  expect(fs.readFileSync(path.join(work, "iam-enforcement.log"), "utf8")).toMatch(
    /^iam-enforcement: allowed arn:aws:sts::111111111111:assumed-role\/deployer-\d+\/test logs:PutRetentionPolicy$/m,
  );
}, 120_000);

test("without logs:PutRetentionPolicy, the apply fails with the 403 that names the missing action", async () => {
  const { stackDir, policy } = logGroupStack("missing");
  const statements = policy.statements.map(
    (s) => new PolicyStatement({ sid: s.sid, actions: s.actions.filter((a) => a !== "logs:PutRetentionPolicy"), resources: s.resources, conditions: s.conditions }),
  );
  expect(statements.flatMap((s) => s.actions)).not.toContain("logs:PutRetentionPolicy");
  const result = await applyAs(new PolicyDocument(statements), stackDir);
  expect(result.status).toBe(1);
  expect(result.output).toMatch(
    /StatusCode: 403.*AccessDeniedException: User: arn:aws:sts::111111111111:assumed-role\/deployer-\d+\/test is not authorized to perform: logs:PutRetentionPolicy/s,
  );
}, 120_000);
