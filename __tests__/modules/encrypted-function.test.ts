import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EncryptedFunction, EncryptedFunctionProps, FUNCTION_SETTINGS } from "../../modules/encrypted-function";
import { settingProblem } from "../../modules/private/setting";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";
import { SecretsManagerSecret } from "../../modules/secrets-manager-secret";
import { SecureStringParameter } from "../../modules/secure-string-parameter";
import { ABSENT, onlyResourceOf, referenceTo, resourcesOf } from "../support/matchers";
import { newStack, newStackWithKey, PolicyStatementJson as Statement } from "../support/synth";
import { CLI_CONFIG_FILE_NAME, checkStack, requireTerraform } from "../../tooling/stack-check";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "encrypted-function-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const CODE = path.resolve(__dirname, "../../functions/config-reader");

function setup() {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
}

/** The stack synthesized with validations run (what the matchers take), the key's ARN reference and its parsed policy. */
function synthesize(stack: TerraformStack) {
  const synthesized = Testing.synth(stack, true);
  // Exactly one aws_kms_key: onlyResourceOf throws otherwise.
  const [, kmsKey] = onlyResourceOf(synthesized, KmsKey);
  return {
    synthesized,
    keyArnRef: referenceTo(synthesized, KmsKey, "arn"),
    keyPolicy: JSON.parse(kmsKey.policy as string) as { Statement: Statement[] },
  };
}

function build(props: Partial<EncryptedFunctionProps> = {}) {
  const { stack, key } = setup();
  const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, ...props });
  const synthesized = synthesize(stack);
  // Exactly one function and one log group.
  const [functionId] = onlyResourceOf(synthesized.synthesized, LambdaFunction);
  const [logGroupId] = onlyResourceOf(synthesized.synthesized, CloudwatchLogGroup);
  return { stack, key, fn, functionId, logGroupId, ...synthesized };
}

/** The statements every execution role starts with: write its function's log streams, decrypt its function's environment. */
function ownStatements(keyArnRef: string, functionName = "orders"): Statement[] {
  return [
    {
      Sid: "WriteOwnLogStreams",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${functionName}:log-stream:*`],
    },
    {
      Sid: "DecryptOwnEnvironment",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArnRef],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}` } },
    },
  ];
}

/** The execution role policy as a whole: what toHaveResourceWithExactly compares the synthesized JSON with. */
function rolePolicy(statements: Statement[]) {
  return { Version: "2012-10-17", Statement: statements };
}

function attempt(props: Partial<EncryptedFunctionProps>): () => EncryptedFunction {
  return () => {
    const { stack, key } = setup();
    return new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, ...props });
  };
}

/** The message thrown by `fn`, for assertions on what it must not contain. */
function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error, none was thrown");
}

describe("aws_lambda_function", () => {
  test("with variables: environment and kms_key_arn (the key's ARN reference) are both set", () => {
    const { synthesized, keyArnRef } = build({ environment: { LOG_LEVEL: "info", SERVICE_NAME: "orders" } });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      kms_key_arn: keyArnRef,
      environment: { variables: { LOG_LEVEL: "info", SERVICE_NAME: "orders" } },
    });
  });

  test.each([[undefined], [{}]])("with no variables (%p): neither environment nor kms_key_arn is emitted", (environment) => {
    const { synthesized } = build({ environment });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { environment: ABSENT, kms_key_arn: ABSENT });
  });

  test("defaults are rendered exactly", () => {
    const { synthesized, fn, keyArnRef, logGroupId } = build({ environment: { LOG_LEVEL: "info" } });
    const [rolePolicyId] = onlyResourceOf(synthesized, IamRolePolicy);
    expect(synthesized).toHaveResourceWithExactly(
      LambdaFunction,
      {
        function_name: "orders",
        description: "Managed by cdktf-lambda-kms",
        role: referenceTo(synthesized, IamRole, "arn"),
        handler: "index.handler",
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        memory_size: 256,
        timeout: 10,
        package_type: "Zip",
        filename: expect.stringMatching(/^assets\/[A-Za-z0-9_]+\/[0-9a-f]{64}\/[0-9a-f]{64}\.zip$/),
        source_code_hash: fn.code.sourceCodeHash,
        environment: { variables: { LOG_LEVEL: "info" } },
        kms_key_arn: keyArnRef,
        depends_on: [`aws_cloudwatch_log_group.${logGroupId}`, `aws_iam_role_policy.${rolePolicyId}`],
      },
      { exhaustive: true },
    );
    expect(fn.code.sourceCodeHash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  test("overrides are rendered as given", () => {
    const { synthesized } = build({
      handler: "main.handler",
      runtime: "python3.12",
      memorySize: 1024,
      timeout: 900,
      architecture: "x86_64",
      description: "orders API",
      tags: { team: "orders" },
    });
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      handler: "main.handler",
      runtime: "python3.12",
      memory_size: 1024,
      timeout: 900,
      architectures: ["x86_64"],
      description: "orders API",
      tags: { team: "orders" },
    });
  });

  test.each([
    [128, 1],
    [10240, 900],
  ])("memory %p MB and timeout %p s (the limits) are accepted", (memorySize, timeout) => {
    const { synthesized } = build({ memorySize, timeout });
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, { memory_size: memorySize, timeout });
  });

  test("depends on its log group and its role's policy", () => {
    const { synthesized, logGroupId } = build();
    const [policyId] = onlyResourceOf(synthesized, IamRolePolicy);
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { depends_on: [`aws_cloudwatch_log_group.${logGroupId}`, `aws_iam_role_policy.${policyId}`] });
  });

  test("the execution role is created for this function and key", () => {
    const { synthesized, keyArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(IamRole, { name: "orders-eu-west-1", permissions_boundary: ABSENT });
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, { policy: rolePolicy(ownStatements(keyArnRef)) });
  });

  test("the permissions boundary reaches the default role", () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    expect(build({ permissionsBoundaryArn: boundary }).synthesized).toHaveResourceWithExactly(IamRole, { permissions_boundary: boundary });
  });

  test("a role built for the same function is used as given, and no other role is created", () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "shared-role", { functionName: "orders", key, roleName: "orders-custom" });
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, role });
    expect(fn.role).toBe(role);
    const { synthesized } = synthesize(stack);
    // Without a selector, the matcher requires the stack to have exactly one aws_iam_role.
    expect(synthesized).toHaveResourceWithExactly(IamRole, { name: "orders-custom" });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { role: referenceTo(synthesized, IamRole, "arn") });
  });
});

