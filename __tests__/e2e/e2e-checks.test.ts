/**
 * Proves the checks of `npm run test:e2e` can fail as well as pass, without
 * a Terraform deploy: each test builds what a deploy would leave behind by
 * hand (a cdk.tf.json, the matching `terraform show -json` and the resources
 * themselves in the patched moto server), then breaks one thing and expects
 * the check to report exactly that.
 *
 * - resolveReferences / DeployedStack (e2e/deployed-stack.ts)
 * - verifyDeployment (e2e/verify-deployment.ts)
 * - verifyTeardown (e2e/verify-teardown.ts)
 * - writeRunConfig (e2e/local-run-config.ts)
 *
 * One patched moto server for the file; the tests that use it reset its
 * state first, so none sees another's resources.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CloudTrailClient, CreateTrailCommand, PutEventSelectorsCommand, StartLoggingCommand, StopLoggingCommand } from "@aws-sdk/client-cloudtrail";
import { CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DisableKeyRotationCommand, EnableKeyRotationCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { AppConfig } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE } from "../../config/load-config";
import { validateConfig } from "../../config/validate-config";
import { DeployedStack, resolveReferences } from "../../e2e/deployed-stack";
import { EmulatorClients } from "../../e2e/emulator-clients";
import { LOCAL_CONFIG_FILE, PIPELINE_USER, RUN_ROTATION_PERIOD_DAYS, writeRunConfig } from "../../e2e/local-run-config";
import { verifyDeployment } from "../../e2e/verify-deployment";
import { verifyTeardown } from "../../e2e/verify-teardown";
import { createDeterministicZip } from "../../modules/deterministic-zip";
import { MotoServer, startMoto } from "../support/moto";
import { Json, REPO } from "../support/stack-config";

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const STACK = `staging-${REGION}`;
const KEY_NAME = "workload-key_X";
const KEY_ADDRESS = `aws_kms_key.${KEY_NAME}`;
/** The account's audit stack (trail, log bucket, alarm topic) and its one key, the audit key. */
const AUDIT_STACK = "staging-audit";
const AUDIT_KEY_ADDRESS = "aws_kms_key.audit_key_A";

let server: MotoServer;
let clients: EmulatorClients;
let tmp: string;
/** The app configuration the checks get: one account (111111111111) in one region (eu-west-1). */
let config: AppConfig;

beforeAll(async () => {
  server = await startMoto({ patched: true });
  clients = new EmulatorClients(server.endpoint);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-checks-test-"));
  config = validateConfig(
    {
      project: "payments",
      emulator: { endpoint: server.endpoint },
      backend: { type: "local", directory: "state" },
      key: { rotationPeriodDays: 365, preventDestroy: false },
      accounts: [
        {
          name: "staging",
          accountId: ACCOUNT,
          regions: [REGION],
          tags: {},
          keyAdministratorArns: [`arn:aws:iam::${ACCOUNT}:role/platform-key-admin`],
          keyUserArns: [],
          deployerArns: [`arn:aws:iam::${ACCOUNT}:role/terraform-deploy`],
        },
      ],
    },
    path.join(tmp, "config.json"),
  );
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The emulator's clients for the test account and region (the access key ID selects the account). */
const kms = () => clients.get(KMSClient, ACCOUNT, REGION);

/** A key policy whose account statement names the account root, as the app writes it. */
function keyPolicy(extraStatements: Json[] = []): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "EnableIamPoliciesForAccount", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }, ...extraStatements],
  });
}

/**
 * A key in moto as Terraform creates the app's workload key: its policy, rotation on with the
 * given period. The provider always sends KeyUsage and KeySpec; moto reports them only when sent.
 */
async function createKey(rotationPeriodInDays = 365): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = await kms().send(
    new CreateKeyCommand({ Description: "e2e-checks test key", Policy: keyPolicy(), KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT" }),
  );
  const keyId = KeyMetadata?.KeyId as string;
  await kms().send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: rotationPeriodInDays }));
  return { keyId, arn: KeyMetadata?.Arn as string };
}

/** The synthesized block of the workload key. */
function keyBlock(rotationPeriodInDays = 365): Json {
  return { "//": { metadata: { path: `${STACK}/workload-key` } }, enable_key_rotation: true, rotation_period_in_days: rotationPeriodInDays, policy: keyPolicy() };
}

interface Stack {
  /** @default STACK (the workload stack staging-eu-west-1) */
  readonly name?: string;
  /** `type` → block name → block, written to cdk.tf.json. */
  readonly resources: Record<string, Record<string, Json>>;
  /** Address → attribute values in state. */
  readonly state: Record<string, Json>;
  readonly outputs?: Record<string, Json>;
}

let stackCount = 0;

