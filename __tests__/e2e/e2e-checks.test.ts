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
import { CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DisableKeyRotationCommand, EnableKeyRotationCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AppConfig } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE } from "../../config/load-config";
import { validateConfig } from "../../config/validate-config";
import { DeployedStack, resolveReferences } from "../../e2e/deployed-stack";
import { EmulatorClients } from "../../e2e/emulator-clients";
import { LOCAL_CONFIG_FILE, writeRunConfig } from "../../e2e/local-run-config";
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
    Statement: [
      { Sid: "EnableIamPoliciesForAccount", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
      ...extraStatements,
    ],
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
  const synthesized = { provider: { aws: [{ region: REGION }] }, resource: stack.resources };
  fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(synthesized, null, 2));
  const show = {
    values: {
      root_module: { resources: Object.entries(stack.state).map(([address, values]) => ({ address, mode: "managed", type: address.split(".")[0], values })) },
      outputs: Object.fromEntries(Object.entries(stack.outputs ?? {}).map(([name, value]) => [name, { sensitive: false, value }])),
    },
  };
  return new DeployedStack(STACK, ACCOUNT, stackDir, show);
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

  test("leaves ${var.…} expressions and the \"//\" metadata key untouched", () => {
    const metadata = { metadata: { path: "staging-eu-west-1/workload-key", note: "${aws_kms_key.k.arn}" } };
    const resolved = resolveReferences({ "//": metadata, value_wo: "${var.secret-db_value}", key: "${aws_kms_key.k.arn}" }, state);
    expect(resolved).toEqual({ "//": metadata, value_wo: "${var.secret-db_value}", key: ARN });
  });

  test("fails when the referenced resource is not in the state", () => {
    expect(() => resolveReferences({ list: ["${aws_kms_key.missing.arn}"] }, state)).toThrow("cannot resolve ${aws_kms_key.missing.arn}: aws_kms_key.missing.arn is not a string in the state");
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
  });

  test("fails when a resource of cdk.tf.json is missing from the state", () => {
    expect(() => deployedStack({ resources: { aws_kms_key: { [KEY_NAME]: keyBlock() } }, state: {} })).toThrow(
      `${STACK}: ${KEY_ADDRESS} is in cdk.tf.json but not in the Terraform state after the deploy`,
    );
  });
});

describe("verifyDeployment", () => {
  beforeEach(() => server.reset());

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
      `${STACK}/${KEY_ADDRESS}: key policy: the account statement (lockout-safe) names only the account root: expected {"AWS":"arn:aws:iam::${ACCOUNT}:root"}, found {"AWS":"arn:aws:iam::999999999999:root"}`,
    ]);
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
      resources: { aws_kms_key: { [KEY_NAME]: keyBlock() }, aws_sqs_queue: { queue_Q: { name: "orders" } } },
      state: { [KEY_ADDRESS]: { key_id: keyId, arn }, "aws_sqs_queue.queue_Q": { id: "orders" } },
    });
    const report = await verifyDeployment(config, [stack], clients);
    expect(report.resources).toBe(2);
    expect(report.failures).toEqual([`${STACK}/aws_sqs_queue.queue_Q: no check for resource type aws_sqs_queue; add one to e2e/verify-deployment.ts`]);
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

    /** The workload key, a role and a function whose environment is encrypted with the key; `keyArnOutput` is the stack's `key_arn` output. */
    async function functionStack(keyArnOutput?: string): Promise<DeployedStack> {
      const { keyId, arn } = await createKey();
      const { Role } = await clients.get(IAMClient, ACCOUNT, REGION).send(
        new CreateRoleCommand({
          RoleName: `${FUNCTION_NAME}-${REGION}`,
          AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
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
          KMSKeyArn: arn,
        }),
      );
      const block = {
        function_name: FUNCTION_NAME,
        role: Role?.Arn,
        runtime: "nodejs20.x",
        handler: "index.handler",
        environment: { variables },
        kms_key_arn: `\${${KEY_ADDRESS}.arn}`,
        source_code_hash: createHash("sha256").update(zip).digest("base64"),
      };
      return deployedStack({
        resources: { aws_kms_key: { [KEY_NAME]: keyBlock() }, aws_lambda_function: { "orders-api_F": block } },
        state: { [KEY_ADDRESS]: { key_id: keyId, arn }, [FUNCTION_ADDRESS]: { arn: created.FunctionArn, function_name: FUNCTION_NAME } },
        outputs: { key_arn: keyArnOutput ?? arn },
      });
    }

    test("passes when the function's KMSKeyArn is its stack's key", async () => {
      const stack = await functionStack();
      const report = await verifyDeployment(config, [stack], clients);
      expect(report.failures).toEqual([]);
      expect([...report.verified].sort()).toEqual([`${STACK}/${KEY_ADDRESS}`, `${STACK}/${FUNCTION_ADDRESS}`]);
    });

    test("fails when the function's KMSKeyArn is not its stack's key", async () => {
      const otherKey = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
      const stack = await functionStack(otherKey);
      const keyArn = stack.ofType("aws_kms_key")[0].state.arn;
      const report = await verifyDeployment(config, [stack], clients);
      expect(report.failures).toEqual([`${STACK}/${FUNCTION_ADDRESS}: KMSKeyArn: expected "${otherKey}", found "${keyArn}"`]);
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
});