describe("log group", () => {
  test("is /aws/lambda/<fn>, encrypted with the key's ARN, kept 365 days by default", () => {
    const { synthesized, keyArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(CloudwatchLogGroup, { name: "/aws/lambda/orders", kms_key_id: keyArnRef, retention_in_days: 365 }, { exhaustive: true });
  });

  test.each([0, 400, 731, 3653])("retention %p is accepted without opting out", (days) => {
    expect(build({ logRetentionDays: days }).synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: days });
  });

  test("retention 7 is accepted with allowShortLogRetention", () => {
    expect(build({ logRetentionDays: 7, allowShortLogRetention: true }).synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 7 });
  });

  test("the key policy gains exactly this log group's ARN for CloudWatch Logs", () => {
    const { keyPolicy } = build();
    const logs = keyPolicy.Statement.filter((s) => s.Sid === "CloudWatchLogsEncryptsLogGroups");
    expect(logs).toHaveLength(1);
    expect(logs[0].Principal).toEqual({ Service: [`logs.${REGION}.amazonaws.com`] });
    expect(logs[0].Condition).toEqual({
      ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`] },
    });
  });

  test("two functions on one key share the CloudWatch Logs statement", () => {
    const { stack, key } = setup();
    new EncryptedFunction(stack, "orders", { functionName: "orders", key, codeDirectory: CODE });
    new EncryptedFunction(stack, "billing", { functionName: "billing", key, codeDirectory: CODE });
    const { keyPolicy } = synthesize(stack);
    const allows = keyPolicy.Statement.filter((s) => s.Effect === "Allow");
    expect(allows.map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount", "CloudWatchLogsEncryptsLogGroups"]);
    expect(allows[1].Condition).toEqual({
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/billing`],
      },
    });
  });
});

describe("validation", () => {
  test.each(["orders api", "", "f".repeat(65), "orders.api", "orders/api"])("fails when the function name is %p", (functionName) => {
    expect(attempt({ functionName })).toThrow(`function "${functionName}": functionName "${functionName}" is invalid; use 1–64 letters, digits, "-" or "_"`);
  });

  test.each(["nodejs16.x", "nodejs18.x", "python3.9", "node22", "python2.7"])("fails when the runtime is %p", (runtime) => {
    expect(attempt({ runtime })).toThrow(`function "orders": runtime "${runtime}" is not supported; use one of nodejs20.x`);
  });

  test.each([
    ["memorySize", 64, 128, 10240],
    ["memorySize", 10241, 128, 10240],
    ["memorySize", 256.5, 128, 10240],
    ["timeout", 901, 1, 900],
    ["timeout", 0, 1, 900],
  ])("fails when %s is %p", (field, value, min, max) => {
    expect(attempt({ [field]: value })).toThrow(`function "orders": ${field} ${value} is out of range; use a whole number from ${min} to ${max}`);
  });

  test("fails when the architecture is not arm64 or x86_64", () => {
    expect(attempt({ architecture: "arm" as "arm64" })).toThrow('function "orders": architecture "arm" is not supported; use one of arm64, x86_64');
  });

  test("fails when retention 7 is asked for without allowShortLogRetention", () => {
    expect(attempt({ logRetentionDays: 7 })).toThrow(
      'function "orders": logRetentionDays 7 is below the 365-day default; set allowShortLogRetention to true to accept shorter retention explicitly',
    );
  });

  test.each([366, 2, 1000])("fails when retention %p is not a CloudWatch Logs value (even with allowShortLogRetention)", (days) => {
    expect(attempt({ logRetentionDays: days, allowShortLogRetention: true })).toThrow(
      `function "orders": logRetentionDays ${days} is not a CloudWatch Logs retention value; use one of 0, 1, 3`,
    );
  });

  test.each(["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ACCESS_KEY_ID", "TZ"])("fails when a variable is reserved: %p", (name) => {
    expect(attempt({ environment: { [name]: "x1" } })).toThrow(`function "orders": environment variable "${name}" is reserved by the Lambda runtime; choose another name`);
  });

  test.each(["1ABC", "A", "MY-VAR", "_HANDLER", "MY VAR"])("fails when a variable name is invalid: %p", (name) => {
    expect(attempt({ environment: { [name]: "1" } })).toThrow(`function "orders": environment variable "${name}" has an invalid name`);
  });

  test("fails when the variables total more than 4096 bytes", () => {
    expect(attempt({ environment: { BIG: "x".repeat(4094) } })).toThrow(`function "orders": environment variables total 4097 bytes, over Lambda's 4096-byte limit`);
  });

  test("accepts variables totalling exactly 4096 bytes", () => {
    expect(build({ environment: { BIG: "x".repeat(4093) } }).synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: { variables: { BIG: "x".repeat(4093) } },
    });
  });

  test("fails when DB_PASSWORD holds a plaintext value, pointing at Secrets Manager without echoing the value", () => {
    const value = "correct-horse-battery-staple";
    const message = thrownMessage(attempt({ environment: { LOG_LEVEL: "info", DB_PASSWORD: value } }));
    expect(message).toContain('function "orders": environment variable "DB_PASSWORD" looks like a secret (its name says it holds a secret)');
    expect(message).toContain("Secrets Manager");
    expect(message).not.toContain(value);
  });

  test("fails when a value looks like an AWS access key ID, without echoing it", () => {
    const value = "AKIAIOSFODNN7EXAMPLE";
    const message = thrownMessage(attempt({ environment: { UPSTREAM_ID: value } }));
    expect(message).toContain('environment variable "UPSTREAM_ID" looks like a secret (its value looks like an AWS access key ID)');
    expect(message).not.toContain(value);
    expect(message).not.toContain("IOSFODNN7");
  });

  test("reports every problem at once", () => {
    const message = thrownMessage(attempt({ environment: { AWS_REGION: "eu-west-1", "1ABC": "1", API_TOKEN: "plain-token-value" } }));
    expect(message.split("\n")).toHaveLength(3);
    expect(message).toContain('"AWS_REGION" is reserved');
    expect(message).toContain('"1ABC" has an invalid name');
    expect(message).toContain('"API_TOKEN" looks like a secret');
    expect(message).not.toContain("plain-token-value");
  });

  test("a failed function leaves no log group registered in the key policy", () => {
    const { stack, key } = setup();
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, environment: { DB_PASSWORD: "x-secret" } })).toThrow();
    const { keyPolicy, synthesized } = synthesize(stack);
    expect(keyPolicy.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount"]);
    expect(synthesized).not.toHaveResource(LambdaFunction);
    expect(synthesized).not.toHaveResource(CloudwatchLogGroup);
    expect(synthesized).not.toHaveResource(IamRole);
  });

  test("fails when the role was built for another function", () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "billing-role", { functionName: "billing", key });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, role })).toThrow(
      'function "orders": the role given was built for the log group "/aws/lambda/billing"; build the role with functionName "orders"',
    );
  });

  test("fails when the role was built for another key", () => {
    const { stack, key } = setup();
    const otherKey = new EncryptionKey(stack, "other-key", { accountId: ACCOUNT, region: REGION, aliases: ["other"] });
    const role = new LambdaExecutionRole(stack, "orders-role", { functionName: "orders", key: otherKey });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, role })).toThrow(
      'function "orders": the role given may decrypt with key "stack/other-key", not with "stack/key"; build the role with this function\'s key',
    );
  });

  test("roleName names the role created by default", () => {
    const { synthesized } = build({ roleName: "orders-custom" });
    expect(synthesized).toHaveResourceWithExactly(IamRole, { name: "orders-custom" });
  });
});

