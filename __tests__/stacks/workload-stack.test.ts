import * as fs from "fs";
import * as path from "path";
import { TerraformStack, Testing } from "cdktf";
import { AppConfig } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { validateConfig } from "../../config/validate-config";
import { AuditStack } from "../../stacks/audit-stack";
import { addStacks } from "../../stacks/synthesize-app";
import { WorkloadStack } from "../../stacks/workload-stack";
import { DEFAULT_DOCUMENT, defaultConfigDocument as doc, Json, makeStackTestFolder, REPO } from "../support/stack-config";

let tmp: string;
let configFile: string;
let outdir: string;
const appOutdirs: string[] = [];

beforeAll(() => {
  ({ tmp, configFile, outdir } = makeStackTestFolder("workload-stack-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const folder of appOutdirs) fs.rmSync(folder, { recursive: true, force: true });
});

/** A well-formed ciphertext (base64 of 48 bytes) for stacks the default configuration has none for. */
const CIPHERTEXT = Buffer.alloc(48, 7).toString("base64");

/**
 * Fits orders-api's per-stack settings to the stacks it runs in after a test
 * changed the accounts or regions: its encrypted PARTNER_API_KEY gets a
 * ciphertext for exactly those stacks (the default's where there is one, else
 * CIPHERTEXT), and its environmentOverrides keep only the keys of its accounts.
 */
function fitToStacks(document: Json): void {
  const fn = document.functions[0];
  const defaults = DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY;
  const accounts = document.accounts.filter((a: Json) => fn.accounts === undefined || fn.accounts.includes(a.name));
  const stacks: string[] = accounts.flatMap((a: Json) => a.regions.map((region: string) => `${a.name}-${region}`));
  fn.encryptedEnvironment.PARTNER_API_KEY = Object.fromEntries(stacks.map((stack) => [stack, defaults[stack] ?? CIPHERTEXT]));
  const names: string[] = accounts.map((a: Json) => a.name);
  for (const key of Object.keys(fn.environmentOverrides ?? {})) if (!names.includes(key) && !stacks.includes(key)) delete fn.environmentOverrides[key];
}

/** A resource's configuration without cdktf's "//" metadata. */
function withoutMetadata(config: Json): Json {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { "//": _, ...rest } = config;
  return rest;
}

interface Synthesized {
  readonly stacks: TerraformStack[];
  /** Synthesized Terraform JSON by stack name. */
  readonly json: Record<string, Json>;
}

function synthesize(config: AppConfig, finalOutdir = outdir): Synthesized {
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const stacks = addStacks(app, config, finalOutdir);
  const json: Record<string, Json> = {};
  // With validations: a stack that synthesizes but fails a construct check would be useless.
  for (const stack of stacks) json[stack.node.id] = JSON.parse(Testing.synth(stack, true));
  return { stacks, json };
}

function synthesizeDocument(document: Json): Synthesized {
  return synthesize(validateConfig(document, configFile));
}

/** The single resource of a type: its logical id and its configuration. */
function only(json: Json, type: string): { id: string; config: Json } {
  const entries = Object.entries(json.resource?.[type] ?? {});
  expect(entries).toHaveLength(1);
  return { id: entries[0][0], config: entries[0][1] };
}

function resourcesOf(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** The resource of a type whose attribute equals a value. */
function findBy(json: Json, type: string, attribute: string, value: unknown): { id: string; config: Json } {
  const matches = Object.entries(resourcesOf(json, type)).filter(([, config]) => config[attribute] === value);
  expect(matches.map(([id]) => id)).toHaveLength(1);
  return { id: matches[0][0], config: matches[0][1] };
}

/** The workload stacks of the default configuration (the audit stacks are tested in audit-stack.test.ts). */
const STACK_NAMES = ["staging-eu-west-1", "staging-us-east-1", "production-eu-west-1", "production-us-east-1"];
const ALL_STACK_NAMES = ["staging-audit", "staging-eu-west-1", "staging-us-east-1", "production-audit", "production-eu-west-1", "production-us-east-1"];

function workloads(stacks: readonly TerraformStack[]): WorkloadStack[] {
  return stacks.filter((s): s is WorkloadStack => s instanceof WorkloadStack);
}

describe("addStacks", () => {
  test("creates per account an audit stack <account>-audit, then one stack per region named <account>-<region>, in config order", () => {
    const { stacks } = synthesizeDocument(doc());
    expect(stacks.map((s) => s.node.id)).toEqual(ALL_STACK_NAMES);
    for (const stack of stacks) expect(stack).toBeInstanceOf(stack.node.id.endsWith("-audit") ? AuditStack : WorkloadStack);
    expect(workloads(stacks).map((s) => s.node.id)).toEqual(STACK_NAMES);
  });

  test("creates a stack for every region of an account", () => {
    const document = doc();
    document.accounts[0].regions = ["eu-west-1", "eu-central-1", "ap-southeast-2"];
    document.accounts.pop();
    document.functions.pop();
    fitToStacks(document);
    const { stacks, json } = synthesizeDocument(document);
    expect(stacks.map((s) => s.node.id)).toEqual(["staging-audit", "staging-eu-west-1", "staging-eu-central-1", "staging-ap-southeast-2"]);
    expect(workloads(stacks).map((s) => json[s.node.id].provider.aws[0].region)).toEqual(["eu-west-1", "eu-central-1", "ap-southeast-2"]);
    // The audit home region defaults to the account's first region, for the audit stack and every workload stack's audit provider.
    expect(json["staging-audit"].provider.aws[0].region).toBe("eu-west-1");
    expect(workloads(stacks).map((s) => json[s.node.id].provider.aws[1])).toEqual(Array(3).fill(expect.objectContaining({ alias: "audit", region: "eu-west-1" })));
  });
});

describe("WorkloadStack provider", () => {
  test("pins the region and the account, and merges default tags with the account's tags; the aliased audit provider is pinned the same way to the audit home region", () => {
    const { json } = synthesizeDocument(doc());
    const stagingTags = [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "staging" } }];
    const productionTags = [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production" } }];
    expect(json["staging-eu-west-1"].provider).toEqual({
      aws: [
        { region: "eu-west-1", allowed_account_ids: ["111111111111"], default_tags: stagingTags },
        { alias: "audit", region: "eu-west-1", allowed_account_ids: ["111111111111"], default_tags: stagingTags },
      ],
    });
    expect(json["production-us-east-1"].provider).toEqual({
      aws: [
        { region: "us-east-1", allowed_account_ids: ["222222222222"], default_tags: productionTags },
        // The audit home region (the account's first region), not the stack's region.
        { alias: "audit", region: "eu-west-1", allowed_account_ids: ["222222222222"], default_tags: productionTags },
      ],
    });
  });

  test("points the audit provider at a configured audit home region", () => {
    const document = doc();
    document.accounts[1].audit.homeRegion = "eu-central-1";
    const { json } = synthesizeDocument(document);
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      expect(json[name].provider.aws[0].region).toBe(name.replace("production-", ""));
      expect(json[name].provider.aws[1]).toMatchObject({ alias: "audit", region: "eu-central-1", allowed_account_ids: ["222222222222"] });
    }
    // The other account keeps its default home region.
    expect(json["staging-us-east-1"].provider.aws[1]).toMatchObject({ alias: "audit", region: "eu-west-1" });
  });

  test("lets an account tag override a default tag of the same name", () => {
    const document = doc();
    document.accounts[1].tags = { Project: "payments-prod", CostCenter: "4711" };
    const { json } = synthesizeDocument(document);
    for (const provider of json["production-eu-west-1"].provider.aws) {
      expect(provider.default_tags).toEqual([{ tags: { Project: "payments-prod", ManagedBy: "cdktf-lambda-kms", CostCenter: "4711" } }]);
    }
    // The other account keeps the default.
    expect(json["staging-eu-west-1"].provider.aws[0].default_tags[0].tags.Project).toBe("payments");
  });

  test("assumes a role only where configured, with exactly the fields given", () => {
    const document = doc();
    document.accounts[0].assumeRole = { roleArn: "arn:aws:iam::111111111111:role/terraform-deploy" };
    document.accounts[1].assumeRole = {
      roleArn: "arn:aws:iam::222222222222:role/terraform-deploy",
      sessionName: "lambda-kms-ci",
      externalId: "ext-4711",
    };
    const { json } = synthesizeDocument(document);
    for (const provider of json["staging-eu-west-1"].provider.aws) {
      expect(provider.assume_role).toEqual([{ role_arn: "arn:aws:iam::111111111111:role/terraform-deploy" }]);
    }
    const productionAssumeRole = [{ role_arn: "arn:aws:iam::222222222222:role/terraform-deploy", session_name: "lambda-kms-ci", external_id: "ext-4711" }];
    const productionTags = [{ tags: { Project: "payments", ManagedBy: "cdktf-lambda-kms", Environment: "production" } }];
    expect(json["production-us-east-1"].provider.aws).toEqual([
      { region: "us-east-1", allowed_account_ids: ["222222222222"], assume_role: productionAssumeRole, default_tags: productionTags },
      { alias: "audit", region: "eu-west-1", allowed_account_ids: ["222222222222"], assume_role: productionAssumeRole, default_tags: productionTags },
    ]);
  });

  test("has no assume_role block when none is configured", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ALL_STACK_NAMES) {
      expect(json[name].provider.aws.length).toBeGreaterThan(0);
      for (const provider of json[name].provider.aws) expect(provider).not.toHaveProperty("assume_role");
    }
  });

  test("requires the aws provider at exactly 5.100.0", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of ALL_STACK_NAMES) {
      expect(json[name].terraform.required_providers).toEqual({ aws: { source: "aws", version: "5.100.0" } });
    }
  });
});