describe("writeRunConfig", () => {
  const ENDPOINT = "http://127.0.0.1:45678";
  const LOCAL: Json = JSON.parse(fs.readFileSync(LOCAL_CONFIG_FILE, "utf8"));
  let runDir: string;

  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(tmp, "run-"));
  });

  test("writes the run's config.json with the endpoint, its own state folder, absolute code paths and the given ciphertexts", () => {
    const ciphertext = randomBytes(186).toString("base64");
    const returned = writeRunConfig({ endpoint: ENDPOINT, runDir, ciphertexts: { "orders-api": { PARTNER_API_KEY: { "staging-eu-west-1": ciphertext } } } });

    const written: Json = JSON.parse(fs.readFileSync(path.join(runDir, "config.json"), "utf8"));
    expect(written.emulator).toEqual({ endpoint: ENDPOINT });
    expect(written.backend).toEqual({ type: "local", directory: path.join(runDir, "state") });
    expect(written.functions.map((fn: Json) => fn.codeDirectory)).toEqual([path.join(REPO, "functions", "orders-api", "dist"), path.join(REPO, "functions", "config-reader")]);
    expect(written.functions[0].encryptedEnvironment.PARTNER_API_KEY).toEqual({ ...LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY, "staging-eu-west-1": ciphertext });
    expect(ciphertext).not.toBe(LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"]);
    // Everything else is config/local.json as it is.
    expect({ ...written, emulator: LOCAL.emulator, backend: LOCAL.backend, functions: LOCAL.functions }).toEqual(LOCAL);

    expect(returned.emulator?.endpoint).toBe(ENDPOINT);
    expect(returned.sourceFile).toBe(path.join(runDir, "config.json"));
    expect(returned.backend).toEqual({ type: "local", directory: path.join(runDir, "state") });
    expect(returned.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"]).toBe(ciphertext);
    expect(returned.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"]).toBe(LOCAL.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"]);
  });

  test("adds ciphertexts for a function without encryptedEnvironment", () => {
    // nightly-report runs in the production stacks only, and has no encryptedEnvironment in config/local.json.
    expect(LOCAL.functions[1].encryptedEnvironment).toBeUndefined();
    const perStack = { "production-eu-west-1": randomBytes(96).toString("base64"), "production-us-east-1": randomBytes(96).toString("base64") };
    const returned = writeRunConfig({ endpoint: ENDPOINT, runDir, ciphertexts: { "nightly-report": { REPORT_TOKEN: perStack } } });
    expect(returned.functions[1].encryptedEnvironment).toEqual({ REPORT_TOKEN: perStack });
    expect(returned.functions[0].encryptedEnvironment).toEqual(LOCAL.functions[0].encryptedEnvironment);
  });

  test("fails when the source config has no emulator section", () => {
    const source = path.join(runDir, "default-copy.json");
    fs.copyFileSync(DEFAULT_CONFIG_FILE, source);
    expect(() => writeRunConfig({ endpoint: ENDPOINT, runDir, source })).toThrow(`${source} has no "emulator" section: the end-to-end run deploys only to an emulator, never to AWS`);
    expect(fs.existsSync(path.join(runDir, "config.json"))).toBe(false);
  });
});