test("fails when the code folder is missing, naming the function, and registers nothing in the key policy", () => {
  const { stack, key } = setup();
  const missing = path.join(OUTDIR, "no-such-folder");
  expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: missing })).toThrow(/^function "orders": codeDirectory: /);
  const { keyPolicy, synthesized } = synthesize(stack);
  expect(keyPolicy.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount"]);
  expect(synthesized).not.toHaveResource(IamRole);
});

describe("handler: a file inside the function's code", () => {
  const FIX = 'write it as "<path/to/file>.<export>" inside codeDirectory, e.g. "index.handler" or "src/orders.handler"';

  test.each([
    ["../common/index.handler", `"../common/index.handler" has a ".." segment, which leaves the code directory; ${FIX}`],
    ["src/../../index.handler", `"src/../../index.handler" has a ".." segment, which leaves the code directory; ${FIX}`],
    ["/opt/nodejs/index.handler", `"/opt/nodejs/index.handler" is an absolute path; ${FIX}`],
    ["src\\index.handler", `"src\\\\index.handler" contains a backslash; use "/" between folders: ${FIX}`],
  ])("refuses %p, naming the construct path, the prop, the value and the fix", (handler, problem) => {
    expect(attempt({ handler })).toThrow(`function "orders" (stack/fn): handler ${problem}`);
  });

  test("a refused handler leaves no log group registered in the key policy", () => {
    const { stack, key } = setup();
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, handler: "../index.handler" })).toThrow("handler");
    expect(synthesize(stack).keyPolicy.Statement.map((s) => s.Sid)).not.toContain("CloudWatchLogsEncryptsLogGroups");
  });

  test.each([
    ["index.handler", "nodejs22.x"],
    ["src/orders.handler", "nodejs22.x"],
    ["dist/api/v2/main.handler", "nodejs20.x"],
    ["app/main.lambda_handler", "python3.12"],
    ["example.Handler::handleRequest", "java21"],
    ["bootstrap", "provided.al2023"],
  ])("accepts %p (%s)", (handler, runtime) => {
    const { synthesized } = build({ handler, runtime });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { handler, runtime });
  });

  test("the config validator applies the same rule (FUNCTION_SETTINGS.handler)", () => {
    expect(settingProblem(FUNCTION_SETTINGS.handler, "../index.handler")).toBe(`"../index.handler" has a ".." segment, which leaves the code directory; ${FIX}`);
    expect(settingProblem(FUNCTION_SETTINGS.handler, "src/index.handler")).toBeUndefined();
  });
});