describe("WorkloadStack backend", () => {
  test("local: the state path and the workspaces' folder are relative from <outdir>/stacks/<stack> to <state dir>/<stack>.tfstate(.d)", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      expect(json[name].terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate`, workspace_dir: `../../../state/${name}.tfstate.d` } });
      // Resolved from the stack folder, the paths land in the configured state folder, never in the stack folder that synth replaces.
      expect(path.resolve(outdir, "stacks", name, json[name].terraform.backend.local.path)).toBe(path.join(tmp, "state", `${name}.tfstate`));
      expect(path.resolve(outdir, "stacks", name, json[name].terraform.backend.local.workspace_dir)).toBe(path.join(tmp, "state", `${name}.tfstate.d`));
    }
  });

  test("local: the default configuration keeps state in <repo>/terraform-state, outside cdktf.out", () => {
    const { json } = synthesize(loadConfig(DEFAULT_CONFIG_FILE), path.join(REPO, "cdktf.out"));
    expect(json["production-eu-west-1"].terraform.backend).toEqual({
      local: { path: "../../../terraform-state/production-eu-west-1.tfstate", workspace_dir: "../../../terraform-state/production-eu-west-1.tfstate.d" },
    });
  });

  test("local: an output folder elsewhere still points at the same state files", () => {
    const elsewhere = path.join(tmp, "ci", "build", "out");
    const { json } = synthesize(validateConfig(doc(), configFile), elsewhere);
    const statePath = json["staging-us-east-1"].terraform.backend.local.path;
    expect(statePath).toBe("../../../../../state/staging-us-east-1.tfstate");
    expect(path.resolve(elsewhere, "stacks", "staging-us-east-1", statePath)).toBe(path.join(tmp, "state", "staging-us-east-1.tfstate"));
  });

  test("s3: bucket, key <prefix>/<stack>.tfstate, region, encryption, lockfile, lock table, KMS key and role", () => {
    const document = doc();
    document.backend = {
      type: "s3",
      bucket: "acme-terraform-state",
      region: "eu-central-1",
      keyPrefix: "platform/lambda-kms",
      dynamodbTable: "terraform-locks",
      kmsKeyId: "arn:aws:kms:eu-central-1:999999999999:key/0f6f2d0e-1111-2222-3333-444444444444",
      roleArn: "arn:aws:iam::999999999999:role/terraform-state",
    };
    const { json } = synthesizeDocument(document);
    for (const name of STACK_NAMES) {
      expect(json[name].terraform.backend).toEqual({
        s3: {
          bucket: "acme-terraform-state",
          key: `platform/lambda-kms/${name}.tfstate`,
          region: "eu-central-1",
          encrypt: true,
          use_lockfile: true,
          dynamodb_table: "terraform-locks",
          kms_key_id: "arn:aws:kms:eu-central-1:999999999999:key/0f6f2d0e-1111-2222-3333-444444444444",
          assume_role: { role_arn: "arn:aws:iam::999999999999:role/terraform-state" },
        },
      });
    }
  });

  test("s3: the minimal backend gets the default key prefix, encryption and S3-native locking only", () => {
    const document = doc();
    document.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
    const { json } = synthesizeDocument(document);
    expect(json["production-us-east-1"].terraform.backend).toEqual({
      s3: {
        bucket: "acme-terraform-state",
        key: "lambda-kms/production-us-east-1.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  test("s3: useLockfile false leaves use_lockfile out", () => {
    const document = doc();
    document.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1", useLockfile: false, dynamodbTable: "terraform-locks" };
    const { json } = synthesizeDocument(document);
    expect(json["staging-eu-west-1"].terraform.backend).toEqual({
      s3: {
        bucket: "acme-terraform-state",
        key: "lambda-kms/staging-eu-west-1.tfstate",
        region: "eu-west-1",
        encrypt: true,
        dynamodb_table: "terraform-locks",
      },
    });
  });
});

describe("WorkloadStack resources", () => {
  test("puts each function only into the stacks of its target accounts", () => {
    const { stacks, json } = synthesizeDocument(doc());
    const functionNames = (name: string) =>
      Object.values(resourcesOf(json[name], "aws_lambda_function"))
        .map((fn) => fn.function_name)
        .sort();
    expect(functionNames("staging-eu-west-1")).toEqual(["orders-api"]);
    expect(functionNames("staging-us-east-1")).toEqual(["orders-api"]);
    expect(functionNames("production-eu-west-1")).toEqual(["nightly-report", "orders-api"]);
    expect(functionNames("production-us-east-1")).toEqual(["nightly-report", "orders-api"]);
    expect(workloads(stacks).map((s) => s.functions.map((fn) => fn.node.id))).toEqual([
      ["orders-api"],
      ["orders-api"],
      ["orders-api", "nightly-report"],
      ["orders-api", "nightly-report"],
    ]);
  });

  test("a stack whose account has no function and no secret holds the key and its use alarms only", () => {
    const document = doc();
    document.functions[0].accounts = ["production"];
    for (const secret of document.secrets) secret.accounts = ["production"];
    fitToStacks(document);
    const { json } = synthesizeDocument(document);
    expect(Object.keys(json["staging-eu-west-1"].resource).sort()).toEqual(["aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_kms_alias", "aws_kms_key"]);
    expect(Object.keys(json["staging-eu-west-1"].output).sort()).toEqual(["key_aliases", "key_arn"]);
  });

  test("names each execution role <function>-<region>", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      const region = name.replace(/^(staging|production)-/, "");
      const roles = Object.values(resourcesOf(json[name], "aws_iam_role")).map((role) => role.name);
      const expected = name.startsWith("production") ? [`nightly-report-${region}`, `orders-api-${region}`] : [`orders-api-${region}`];
      expect(roles.sort()).toEqual(expected);
    }
  });

  test("sets the permissions boundary arn:aws:iam::<account>:policy/<name> on the functions that ask for it, the bootstrap's boundary on the others", () => {
    const document = doc();
    document.functions[0].permissionsBoundaryPolicyName = "platform-boundary";
    delete document.accounts[0].deployer;
    const { json } = synthesizeDocument(document);
    expect(findBy(json["staging-eu-west-1"], "aws_iam_role", "name", "orders-api-eu-west-1").config.permissions_boundary).toBe(
      "arn:aws:iam::111111111111:policy/platform-boundary",
    );
    expect(findBy(json["production-us-east-1"], "aws_iam_role", "name", "orders-api-us-east-1").config.permissions_boundary).toBe(
      "arn:aws:iam::222222222222:policy/platform-boundary",
    );
    // Production has a bootstrapped deploy role: the roles it creates carry its boundary; staging has none.
    expect(findBy(json["production-us-east-1"], "aws_iam_role", "name", "nightly-report-us-east-1").config.permissions_boundary).toBe(
      "arn:aws:iam::222222222222:policy/payments-deployed-role-boundary",
    );
    document.functions[0].permissionsBoundaryPolicyName = undefined;
    const { json: without } = synthesizeDocument(document);
    expect(findBy(without["staging-eu-west-1"], "aws_iam_role", "name", "orders-api-eu-west-1").config).not.toHaveProperty("permissions_boundary");
  });

  test("uses the region's partition in the permissions boundary ARN", () => {
    const document = doc();
    document.accounts.push({ name: "china", accountId: "333333333333", regions: ["cn-north-1"] });
    document.functions[0].permissionsBoundaryPolicyName = "platform-boundary";
    fitToStacks(document);
    const { json } = synthesizeDocument(document);
    expect(findBy(json["china-cn-north-1"], "aws_iam_role", "name", "orders-api-cn-north-1").config.permissions_boundary).toBe(
      "arn:aws-cn:iam::333333333333:policy/platform-boundary",
    );
  });

  test("builds the key from the key settings and the account's principals", () => {
    const document = doc();
    Object.assign(document.key, { aliases: ["payments-env", "alias/shared/lambda"], rotationPeriodDays: 180, deletionWindowDays: 7, preventDestroy: false });
    const { json } = synthesizeDocument(document);
    const stack = json["production-eu-west-1"];
    const key = only(stack, "aws_kms_key").config;
    expect(key).toMatchObject({
      enable_key_rotation: true,
      rotation_period_in_days: 180,
      deletion_window_in_days: 7,
      lifecycle: { prevent_destroy: false },
      description: "payments: Lambda environment variables and logs in production/eu-west-1",
    });
    const policy = JSON.parse(key.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s: Json) => [s.Sid, s]));
    expect(bySid.EnableIamPoliciesForAccount.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:root"] });
    expect(bySid.KeyAdministration.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:role/platform-key-admin"] });
    expect(bySid.KeyUsage.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:role/incident-responder"] });
    expect(bySid.DeployPipelineConfiguresLambda.Principal).toEqual({ AWS: ["arn:aws:iam::222222222222:role/terraform-deploy"] });
    // No principal of another account leaks into this account's key policy.
    expect(key.policy).not.toContain("111111111111");
    expect(
      Object.values(resourcesOf(stack, "aws_kms_alias"))
        .map((alias) => alias.name)
        .sort(),
    ).toEqual(["alias/payments-env", "alias/shared/lambda"]);
  });

  test("encrypts the environment of a function with the stack's key", () => {
    const { json } = synthesizeDocument(doc());
    const stack = json["staging-us-east-1"];
    const key = only(stack, "aws_kms_key");
    const fn = findBy(stack, "aws_lambda_function", "function_name", "orders-api").config;
    expect(fn.kms_key_arn).toBe(`\${aws_kms_key.${key.id}.arn}`);
    const secret = only(stack, "aws_secretsmanager_secret");
    expect(fn.environment).toEqual({
      variables: {
        SERVICE_NAME: "orders-api",
        LOG_LEVEL: "info",
        API_BASE_URL: "https://api.staging.example.com",
        DB_PASSWORD_SECRET_ARN: `\${aws_secretsmanager_secret.${secret.id}.arn}`,
        WEBHOOK_TOKEN_PARAMETER: "/payments/orders-api/partner-webhook-token",
        PARTNER_API_KEY: DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-us-east-1"],
        LAMBDA_KMS_ENCRYPTED_VARIABLES: "PARTNER_API_KEY",
      },
    });
    expect(findBy(stack, "aws_cloudwatch_log_group", "name", "/aws/lambda/orders-api").config.kms_key_id).toBe(`\${aws_kms_key.${key.id}.arn}`);
  });

  test("outputs the key ARN, the aliases, and each function's ARN and role ARN", () => {
    const { json } = synthesizeDocument(doc());
    const stack = json["production-eu-west-1"];
    const key = only(stack, "aws_kms_key");
    const ordersFn = findBy(stack, "aws_lambda_function", "function_name", "orders-api");
    const ordersRole = findBy(stack, "aws_iam_role", "name", "orders-api-eu-west-1");
    const reportFn = findBy(stack, "aws_lambda_function", "function_name", "nightly-report");
    const reportRole = findBy(stack, "aws_iam_role", "name", "nightly-report-eu-west-1");
    expect(stack.output).toEqual({
      key_arn: { description: "ARN of the workload key", value: `\${aws_kms_key.${key.id}.arn}` },
      key_aliases: { description: "Aliases of the workload key", value: ["alias/payments-lambda-env"] },
      "orders-api_function_arn": { description: "ARN of function orders-api", value: `\${aws_lambda_function.${ordersFn.id}.arn}` },
      "orders-api_role_arn": { description: "Execution role of function orders-api", value: `\${aws_iam_role.${ordersRole.id}.arn}` },
      "nightly-report_function_arn": { description: "ARN of function nightly-report", value: `\${aws_lambda_function.${reportFn.id}.arn}` },
      "nightly-report_role_arn": { description: "Execution role of function nightly-report", value: `\${aws_iam_role.${reportRole.id}.arn}` },
    });
    expect(Object.keys(json["staging-eu-west-1"].output).sort()).toEqual(["key_aliases", "key_arn", "orders-api_function_arn", "orders-api_role_arn"]);
  });

  test("needs no network: no data sources and no references to any", () => {
    const variants: Json[] = [doc()];
    const s3 = doc();
    s3.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1", roleArn: "arn:aws:iam::999999999999:role/terraform-state" };
    s3.accounts[0].assumeRole = { roleArn: "arn:aws:iam::111111111111:role/terraform-deploy" };
    s3.functions[1].permissionsBoundaryPolicyName = "platform-boundary";
    variants.push(s3);
    for (const document of variants) {
      const { json } = synthesizeDocument(document);
      expect(Object.keys(json)).toEqual(ALL_STACK_NAMES);
      for (const name of ALL_STACK_NAMES) {
        expect(json[name]).not.toHaveProperty("data");
        expect(JSON.stringify(json[name])).not.toMatch(/\$\{data\./);
      }
    }
  });
});

/** Account ID and region of a workload stack of the default configuration. */
function envOf(name: string): { accountId: string; region: string } {
  return { accountId: name.startsWith("staging") ? "111111111111" : "222222222222", region: name.replace(/^(staging|production)-/, "") };
}

describe("WorkloadStack secret rotation", () => {
  test("secrets[].rotation rotates the secret with the stack's function, and the key lets that account's role use it for the secret only", () => {
    const document = doc();
    document.secrets[0].rotation = { functionName: "rotate-orders-db", roleName: "rotate-orders-db-role", days: 30 };
    const { json } = synthesizeDocument(document);
    for (const name of STACK_NAMES) {
      const { accountId, region } = envOf(name);
      const stack = json[name];
      const secretId = only(stack, "aws_secretsmanager_secret").id;
      expect(withoutMetadata(only(stack, "aws_secretsmanager_secret_rotation").config)).toEqual({
        secret_id: `\${aws_secretsmanager_secret.${secretId}.id}`,
        rotation_lambda_arn: `arn:aws:lambda:${region}:${accountId}:function:rotate-orders-db`,
        rotation_rules: { automatically_after_days: 30 },
        rotate_immediately: false,
      });
      const policy = JSON.parse(only(stack, "aws_kms_key").config.policy);
      expect(policy.Statement.find((s: Json) => s.Sid === "RotationOfPaymentsOrdersApiDbPassword")).toEqual({
        Sid: "RotationOfPaymentsOrdersApiDbPassword",
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${accountId}:role/rotate-orders-db-role`] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: ["*"],
        Condition: {
          StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` },
          StringLike: { "kms:EncryptionContext:SecretARN": `arn:aws:secretsmanager:${region}:${accountId}:secret:payments/orders-api/db-password-??????` },
        },
      });
    }
  });

  test("without rotation, no rotation resource and no rotation statement", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      expect(resourcesOf(json[name], "aws_secretsmanager_secret_rotation")).toEqual({});
      expect(only(json[name], "aws_kms_key").config.policy).not.toContain("RotationOf");
    }
  });
});

describe("WorkloadStack code signing", () => {
  test("functions[].codeSigning: each stack of the function gets one profile, configuration and bucket named after the project, account and region, and only that function is signed", () => {
    const document = doc();
    document.functions[1].codeSigning = true;
    const { json } = synthesizeDocument(document);
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      const { accountId, region } = envOf(name);
      const stack = json[name];
      expect(only(stack, "aws_signer_signing_profile").config.name).toBe("payments_lambda");
      expect(only(stack, "aws_s3_bucket").config.bucket).toBe(`payments-lambda-code-${accountId}-${region}`);
      const configId = only(stack, "aws_lambda_code_signing_config").id;
      const signed = findBy(stack, "aws_lambda_function", "function_name", "nightly-report").config;
      expect(signed.code_signing_config_arn).toBe(`\${aws_lambda_code_signing_config.${configId}.arn}`);
      expect(signed.filename).toBeUndefined();
      const unsigned = findBy(stack, "aws_lambda_function", "function_name", "orders-api").config;
      expect([unsigned.code_signing_config_arn, typeof unsigned.filename]).toEqual([undefined, "string"]);
      expect(only(stack, "aws_signer_signing_job").config.destination).toEqual({ s3: { bucket: `payments-lambda-code-${accountId}-${region}`, prefix: "signed/nightly-report/" } });
    }
    // staging has no signed function: nothing of code signing.
    for (const name of ["staging-eu-west-1", "staging-us-east-1"]) {
      expect(Object.keys(json[name].resource).filter((type) => /signer|code_signing|s3_/.test(type))).toEqual([]);
    }
  });
});

describe("WorkloadStack secrets and encrypted values", () => {
  const SEED_VARIABLE = "secret_payments_orders_api_db_password_value";
  const PARAMETER_NAME = "/payments/orders-api/partner-webhook-token";
  const CIPHERTEXTS: Record<string, string> = DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY;

  test("creates each secret in every stack of its accounts, encrypted with that stack's workload key, with no value in the JSON", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      const stack = json[name];
      const keyArn = `\${aws_kms_key.${only(stack, "aws_kms_key").id}.arn}`;
      const secret = only(stack, "aws_secretsmanager_secret");
      expect(withoutMetadata(secret.config)).toEqual({
        name: "payments/orders-api/db-password",
        description: "Database password of orders-api",
        kms_key_id: keyArn,
        recovery_window_in_days: 30,
      });
      // Seeded through the write-only attribute from the stack's ephemeral variable.
      expect(withoutMetadata(only(stack, "aws_secretsmanager_secret_version").config)).toEqual({
        secret_id: `\${aws_secretsmanager_secret.${secret.id}.id}`,
        secret_string_wo: `\${var.${SEED_VARIABLE}}`,
        secret_string_wo_version: 1,
      });
      expect(stack.variable).toEqual({
        [SEED_VARIABLE]: {
          type: "string",
          sensitive: true,
          ephemeral: true,
          nullable: false,
          description: `Value of the Secrets Manager secret payments/orders-api/db-password. Supplied at apply time (-var or TF_VAR_${SEED_VARIABLE}); never stored in the plan or the state.`,
        },
      });
      // Not seeded: the non-secret placeholder, written once and then left alone.
      expect(withoutMetadata(only(stack, "aws_ssm_parameter").config)).toEqual({
        name: PARAMETER_NAME,
        description: "Token the partner sends with webhooks",
        type: "SecureString",
        tier: "Standard",
        key_id: keyArn,
        value_wo: "set-out-of-band",
        value_wo_version: 0,
        lifecycle: { ignore_changes: ["value_wo_version", "description", "tier", "key_id"] },
      });
    }
    // The audit stacks hold no secrets.
    for (const name of ["staging-audit", "production-audit"]) {
      expect(Object.keys(json[name].resource).filter((type) => /secretsmanager|ssm/.test(type))).toEqual([]);
      expect(json[name]).not.toHaveProperty("variable");
    }
  });

  test("creates a secret in the stacks of its accounts only, also where no function uses it", () => {
    const document = doc();
    document.secrets[1].accounts = ["production"];
    document.functions[0].secrets = { DB_PASSWORD_SECRET_ARN: "payments/orders-api/db-password" };
    document.functions[1].secrets = { WEBHOOK_TOKEN_PARAMETER: PARAMETER_NAME };
    document.functions[0].accounts = ["production"];
    fitToStacks(document);
    const { json } = synthesizeDocument(document);
    for (const name of ["staging-eu-west-1", "staging-us-east-1"]) {
      // No function here, but the Secrets Manager secret is defined for every account.
      expect(Object.keys(json[name].resource).sort()).toEqual([
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_kms_alias",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
      ]);
    }
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      expect(only(json[name], "aws_ssm_parameter").config.name).toBe(PARAMETER_NAME);
      expect(findBy(json[name], "aws_lambda_function", "function_name", "nightly-report").config.environment).toEqual({
        variables: { WEBHOOK_TOKEN_PARAMETER: PARAMETER_NAME },
      });
    }
  });

  test("gives orders-api exactly its plain variables, the secret references, and this stack's ciphertext", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      const stack = json[name];
      const secret = only(stack, "aws_secretsmanager_secret");
      const fn = findBy(stack, "aws_lambda_function", "function_name", "orders-api").config;
      expect(fn.environment).toEqual({
        variables: {
          SERVICE_NAME: "orders-api",
          LOG_LEVEL: "info",
          // The default configuration's override for the stack's account.
          API_BASE_URL: name.startsWith("staging") ? "https://api.staging.example.com" : "https://api.example.com",
          // The ARN of this stack's secret (a reference), never the value.
          DB_PASSWORD_SECRET_ARN: `\${aws_secretsmanager_secret.${secret.id}.arn}`,
          // The parameter's name, never the value.
          WEBHOOK_TOKEN_PARAMETER: PARAMETER_NAME,
          // The ciphertext made with this stack's key.
          PARTNER_API_KEY: CIPHERTEXTS[name],
          LAMBDA_KMS_ENCRYPTED_VARIABLES: "PARTNER_API_KEY",
        },
      });
      expect(fn.kms_key_arn).toBe(`\${aws_kms_key.${only(stack, "aws_kms_key").id}.arn}`);
    }
    // Four stacks, four different ciphertexts.
    expect(new Set(STACK_NAMES.map((name) => findBy(json[name], "aws_lambda_function", "function_name", "orders-api").config.environment.variables.PARTNER_API_KEY)).size).toBe(4);
    // nightly-report uses neither: no environment at all, so no key on it either.
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      const report = findBy(json[name], "aws_lambda_function", "function_name", "nightly-report").config;
      expect(report).not.toHaveProperty("environment");
      expect(report).not.toHaveProperty("kms_key_arn");
    }
  });

  test("gives orders-api's role exactly: logs, its own environment, read and decrypt of each secret, and decrypt of the helper-encrypted values", () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      const { accountId, region } = envOf(name);
      const stack = json[name];
      const keyArn = `\${aws_kms_key.${only(stack, "aws_kms_key").id}.arn}`;
      const secretArn = `\${aws_secretsmanager_secret.${only(stack, "aws_secretsmanager_secret").id}.arn}`;
      const parameterArn = `arn:aws:ssm:${region}:${accountId}:parameter/payments/orders-api/partner-webhook-token`;
      const role = findBy(stack, "aws_iam_role", "name", `orders-api-${region}`);
      const policy = findBy(stack, "aws_iam_role_policy", "role", `\${aws_iam_role.${role.id}.id}`).config;
      expect(JSON.parse(policy.policy)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "WriteOwnLogStreams",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [`arn:aws:logs:${region}:${accountId}:log-group:/aws/lambda/orders-api:log-stream:*`],
          },
          {
            Sid: "DecryptOwnEnvironment",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${region}:${accountId}:function:orders-api` } },
          },
          {
            Sid: "ReadSecretSecretPaymentsOrdersApiDbPassword",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: [secretArn],
          },
          {
            Sid: "DecryptSecretSecretPaymentsOrdersApiDbPassword",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:EncryptionContext:SecretARN": secretArn, "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
          },
          {
            Sid: "ReadParameterSecretPaymentsOrdersApiPartnerWebhookToken",
            Effect: "Allow",
            Action: ["ssm:GetParameter"],
            Resource: [parameterArn],
          },
          {
            Sid: "DecryptParameterSecretPaymentsOrdersApiPartnerWebhookToken",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:EncryptionContext:PARAMETER_ARN": parameterArn, "kms:ViaService": `ssm.${region}.amazonaws.com` } },
          },
          {
            Sid: "DecryptHelperEncryptedValues",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders-api" } },
          },
          // deadLetterQueue: true in the default configuration: send to its own queue, use the key through SQS only.
          { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [`arn:aws:sqs:${region}:${accountId}:orders-api-dlq`] },
          {
            Sid: "DecryptForDeadLetterQueue",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:ViaService": `sqs.${region}.amazonaws.com` } },
          },
          {
            Sid: "EncryptForDeadLetterQueue",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:ViaService": `sqs.${region}.amazonaws.com` } },
          },
          // tracing: true in the default configuration. X-Ray's write actions have no resource.
          {
            Sid: "WriteTraces",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: ["*"],
          },
        ],
      });
    }
  });

  test('grants nothing on Resource "*" in any role policy but X-Ray\'s write actions, and nightly-report nothing for secrets it does not use', () => {
    const { json } = synthesizeDocument(doc());
    for (const name of STACK_NAMES) {
      const policies = Object.values(resourcesOf(json[name], "aws_iam_role_policy"));
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies) {
        for (const statement of JSON.parse(policy.policy).Statement) {
          if (statement.Sid !== "WriteTraces") expect([statement.Resource].flat()).not.toContain("*");
          else expect(statement.Action).toEqual(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);
          expect(statement).not.toHaveProperty("NotResource");
          expect(statement).not.toHaveProperty("NotAction");
          expect(statement.Effect).toBe("Allow");
        }
      }
    }
    for (const name of ["production-eu-west-1", "production-us-east-1"]) {
      const region = envOf(name).region;
      const role = findBy(json[name], "aws_iam_role", "name", `nightly-report-${region}`);
      const policy = JSON.parse(findBy(json[name], "aws_iam_role_policy", "role", `\${aws_iam_role.${role.id}.id}`).config.policy);
      expect(policy.Statement.map((s: Json) => s.Sid)).toEqual([
        "WriteOwnLogStreams",
        "DecryptOwnEnvironment",
        "SendToDeadLetterQueue",
        "DecryptForDeadLetterQueue",
        "EncryptForDeadLetterQueue",
        "WriteTraces",
      ]);
    }
  });

  test("lets the function start only after its role may read the secrets", () => {
    const { json } = synthesizeDocument(doc());
    const stack = json["production-eu-west-1"];
    const fn = findBy(stack, "aws_lambda_function", "function_name", "orders-api");
    const role = findBy(stack, "aws_iam_role", "name", "orders-api-eu-west-1");
    const policy = findBy(stack, "aws_iam_role_policy", "role", `\${aws_iam_role.${role.id}.id}`);
    expect(fn.config.depends_on).toContain(`aws_iam_role_policy.${policy.id}`);
  });
});

