/**
 * The bootstrap stack `<account>-deployer`: the deploy role's trust, its
 * generated managed policies (and reading its own stack), the permissions
 * boundary every role it creates carries, and a provider that never assumes
 * the role it creates.
 */
import { Testing } from "cdktf";
import * as fs from "fs";
import { validateConfig } from "../../config/validate-config";
import { addDeployerStacks, addStacks } from "../../stacks/synthesize-app";
import { Json, defaultConfigDocument, makeStackTestFolder } from "../support/stack-config";
import { PolicyJson, statementBySid } from "../support/synth";

const folder = makeStackTestFolder("deployer-stack-test-");
afterAll(() => fs.rmSync(folder.tmp, { recursive: true, force: true }));

/** The synthesized bootstrap stack of `account` for a configuration document. */
function bootstrap(document: Json, account = "production"): Json {
  const config = validateConfig(document, folder.configFile);
  const app = Testing.app({ outdir: folder.outdir });
  const stacks = addStacks(app, config, folder.outdir);
  const stack = addDeployerStacks(app, config, stacks, folder.outdir).find((s) => s.node.id === `${account}-deployer`)!;
  return JSON.parse(Testing.synth(stack, true));
}

function resources(json: Json, type: string): Json[] {
  return Object.values(json.resource?.[type] ?? {});
}

const role = (json: Json) => resources(json, "aws_iam_role")[0];
const trust = (json: Json): PolicyJson => JSON.parse(role(json).assume_role_policy);

describe("the deploy role's trust", () => {
  test("GitHub Actions through the account's OIDC provider: the audience and the configured subjects only", () => {
    expect(trust(bootstrap(defaultConfigDocument()))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CiJobsAssumeRoleWithWebIdentity",
          Effect: "Allow",
          Principal: { Federated: ["arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"] },
          Action: ["sts:AssumeRoleWithWebIdentity"],
          Condition: {
            StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
            StringLike: { "token.actions.githubusercontent.com:sub": ["repo:example-org/payments:environment:production"] },
          },
        },
      ],
    });
  });

  test("named CI principals may assume it, nobody else", () => {
    const document = defaultConfigDocument();
    document.accounts[1].deployer = { roleName: "terraform-deploy", trustedPrincipalArns: ["arn:aws:iam::333333333333:role/ci-runner"] };
    expect(trust(bootstrap(document)).Statement).toEqual([
      { Sid: "CiPrincipalsAssumeRole", Effect: "Allow", Principal: { AWS: ["arn:aws:iam::333333333333:role/ci-runner"] }, Action: ["sts:AssumeRole"] },
    ]);
    expect(role(bootstrap(document)).name).toBe("terraform-deploy");
  });
});

describe("the deploy role's permissions", () => {
  const json = bootstrap(defaultConfigDocument());
  const policies = resources(json, "aws_iam_policy").filter((p) => p.name.startsWith("terraform-deploy-policy"));
  const documents: PolicyJson[] = policies.map((p) => JSON.parse(p.policy));

  test("every managed policy of the generated deployer policy is attached to the role, each under 6,144 characters", () => {
    expect(policies.length).toBeGreaterThan(0);
    const attachments = resources(json, "aws_iam_role_policy_attachment");
    expect(attachments.map((a) => a.policy_arn).sort()).toEqual(
      Object.keys(json.resource.aws_iam_policy)
        .filter((id) => id.startsWith("policy_"))
        .map((id) => `\${aws_iam_policy.${id}.arn}`)
        .sort(),
    );
    for (const attachment of attachments) expect(attachment.role).toBe("${aws_iam_role.role.name}");
    for (const document of documents) expect(JSON.stringify(document).length).toBeLessThanOrEqual(6144);
  });

  test("the role may read its own bootstrap stack, so a pipeline's plan of every stack passes, and change none of it", () => {
    const statements = documents.flatMap((d) => d.Statement);
    const read = statementBySid({ Statement: statements }, "ReadOwnBootstrapStack");
    expect(read.Action).toEqual(["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion"]);
    expect(read.Resource).toEqual(expect.arrayContaining(["arn:aws:iam::222222222222:role/terraform-deploy", "arn:aws:iam::222222222222:policy/payments-deployed-role-boundary"]));
    const own = [
      "arn:aws:iam::222222222222:role/terraform-deploy",
      "arn:aws:iam::222222222222:policy/terraform-deploy-policy",
      "arn:aws:iam::222222222222:policy/payments-deployed-role-boundary",
    ];
    const writesOwn = statements.filter((s) => s.Sid !== "ReadOwnBootstrapStack" && (s.Resource ?? []).some((r) => own.includes(r)));
    expect(writesOwn).toEqual([]);
  });
});