describe("key region: a key of the function's own region", () => {
  const OTHER_REGION = "us-east-1";
  const fix = (region: string) => `a KMS key works in its own region only — give the function a key of "${region}", e.g. an EncryptionKey with region "${region}"`;

  test("refuses a key of another region, naming the construct path, the prop, both regions and the fix", () => {
    const stack = newStack(OUTDIR, REGION);
    const key = new EncryptionKey(stack, "us-key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE })).toThrow(
      `function "orders" (stack/fn): key: "stack/us-key" is in region "${OTHER_REGION}", but the function deploys to "${REGION}" (its stack's aws provider); ${fix(REGION)}`,
    );
  });

  test("refuses an imported key of another region", () => {
    const stack = newStack(OUTDIR, REGION);
    const key = EncryptionKey.fromKeyArn(stack, "shared-key", `arn:aws:kms:${OTHER_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE })).toThrow(
      `function "orders" (stack/fn): key: "stack/shared-key" is in region "${OTHER_REGION}", but the function deploys to "${REGION}"`,
    );
  });

  test("refuses the key of a stack in another region", () => {
    const app = Testing.app({ outdir: OUTDIR });
    const keyStack = new TerraformStack(app, "keys-us");
    new AwsProvider(keyStack, "aws", { region: OTHER_REGION });
    const key = new EncryptionKey(keyStack, "key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    const functionStack = new TerraformStack(app, "functions-eu");
    new AwsProvider(functionStack, "aws", { region: REGION });
    expect(() => new EncryptedFunction(functionStack, "fn", { functionName: "orders", key, codeDirectory: CODE })).toThrow(
      `function "orders" (functions-eu/fn): key: "keys-us/key" is in region "${OTHER_REGION}", but the function deploys to "${REGION}"`,
    );
  });

  test("checks again at synth when the stack's aws provider is added after the function", () => {
    const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    new AwsProvider(stack, "aws", { region: REGION });
    expect(() => Testing.synth(stack, true)).toThrow(
      `[stack/fn] function "orders" (stack/fn): key: "stack/key" is in region "${OTHER_REGION}", but the function deploys to "${REGION}" (its stack's aws provider); ${fix(REGION)}`,
    );
  });

  test("skips the check while the provider's region is a token, or when the stack has only aliased aws providers", () => {
    const tokenStack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    new AwsProvider(tokenStack, "aws", { region: new TerraformVariable(tokenStack, "region", { type: "string" }).stringValue });
    const tokenKey = new EncryptionKey(tokenStack, "key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    expect(() => new EncryptedFunction(tokenStack, "fn", { functionName: "orders", key: tokenKey, codeDirectory: CODE })).not.toThrow();

    const aliasedStack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    new AwsProvider(aliasedStack, "audit", { region: REGION, alias: "audit" });
    const aliasedKey = new EncryptionKey(aliasedStack, "key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    expect(() => new EncryptedFunction(aliasedStack, "fn", { functionName: "orders", key: aliasedKey, codeDirectory: CODE })).not.toThrow();
  });

  test("accepts a key of the stack's region, created here or imported", () => {
    const stack = newStack(OUTDIR, OTHER_REGION);
    const own = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: OTHER_REGION, aliases: ["lambda-env"] });
    const imported = EncryptionKey.fromKeyArn(stack, "shared-key", `arn:aws:kms:${OTHER_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    new EncryptedFunction(stack, "orders", { functionName: "orders", key: own, codeDirectory: CODE });
    new EncryptedFunction(stack, "billing", { functionName: "billing", key: imported, codeDirectory: CODE });
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------
// Secrets (Secrets Manager, SSM SecureString) and client-side encrypted values

/** A stand-in for a KMS ciphertext blob: 150 bytes, standard base64 (200 characters). */
const CIPHERTEXT = Buffer.from(Array.from({ length: 150 }, (_, i) => (i * 37) % 256)).toString("base64");
const OTHER_CIPHERTEXT = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 11) % 256)).toString("base64");
const SECRET_ARN_PREFIX = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:`;

function secretsSetup() {
  const { stack, key } = setup();
  const dbPassword = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key });
  const apiKey = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key });
  return { stack, key, dbPassword, apiKey };
}

/** What reading the secretsSetup() secret and parameter grants: each read action on its ARN, and Decrypt only through its service, for it. */
function secretAndParameterStatements(secretArn: string, parameterArn: string, keyArnRef: string): Statement[] {
  return [
    { Sid: "ReadSecretDbPassword", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] },
    {
      Sid: "DecryptSecretDbPassword",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArnRef],
      Condition: { StringEquals: { "kms:EncryptionContext:SecretARN": secretArn, "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } },
    },
    { Sid: "ReadParameterApiKey", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [parameterArn] },
    {
      Sid: "DecryptParameterApiKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArnRef],
      Condition: { StringEquals: { "kms:EncryptionContext:PARAMETER_ARN": parameterArn, "kms:ViaService": `ssm.${REGION}.amazonaws.com` } },
    },
  ];
}

/** The statements of the one execution role policy in the synthesized stack, parsed. */
function roleStatements(synthesized: string): Statement[] {
  const [, policy] = onlyResourceOf(synthesized, IamRolePolicy);
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

describe("secrets", () => {
  test("variables hold the secret's ARN reference and the parameter's name; kms_key_arn is set", () => {
    const { stack, key, dbPassword, apiKey } = secretsSetup();
    new EncryptedFunction(stack, "fn", {
      functionName: "orders",
      key,
      codeDirectory: CODE,
      environment: { LOG_LEVEL: "info" },
      secrets: { DB_PASSWORD_SECRET_ARN: dbPassword, API_KEY_PARAMETER: apiKey },
    });
    const { synthesized, keyArnRef } = synthesize(stack);
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: {
        variables: {
          LOG_LEVEL: "info",
          DB_PASSWORD_SECRET_ARN: referenceTo(synthesized, SecretsmanagerSecret, "arn"),
          API_KEY_PARAMETER: "/orders/api-key",
        },
      },
      kms_key_arn: keyArnRef,
    });
  });

  test("the role reads exactly these secrets and decrypts only via their services and contexts", () => {
    const { stack, key, dbPassword, apiKey } = secretsSetup();
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: dbPassword, API_KEY: apiKey } });
    const { synthesized, keyArnRef } = synthesize(stack);
    const secretArn = referenceTo(synthesized, SecretsmanagerSecret, "arn");
    const parameterArn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/api-key`;
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, {
      policy: rolePolicy([...ownStatements(keyArnRef), ...secretAndParameterStatements(secretArn, parameterArn, keyArnRef)]),
    });
  });

  test("secrets alone make a non-empty environment, so kms_key_arn is set; names that sound secret are fine here", () => {
    const { stack, key, dbPassword } = secretsSetup();
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_PASSWORD: dbPassword } });
    const { synthesized, keyArnRef } = synthesize(stack);
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: { variables: { DB_PASSWORD: referenceTo(synthesized, SecretsmanagerSecret, "arn") } },
      kms_key_arn: keyArnRef,
    });
  });

  test("one secret used by two functions: each role gets its own grant", () => {
    const { stack, key, dbPassword } = secretsSetup();
    new EncryptedFunction(stack, "orders", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: dbPassword } });
    new EncryptedFunction(stack, "billing", { functionName: "billing", key, codeDirectory: CODE, secrets: { DB_SECRET: dbPassword } });
    const { synthesized } = synthesize(stack);
    const policies = resourcesOf(synthesized, IamRolePolicy);
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) {
      const sids = (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement.map((s) => s.Sid);
      expect(sids).toEqual(["WriteOwnLogStreams", "DecryptOwnEnvironment", "ReadSecretDbPassword", "DecryptSecretDbPassword"]);
    }
  });
});

describe("the function is grantable (IGrantable): grants land in its execution role's policy", () => {
  test("secret.grantRead(fn) and parameter.grantRead(fn) add exactly the read and decrypt statements", () => {
    const { stack, key, dbPassword, apiKey } = secretsSetup();
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    expect(fn.grantPrincipal).toBe(fn.role);
    const secretGrant = dbPassword.grantRead(fn);
    const parameterGrant = apiKey.grantRead(fn);
    const { synthesized, keyArnRef } = synthesize(stack);
    const secretArn = referenceTo(synthesized, SecretsmanagerSecret, "arn");
    const parameterArn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/api-key`;
    const statements = roleStatements(synthesized);
    expect(statements.map((s) => s.Sid)).toEqual([
      "WriteOwnLogStreams",
      "DecryptOwnEnvironment",
      "ReadSecretDbPassword",
      "DecryptSecretDbPassword",
      "ReadParameterApiKey",
      "DecryptParameterApiKey",
    ]);
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, {
      policy: rolePolicy([...ownStatements(keyArnRef), ...secretAndParameterStatements(secretArn, parameterArn, keyArnRef)]),
    });
    // The function and its role are one grantee: granting the role again returns the same grant and adds nothing.
    expect(dbPassword.grantRead(fn.role)).toBe(secretGrant);
    expect(apiKey.grantRead(fn.role)).toBe(parameterGrant);
    expect(fn.role.policyDocument.statements).toHaveLength(6);
  });

  test("key.grantDecrypt(fn, …) adds exactly one conditioned Decrypt statement on the key", () => {
    const { stack, key } = setup();
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    const returned = key.grantDecrypt(fn, { sid: "DecryptReports", encryptionContext: { Department: "finance" } });
    const { synthesized, keyArnRef } = synthesize(stack);
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, {
      policy: rolePolicy([
        ...ownStatements(keyArnRef),
        {
          Sid: "DecryptReports",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: [keyArnRef],
          Condition: { StringEquals: { "kms:EncryptionContext:Department": "finance" } },
        },
      ]),
    });
    expect(fn.role.policyDocument.statements).toContain(returned.statements[0]);
  });

  test("granting a secret the function already reads through secrets adds nothing (no duplicate statement IDs)", () => {
    const { stack, key, dbPassword } = secretsSetup();
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: dbPassword } });
    expect(() => dbPassword.grantRead(fn)).not.toThrow();
    expect(roleStatements(synthesize(stack).synthesized).map((s) => s.Sid)).toEqual([
      "WriteOwnLogStreams",
      "DecryptOwnEnvironment",
      "ReadSecretDbPassword",
      "DecryptSecretDbPassword",
    ]);
  });
});