describe("WorkloadStack environment overrides", () => {
  test("gives each stack its merged plain environment: the account's overrides, a stack's winning over them, the rest untouched", () => {
    const document = doc();
    document.functions[0].environmentOverrides = {
      production: { API_BASE_URL: "https://api.example.com", FEATURE_FLAGS: "checkout-v2" },
      "production-us-east-1": { API_BASE_URL: "https://us.api.example.com", LOG_LEVEL: "warn" },
    };
    const { json } = synthesizeDocument(document);
    const ciphertexts: Record<string, string> = DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY;
    /** What every stack of orders-api gets besides the plain variables: secret references and its own ciphertext. */
    const references = (name: string) => ({
      DB_PASSWORD_SECRET_ARN: `\${aws_secretsmanager_secret.${only(json[name], "aws_secretsmanager_secret").id}.arn}`,
      WEBHOOK_TOKEN_PARAMETER: "/payments/orders-api/partner-webhook-token",
      PARTNER_API_KEY: ciphertexts[name],
      LAMBDA_KMS_ENCRYPTED_VARIABLES: "PARTNER_API_KEY",
    });
    const ordersApi = (name: string) => findBy(json[name], "aws_lambda_function", "function_name", "orders-api").config;
    const expected: Record<string, Record<string, string>> = {
      // The account's overrides: one variable replaced, one added.
      "production-eu-west-1": { SERVICE_NAME: "orders-api", LOG_LEVEL: "info", API_BASE_URL: "https://api.example.com", FEATURE_FLAGS: "checkout-v2" },
      // The stack's overrides win over the account's (API_BASE_URL) and over environment (LOG_LEVEL).
      "production-us-east-1": { SERVICE_NAME: "orders-api", LOG_LEVEL: "warn", API_BASE_URL: "https://us.api.example.com", FEATURE_FLAGS: "checkout-v2" },
      // No key for staging: environment as written.
      "staging-eu-west-1": { SERVICE_NAME: "orders-api", LOG_LEVEL: "info" },
    };
    for (const [name, variables] of Object.entries(expected)) {
      const fn = ordersApi(name);
      expect({ name, environment: fn.environment }).toEqual({ name, environment: { variables: { ...variables, ...references(name) } } });
      // Still encrypted with this stack's own key.
      expect(fn.kms_key_arn).toBe(`\${aws_kms_key.${only(json[name], "aws_kms_key").id}.arn}`);
    }
    // Another function of the same stacks is not affected.
    expect(findBy(json["production-us-east-1"], "aws_lambda_function", "function_name", "nightly-report").config).not.toHaveProperty("environment");
  });

  test("the function's own checks run on the merged environment, also for a config that skipped validation", () => {
    const config = validateConfig(doc(), configFile);
    // Mutated after validation, as a program building its AppConfig by hand could.
    (config.functions[0].environmentOverrides as Record<string, Record<string, string>>)["production-us-east-1"] = { DB_PASSWORD: "hunter2-correct-horse" };
    expect(() => synthesize(config)).toThrow('function "orders-api": environment variable "DB_PASSWORD" looks like a secret (its name says it holds a secret)');
  });
});

