import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { EncryptedFunction, EncryptedFunctionProps } from "../../modules/encrypted-function";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "encrypted-function-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const CODE = path.resolve(__dirname, "../../functions/config-reader");

type Resources = Record<string, Record<string, Record<string, unknown>>>;

interface Statement {
  Sid?: string;
  Principal?: { AWS?: string[]; Service?: string[] };
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function setup() {
  const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(stack, "aws", { region: REGION });
  const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"] });
  return { stack, key };
}

function only(resources: Resources, type: string): [string, Record<string, unknown>] {
  const entries = Object.entries(resources[type] ?? {});
  expect(entries).toHaveLength(1);
  return entries[0];
}

function synthesize(stack: TerraformStack) {
  const json = JSON.parse(Testing.synth(stack, true));
  const resources = json.resource as Resources;
  const [keyId, kmsKey] = only(resources, "aws_kms_key");
  return {
    json,
    resources,
    keyArnRef: `\${aws_kms_key.${keyId}.arn}`,
    keyPolicy: JSON.parse(kmsKey.policy as string) as { Statement: Statement[] },
  };
}

function build(props: Partial<EncryptedFunctionProps> = {}) {
  const { stack, key } = setup();
  const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, ...props });
  const synthesized = synthesize(stack);
  const [functionId, lambda] = only(synthesized.resources, "aws_lambda_function");
  const [logGroupId, logGroup] = only(synthesized.resources, "aws_cloudwatch_log_group");
  return { stack, key, fn, functionId, lambda, logGroupId, logGroup, ...synthesized };
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
    const { lambda, keyArnRef } = build({ environment: { LOG_LEVEL: "info", SERVICE_NAME: "orders" } });
    expect(lambda.kms_key_arn).toBe(keyArnRef);
    expect(lambda.environment).toEqual({ variables: { LOG_LEVEL: "info", SERVICE_NAME: "orders" } });
  });

  test.each([[undefined], [{}]])("with no variables (%p): neither environment nor kms_key_arn is emitted", (environment) => {
    const { lambda } = build({ environment });
    expect(lambda).not.toHaveProperty("environment");
    expect(lambda).not.toHaveProperty("kms_key_arn");
  });

  test("defaults are rendered exactly", () => {
    const { lambda, fn, resources } = build({ environment: { LOG_LEVEL: "info" } });
    const [roleId] = only(resources, "aws_iam_role");
    expect(lambda).toEqual({
      function_name: "orders",
      description: "Managed by cdktf-lambda-kms",
      role: `\${aws_iam_role.${roleId}.arn}`,
      handler: "index.handler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memory_size: 256,
      timeout: 10,
      package_type: "Zip",
      filename: expect.stringMatching(/^assets\/[A-Za-z0-9_]+\/[0-9a-f]{64}\/[0-9a-f]{64}\.zip$/),
      source_code_hash: fn.code.sourceCodeHash,
      environment: { variables: { LOG_LEVEL: "info" } },
      kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\.[A-Za-z0-9_]+\.arn\}$/),
      depends_on: expect.any(Array),
    });
    expect(fn.code.sourceCodeHash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  test("overrides are rendered as given", () => {
    const { lambda } = build({
      handler: "main.handler",
      runtime: "python3.12",
      memorySize: 1024,
      timeout: 900,
      architecture: "x86_64",
      description: "orders API",
      tags: { team: "orders" },
    });
    expect(lambda).toMatchObject({
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
    const { lambda } = build({ memorySize, timeout });
    expect(lambda.memory_size).toBe(memorySize);
    expect(lambda.timeout).toBe(timeout);
  });

  test("depends on its log group and its role's policy", () => {
    const { lambda, logGroupId, resources } = build();
    const [policyId] = only(resources, "aws_iam_role_policy");
    expect(lambda.depends_on).toEqual([`aws_cloudwatch_log_group.${logGroupId}`, `aws_iam_role_policy.${policyId}`]);
  });

  test("the execution role is created for this function and key", () => {
    const { resources, keyArnRef } = build();
    const [, role] = only(resources, "aws_iam_role");
    const [, rolePolicy] = only(resources, "aws_iam_role_policy");
    expect(role.name).toBe("orders-eu-west-1");
    expect(role).not.toHaveProperty("permissions_boundary");
    const policy = JSON.parse(rolePolicy.policy as string) as { Statement: Statement[] };
    expect(policy.Statement.map((s) => s.Resource)).toEqual([
      [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders:log-stream:*`],
      [keyArnRef],
    ]);
  });

  test("the permissions boundary reaches the default role", () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const [, role] = only(build({ permissionsBoundaryArn: boundary }).resources, "aws_iam_role");
    expect(role.permissions_boundary).toBe(boundary);
  });

  test("a role built for the same function is used as given, and no other role is created", () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "shared-role", { functionName: "orders", key, roleName: "orders-custom" });
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, role });
    expect(fn.role).toBe(role);
    const { resources } = synthesize(stack);
    const [roleId, rendered] = only(resources, "aws_iam_role");
    expect(rendered.name).toBe("orders-custom");
    expect(only(resources, "aws_lambda_function")[1].role).toBe(`\${aws_iam_role.${roleId}.arn}`);
  });
});

describe("log group", () => {
  test("is /aws/lambda/<fn>, encrypted with the key's ARN, kept 365 days by default", () => {
    const { logGroup, keyArnRef } = build();
    expect(logGroup).toEqual({ name: "/aws/lambda/orders", kms_key_id: keyArnRef, retention_in_days: 365 });
  });

  test.each([0, 400, 731, 3653])("retention %p is accepted without opting out", (days) => {
    expect(build({ logRetentionDays: days }).logGroup.retention_in_days).toBe(days);
  });

  test("retention 7 is accepted with allowShortLogRetention", () => {
    expect(build({ logRetentionDays: 7, allowShortLogRetention: true }).logGroup.retention_in_days).toBe(7);
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
    expect(keyPolicy.Statement.map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount", "CloudWatchLogsEncryptsLogGroups"]);
    expect(keyPolicy.Statement[1].Condition).toEqual({
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": [
          `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`,
          `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/billing`,
        ],
      },
    });
  });
});

describe("validation", () => {
  test.each(["orders api", "", "f".repeat(65), "orders.api", "orders/api"])("fails when the function name is %p", (functionName) => {
    expect(attempt({ functionName })).toThrow(`function "${functionName}": the name is invalid; use 1–64 letters, digits, "-" or "_"`);
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
    expect(attempt({ [field]: value })).toThrow(`function "orders": ${field} is ${value}; it must be a whole number from ${min} to ${max}`);
  });

  test("fails when the architecture is not arm64 or x86_64", () => {
    expect(attempt({ architecture: "arm" as "arm64" })).toThrow('function "orders": architecture "arm" is invalid; use "arm64" or "x86_64"');
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
    expect(attempt({ environment: { BIG: "x".repeat(4094) } })).toThrow(
      `function "orders": environment variables total 4097 bytes, over Lambda's 4096-byte limit`,
    );
  });

  test("accepts variables totalling exactly 4096 bytes", () => {
    expect(build({ environment: { BIG: "x".repeat(4093) } }).lambda.environment).toEqual({ variables: { BIG: "x".repeat(4093) } });
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
    const { keyPolicy, resources } = synthesize(stack);
    expect(keyPolicy.Statement.map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount"]);
    expect(resources).not.toHaveProperty("aws_lambda_function");
    expect(resources).not.toHaveProperty("aws_cloudwatch_log_group");
    expect(resources).not.toHaveProperty("aws_iam_role");
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
    const { resources } = build({ roleName: "orders-custom" });
    const [, role] = only(resources, "aws_iam_role");
    expect(role.name).toBe("orders-custom");
  });
});

test("fails when the code folder is missing, naming the function, and registers nothing in the key policy", () => {
  const { stack, key } = setup();
  const missing = path.join(OUTDIR, "no-such-folder");
  expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: missing })).toThrow(/^function "orders": codeDirectory: /);
  const { keyPolicy, resources } = synthesize(stack);
  expect(keyPolicy.Statement.map((s) => s.Sid)).toEqual(["EnableIamPoliciesForAccount"]);
  expect(resources).not.toHaveProperty("aws_iam_role");
});