describe("encryptedEnvironment", () => {
  test("ciphertexts are passed as given, LAMBDA_KMS_ENCRYPTED_VARIABLES lists the sorted names, kms_key_arn is set", () => {
    const { synthesized, keyArnRef } = build({ environment: { LOG_LEVEL: "info" }, encryptedEnvironment: { STRIPE_KEY: CIPHERTEXT, API_TOKEN: OTHER_CIPHERTEXT } });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: {
        variables: { LOG_LEVEL: "info", STRIPE_KEY: CIPHERTEXT, API_TOKEN: OTHER_CIPHERTEXT, LAMBDA_KMS_ENCRYPTED_VARIABLES: "API_TOKEN,STRIPE_KEY" },
      },
      kms_key_arn: keyArnRef,
    });
  });

  test("the role may decrypt with the key only under the LambdaFunctionName context (DecryptHelperEncryptedValues)", () => {
    const { synthesized, keyArnRef } = build({ encryptedEnvironment: { STRIPE_KEY: CIPHERTEXT } });
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, {
      policy: rolePolicy([
        ...ownStatements(keyArnRef),
        {
          Sid: "DecryptHelperEncryptedValues",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: [keyArnRef],
          Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders" } },
        },
      ]),
    });
  });

  test.each([[undefined], [{}]])("with no encrypted values (%p): no helper statement and no LAMBDA_KMS_ENCRYPTED_VARIABLES", (encryptedEnvironment) => {
    const { synthesized, keyArnRef } = build({ environment: { LOG_LEVEL: "info" }, encryptedEnvironment });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { environment: { variables: { LOG_LEVEL: "info" } } });
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, { policy: rolePolicy(ownStatements(keyArnRef)) });
  });

  test("a ciphertext of exactly 32 bytes is accepted", () => {
    const value = Buffer.alloc(32, 7).toString("base64");
    expect(build({ encryptedEnvironment: { TOKEN: value } }).synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: { variables: { TOKEN: value, LAMBDA_KMS_ENCRYPTED_VARIABLES: "TOKEN" } },
    });
  });

  test("a ciphertext that is a token (known only at apply) is passed through unchecked", () => {
    const { stack, key } = setup();
    const ciphertext = new TerraformVariable(stack, "ciphertext", { type: "string" });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, encryptedEnvironment: { TOKEN: ciphertext.stringValue } });
    expect(synthesize(stack).synthesized).toHaveResourceWithExactly(LambdaFunction, {
      environment: { variables: { TOKEN: "${var.ciphertext}", LAMBDA_KMS_ENCRYPTED_VARIABLES: "TOKEN" } },
    });
  });

  test("a role given by the caller receives the helper statement too", () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "shared-role", { functionName: "orders", key });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, role, encryptedEnvironment: { TOKEN: CIPHERTEXT } });
    expect(roleStatements(synthesize(stack).synthesized).map((s) => s.Sid)).toContain("DecryptHelperEncryptedValues");
  });
});

