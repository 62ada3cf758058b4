import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole, LambdaExecutionRoleProps } from "../../modules/lambda-execution-role";
import { PolicyStatement } from "../../modules/policy-document";
import { newStackWithKey, PolicyJson as Policy, synthJson } from "../support/synth";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-execution-role-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";

function setup(region = REGION) {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region, alias: "lambda-env" });
}

function synthesize(stack: TerraformStack) {
  const json = synthJson(stack);
  const [roleId, role] = Object.entries(json.resource.aws_iam_role as Record<string, Record<string, unknown>>)[0];
  const [policyId, rolePolicy] = Object.entries(json.resource.aws_iam_role_policy as Record<string, Record<string, unknown>>)[0];
  const keyId = Object.keys(json.resource.aws_kms_key)[0];
  expect(Object.keys(json.resource.aws_iam_role)).toHaveLength(1);
  expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(1);
  return {
    json,
    role,
    roleId,
    rolePolicy,
    policyId,
    keyArnRef: `\${aws_kms_key.${keyId}.arn}`,
    trust: JSON.parse(role.assume_role_policy as string) as Policy,
    policy: JSON.parse(rolePolicy.policy as string) as Policy,
  };
}

function build(props: Partial<LambdaExecutionRoleProps> = {}, region = REGION) {
  const { stack, key } = setup(region);
  const construct = new LambdaExecutionRole(stack, "role", { functionName: "orders", key, ...props });
  return { stack, key, construct, ...synthesize(stack) };
}

describe("trust policy", () => {
  test("only lambda.amazonaws.com may assume the role, with sts:AssumeRole and no Resource", () => {
    const { trust } = build();
    expect(trust).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "LambdaAssumesRole", Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
    });
    expect(trust.Statement[0]).not.toHaveProperty("Resource");
    expect(trust.Statement[0]).not.toHaveProperty("Condition");
  });
});