/** Writes cdk.tf.json to a fresh folder and builds the DeployedStack from it and the `terraform show -json` document of `stack.state`. */
function deployedStack(stack: Stack): DeployedStack {
  const stackDir = path.join(tmp, `stack-${++stackCount}`);
  fs.mkdirSync(stackDir);
  const synthesized = { provider: { aws: [{ region: REGION }, { alias: "replica", region: "us-east-1" }] }, resource: stack.resources };
  fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(synthesized, null, 2));
  const show = {
    values: {
      root_module: { resources: Object.entries(stack.state).map(([address, values]) => ({ address, mode: "managed", type: address.split(".")[0], values })) },
      outputs: Object.fromEntries(Object.entries(stack.outputs ?? {}).map(([name, value]) => [name, { sensitive: false, value }])),
    },
  };
  return new DeployedStack(stack.name ?? STACK, ACCOUNT, stackDir, show);
}

/** A stack holding only the workload key, created in moto. */
async function keyStack(): Promise<{ stack: DeployedStack; keyId: string; arn: string }> {
  const { keyId, arn } = await createKey();
  const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: keyBlock() } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
  return { stack, keyId, arn };
}

describe("resolveReferences", () => {
  const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const state = new Map<string, Json>([
    ["aws_kms_key.k", { arn: ARN, key_id: "1234abcd-12ab-34cd-56ef-1234567890ab" }],
    ["aws_kms_key.workload-key_7A142891", { arn: `${ARN}-workload`, rotation_period_in_days: 365 }],
  ]);

  test("replaces references inside strings nested in objects and arrays", () => {
    const resolved = resolveReferences(
      {
        kms_key_arn: "${aws_kms_key.k.arn}",
        environment: { variables: { KEY: "id=${aws_kms_key.k.key_id}; arn=${aws_kms_key.k.arn}" } },
        statements: [{ Resource: ["${aws_kms_key.k.arn}", "${aws_kms_key.workload-key_7A142891.arn}"] }, "${aws_kms_key.workload-key_7A142891.rotation_period_in_days}"],
        memory_size: 256,
        publish: false,
        description: null,
      },
      state,
    );
    expect(resolved).toEqual({
      kms_key_arn: ARN,
      environment: { variables: { KEY: `id=1234abcd-12ab-34cd-56ef-1234567890ab; arn=${ARN}` } },
      statements: [{ Resource: [ARN, `${ARN}-workload`] }, "365"],
      memory_size: 256,
      publish: false,
      description: null,
    });
  });

  test('leaves ${var.…} expressions and the "//" metadata key untouched', () => {
    const metadata = { metadata: { path: "staging-eu-west-1/workload-key", note: "${aws_kms_key.k.arn}" } };
    const resolved = resolveReferences({ "//": metadata, value_wo: "${var.secret-db_value}", key: "${aws_kms_key.k.arn}" }, state);
    expect(resolved).toEqual({ "//": metadata, value_wo: "${var.secret-db_value}", key: ARN });
  });

  test("fails when the referenced resource is not in the state", () => {
    expect(() => resolveReferences({ list: ["${aws_kms_key.missing.arn}"] }, state)).toThrow(
      "cannot resolve ${aws_kms_key.missing.arn}: aws_kms_key.missing.arn is not a string in the state",
    );
  });

  test("fails when the referenced attribute is not in the state", () => {
    expect(() => resolveReferences({ nested: { arn: "${aws_kms_key.k.nope}" } }, state)).toThrow("cannot resolve ${aws_kms_key.k.nope}: aws_kms_key.k.nope");
  });
});