describe("previousHelperValueKeys (a manual rotation)", () => {
  test("the role decrypts helper values with the function's key and each previous key, under its own context only; the environment uses the function's key", () => {
    const { stack, key } = setup();
    const previous = new EncryptionKey(stack, "previous-key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env-generation-1"], decryptOnly: true });
    new EncryptedFunction(stack, "fn", {
      functionName: "orders",
      key,
      codeDirectory: CODE,
      encryptedEnvironment: { TOKEN: CIPHERTEXT },
      previousHelperValueKeys: [previous, previous, key],
    });
    const synthesized = Testing.synth(stack, true);
    const keyArnRef = `\${aws_kms_key.${Object.keys(JSON.parse(synthesized).resource.aws_kms_key).find((id) => !id.startsWith("previous"))}.arn}`;
    const previousArnRef = `\${aws_kms_key.${Object.keys(JSON.parse(synthesized).resource.aws_kms_key).find((id) => id.startsWith("previous"))}.arn}`;
    const helper = roleStatements(synthesized).filter((s) => s.Sid!.startsWith("DecryptHelper"));
    const context = { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders" } };
    expect(helper).toEqual([
      { Sid: "DecryptHelperEncryptedValues", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [keyArnRef], Condition: context },
      { Sid: "DecryptHelperEncryptedValuesWithPreviousKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [previousArnRef], Condition: context },
    ]);
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { kms_key_arn: keyArnRef });
  });

  test("without encrypted values, previous keys give the role nothing", () => {
    const { stack, key } = setup();
    const previous = new EncryptionKey(stack, "previous-key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env-generation-1"], decryptOnly: true });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, previousHelperValueKeys: [previous] });
    expect(roleStatements(Testing.synth(stack, true)).map((s) => s.Sid)).not.toContainEqual(expect.stringMatching(/^DecryptHelper/));
  });

  test("a previous key of another region is refused", () => {
    const { stack, key } = setup();
    const elsewhere = new EncryptionKey(stack, "previous-key", { accountId: ACCOUNT, region: "us-east-1", aliases: ["lambda-env-generation-1"], decryptOnly: true });
    expect(
      () =>
        new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, encryptedEnvironment: { TOKEN: CIPHERTEXT }, previousHelperValueKeys: [elsewhere] }),
    ).toThrow(/previousHelperValueKeys\[0\]: key: .* is in region "us-east-1", but the function deploys to "eu-west-1"/);
  });
});