describe("the boundary of the roles the pipeline creates", () => {
  test("allows what our roles do, in the account, and only on resources with the configuration's tags", () => {
    const boundary = resources(bootstrap(defaultConfigDocument()), "aws_iam_policy").find((p) => p.name === "payments-deployed-role-boundary");
    const tags = { StringEquals: { "aws:ResourceTag/Project": "payments", "aws:ResourceTag/ManagedBy": "cdktf-lambda-kms", "aws:ResourceTag/Environment": "production" } };
    expect(JSON.parse(boundary.policy).Statement).toEqual([
      { Sid: "WriteLogStreams", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: ["arn:aws:logs:*:222222222222:log-group:*"] },
      { Sid: "DecryptWithOurKeys", Effect: "Allow", Action: ["kms:Decrypt"], Resource: ["arn:aws:kms:*:222222222222:key/*"], Condition: tags },
      { Sid: "ReadOurSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:aws:secretsmanager:*:222222222222:secret:*"], Condition: tags },
      { Sid: "ReadOurParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: ["arn:aws:ssm:*:222222222222:parameter/*"], Condition: tags },
      // The default configuration's functions trace and have dead-letter queues.
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: ["*"] },
      { Sid: "SendToOurDeadLetterQueues", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["arn:aws:sqs:*:222222222222:*-dlq"] },
      {
        Sid: "EncryptForOurDeadLetterQueues",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey"],
        Resource: ["arn:aws:kms:*:222222222222:key/*"],
        Condition: { ...tags, StringLike: { "kms:ViaService": "sqs.*.amazonaws.com" } },
      },
    ]);
  });

  test("allows each function option's actions only when a function of the account uses it", () => {
    const document = defaultConfigDocument();
    for (const fn of document.functions) {
      delete fn.tracing;
      delete fn.deadLetterQueue;
    }
    const sids = (doc: Json, account = "production") =>
      JSON.parse(resources(bootstrap(doc, account), "aws_iam_policy").find((p) => p.name === "payments-deployed-role-boundary").policy).Statement.map((s: Json) => s.Sid);
    expect(sids(document)).toEqual(["WriteLogStreams", "DecryptWithOurKeys", "ReadOurSecrets", "ReadOurParameters"]);
    const subnets = { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] };
    document.functions[1].vpc = { "production-eu-west-1": subnets, "production-us-east-1": subnets };
    const statements = JSON.parse(resources(bootstrap(document), "aws_iam_policy").find((p) => p.name === "payments-deployed-role-boundary").policy).Statement;
    expect(statements.slice(-2)).toEqual([
      { Sid: "DescribeNetworkInterfaces", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], Resource: ["*"] },
      {
        Sid: "ManageNetworkInterfaces",
        Effect: "Allow",
        Action: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
        Resource: ["arn:aws:ec2:*:222222222222:*"],
      },
    ]);
    // staging has no function in a VPC: its boundary stays without the network-interface actions.
    expect(sids(document, "staging")).toEqual(["WriteLogStreams", "DecryptWithOurKeys", "ReadOurSecrets", "ReadOurParameters"]);
  });
});

describe("audit.replication in the bootstrap stack", () => {
  const document = defaultConfigDocument();
  document.accounts[1].audit.replication = { region: "eu-central-1" };
  const json = bootstrap(document);
  const deployerStatements = (): Json[] =>
    resources(json, "aws_iam_policy").flatMap((p) => (p.name.startsWith("payments-deployed-role-boundary") ? [] : JSON.parse(p.policy).Statement));

  test("the deploy role may pass the replication role to S3 only, and manage the log bucket's replication configuration", () => {
    const passToS3 = deployerStatements().find((s) => s.Sid === "PassRolesToS3");
    expect(passToS3).toEqual({
      Sid: "PassRolesToS3",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: ["arn:aws:iam::222222222222:role/payments-audit-replication"],
      Condition: { StringEquals: { "iam:PassedToService": "s3.amazonaws.com" } },
    });
    const manage = deployerStatements().filter((s) => [s.Action].flat().includes("s3:PutReplicationConfiguration"));
    expect(manage.length).toBeGreaterThan(0);
    for (const statement of manage) expect(statement.Resource).toContain("arn:aws:s3:::payments-audit-logs-222222222222");
  });

  test("the boundary allows the replication role's actions on the log bucket and its replica only, encryption only through S3 in the replica region", () => {
    const boundary = resources(json, "aws_iam_policy").find((p) => p.name === "payments-deployed-role-boundary");
    const statements = JSON.parse(boundary.policy).Statement;
    expect(statements.slice(-4)).toEqual([
      {
        Sid: "ReadLogBucketForReplication",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: ["arn:aws:s3:::payments-audit-logs-222222222222"],
      },
      {
        Sid: "ReadLogFilesForReplication",
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: ["arn:aws:s3:::payments-audit-logs-222222222222/*"],
      },
      {
        Sid: "WriteLogFileReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: ["arn:aws:s3:::payments-audit-logs-222222222222-replica/*"],
      },
      {
        Sid: "EncryptLogFileReplicas",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: ["arn:aws:kms:eu-central-1:222222222222:key/*"],
        Condition: {
          StringEquals: {
            "aws:ResourceTag/Project": "payments",
            "aws:ResourceTag/ManagedBy": "cdktf-lambda-kms",
            "aws:ResourceTag/Environment": "production",
            "kms:ViaService": "s3.eu-central-1.amazonaws.com",
          },
        },
      },
    ]);
    // staging does not replicate: its boundary has none of these.
    const staging = JSON.parse(resources(bootstrap(document, "staging"), "aws_iam_policy").find((p) => p.name === "payments-deployed-role-boundary").policy).Statement;
    expect(staging.map((s: Json) => s.Sid)).not.toContain("WriteLogFileReplicas");
  });
});

test("the bootstrap stack runs with the caller's own credentials, even when the account assumes a role", () => {
  const document = defaultConfigDocument();
  document.accounts[1].assumeRole = { roleArn: "arn:aws:iam::222222222222:role/terraform-deploy" };
  const json = bootstrap(document);
  expect(json.provider.aws).toHaveLength(1);
  expect(json.provider.aws[0]).not.toHaveProperty("assume_role");
  expect(json.provider.aws[0].allowed_account_ids).toEqual(["222222222222"]);
});