describe("DeployedStack", () => {
  test("reads each resource's resolved block, state and provider region, and the outputs", () => {
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`;
    const stack = deployedStack({
      resources: { aws_kms_key: { [KEY_NAME]: keyBlock() }, aws_kms_alias: { alias_A: { name: "alias/payments-lambda-env", target_key_id: `\${${KEY_ADDRESS}.key_id}` } } },
      state: { [KEY_ADDRESS]: { key_id: "k1", arn }, "aws_kms_alias.alias_A": { name: "alias/payments-lambda-env" } },
      outputs: { key_arn: arn },
    });
    expect(stack.resources.map((r) => [r.address, r.type, r.region])).toEqual([
      [KEY_ADDRESS, "aws_kms_key", REGION],
      ["aws_kms_alias.alias_A", "aws_kms_alias", REGION],
    ]);
    expect(stack.ofType("aws_kms_alias")[0].intended.target_key_id).toBe("k1");
    expect(stack.ofType("aws_kms_key")[0].state).toEqual({ key_id: "k1", arn });
    expect(stack.outputs).toEqual({ key_arn: arn });
    expect(stack.keyArn()).toBe(arn);
  });

  test("fails when a stack has two keys", () => {
    const stack = deployedStack({
      resources: { aws_kms_key: { [KEY_NAME]: keyBlock(), other_key_B: keyBlock() } },
      state: {
        [KEY_ADDRESS]: { key_id: "k1", arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1` },
        "aws_kms_key.other_key_B": { key_id: "k2", arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k2` },
      },
    });
    // The stack itself reads fine; only the question "which is the stack's key?" has no answer.
    expect(stack.ofType("aws_kms_key")).toHaveLength(2);
    expect(() => stack.keyArn()).toThrow(
      new Error(`${STACK}: expected exactly one aws_kms_key or aws_kms_replica_key in ${REGION} with an ARN in state, found ${KEY_ADDRESS}, aws_kms_key.other_key_B`),
    );
  });

  test("the stack's key of another region is the key its aliased provider created there (an audit stack's replica key)", () => {
    const home = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`;
    const replica = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k2`;
    const stack = deployedStack({
      resources: { aws_kms_key: { [KEY_NAME]: keyBlock(), replica_key_B: { ...keyBlock(), provider: "aws.replica" } } },
      state: { [KEY_ADDRESS]: { key_id: "k1", arn: home }, "aws_kms_key.replica_key_B": { key_id: "k2", arn: replica } },
    });
    expect([stack.region, stack.keyArn(), stack.keyArn("us-east-1")]).toEqual([REGION, home, replica]);
    expect(() => stack.keyArn("ap-southeast-2")).toThrow(`${STACK}: expected exactly one aws_kms_key or aws_kms_replica_key in ap-southeast-2 with an ARN in state, found none`);
  });

  test("fails when a stack has no key", () => {
    const stack = deployedStack({
      resources: { aws_kms_alias: { alias_A: { name: "alias/payments-lambda-env" } } },
      state: { "aws_kms_alias.alias_A": { name: "alias/payments-lambda-env" } },
    });
    expect(() => stack.keyArn()).toThrow(new Error(`${STACK}: expected exactly one aws_kms_key or aws_kms_replica_key in ${REGION} with an ARN in state, found none`));
  });

  test("fails when the stack's key has no ARN in state", () => {
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: keyBlock() } }, state: { [KEY_ADDRESS]: { key_id: "k1" } } });
    expect(() => stack.keyArn()).toThrow(new Error(`${STACK}: expected exactly one aws_kms_key or aws_kms_replica_key in ${REGION} with an ARN in state, found ${KEY_ADDRESS}`));
  });

  test("fails when a resource of cdk.tf.json is missing from the state", () => {
    expect(() => deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: keyBlock() } }, state: {} })).toThrow(
      `${STACK}: ${KEY_ADDRESS} is in cdk.tf.json but not in the Terraform state after the deploy`,
    );
  });
});

describe("verifyDeployment", () => {
  beforeEach(() => server.reset());

  const LOCKOUT_SAFE = "the lockout-safe statement lets the account root do kms:* on the key, without condition";
  /** How a finding shows [Effect, Principal, Action, Resource, Condition] of an unconditioned statement (no Condition shows as null). */
  const lockoutSafe = (principal: string) => `["Allow",{"AWS":"${principal}"},"kms:*","*",null]`;

  test("passes when the key is as synthesized", async () => {
    const { stack } = await keyStack();
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toEqual([]);
    expect(report.resources).toBe(1);
    expect([...report.verified]).toEqual([`${STACK}/${KEY_ADDRESS}`]);
    expect(report.checks).toBeGreaterThan(0);
  });

  test("fails when rotation is disabled", async () => {
    const { stack, keyId } = await keyStack();
    await kms().send(new DisableKeyRotationCommand({ KeyId: keyId }));
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toContain(`${STACK}/${KEY_ADDRESS}: automatic rotation: expected true, found false`);
  });

  test("fails when the key policy differs", async () => {
    const { stack, keyId } = await keyStack();
    const extra = { Sid: "AllowSomeoneElse", Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "kms:Decrypt", Resource: "*" };
    await kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: keyPolicy([extra]) }));
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(new RegExp(`^${STACK}/${KEY_ADDRESS}: key policy: expected .*, found .*AllowSomeoneElse`));
  });

  test("fails when the key policy's account statement names another principal", async () => {
    const { keyId, arn } = await createKey();
    const foreign = keyPolicy().replace(`arn:aws:iam::${ACCOUNT}:root`, "arn:aws:iam::999999999999:root");
    await kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: foreign }));
    // Synthesized that way too: only the outright assertion can catch it.
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: { ...keyBlock(), policy: foreign } } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toEqual([
      `${STACK}/${KEY_ADDRESS}: key policy: ${LOCKOUT_SAFE}: expected ${lockoutSafe(`arn:aws:iam::${ACCOUNT}:root`)}, found ${lockoutSafe("arn:aws:iam::999999999999:root")}`,
    ]);
  });

  test("fails when the key policy's account statement has a condition", async () => {
    const { keyId, arn } = await createKey();
    const policy = JSON.parse(keyPolicy());
    policy.Statement[0].Condition = { StringEquals: { "aws:PrincipalTag/team": "platform" } };
    const conditioned = JSON.stringify(policy);
    await kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: conditioned }));
    // Synthesized that way too: a condition on the root statement can lock everyone out, and only the outright assertion sees it.
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: { ...keyBlock(), policy: conditioned } } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
    const report = await verifyDeployment(config, [stack], clients);
    const root = `arn:aws:iam::${ACCOUNT}:root`;
    expect(report.failures).toEqual([
      `${STACK}/${KEY_ADDRESS}: key policy: ${LOCKOUT_SAFE}: expected ${lockoutSafe(root)}, found ["Allow",{"AWS":"${root}"},"kms:*","*",{"StringEquals":{"aws:PrincipalTag/team":"platform"}}]`,
    ]);
  });

  test('fails when a key policy statement lists "*" among its AWS principals without a condition', async () => {
    const { keyId, arn } = await createKey();
    const open = { Sid: "OpenDecrypt", Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/reader`, "*"] }, Action: "kms:Decrypt", Resource: "*" };
    await kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: keyPolicy([open]) }));
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: { ...keyBlock(), policy: keyPolicy([open]) } } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toEqual([`${STACK}/${KEY_ADDRESS}: key policy statement OpenDecrypt: a "*" principal needs a condition; found ${JSON.stringify(open)}`]);
  });

  test("fails when a key policy statement has a NotPrincipal", async () => {
    const { keyId, arn } = await createKey();
    const inverted = { Sid: "AllButOne", Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "kms:Decrypt", Resource: "*" };
    await kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: keyPolicy([inverted]) }));
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: { ...keyBlock(), policy: keyPolicy([inverted]) } } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toEqual([`${STACK}/${KEY_ADDRESS}: key policy statement AllButOne: no NotPrincipal; found ${JSON.stringify(inverted)}`]);
  });

  test("fails when the workload key's rotation period is not key.rotationPeriodDays", async () => {
    // Deployed as synthesized (180 days), but the configuration says 365.
    const { keyId, arn } = await createKey(180);
    const stack = deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: keyBlock(180) } }, state: { [KEY_ADDRESS]: { key_id: keyId, arn } } });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toEqual([`${STACK}/${KEY_ADDRESS}: workload key rotation period = key.rotationPeriodDays: expected 365, found 180`]);
  });

  test("fails when a resource type has no check", async () => {
    const { keyId, arn } = await createKey();
    const stack = deployedStack({
      resources: { aws_kms_key: { [KEY_NAME]: keyBlock() }, aws_dynamodb_table: { table_T: { name: "orders" } } },
      state: { [KEY_ADDRESS]: { key_id: keyId, arn }, "aws_dynamodb_table.table_T": { id: "orders" } },
    });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.resources).toBe(2);
    expect(report.failures).toEqual([`${STACK}/aws_dynamodb_table.table_T: no check for resource type aws_dynamodb_table; add one to e2e/verify-deployment.ts`]);
    expect([...report.verified]).toEqual([`${STACK}/${KEY_ADDRESS}`]);
  });

  test("fails when the resource is gone from the emulator", async () => {
    const { stack } = await keyStack();
    await server.reset();
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(new RegExp(`^${STACK}/${KEY_ADDRESS}: reading it back failed: NotFoundException`));
    expect(report.verified.size).toBe(0);
  });

  describe("a Lambda function", () => {
    const FUNCTION_NAME = "orders-api";
    const FUNCTION_ADDRESS = "aws_lambda_function.orders-api_F";
    let codeDir: string;
    let zip: Buffer;

    beforeAll(() => {
      codeDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-checks-code-"));
      fs.writeFileSync(path.join(codeDir, "index.js"), "exports.handler = async () => 'ok';\n");
      zip = createDeterministicZip(codeDir);
    });

    afterAll(() => {
      fs.rmSync(codeDir, { recursive: true, force: true });
    });

    /**
     * The workload key, a role and a function with environment variables, in moto and in the stack.
     * `functionKey`: the function's environment is encrypted with the stack's key (as synthesized, a
     * reference to it), or with another key of the account that the stack does not hold (synthesized
     * as that key's literal ARN, and named by the stack's `key_arn` output: everything agrees with the
     * function except the stack's own aws_kms_key).
     */
    async function functionStack(functionKey: "stack key" | "another key" = "stack key"): Promise<{ stack: DeployedStack; stackKeyArn: string; functionKeyArn: string }> {
      const { keyId, arn } = await createKey();
      const functionKeyArn = functionKey === "stack key" ? arn : (await createKey()).arn;
      const { Role } = await clients.get(IAMClient, ACCOUNT, REGION).send(
        new CreateRoleCommand({
          RoleName: `${FUNCTION_NAME}-${REGION}`,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
        }),
      );
      const variables = { SERVICE_NAME: FUNCTION_NAME, LOG_LEVEL: "info" };
      const created = await clients.get(LambdaClient, ACCOUNT, REGION).send(
        new CreateFunctionCommand({
          FunctionName: FUNCTION_NAME,
          Role: Role?.Arn,
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Code: { ZipFile: zip },
          Environment: { Variables: variables },
          KMSKeyArn: functionKeyArn,
        }),
      );
      const block = {
        function_name: FUNCTION_NAME,
        role: Role?.Arn,
        runtime: "nodejs20.x",
        handler: "index.handler",
        environment: { variables },
        kms_key_arn: functionKey === "stack key" ? `\${${KEY_ADDRESS}.arn}` : functionKeyArn,
        source_code_hash: createHash("sha256").update(zip).digest("base64"),
      };
      const stack = deployedStack({
        resources: { aws_kms_key: { [KEY_NAME]: keyBlock() }, aws_lambda_function: { "orders-api_F": block } },
        state: { [KEY_ADDRESS]: { key_id: keyId, arn }, [FUNCTION_ADDRESS]: { arn: created.FunctionArn, function_name: FUNCTION_NAME } },
        outputs: { key_arn: functionKeyArn },
      });
      return { stack, stackKeyArn: arn, functionKeyArn };
    }

    test("passes when the function's KMSKeyArn is its stack's key", async () => {
      const { stack } = await functionStack();
      const report = await verifyDeployment(config, [stack], clients);
      expect(report.failures).toEqual([]);
      expect([...report.verified].sort()).toEqual([`${STACK}/${KEY_ADDRESS}`, `${STACK}/${FUNCTION_ADDRESS}`]);
    });

    test("fails when the function's KMSKeyArn is not its stack's key", async () => {
      const { stack, stackKeyArn, functionKeyArn } = await functionStack("another key");
      expect(functionKeyArn).not.toBe(stackKeyArn);
      // The function is as synthesized and the key_arn output names its key: only the stack's aws_kms_key tells.
      expect(stack.outputs.key_arn).toBe(functionKeyArn);
      const report = await verifyDeployment(config, [stack], clients);
      expect(report.failures).toEqual([
        `${STACK}/${FUNCTION_ADDRESS}: KMSKeyArn is the stack's key (none without variables): expected "${stackKeyArn}", found "${functionKeyArn}"`,
      ]);
    });
  });

  describe("the audit stack", () => {
    const BUCKET = `payments-audit-logs-${ACCOUNT}`;
    const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
    const TRAIL_NAME = "payments-audit";
    const TRAIL_ADDRESS = "aws_cloudtrail.audit_trail_T";
    const TOPIC_NAME = "payments-audit-alarms";
    const TOPIC_ADDRESS = "aws_sns_topic.audit_alarms_topic_T";
    const BUCKET_ADDRESS = "aws_s3_bucket.audit_bucket_B";
    const BUCKET_POLICY_ADDRESS = "aws_s3_bucket_policy.audit_bucket_policy_P";
    const cloudtrail = () => clients.get(CloudTrailClient, ACCOUNT, REGION);
    /** The client is path-style (forcePathStyle): moto on 127.0.0.1 has no <bucket>.127.0.0.1 names. */
    const s3 = () => clients.get(S3Client, ACCOUNT, REGION);

    /**
     * The audit key (in moto, and in the stack as its one aws_kms_key) plus what `build` creates
     * with the key's ARN: `build` returns those resources' synthesized blocks and state.
     */
    async function auditStack(build: (auditKeyArn: string) => Promise<Pick<Stack, "resources" | "state">>): Promise<{ stack: DeployedStack; auditKeyArn: string }> {
      const { keyId, arn } = await createKey();
      const { resources, state } = await build(arn);
      const stack = deployedStack({
        name: AUDIT_STACK,
        resources: { aws_kms_key: { audit_key_A: keyBlock() }, ...resources },
        state: { [AUDIT_KEY_ADDRESS]: { key_id: keyId, arn }, ...state },
      });
      return { stack, auditKeyArn: arn };
    }

    describe("an aws_cloudtrail", () => {
      /**
       * The trail as the app deploys it: multi-Region, global service events, log file validation,
       * all management events, CloudWatch Logs delivery, logging started (by ARN, as the provider does).
       * `trailKey`: the audit key (synthesized as a reference to it), or another key of the account
       * that the stack does not hold (synthesized as that key's literal ARN).
       */
      async function trailStack(
        trailKey: "audit key" | "another key" = "audit key",
      ): Promise<{ stack: DeployedStack; auditKeyArn: string; trailKeyArn: string; trailArn: string }> {
        let trailKeyArn = "";
        let trailArn = "";
        const built = await auditStack(async (auditKeyArn) => {
          trailKeyArn = trailKey === "audit key" ? auditKeyArn : (await createKey()).arn;
          await s3().send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
          const logGroupName = `/aws/cloudtrail/${TRAIL_NAME}`;
          await clients.get(CloudWatchLogsClient, ACCOUNT, REGION).send(new CreateLogGroupCommand({ logGroupName, kmsKeyId: auditKeyArn }));
          const logGroupArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroupName}:*`;
          const { Role } = await clients.get(IAMClient, ACCOUNT, REGION).send(
            new CreateRoleCommand({
              RoleName: `${TRAIL_NAME}-delivery`,
              AssumeRolePolicyDocument: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "sts:AssumeRole" }],
              }),
            }),
          );
          const created = await cloudtrail().send(
            new CreateTrailCommand({
              Name: TRAIL_NAME,
              S3BucketName: BUCKET,
              IsMultiRegionTrail: true,
              IncludeGlobalServiceEvents: true,
              EnableLogFileValidation: true,
              KmsKeyId: trailKeyArn,
              CloudWatchLogsLogGroupArn: logGroupArn,
              CloudWatchLogsRoleArn: Role?.Arn,
            }),
          );
          trailArn = created.TrailARN as string;
          await cloudtrail().send(new PutEventSelectorsCommand({ TrailName: trailArn, EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] }));
          await cloudtrail().send(new StartLoggingCommand({ Name: trailArn }));
          const block = {
            name: TRAIL_NAME,
            s3_bucket_name: BUCKET,
            is_multi_region_trail: true,
            include_global_service_events: true,
            enable_log_file_validation: true,
            enable_logging: true,
            event_selector: [{ include_management_events: true, read_write_type: "All" }],
            kms_key_id: trailKey === "audit key" ? `\${${AUDIT_KEY_ADDRESS}.arn}` : trailKeyArn,
            cloud_watch_logs_group_arn: logGroupArn,
            cloud_watch_logs_role_arn: Role?.Arn,
          };
          return { resources: { aws_cloudtrail: { audit_trail_T: block } }, state: { [TRAIL_ADDRESS]: { arn: trailArn, name: TRAIL_NAME } } };
        });
        return { ...built, trailKeyArn, trailArn };
      }

      test("passes when the trail logs, multi-Region, validated, encrypted with the audit key", async () => {
        const { stack } = await trailStack();
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([]);
        expect([...report.verified].sort()).toEqual([`${AUDIT_STACK}/${TRAIL_ADDRESS}`, `${AUDIT_STACK}/${AUDIT_KEY_ADDRESS}`]);
      });

      test("fails when the trail is not logging", async () => {
        const { stack, trailArn } = await trailStack();
        await cloudtrail().send(new StopLoggingCommand({ Name: trailArn }));
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([`${AUDIT_STACK}/${TRAIL_ADDRESS}: logging: expected true, found false`]);
      });

      test("fails when the trail's KMS key is not the stack's key", async () => {
        const { stack, auditKeyArn, trailKeyArn } = await trailStack("another key");
        expect(trailKeyArn).not.toBe(auditKeyArn);
        // As synthesized (the block names the other key): only the comparison with the stack's aws_kms_key tells.
        expect(stack.ofType("aws_cloudtrail")[0].intended.kms_key_id).toBe(trailKeyArn);
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([`${AUDIT_STACK}/${TRAIL_ADDRESS}: KMS key is the audit key: expected "${auditKeyArn}", found "${trailKeyArn}"`]);
      });
    });

    describe("an aws_sns_topic", () => {
      /** The alarm topic, encrypted with the audit key (synthesized as a reference to it) or not encrypted at all (no kms_master_key_id in the block). */
      function topicStack(encrypted: boolean): Promise<{ stack: DeployedStack; auditKeyArn: string }> {
        return auditStack(async (auditKeyArn) => {
          const { TopicArn } = await clients
            .get(SNSClient, ACCOUNT, REGION)
            .send(new CreateTopicCommand({ Name: TOPIC_NAME, Attributes: encrypted ? { KmsMasterKeyId: auditKeyArn } : undefined }));
          const block = encrypted ? { name: TOPIC_NAME, kms_master_key_id: `\${${AUDIT_KEY_ADDRESS}.arn}` } : { name: TOPIC_NAME };
          return { resources: { aws_sns_topic: { audit_alarms_topic_T: block } }, state: { [TOPIC_ADDRESS]: { arn: TopicArn, name: TOPIC_NAME } } };
        });
      }

      test("passes when the topic is encrypted with the audit key", async () => {
        const { stack } = await topicStack(true);
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([]);
        expect([...report.verified].sort()).toEqual([`${AUDIT_STACK}/${AUDIT_KEY_ADDRESS}`, `${AUDIT_STACK}/${TOPIC_ADDRESS}`]);
      });

      test("fails when the topic has no KMS key", async () => {
        const { stack, auditKeyArn } = await topicStack(false);
        // Synthesized without a key too: "as synthesized" agrees (nothing = nothing); the outright check must not.
        expect(stack.ofType("aws_sns_topic")[0].intended.kms_master_key_id).toBeUndefined();
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([`${AUDIT_STACK}/${TOPIC_ADDRESS}: KMS key is the audit key: expected "${auditKeyArn}", found nothing`]);
      });
    });

    describe("an aws_s3_bucket_policy", () => {
      /** The log bucket's policy as the app writes it (a TLS deny and CloudTrail's ACL check), or without the TLS deny. */
      function bucketPolicy(tlsDeny: boolean): string {
        const deny = {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: { AWS: ["*"] },
          Action: ["s3:*"],
          Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        };
        const aclCheck = {
          Sid: "AWSCloudTrailAclCheck20150319",
          Effect: "Allow",
          Principal: { Service: ["cloudtrail.amazonaws.com"] },
          Action: ["s3:GetBucketAcl"],
          Resource: [BUCKET_ARN],
          Condition: { StringEquals: { "aws:SourceArn": `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL_NAME}` } },
        };
        return JSON.stringify({ Version: "2012-10-17", Statement: tlsDeny ? [deny, aclCheck] : [aclCheck] });
      }

      /** The log bucket and its policy, in moto and synthesized alike. */
      function bucketStack(tlsDeny: boolean): Promise<{ stack: DeployedStack; auditKeyArn: string }> {
        return auditStack(async () => {
          await s3().send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
          await s3().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: bucketPolicy(tlsDeny) }));
          return {
            resources: {
              aws_s3_bucket: { audit_bucket_B: { bucket: BUCKET } },
              aws_s3_bucket_policy: { audit_bucket_policy_P: { bucket: `\${${BUCKET_ADDRESS}.id}`, policy: bucketPolicy(tlsDeny) } },
            },
            state: { [BUCKET_ADDRESS]: { id: BUCKET, bucket: BUCKET, arn: BUCKET_ARN }, [BUCKET_POLICY_ADDRESS]: { id: BUCKET, bucket: BUCKET } },
          };
        });
      }

      test("passes when the bucket policy denies s3:* without TLS", async () => {
        const { stack } = await bucketStack(true);
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([]);
        expect([...report.verified].sort()).toEqual([`${AUDIT_STACK}/${AUDIT_KEY_ADDRESS}`, `${AUDIT_STACK}/${BUCKET_ADDRESS}`, `${AUDIT_STACK}/${BUCKET_POLICY_ADDRESS}`]);
      });

      test("fails when the bucket policy has no TLS deny", async () => {
        const { stack } = await bucketStack(false);
        const report = await verifyDeployment(config, [stack], clients);
        expect(report.failures).toEqual([`${AUDIT_STACK}/${BUCKET_POLICY_ADDRESS}: TLS-only: denies s3:* without aws:SecureTransport: expected "s3:*", found nothing`]);
      });
    });
  });
});

describe("verifyTeardown", () => {
  beforeEach(() => server.reset());

  test("passes when only a key pending deletion is left", async () => {
    const { keyId } = await createKey();
    await kms().send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const report = await verifyTeardown(config, clients);
    expect(report).toEqual({ keysPendingDeletion: 1, secretsPendingDeletion: 0, leftovers: [] });
  });

  test("fails when a key is not scheduled for deletion", async () => {
    const { keyId } = await createKey();
    const report = await verifyTeardown(config, clients);
    expect(report.keysPendingDeletion).toBe(0);
    expect(report.leftovers).toEqual([`staging (${ACCOUNT}) ${REGION}: KMS key ${keyId} in state Enabled`]);
  });

  test("fails when a log group is left", async () => {
    await clients.get(CloudWatchLogsClient, ACCOUNT, REGION).send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/orders-api" }));
    const report = await verifyTeardown(config, clients);
    expect(report.leftovers).toEqual([`staging (${ACCOUNT}) ${REGION}: log group /aws/lambda/orders-api`]);
  });

  test("counts a secret in its recovery window as pending, and fails when a live secret is left", async () => {
    const secrets = clients.get(SecretsManagerClient, ACCOUNT, REGION);
    await secrets.send(new CreateSecretCommand({ Name: "payments/orders-api/db-password", SecretString: "deleted" }));
    await secrets.send(new DeleteSecretCommand({ SecretId: "payments/orders-api/db-password", RecoveryWindowInDays: 7 }));
    await secrets.send(new CreateSecretCommand({ Name: "payments/orders-api/live", SecretString: "live" }));
    const report = await verifyTeardown(config, clients);
    expect(report.secretsPendingDeletion).toBe(1);
    expect(report.leftovers).toEqual([`staging (${ACCOUNT}) ${REGION}: secret payments/orders-api/live (not scheduled for deletion)`]);
  });

  test("sees only the configured accounts", async () => {
    // A log group in an account the configuration does not name is not this app's.
    await clients.get(CloudWatchLogsClient, "222222222222", REGION).send(new CreateLogGroupCommand({ logGroupName: "/other/account" }));
    expect(await verifyTeardown(config, clients)).toEqual({ keysPendingDeletion: 0, secretsPendingDeletion: 0, leftovers: [] });
  });

  describe("with moto's default account as an extra account", () => {
    /** Where moto serves a request whose access key ID is not a 12-digit account ID. */
    const MOTO_DEFAULT_ACCOUNT = "123456789012";
    let logs: CloudWatchLogsClient;

    beforeEach(async () => {
      // Signed with moto's documented example access key, not an account ID: moto serves it from its default account.
      logs = new CloudWatchLogsClient({
        endpoint: server.endpoint,
        region: REGION,
        credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "emulator-dummy-secret" },
        maxAttempts: 2,
      });
      await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/orders-api" }));
    });

    afterEach(() => logs.destroy());

    test("fails when a log group is left in an unconfigured account that is swept", async () => {
      const report = await verifyTeardown(config, clients, [MOTO_DEFAULT_ACCOUNT]);
      expect(report).toEqual({
        keysPendingDeletion: 0,
        secretsPendingDeletion: 0,
        leftovers: [`unconfigured account (${MOTO_DEFAULT_ACCOUNT}) ${REGION}: log group /aws/lambda/orders-api`],
      });
    });

    test("does not see it without otherAccountIds", async () => {
      expect(await verifyTeardown(config, clients)).toEqual({ keysPendingDeletion: 0, secretsPendingDeletion: 0, leftovers: [] });
    });
  });
});

describe("writeRunConfig", () => {
  const ENDPOINT = "http://127.0.0.1:45678";
  const LOCAL: Json = JSON.parse(fs.readFileSync(LOCAL_CONFIG_FILE, "utf8"));
  let runDir: string;

  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(tmp, "run-"));
  });

  test("writes the run's config.json with the endpoint, credentials from the environment, the CI user as the deploy roles' one trusted principal, its own state folder, the run's rotation period, absolute code paths and the given ciphertexts", () => {
    const ciphertext = randomBytes(186).toString("base64");
    // staging's keys are multi-Region: one ciphertext for the account.
    const returned = writeRunConfig({ endpoint: ENDPOINT, runDir, ciphertexts: { "orders-api": { PARTNER_API_KEY: { staging: ciphertext } } } });

    const written: Json = JSON.parse(fs.readFileSync(path.join(runDir, "config.json"), "utf8"));
    expect(written.emulator).toEqual({ endpoint: ENDPOINT, credentials: "environment" });
    expect(written.accounts.map((a: Json) => a.deployer)).toEqual(
      LOCAL.accounts.map((a: Json) => ({ ...a.deployer, trustedPrincipalArns: [`arn:aws:iam::${a.accountId}:user/${PIPELINE_USER}`] })),
    );
    expect(written.backend).toEqual({ type: "local", directory: path.join(runDir, "state") });
    expect(written.functions.map((fn: Json) => fn.codeDirectory)).toEqual([path.join(REPO, "functions", "orders-api", "dist"), path.join(REPO, "functions", "config-reader")]);
    expect(written.functions[0].encryptedEnvironment.PARTNER_API_KEY).toEqual({ ...LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY, staging: ciphertext });
    expect(ciphertext).not.toBe(LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY.staging);
    // A rotation period other than 365 (AWS's default, and moto's answer when none was sent).
    expect(RUN_ROTATION_PERIOD_DAYS).toBe(180);
    expect(LOCAL.key.rotationPeriodDays).toBe(365);
    expect(written.key).toEqual({ ...LOCAL.key, rotationPeriodDays: 180 });
    // The run's configuration is outside the repository; its code stays in it.
    expect(written.codeRoot).toBe(REPO);
    // Everything else is config/local.json as it is.
    expect({ ...written, codeRoot: undefined, emulator: LOCAL.emulator, backend: LOCAL.backend, key: LOCAL.key, functions: LOCAL.functions, accounts: LOCAL.accounts }).toEqual(
      LOCAL,
    );
    expect(written.accounts.map((a: Json) => ({ ...a, deployer: undefined }))).toEqual(LOCAL.accounts.map((a: Json) => ({ ...a, deployer: undefined })));

    expect(returned.emulator?.endpoint).toBe(ENDPOINT);
    expect(returned.sourceFile).toBe(path.join(runDir, "config.json"));
    expect(returned.backend).toEqual({ type: "local", directory: path.join(runDir, "state"), stateInStackFolder: false });
    expect(returned.key.rotationPeriodDays).toBe(180);
    expect(returned.functions[0].encryptedEnvironment.PARTNER_API_KEY.staging).toBe(ciphertext);
    expect(returned.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"]).toBe(
      LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"],
    );
  });

  test("adds ciphertexts for a function without encryptedEnvironment", () => {
    // nightly-report runs in the production stacks only, and has no encryptedEnvironment in config/local.json.
    expect(LOCAL.functions[1].encryptedEnvironment).toBeUndefined();
    const perStack = { "production-eu-west-1": randomBytes(96).toString("base64"), "production-us-east-1": randomBytes(96).toString("base64") };
    const returned = writeRunConfig({ endpoint: ENDPOINT, runDir, ciphertexts: { "nightly-report": { REPORT_TOKEN: perStack } } });
    expect(returned.functions[1].encryptedEnvironment).toEqual({ REPORT_TOKEN: perStack });
    expect(returned.functions[0].encryptedEnvironment).toEqual(LOCAL.functions[0].encryptedEnvironment);
  });

  test("keeps only the accounts asked for, with what config validation needs pruned (the run's changed account list)", () => {
    const returned = writeRunConfig({ endpoint: ENDPOINT, runDir, accounts: { staging: ["eu-west-1", "us-east-1"] } });
    expect(returned.accounts.map((a) => [a.name, a.regions])).toEqual([["staging", ["eu-west-1", "us-east-1"]]]);
    // nightly-report runs in production only, so it goes; orders-api keeps its staging value only (one for the account: multi-Region keys).
    expect(returned.functions.map((fn) => fn.name)).toEqual(["orders-api"]);
    expect(Object.keys(returned.functions[0].encryptedEnvironment.PARTNER_API_KEY)).toEqual(["staging"]);
    expect(Object.keys(returned.functions[0].environmentOverrides)).toEqual(["staging"]);
    expect(returned.secrets.map((s) => s.accounts)).toEqual([["staging"], ["staging"]]);
  });

  test("fails when the source config has no emulator section", () => {
    const source = path.join(runDir, "default-copy.json");
    fs.copyFileSync(DEFAULT_CONFIG_FILE, source);
    expect(() => writeRunConfig({ endpoint: ENDPOINT, runDir, source })).toThrow(
      `${source} has no "emulator" section: the end-to-end run deploys only to an emulator, never to AWS`,
    );
    expect(fs.existsSync(path.join(runDir, "config.json"))).toBe(false);
  });
});