describe("secrets and encryptedEnvironment: validation", () => {
  test.each([
    ["1ABC", 'has an invalid name; start with a letter and use at least 2 letters, digits or "_"'],
    ["MY-VAR", 'has an invalid name; start with a letter and use at least 2 letters, digits or "_"'],
    ["AWS_REGION", "is reserved by the Lambda runtime; choose another name"],
    ["LAMBDA_KMS_ENCRYPTED_VARIABLES", "is reserved: the function sets it to the names of its client-side encrypted variables"],
  ])("fails when a secrets variable is named %p", (name, message) => {
    const { stack, key, dbPassword } = secretsSetup();
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { [name]: dbPassword } })).toThrow(
      `function "orders": secrets variable "${name}" ${message}`,
    );
  });

  test.each([
    ["1ABC", 'has an invalid name; start with a letter and use at least 2 letters, digits or "_"'],
    ["TZ", "is reserved by the Lambda runtime; choose another name"],
    ["LAMBDA_KMS_ENCRYPTED_VARIABLES", "is reserved: the function sets it to the names of its client-side encrypted variables"],
  ])("fails when an encryptedEnvironment variable is named %p", (name, message) => {
    expect(attempt({ encryptedEnvironment: { [name]: CIPHERTEXT } })).toThrow(`function "orders": encryptedEnvironment variable "${name}" ${message}`);
  });

  test("fails when environment sets the reserved LAMBDA_KMS_ENCRYPTED_VARIABLES", () => {
    expect(attempt({ environment: { LAMBDA_KMS_ENCRYPTED_VARIABLES: "A,B" } })).toThrow(
      'function "orders": environment variable "LAMBDA_KMS_ENCRYPTED_VARIABLES" is reserved: the function sets it to the names of its client-side encrypted variables; list encrypted values under encryptedEnvironment and choose another name',
    );
  });

  test("fails when a secrets variable is also in environment", () => {
    const { stack, key, dbPassword } = secretsSetup();
    expect(
      () => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, environment: { DB_SECRET: "x" }, secrets: { DB_SECRET: dbPassword } }),
    ).toThrow('function "orders": secrets variable "DB_SECRET" is also set in environment; keep each variable in one place');
  });

  test("fails when an encryptedEnvironment variable is also in environment", () => {
    expect(attempt({ environment: { TOKEN_TTL: "60" }, encryptedEnvironment: { TOKEN_TTL: CIPHERTEXT } })).toThrow(
      'function "orders": encryptedEnvironment variable "TOKEN_TTL" is also set in environment; keep each variable in one place',
    );
  });

  test("fails when an encryptedEnvironment variable is also in secrets", () => {
    const { stack, key, apiKey } = secretsSetup();
    expect(
      () => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { API_KEY: apiKey }, encryptedEnvironment: { API_KEY: CIPHERTEXT } }),
    ).toThrow('function "orders": encryptedEnvironment variable "API_KEY" is also set in secrets; keep each variable in one place');
  });

  test("fails when a Secrets Manager secret uses another key, naming both keys", () => {
    const { stack, key } = setup();
    const otherKey = new EncryptionKey(stack, "other-key", { accountId: ACCOUNT, region: REGION, aliases: ["other"] });
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key: otherKey });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: secret } })).toThrow(
      'function "orders": secrets variable "DB_SECRET": secret "orders/db-password" is encrypted with key "stack/other-key", not with the function\'s key "stack/key"; create the secret with the function\'s key',
    );
  });

  test("fails when an SSM parameter uses another key", () => {
    const { stack, key } = setup();
    const otherKey = new EncryptionKey(stack, "other-key", { accountId: ACCOUNT, region: REGION, aliases: ["other"] });
    const parameter = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key: otherKey });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { API_KEY: parameter } })).toThrow(
      'function "orders": secrets variable "API_KEY": parameter "/orders/api-key" is encrypted with key "stack/other-key", not with the function\'s key "stack/key"',
    );
  });

  test("fails when a secrets entry is not a secret construct (e.g. an ARN string)", () => {
    const secrets = { DB_SECRET: `${SECRET_ARN_PREFIX}x` } as unknown as EncryptedFunctionProps["secrets"];
    expect(attempt({ secrets })).toThrow('function "orders": secrets variable "DB_SECRET" is not a SecretsManagerSecret or SecureStringParameter');
  });

  test.each([
    ["not base64!", "not base64!"],
    ["a space inside", "QUJD REVG"],
    ["a URL-safe alphabet", `${CIPHERTEXT.slice(0, 40)}-_${CIPHERTEXT.slice(42)}`],
    ["padding in the middle", `QUJD=${CIPHERTEXT.slice(5)}`],
    ["a length that is not a multiple of 4", CIPHERTEXT.slice(0, -1)],
    ["an empty string", ""],
  ])("fails when a ciphertext has %s", (_label, value) => {
    expect(attempt({ encryptedEnvironment: { STRIPE_KEY: value } })).toThrow(
      `function "orders": encryptedEnvironment variable "STRIPE_KEY" is not valid base64 (${value.length} characters); paste the base64 ciphertext printed by the encrypt command ("npx lambda-kms-encrypt", or "npm run encrypt" in the cdktf-lambda-kms repository), made with this function's key and the encryption context LambdaFunctionName=<function name>`,
    );
  });

  test('fails when a ciphertext is too short to come from KMS ("QUJD" decodes to 3 bytes)', () => {
    expect(attempt({ encryptedEnvironment: { STRIPE_KEY: "QUJD" } })).toThrow(
      'function "orders": encryptedEnvironment variable "STRIPE_KEY" decodes to 3 bytes (4 characters), too short for a KMS ciphertext (at least 32);',
    );
  });

  test("fails when a ciphertext decodes to 31 bytes", () => {
    expect(attempt({ encryptedEnvironment: { STRIPE_KEY: Buffer.alloc(31, 1).toString("base64") } })).toThrow("decodes to 31 bytes");
  });

  test("a pasted plaintext is not shown, not even in part: only its length", () => {
    const plaintext = "sk_live_51H8abcdefghijklmnopqrstuvwxyz";
    const message = thrownMessage(attempt({ encryptedEnvironment: { STRIPE_KEY: plaintext } }));
    expect(message).toContain(`(${plaintext.length} characters)`);
    expect(message).not.toContain(plaintext.slice(0, 4));
  });

  test("fails when a ciphertext is not a string", () => {
    const encryptedEnvironment = { STRIPE_KEY: 42 } as unknown as Record<string, string>;
    expect(attempt({ encryptedEnvironment })).toThrow('function "orders": encryptedEnvironment variable "STRIPE_KEY" has a number value; paste the base64 ciphertext as a string');
  });

  test("secret references count toward 4096 bytes: a parameter by its name, a Secrets Manager secret by its ARN plus the 7-character suffix", () => {
    const { stack, key, dbPassword, apiKey } = secretsSetup();
    const secretBytes = "DB".length + `${SECRET_ARN_PREFIX}orders/db-password`.length + 7;
    const parameterBytes = "API".length + "/orders/api-key".length;
    const fits = 4096 - secretBytes - parameterBytes - "BIG".length;
    const props = { functionName: "orders", key, codeDirectory: CODE, secrets: { DB: dbPassword, API: apiKey } };
    expect(() => new EncryptedFunction(stack, "fits", { ...props, environment: { BIG: "x".repeat(fits) } })).not.toThrow();
    expect(() => new EncryptedFunction(stack, "over", { ...props, functionName: "over", environment: { BIG: "x".repeat(fits + 1) } })).toThrow(
      `function "over": environment variables total 4097 bytes, over Lambda's 4096-byte limit`,
    );
  });

  test("ciphertexts and the LAMBDA_KMS_ENCRYPTED_VARIABLES list count toward 4096 bytes", () => {
    const encryptedBytes = "TOKEN".length + CIPHERTEXT.length + "LAMBDA_KMS_ENCRYPTED_VARIABLES".length + "TOKEN".length;
    const fits = 4096 - encryptedBytes - "BIG".length;
    expect(build({ environment: { BIG: "x".repeat(fits) }, encryptedEnvironment: { TOKEN: CIPHERTEXT } }).synthesized).toHaveResource(LambdaFunction);
    expect(attempt({ environment: { BIG: "x".repeat(fits + 1) }, encryptedEnvironment: { TOKEN: CIPHERTEXT } })).toThrow(
      `function "orders": environment variables total 4097 bytes, over Lambda's 4096-byte limit`,
    );
  });

  test("reports every problem at once", () => {
    const { stack, key, dbPassword } = secretsSetup();
    const message = thrownMessage(
      () =>
        new EncryptedFunction(stack, "fn", {
          functionName: "orders",
          key,
          codeDirectory: CODE,
          environment: { DB: "x" },
          secrets: { DB: dbPassword, AWS_REGION: dbPassword },
          encryptedEnvironment: { TOKEN: "QUJD" },
        }),
    );
    expect(message.split("\n")).toEqual([
      'function "orders": secrets variable "DB" is also set in environment; keep each variable in one place',
      'function "orders": secrets variable "AWS_REGION" is reserved by the Lambda runtime; choose another name',
      expect.stringContaining('function "orders": encryptedEnvironment variable "TOKEN" decodes to 3 bytes'),
    ]);
  });

  test("a failed function grants nothing: the secret's later grant to a valid function is complete", () => {
    const { stack, key, dbPassword } = secretsSetup();
    expect(
      () => new EncryptedFunction(stack, "bad", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB: dbPassword }, encryptedEnvironment: { T: "QUJD" } }),
    ).toThrow();
    const { synthesized } = synthesize(stack);
    expect(synthesized).not.toHaveResource(IamRolePolicy);
    expect(synthesized).not.toHaveResource(LambdaFunction);
  });
});