describe("aws_iam_role", () => {
  test("default name is <function>-<region>, path /, and no boundary", () => {
    const { role } = build();
    expect(role).toEqual({
      name: "orders-eu-west-1",
      path: "/",
      description: "Execution role of Lambda function orders",
      assume_role_policy: expect.any(String),
    });
    expect(role).not.toHaveProperty("permissions_boundary");
  });

  test("the default name follows the key's region", () => {
    expect(build({}, "us-east-2").role.name).toBe("orders-us-east-2");
  });

  test("a custom name, path, boundary and tags are used as given", () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const { role } = build({ roleName: "orders-exec", path: "/lambda/", permissionsBoundaryArn: boundary, tags: { team: "orders" } });
    expect(role.name).toBe("orders-exec");
    expect(role.path).toBe("/lambda/");
    expect(role.permissions_boundary).toBe(boundary);
    expect(role.tags).toEqual({ team: "orders" });
  });

  test("exposes the function ARN (built from the name) and the log group name", () => {
    const { construct } = build();
    expect(construct.functionArn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`);
    expect(construct.logGroupName).toBe("/aws/lambda/orders");
  });

  test("the inline policy is attached to this role", () => {
    const { rolePolicy, roleId } = build();
    expect(rolePolicy.role).toBe(`\${aws_iam_role.${roleId}.id}`);
    expect(rolePolicy.name).toBe("least-privilege");
  });

  test("a role name of exactly 64 characters is accepted", () => {
    const name = "r".repeat(64);
    expect(build({ roleName: name }).role.name).toBe(name);
  });

  test("fails when the default role name would exceed 64 characters", () => {
    const { stack, key } = setup();
    const functionName = "f".repeat(60);
    expect(() => new LambdaExecutionRole(stack, "role", { functionName, key })).toThrow(
      `execution role of function "${functionName}": role name "${functionName}-eu-west-1" is invalid; IAM role names have 1–64 letters, digits or "+=,.@_-" — set roleName to a shorter name`,
    );
  });

  test.each(["r".repeat(65), "bad name", "bad/name", ""])("fails when roleName is %p", (roleName) => {
    const { stack, key } = setup();
    expect(() => new LambdaExecutionRole(stack, "role", { functionName: "orders", key, roleName })).toThrow(`role name "${roleName}" is invalid`);
  });
});

describe("inline policy", () => {
  test("statements are exactly: own log streams, and decrypt with the function's encryption context", () => {
    const { policy, keyArnRef } = build();
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteOwnLogStreams",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders:log-stream:*`],
        },
        {
          Sid: "DecryptOwnEnvironment",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: [keyArnRef],
          Condition: { StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders` } },
        },
      ],
    });
  });

  test('no statement applies to Resource "*" and none has a principal', () => {
    const { policy } = build();
    for (const statement of policy.Statement) {
      expect(statement.Resource).toBeDefined();
      expect(statement.Resource).not.toContain("*");
      for (const resource of statement.Resource ?? []) {
        // Either a reference to the key or an ARN inside the function's own log group.
        expect(resource).toMatch(/^\$\{aws_kms_key\.[A-Za-z0-9_]+\.arn\}$|^arn:aws:logs:eu-west-1:111111111111:log-group:\/aws\/lambda\/orders:/);
      }
      expect(statement).not.toHaveProperty("Principal");
    }
  });

  test("grants no logs:CreateLogGroup (Terraform creates the group)", () => {
    const { policy } = build();
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(actions).not.toContain("logs:CreateLogGroup");
    expect(actions).not.toContain("logs:*");
    expect(actions).not.toContain("kms:*");
  });

  test("ARNs use the partition of the key's region", () => {
    const { policy } = build({}, "cn-northwest-1");
    expect(policy.Statement[0].Resource).toEqual([`arn:aws-cn:logs:cn-northwest-1:${ACCOUNT}:log-group:/aws/lambda/orders:log-stream:*`]);
    expect(policy.Statement[1].Condition).toEqual({
      StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws-cn:lambda:cn-northwest-1:${ACCOUNT}:function:orders` },
    });
  });

  test("the role adds no Allow to the key policy; it joins the principals exempt from DenyKeyUseByUnlistedPrincipals", () => {
    const { key, construct: role } = build();
    expect(key.policy.statements.filter((s) => s.effect === "Allow").map((s) => s.sid)).toEqual(["EnableIamPoliciesForAccount"]);
    const deny = key.policy.statements.find((s) => s.sid === "DenyKeyUseByUnlistedPrincipals")!.toJSON();
    expect(deny.Condition).toHaveProperty(["ArnNotEquals", "aws:PrincipalArn"], [role.principalArn]);
    expect(role.principalArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${role.roleName}`);
  });

  test("statements added with addToPrincipalPolicy are rendered into the inline policy", () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
    role.addToPrincipalPolicy(new PolicyStatement({ sid: "ReadDbSecret", actions: ["secretsmanager:GetSecretValue"], resources: [secret] }));
    const { policy } = synthesize(stack);
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["WriteOwnLogStreams", "DecryptOwnEnvironment", "ReadDbSecret"]);
    expect(policy.Statement[2]).toEqual({ Sid: "ReadDbSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret] });
  });

  test('fails synth validation when a statement with Resource "*" is added, naming the statement', () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    expect(() => Testing.synth(stack, true)).not.toThrow();
    role.addToPrincipalPolicy(new PolicyStatement({ sid: "TooBroad", actions: ["s3:GetObject"], resources: ["*"] }));
    expect(() => Testing.synth(stack, true)).toThrow('[stack/role] execution role of function "orders": statement "TooBroad" applies to "*"; scope it to exact ARNs');
  });

  test('fails synth validation for a sid-less statement with Resource "*", naming its actions', () => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ["kms:Decrypt", "kms:Encrypt"], resources: ["*"] }));
    expect(() => Testing.synth(stack, true)).toThrow('statement "kms:Decrypt,kms:Encrypt" applies to "*"');
  });

  test.each(["arn:aws:kms:*:*:key/*", "arn:aws:s3:::bucket/*", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`])("fails synth validation for the wildcard ARN %p", (resource) => {
    const { stack, key } = setup();
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    role.addToPrincipalPolicy(new PolicyStatement({ sid: "Wild", actions: ["kms:Decrypt"], resources: [resource] }));
    expect(() => Testing.synth(stack, true)).toThrow(`statement "Wild" applies to "${resource}"; scope it to exact ARNs`);
  });
});

test.each(["payments/eu-west-1/", "/payments/eu-west-1", "//"])("fails when the role path is %p (IAM paths start and end with /)", (rolePath) => {
  const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const key = new EncryptionKey(stack, "key", { accountId: "111111111111", region: "eu-west-1", aliases: ["lambda-env"] });
  expect(() => new LambdaExecutionRole(stack, "role", { functionName: "orders", key, path: rolePath })).toThrow(
    `execution role of function "orders": path "${rolePath}" is invalid; IAM paths start and end with "/"`,
  );
});