describe("WorkloadStack key use alarms", () => {
  test("watch the log group of the account's trail and notify its alarm topic, both literal names taken from the audit stack", () => {
    const document = doc();
    document.accounts[1].audit.trailName = "org-kms-audit";
    document.accounts[1].audit.homeRegion = "eu-central-1";
    const { json } = synthesizeDocument(document);
    for (const [account, auditStack, trailName, homeRegion, accountId] of [
      ["staging", "staging-audit", "payments-audit", "eu-west-1", "111111111111"],
      ["production", "production-audit", "org-kms-audit", "eu-central-1", "222222222222"],
    ]) {
      const logGroup = only(json[auditStack], "aws_cloudwatch_log_group").config.name;
      // The alarm topic (the audit stack also has the trail's log delivery topic, <trail>-log-files).
      const topic = Object.values(resourcesOf(json[auditStack], "aws_sns_topic"))
        .map((t) => t.name)
        .find((name) => name.endsWith("-alarms"));
      expect(logGroup).toBe(`/aws/cloudtrail/${trailName}`);
      expect(topic).toBe(`${trailName}-alarms`);
      for (const name of STACK_NAMES.filter((stack) => stack.startsWith(`${account}-`))) {
        const filters = Object.values(resourcesOf(json[name], "aws_cloudwatch_log_metric_filter"));
        expect(filters).toHaveLength(3);
        for (const filter of filters) expect(filter).toMatchObject({ log_group_name: logGroup, provider: "aws.audit" });
        const alarms = Object.values(resourcesOf(json[name], "aws_cloudwatch_metric_alarm"));
        expect(alarms).toHaveLength(3);
        for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([`arn:aws:sns:${homeRegion}:${accountId}:${topic}`]);
      }
    }
  });
});