// ---------------------------------------------------------------------------
// Real Terraform: validate + plan, and a seeded value never lands on disk

/** Every entry of a zip archive (Terraform plan files are zips), inflated. Enough for plan files: no zip64, no encryption. */
function zipEntries(archive: Buffer): Map<string, Buffer> {
  let eocd = archive.length - 22;
  while (eocd >= 0 && archive.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip archive: no end-of-central-directory record");
  const count = archive.readUInt16LE(eocd + 10);
  let at = archive.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip central directory entry ${i} is corrupt`);
    const method = archive.readUInt16LE(at + 10);
    const compressedSize = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const name = archive.toString("utf8", at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`zip entry ${name}: compression method ${method} is not supported`);
    entries.set(name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Every regular file under `dir`, except the provider binaries Terraform links into `.terraform/providers`. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full.endsWith(path.join(".terraform", "providers")) ? [] : filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

describe("terraform", () => {
  test("validate and plan pass, and seeded plaintexts reach neither cdk.tf.json, nor the plan JSON, nor the plan file", async () => {
    const terraform = requireTerraform();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-terraform-"));
    const variables = { db_password_value: `db-${process.pid}-Pl41nText-7f3a9c`, api_key_value: `api-${process.pid}-Pl41nText-b81e20` };
    const envNames = Object.keys(variables).map((name) => `TF_VAR_${name}`);
    try {
      const app = new App({ outdir: work });
      const stack = new TerraformStack(app, "secrets");
      new AwsProvider(stack, "aws", { region: REGION });
      const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"], preventDestroy: false });
      const dbPassword = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key, seedFromVariable: true });
      const apiKey = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key, seedFromVariable: true });
      const later = new SecureStringParameter(stack, "webhook-secret", { parameterName: "/orders/webhook-secret", key });
      new EncryptedFunction(stack, "fn", {
        functionName: "orders",
        key,
        codeDirectory: CODE,
        environment: { LOG_LEVEL: "info" },
        secrets: { DB_PASSWORD_SECRET_ARN: dbPassword, API_KEY_PARAMETER: apiKey, WEBHOOK_SECRET_PARAMETER: later },
        encryptedEnvironment: { STRIPE_KEY: CIPHERTEXT },
      });
      app.synth();
      const stackDir = path.join(work, "stacks", "secrets");
      const json = fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8");

      // The harness plans without -var; the ephemeral variables reach it through TF_VAR_* (it passes those on).
      envNames.forEach((name, i) => (process.env[name] = Object.values(variables)[i]));
      const result = await checkStack(stackDir, { keepOverride: true, validate: false });
      envNames.forEach((name) => delete process.env[name]);
      expect(result.validate.valid).toBe(true);
      expect(result.validate.warnings).toEqual([]);
      expect(result.plan.ran).toBe(true);
      if (!result.plan.ran) return;
      expect(result.plan.warnings).toEqual([]);
      // key, alias, secret, secret version, 2 parameters, role, role policy, log group, function
      expect(result.plan.resourcesToAdd).toBe(10);

      // Our own plan with -var, keeping the plan file, with the harness's offline CLI config and override.
      const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: path.join(stackDir, CLI_CONFIG_FILE_NAME), CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
      for (const name of Object.keys(env)) if (name.startsWith("AWS_") || name.startsWith("TF_VAR_") || name.startsWith("TF_CLI_ARGS")) delete env[name];
      const run = (...args: string[]) => execFileSync(terraform, [`-chdir=${stackDir}`, ...args], { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      const varArgs = Object.entries(variables).flatMap(([name, value]) => ["-var", `${name}=${value}`]);
      run("plan", "-input=false", "-lock=false", "-no-color", ...varArgs, "-out=plan.bin");
      const planJson = run("show", "-json", "-no-color", "plan.bin");
      const planFile = fs.readFileSync(path.join(stackDir, "plan.bin"));
      // The plan file is a zip of deflated entries: a search of its raw bytes alone would miss a leak
      // (measured: a non-ephemeral sensitive variable is absent from the raw bytes but present in the
      // inflated "tfplan" entry), so every entry is inflated and searched too.
      const planEntries = zipEntries(planFile);

      // Positive control: the search finds a planned value that is there (a parameter's name), in the plan
      // JSON and in the inflated "tfplan" entry that holds the planned values.
      expect(planJson).toContain('"name":"/orders/webhook-secret"');
      expect(planEntries.get("tfplan")?.includes("/orders/webhook-secret")).toBe(true);

      const plan = JSON.parse(planJson) as {
        variables?: Record<string, unknown>;
        resource_changes: Array<{ type: string; change: { after: Record<string, unknown>; after_sensitive: Record<string, unknown> } }>;
      };
      const after = (type: string) => plan.resource_changes.filter((c) => c.type === type).map((c) => c.change.after);
      // Write-only attributes are planned as null, their versions as given.
      expect(after("aws_secretsmanager_secret_version")).toEqual([expect.objectContaining({ secret_string_wo: null, secret_string_wo_version: 1, secret_string: null })]);
      expect(after("aws_ssm_parameter").map((a) => [a.name, a.value_wo, a.value_wo_version])).toEqual([
        ["/orders/api-key", null, 1],
        ["/orders/webhook-secret", null, 0],
      ]);
      // Ephemeral variables are not recorded in the plan at all.
      for (const name of Object.keys(variables)) expect(plan.variables ?? {}).not.toHaveProperty(name);

      for (const value of Object.values(variables)) {
        expect(json).not.toContain(value);
        expect(planJson).not.toContain(value);
        expect(planFile.includes(value)).toBe(false);
        for (const [entry, data] of planEntries) expect([entry, data.includes(value)]).toEqual([entry, false]);
        // Nor anywhere else Terraform wrote in the stack folder (.terraform/, lock file, override).
        for (const file of filesUnder(stackDir)) expect([file, fs.readFileSync(file).includes(value)]).toEqual([file, false]);
      }
    } finally {
      envNames.forEach((name) => delete process.env[name]);
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});
