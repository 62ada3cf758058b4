/**
 * The hardening options of EncryptedFunction: reserved concurrency, X-Ray
 * tracing, an encrypted dead-letter queue and VPC placement, each with the
 * exact role permissions it needs; and the DeadLetterQueue construct.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Testing } from "cdktf";
import { DeadLetterQueue } from "../../modules/dead-letter-queue";
import { EncryptedFunction, EncryptedFunctionProps, FUNCTION_SETTINGS, functionVpcProblems } from "../../modules/encrypted-function";
import { deployerPolicyDocument } from "../../modules/deployer-policy-document";
import { stackView } from "../../modules/compliance/stack-view";
import { settingProblem } from "../../modules/private/setting";
import { PolicyStatement } from "../../modules/policy-document";
import { ABSENT, onlyResourceOf, referenceTo } from "../support/matchers";
import { newStackWithKey, PolicyStatementJson as Statement, appStackDir } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "function-hardening-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const CODE = path.resolve(__dirname, "../../functions/config-reader");
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-dlq`;
const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"];
const GROUPS = ["sg-0123456789abcdef0"];

function build(props: Partial<EncryptedFunctionProps> = {}) {
  const { stack, key } = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
  // newStack's provider names no account: pin it, as the app's providers are (the deployer policy builds ARNs from it).
  stack.node.findAll().find((c): c is AwsProvider => c instanceof AwsProvider)!.allowedAccountIds = [ACCOUNT];
  const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, ...props });
  const synthesized = Testing.synth(stack, true);
  const [, policy] = onlyResourceOf(synthesized, IamRolePolicy);
  const [, kmsKey] = onlyResourceOf(synthesized, KmsKey);
  return {
    stack,
    fn,
    synthesized,
    keyArnRef: referenceTo(synthesized, KmsKey, "arn"),
    roleStatements: (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement,
    keyPolicy: JSON.parse(kmsKey.policy as string) as { Statement: Statement[] },
  };
}

const sids = (statements: Statement[]) => statements.map((s) => s.Sid);

describe("defaults: no option, nothing added", () => {
  test("the function has no concurrency, tracing, dead-letter or VPC setting, the role only its own statements, and no queue exists", () => {
    const { synthesized, roleStatements } = build();
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, {
      reserved_concurrent_executions: ABSENT,
      tracing_config: ABSENT,
      dead_letter_config: ABSENT,
      vpc_config: ABSENT,
    });
    expect(sids(roleStatements)).toEqual(["WriteOwnLogStreams", "DecryptOwnEnvironment"]);
    expect(Object.keys(JSON.parse(synthesized).resource)).not.toContain("aws_sqs_queue");
  });
});

describe("reservedConcurrentExecutions", () => {
  test("is rendered as reserved_concurrent_executions", () => {
    expect(build({ reservedConcurrentExecutions: 50 }).synthesized).toHaveResourceWithExactly(LambdaFunction, { reserved_concurrent_executions: 50 });
  });

  test.each([0, -1, 2.5])("fails when it is %p, naming the field and the range", (value) => {
    expect(() => build({ reservedConcurrentExecutions: value })).toThrow(
      `function "orders": reservedConcurrentExecutions ${value} is out of range; use a whole number from 1 to 1000000`,
    );
  });
});

describe("tracing", () => {
  test("active tracing, and the role may write traces: the two X-Ray actions, which have no resource", () => {
    const { synthesized, roleStatements } = build({ tracing: true });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { tracing_config: { mode: "Active" } });
    expect(roleStatements.find((s) => s.Sid === "WriteTraces")).toEqual({
      Sid: "WriteTraces",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: ["*"],
    });
  });

  test("false adds nothing", () => {
    const { synthesized, roleStatements } = build({ tracing: false });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { tracing_config: ABSENT });
    expect(sids(roleStatements)).not.toContain("WriteTraces");
  });

  test("the role still refuses any other action on a wildcard resource", () => {
    const { stack, key } = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, tracing: true });
    fn.addToPrincipalPolicy(new PolicyStatement({ sid: "TooBroad", actions: ["xray:PutTraceSegments", "s3:GetObject"], resources: ["*"] }));
    expect(() => Testing.synth(stack, true)).toThrow('statement "TooBroad" applies to "*"; scope it to exact ARNs');
  });
});

describe("deadLetterQueue", () => {
  test("creates <functionName>-dlq encrypted with the function's key, kept 14 days, and points the function at it", () => {
    const { synthesized, keyArnRef, fn } = build({ deadLetterQueue: true });
    expect(synthesized).toHaveResourceWithExactly(
      SqsQueue,
      { name: "orders-dlq", kms_master_key_id: keyArnRef, kms_data_key_reuse_period_seconds: 300, message_retention_seconds: 14 * 24 * 3600 },
      { exhaustive: true },
    );
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { dead_letter_config: { target_arn: referenceTo(synthesized, SqsQueue, "arn") } });
    expect(fn.deadLetterQueue?.queueArn).toBe(QUEUE_ARN);
  });

  test("the queue policy refuses every request without TLS, and allows nothing", () => {
    const { synthesized } = build({ deadLetterQueue: true });
    expect(synthesized).toHaveResourceWithExactly(SqsQueuePolicy, {
      queue_url: referenceTo(synthesized, SqsQueue, "url"),
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: { AWS: ["*"] },
            Action: ["sqs:*"],
            Resource: [QUEUE_ARN],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      },
    });
  });

  test("the role may send to exactly this queue, and use the key for it only through SQS in its region", () => {
    const { roleStatements, keyArnRef } = build({ deadLetterQueue: true });
    const via = { StringEquals: { "kms:ViaService": `sqs.${REGION}.amazonaws.com` } };
    expect(roleStatements.filter((s) => /DeadLetterQueue$/.test(s.Sid ?? ""))).toEqual([
      { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [QUEUE_ARN] },
      { Sid: "DecryptForDeadLetterQueue", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [keyArnRef], Condition: via },
      { Sid: "EncryptForDeadLetterQueue", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [keyArnRef], Condition: via },
    ]);
  });

  test("the role joins the principals the key policy names, so DenyKeyUseByUnlistedPrincipals does not block the queue", () => {
    const { keyPolicy } = build({ deadLetterQueue: true });
    const deny = keyPolicy.Statement.find((s) => s.Sid === "DenyKeyUseByUnlistedPrincipals");
    expect(deny?.Condition?.ArnNotEquals).toEqual({ "aws:PrincipalArn": [`arn:aws:iam::${ACCOUNT}:role/orders-${REGION}`] });
  });

  test("DeadLetterQueue alone: retentionDays is checked, and the name must be an SQS queue name", () => {
    const { stack, key } = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
    expect(() => new DeadLetterQueue(stack, "q1", { queueName: "q1", key, retentionDays: 15 })).toThrow(
      'dead-letter queue "q1": retentionDays 15 is out of range; use a whole number from 1 to 14',
    );
    expect(() => new DeadLetterQueue(stack, "q2", { queueName: "orders.fifo", key })).toThrow(
      'dead-letter queue "q2": queueName "orders.fifo" is invalid; use 1–80 letters, digits, "-" or "_"',
    );
    new DeadLetterQueue(stack, "q3", { queueName: "reports-dlq", key, retentionDays: 4 });
    expect(Testing.synth(stack, true)).toHaveResourceWithExactly(SqsQueue, { name: "reports-dlq", message_retention_seconds: 4 * 24 * 3600 });
  });
});

describe("vpc", () => {
  test("places the function in the subnets and security groups given", () => {
    const { synthesized } = build({ vpc: { subnetIds: SUBNETS, securityGroupIds: GROUPS } });
    expect(synthesized).toHaveResourceWithExactly(LambdaFunction, { vpc_config: { subnet_ids: SUBNETS, security_group_ids: GROUPS } });
  });

  test("the role gets the network-interface actions AWS documents: Describe on \"*\", the others on the region's interfaces and the configured subnets and groups; and a Deny of those to the function's own code", () => {
    const { roleStatements } = build({ vpc: { subnetIds: SUBNETS, securityGroupIds: GROUPS } });
    const changing = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"];
    expect(roleStatements.filter((s) => /NetworkInterface/.test(s.Sid ?? ""))).toEqual([
      { Sid: "DescribeNetworkInterfaces", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], Resource: ["*"] },
      {
        Sid: "ManageNetworkInterfaces",
        Effect: "Allow",
        Action: changing,
        Resource: [
          `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/*`,
          ...SUBNETS.map((id) => `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${id}`),
          ...GROUPS.map((id) => `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${id}`),
        ],
      },
      {
        Sid: "DenyNetworkInterfaceChangesFromFunctionCode",
        Effect: "Deny",
        Action: changing,
        Resource: ["*"],
        Condition: { ArnEquals: { "lambda:SourceFunctionArn": FUNCTION_ARN } },
      },
    ]);
  });

  test('the role still refuses the network-interface actions on "*" (only the Describe actions may have it)', () => {
    const { stack, key } = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, vpc: { subnetIds: SUBNETS, securityGroupIds: GROUPS } });
    fn.addToPrincipalPolicy(new PolicyStatement({ sid: "TooBroad", actions: ["ec2:DeleteNetworkInterface"], resources: ["*"] }));
    expect(() => Testing.synth(stack, true)).toThrow('statement "TooBroad" applies to "*"; scope it to exact ARNs');
  });

  test.each([
    [{ subnetIds: [], securityGroupIds: GROUPS }, "vpc.subnetIds must list 1 to 16 IDs, got 0"],
    [{ subnetIds: SUBNETS, securityGroupIds: ["sg-1", ...GROUPS] }, 'vpc.securityGroupIds[0] "sg-1" is not an ID like "sg-0123456789abcdef0"'],
    [{ subnetIds: [SUBNETS[0], SUBNETS[0]], securityGroupIds: GROUPS }, 'vpc.subnetIds[1] "subnet-0123456789abcdef0" is listed twice'],
    [{ subnetIds: SUBNETS, securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`) }, "vpc.securityGroupIds must list 1 to 5 IDs, got 6"],
  ])("fails for %j", (vpc, message) => {
    expect(() => build({ vpc })).toThrow(`function "orders": ${message}`);
  });

  test("functionVpcProblems accepts 8- and 17-digit IDs", () => {
    expect(functionVpcProblems({ subnetIds: ["subnet-01234567", SUBNETS[0]], securityGroupIds: ["sg-89abcdef"] })).toEqual([]);
  });
});

describe("settings the config file shares", () => {
  test("tracing and deadLetterQueue are off by default, and reserved concurrency has no default", () => {
    expect(FUNCTION_SETTINGS.tracing.default).toBe(false);
    expect(FUNCTION_SETTINGS.deadLetterQueue.default).toBe(false);
    expect(FUNCTION_SETTINGS.reservedConcurrentExecutions.default).toBeUndefined();
    expect(settingProblem(FUNCTION_SETTINGS.reservedConcurrentExecutions, 1)).toBeUndefined();
    expect(settingProblem(FUNCTION_SETTINGS.tracing, "yes")).toBe('expected true or false, got "yes"');
  });
});

describe("deploy pipeline policy", () => {
  test("manages the queue and its policy by ARN, sets concurrency, and may describe the VPC only when a function has one", () => {
    const withVpc = build({ deadLetterQueue: true, reservedConcurrentExecutions: 5, vpc: { subnetIds: SUBNETS, securityGroupIds: GROUPS } });
    const policy = deployerPolicyDocument([stackView(withVpc.stack)]);
    const statements = policy.statements.map((s) => s.toJSON() as unknown as Statement);
    const onQueue = statements.filter((s) => (s.Resource as string[]).includes(QUEUE_ARN));
    expect(onQueue.flatMap((s) => s.Action as string[]).sort()).toEqual(
      ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"].sort(),
    );
    const onFunction = statements.filter((s) => (s.Resource as string[]).includes(FUNCTION_ARN)).flatMap((s) => s.Action as string[]);
    expect(onFunction).toEqual(expect.arrayContaining(["lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"]));
    expect(policy.unscopedActions.map((u) => u.action)).toEqual(expect.arrayContaining(["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]));

    const withoutVpc = deployerPolicyDocument([stackView(build({ deadLetterQueue: true }).stack)]);
    expect(withoutVpc.unscopedActions.map((u) => u.action).filter((a) => a.startsWith("ec2:"))).toEqual([]);
  });
});

describe("terraform", () => {
  test("a function with every option validates and plans with the AWS provider", async () => {
    const { stack } = build({ deadLetterQueue: true, tracing: true, reservedConcurrentExecutions: 5, vpc: { subnetIds: SUBNETS, securityGroupIds: GROUPS } });
    const result = await checkStack(appStackDir(stack), { validate: false });
    expect(result.validate.valid).toBe(true);
    expect(result.validate.warnings).toEqual([]);
    expect(result.plan.ran).toBe(true);
    if (!result.plan.ran) return;
    // key, alias, role, role policy, log group, function, queue, queue policy
    expect(result.plan.resourcesToAdd).toBe(8);
  }, 180_000);
});
