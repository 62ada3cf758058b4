import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
// Types of the cdktf jest matchers (Testing.setupJest() in __tests__/setup.ts registers them at runtime).
import "cdktf/lib/testing/adapters/jest";
import { EncryptionKey, EncryptionKeyProps, KEY_ADMIN_ACTIONS } from "../../modules/encryption-key";
import { IGrantable } from "../../modules/grantable";
import { PolicyDocument, PolicyStatement } from "../../modules/policy-document";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "encryption-key-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const USER = `arn:aws:iam::${ACCOUNT}:user/reader`;
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deploy-pipeline`;

/** Cryptographic operations; administrators must have none of them, not even through a wildcard. */
const CRYPTO_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GenerateDataKeyPair",
  "kms:GenerateDataKeyPairWithoutPlaintext",
  "kms:GenerateMac",
  "kms:Sign",
  "kms:CreateGrant",
];

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: string[]; Service?: string[] } | string;
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

interface Synthesized {
  readonly stack: TerraformStack;
  readonly key: EncryptionKey;
  /** The only aws_kms_key in the stack. */
  readonly kmsKey: Record<string, unknown>;
  /** Terraform logical ID of the key, for building expected references. */
  readonly keyLogicalId: string;
  readonly aliases: Record<string, { name: string; target_key_id: string }>;
  readonly policy: { Version: string; Statement: Statement[] };
  readonly json: Record<string, Record<string, Record<string, Record<string, unknown>>>>;
}

function newStack(region = REGION): TerraformStack {
  const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(stack, "aws", { region });
  return stack;
}

function baseProps(overrides: Partial<EncryptionKeyProps> = {}): EncryptionKeyProps {
  return { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"], ...overrides };
}

function synthesize(stack: TerraformStack, key: EncryptionKey): Synthesized {
  const json = JSON.parse(Testing.synth(stack, true));
  const keys = json.resource.aws_kms_key as Record<string, Record<string, unknown>>;
  expect(Object.keys(keys)).toHaveLength(1);
  const [keyLogicalId, kmsKey] = Object.entries(keys)[0];
  return {
    stack,
    key,
    kmsKey,
    keyLogicalId,
    aliases: json.resource.aws_kms_alias,
    policy: JSON.parse(kmsKey.policy as string),
    json,
  };
}

function build(overrides: Partial<EncryptionKeyProps> = {}, configure?: (key: EncryptionKey) => void): Synthesized {
  const stack = newStack(overrides.region ?? REGION);
  const key = new EncryptionKey(stack, "key", baseProps(overrides));
  configure?.(key);
  return synthesize(stack, key);
}

function statement(policy: { Statement: Statement[] }, sid: string): Statement {
  const found = policy.Statement.filter((s) => s.Sid === sid);
  expect(found).toHaveLength(1);
  return found[0];
}

function sids(policy: { Statement: Statement[] }): (string | undefined)[] {
  return policy.Statement.map((s) => s.Sid);
}

function allowSids(policy: { Statement: Statement[] }): (string | undefined)[] {
  return policy.Statement.filter((s) => s.Effect === "Allow").map((s) => s.Sid);
}

/** The Denies every key has, whatever principals it names. */
const ALWAYS_DENIED = ["DenyKeyUseByUnlistedPrincipals", "DenyGrantsForNonAwsResources"];

/** Records what a key grants, like an IAM role would. */
class RecordingGrantee implements IGrantable {
  public readonly document = new PolicyDocument();
  public readonly principalArn?: string;
  /** `null`: a grantee without principalArn. */
  constructor(principalArn: string | null = `arn:aws:iam::${ACCOUNT}:role/grantee`) {
    this.principalArn = principalArn ?? undefined;
  }
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    this.document.addStatements(statement);
  }
}

describe("aws_kms_key attributes", () => {
  test("secure defaults are rendered exactly", () => {
    const { kmsKey } = build();
    expect(kmsKey).toEqual({
      description: "Customer-managed key for Lambda environment variables and logs",
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      key_usage: "ENCRYPT_DECRYPT",
      is_enabled: true,
      multi_region: false,
      enable_key_rotation: true,
      rotation_period_in_days: 365,
      deletion_window_in_days: 30,
      bypass_policy_lockout_safety_check: false,
      policy: expect.any(String),
      lifecycle: { prevent_destroy: true },
    });
  });

  test("the cdktf matcher agrees on the security-critical subset", () => {
    const stack = newStack();
    new EncryptionKey(stack, "key", baseProps());
    expect(Testing.synth(stack)).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      bypass_policy_lockout_safety_check: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  test.each([90, 180, 2560])("rotation period %p days is rendered as given", (days) => {
    const { kmsKey } = build({ rotationPeriodDays: days });
    expect(kmsKey.rotation_period_in_days).toBe(days);
    expect(kmsKey.enable_key_rotation).toBe(true);
  });

  test.each([7, 14, 30])("deletion window %p days is rendered as given", (days) => {
    expect(build({ deletionWindowDays: days }).kmsKey.deletion_window_in_days).toBe(days);
  });

  test("prevent_destroy is false only when opted out", () => {
    expect(build({ preventDestroy: false }).kmsKey.lifecycle).toEqual({ prevent_destroy: false });
    expect(build({ preventDestroy: true }).kmsKey.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("description and tags are passed through", () => {
    const { kmsKey } = build({ description: "orders key", tags: { team: "orders" } });
    expect(kmsKey.description).toBe("orders key");
    expect(kmsKey.tags).toEqual({ team: "orders" });
  });

  test("exposes key ARN and key ID as references to the resource", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    new TerraformOutput(stack, "arn", { value: key.keyArn });
    new TerraformOutput(stack, "id", { value: key.keyId });
    const { json, keyLogicalId } = synthesize(stack, key);
    expect(json.output.arn.value).toBe(`\${aws_kms_key.${keyLogicalId}.arn}`);
    expect(json.output.id.value).toBe(`\${aws_kms_key.${keyLogicalId}.key_id}`);
    expect(key.environment).toEqual({ accountId: ACCOUNT, region: REGION, partition: "aws" });
  });

  test("environment carries only account, region and partition, so spreading it copies no principals", () => {
    const stack = newStack();
    const first = new EncryptionKey(stack, "first", baseProps({ userArns: [USER], deployerArns: [DEPLOYER] }));
    const second = new EncryptionKey(stack, "second", { ...first.environment, aliases: ["second"] });
    expect(Object.keys(first.environment).sort()).toEqual(["accountId", "partition", "region"]);
    expect(second.policy.statements.map((s) => s.sid)).toEqual(["EnableIamPoliciesForAccount", ...ALWAYS_DENIED]);
  });
});

describe("key policy", () => {
  test("without extra principals it has exactly the account statement and the Denies every key has", () => {
    const { policy } = build();
    expect(policy.Version).toBe("2012-10-17");
    expect(sids(policy)).toEqual(["EnableIamPoliciesForAccount", ...ALWAYS_DENIED]);
    expect(policy.Statement[0]).toEqual({
      Sid: "EnableIamPoliciesForAccount",
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] },
      Action: ["kms:*"],
      Resource: ["*"],
    });
  });

  test("empty principal lists add no statements", () => {
    const { policy } = build({ administratorArns: [], userArns: [], deployerArns: [] });
    expect(sids(policy)).toEqual(["EnableIamPoliciesForAccount", ...ALWAYS_DENIED]);
  });

  test.each([
    [{ administratorArns: [ADMIN] }, ["EnableIamPoliciesForAccount", "KeyAdministration"]],
    [{ userArns: [USER] }, ["EnableIamPoliciesForAccount", "KeyUsage"]],
    [{ deployerArns: [DEPLOYER] }, ["EnableIamPoliciesForAccount", "DeployPipelineConfiguresLambda", "DeployPipelineCreatesGrantsForAwsResources"]],
    [
      { administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] },
      ["EnableIamPoliciesForAccount", "KeyAdministration", "KeyUsage", "DeployPipelineConfiguresLambda", "DeployPipelineCreatesGrantsForAwsResources"],
    ],
  ])("Allow statements for %j are exactly %j", (overrides, expected) => {
    expect(allowSids(build(overrides).policy)).toEqual(expected);
  });

  test("with every kind of principal and a log group, statements are exactly these, in this order", () => {
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (key) =>
      key.allowCloudWatchLogs("/aws/lambda/orders"),
    );
    expect(sids(policy)).toEqual([
      "EnableIamPoliciesForAccount",
      "KeyAdministration",
      "KeyUsage",
      "DeployPipelineConfiguresLambda",
      "DeployPipelineCreatesGrantsForAwsResources",
      "DenyKeyUseByUnlistedPrincipals",
      "DenyKeyUseByAdministrators",
      "DenyDeployPipelineKeyUseOutsideServices",
      "DenyGrantsForNonAwsResources",
      "CloudWatchLogsEncryptsLogGroups",
      "DeployPipelineCreatesEncryptedLogGroups",
      "DeployPipelineDescribesKeyForCloudWatchLogs",
    ]);
    for (const s of policy.Statement) expect(s.Effect).toBe(s.Sid?.startsWith("Deny") ? "Deny" : "Allow");
  });

  test("a cn- region uses the aws-cn partition for the account root and log group ARNs", () => {
    const { policy, key } = build({ region: "cn-north-1" }, (k) => k.allowCloudWatchLogs("/aws/lambda/orders"));
    expect(key.environment.partition).toBe("aws-cn");
    expect(statement(policy, "EnableIamPoliciesForAccount").Principal).toEqual({ AWS: [`arn:aws-cn:iam::${ACCOUNT}:root`] });
    expect(statement(policy, "CloudWatchLogsEncryptsLogGroups").Condition).toEqual({
      ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:aws-cn:logs:cn-north-1:${ACCOUNT}:log-group:/aws/lambda/orders`] },
    });
  });

  test("a us-gov- region uses the aws-us-gov partition", () => {
    const { policy } = build({ region: "us-gov-west-1" });
    expect(statement(policy, "EnableIamPoliciesForAccount").Principal).toEqual({ AWS: [`arn:aws-us-gov:iam::${ACCOUNT}:root`] });
  });

  test("administrators get exactly the management actions and no cryptographic action", () => {
    const { policy } = build({ administratorArns: [ADMIN, `arn:aws:iam::${ACCOUNT}:user/alice`] });
    const admin = statement(policy, "KeyAdministration");
    expect(admin.Principal).toEqual({ AWS: [ADMIN, `arn:aws:iam::${ACCOUNT}:user/alice`] });
    expect(admin.Resource).toEqual(["*"]);
    expect(admin).not.toHaveProperty("Condition");
    expect(admin.Action).toEqual([...KEY_ADMIN_ACTIONS]);
    expect(admin.Action).not.toContain("kms:*");
    for (const action of admin.Action) {
      // No wildcard at all: a wildcard could match a cryptographic operation.
      expect(action).not.toContain("*");
      expect(action).not.toMatch(/^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateMac|Sign|Verify|CreateGrant)/);
    }
    for (const crypto of CRYPTO_ACTIONS) expect(admin.Action).not.toContain(crypto);
  });

  test("users get exactly Decrypt and DescribeKey", () => {
    const { policy } = build({ userArns: [USER] });
    expect(statement(policy, "KeyUsage")).toEqual({
      Sid: "KeyUsage",
      Effect: "Allow",
      Principal: { AWS: [USER] },
      Action: ["kms:Decrypt", "kms:DescribeKey"],
      Resource: ["*"],
    });
  });

  test("deployers get Encrypt+Decrypt, and CreateGrant only for AWS resources, all only through Lambda in the key's region", () => {
    const { policy } = build({ deployerArns: [DEPLOYER] });
    expect(statement(policy, "DeployPipelineConfiguresLambda")).toEqual({
      Sid: "DeployPipelineConfiguresLambda",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:Encrypt", "kms:Decrypt"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:ViaService": `lambda.${REGION}.amazonaws.com` } },
    });
    expect(statement(policy, "DeployPipelineCreatesGrantsForAwsResources")).toEqual({
      Sid: "DeployPipelineCreatesGrantsForAwsResources",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:CreateGrant"],
      Resource: ["*"],
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" }, StringEquals: { "kms:ViaService": `lambda.${REGION}.amazonaws.com` } },
    });
  });

  test("CreateGrant appears only in the conditioned deployer statement", () => {
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (k) => k.allowCloudWatchLogs("/aws/lambda/a"));
    const withGrant = policy.Statement.filter((s) => s.Effect === "Allow" && s.Sid !== "EnableIamPoliciesForAccount" && s.Action.some((a) => a === "kms:CreateGrant" || a === "kms:*"));
    expect(withGrant.map((s) => s.Sid)).toEqual(["DeployPipelineCreatesGrantsForAwsResources"]);
  });

  test("CloudWatch Logs statement: regional service principal, ArnEquals on the log group ARN", () => {
    const { policy } = build({}, (key) => key.allowCloudWatchLogs("/aws/lambda/orders"));
    expect(statement(policy, "CloudWatchLogsEncryptsLogGroups")).toEqual({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: [`logs.${REGION}.amazonaws.com`] },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: ["*"],
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`] } },
    });
  });

  test("two log groups share one statement with both ARNs; registering one twice lists it once", () => {
    const { policy } = build({}, (key) => {
      key.allowCloudWatchLogs("/aws/lambda/orders");
      key.allowCloudWatchLogs("/aws/lambda/billing");
      key.allowCloudWatchLogs("/aws/lambda/orders");
    });
    const logs = policy.Statement.filter((s) => s.Principal !== undefined && typeof s.Principal !== "string" && s.Principal.Service !== undefined);
    expect(logs).toHaveLength(1);
    expect(logs[0].Condition).toEqual({
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": [
          `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`,
          `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/billing`,
        ],
      },
    });
  });

  test("log groups registered after the policy token was taken still reach the synthesized policy", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    expect(allowSids(synthesize(stack, key).policy)).toEqual(["EnableIamPoliciesForAccount"]);
    key.allowCloudWatchLogs("/aws/lambda/late");
    const { policy } = synthesize(stack, key);
    expect(allowSids(policy)).toEqual(["EnableIamPoliciesForAccount", "CloudWatchLogsEncryptsLogGroups"]);
  });

  test("no Allow statement in any configuration names Principal \"*\"", () => {
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (k) => k.allowCloudWatchLogs("/aws/lambda/a"));
    for (const s of policy.Statement.filter((x) => x.Effect === "Allow")) {
      expect(s.Principal).toBeDefined();
      expect(s.Principal).not.toBe("*");
      const principal = s.Principal as { AWS?: string[]; Service?: string[] };
      expect(principal.AWS ?? []).not.toContain("*");
      expect(principal.Service ?? []).not.toContain("*");
    }
  });

  test("principals given twice are listed once", () => {
    const { policy } = build({ userArns: [USER, USER] });
    expect(statement(policy, "KeyUsage").Principal).toEqual({ AWS: [USER] });
  });
});

describe("aliases", () => {
  test("adds the alias/ prefix and points the alias at the key", () => {
    const { aliases, keyLogicalId } = build({ aliases: ["lambda-env"] });
    expect(Object.values(aliases)).toEqual([{ name: "alias/lambda-env", target_key_id: `\${aws_kms_key.${keyLogicalId}.key_id}` }]);
  });

  test("keeps an existing alias/ prefix", () => {
    const { aliases, key } = build({ aliases: ["alias/orders/env"] });
    expect(Object.values(aliases).map((a) => a.name)).toEqual(["alias/orders/env"]);
    expect(key.aliasNames).toEqual(["alias/orders/env"]);
  });

  test("several aliases give several aws_kms_alias resources, all targeting the key", () => {
    const { aliases, keyLogicalId, key } = build({ aliases: ["lambda-env", "alias/orders", "team/app_1"] });
    const rendered = Object.values(aliases);
    expect(rendered.map((a) => a.name).sort()).toEqual(["alias/lambda-env", "alias/orders", "alias/team/app_1"]);
    for (const alias of rendered) expect(alias.target_key_id).toBe(`\${aws_kms_key.${keyLogicalId}.key_id}`);
    expect(key.aliasNames).toEqual(["alias/lambda-env", "alias/orders", "alias/team/app_1"]);
    expect(key.aliases).toHaveLength(3);
  });
});

describe("grantDecrypt", () => {
  function grant(options?: Parameters<EncryptionKey["grantDecrypt"]>[1], aliases = ["lambda-env"]) {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps({ aliases }));
    const grantee = new RecordingGrantee();
    const returned = key.grantDecrypt(grantee, options);
    new IamPolicy(stack, "grantee", { name: "grantee", policy: grantee.document.toJsonString() });
    const { json, keyLogicalId } = synthesize(stack, key);
    const policy = JSON.parse(json.resource.aws_iam_policy.grantee.policy as string) as { Statement: Statement[] };
    return { policy, keyLogicalId, returned, grantee };
  }

  test("without options: kms:Decrypt on exactly the key ARN, no condition", () => {
    const { policy, keyLogicalId, returned, grantee } = grant();
    expect(policy.Statement).toEqual([
      { Sid: "DecryptWithLambdaEnv", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [`\${aws_kms_key.${keyLogicalId}.arn}`] },
    ]);
    expect(grantee.document.statements).toEqual([returned]);
  });

  test("the default sid is built from the first alias", () => {
    const { policy } = grant(undefined, ["team/orders-env_v2", "other"]);
    expect(policy.Statement[0].Sid).toBe("DecryptWithTeamOrdersEnvV2");
  });

  test("encryption context and calling service become StringEquals conditions", () => {
    const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
    const { policy, keyLogicalId } = grant({
      sid: "DecryptSecrets",
      encryptionContext: { "aws:lambda:FunctionArn": fnArn, SecretARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf" },
      viaService: `secretsmanager.${REGION}.amazonaws.com`,
    });
    expect(policy.Statement).toEqual([
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [`\${aws_kms_key.${keyLogicalId}.arn}`],
        Condition: {
          StringEquals: {
            "kms:EncryptionContext:aws:lambda:FunctionArn": fnArn,
            "kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf",
            "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
          },
        },
      },
    ]);
  });

  test("only a viaService gives only the kms:ViaService condition", () => {
    const { policy } = grant({ viaService: `ssm.${REGION}.amazonaws.com` });
    expect(policy.Statement[0].Condition).toEqual({ StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` } });
  });

  test("an empty encryption context adds no condition", () => {
    const { policy } = grant({ encryptionContext: {} });
    expect(policy.Statement[0]).not.toHaveProperty("Condition");
  });

  test("the grant does not change the key policy", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    key.grantDecrypt(new RecordingGrantee());
    expect(allowSids(synthesize(stack, key).policy)).toEqual(["EnableIamPoliciesForAccount"]);
  });
});

describe("what the deploy pipeline and the helper encrypters may do", () => {
  const ENCRYPTER = `arn:aws:iam::${ACCOUNT}:role/platform-operator`;

  test("DeployPipelineManagesSecrets: only through Secrets Manager, only for the registered secrets (any version), to write and read back", () => {
    const { policy } = build({ deployerArns: [DEPLOYER] }, (key) => {
      key.allowDeployerToManageSecret("orders/db-password");
      key.allowDeployerToManageSecret("orders/api-token");
      key.allowDeployerToManageSecret("orders/db-password");
    });
    expect(statement(policy, "DeployPipelineManagesSecrets")).toEqual({
      Sid: "DeployPipelineManagesSecrets",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
        // Secret ARNs end in "-" and 6 random characters.
        StringLike: {
          "kms:EncryptionContext:SecretARN": [
            `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/db-password-??????`,
            `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/api-token-??????`,
          ],
        },
      },
    });
  });

  test("DeployPipelineManagesParameters: only through Systems Manager, only for the registered parameters", () => {
    const { policy } = build({ deployerArns: [DEPLOYER] }, (key) => key.allowDeployerToManageParameter("/orders/webhook-token"));
    expect(statement(policy, "DeployPipelineManagesParameters")).toEqual({
      Sid: "DeployPipelineManagesParameters",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
      Resource: ["*"],
      Condition: {
        StringEquals: {
          "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
          "kms:EncryptionContext:PARAMETER_ARN": [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/webhook-token`],
        },
      },
    });
  });

  test("without deployers, registering secrets and parameters adds nothing", () => {
    const { policy } = build({}, (key) => {
      key.allowDeployerToManageSecret("orders/db-password");
      key.allowDeployerToManageParameter("/orders/webhook-token");
    });
    expect(sids(policy)).toEqual(["EnableIamPoliciesForAccount", ...ALWAYS_DENIED]);
  });

  test("helper encrypters may encrypt with a LambdaFunctionName context only, and are denied reading values whatever IAM allows", () => {
    const { policy } = build({ helperEncrypterArns: [ENCRYPTER] });
    expect(statement(policy, "OperatorsEncryptHelperValues")).toEqual({
      Sid: "OperatorsEncryptHelperValues",
      Effect: "Allow",
      Principal: { AWS: [ENCRYPTER] },
      Action: ["kms:Encrypt"],
      Resource: ["*"],
      Condition: { Null: { "kms:EncryptionContext:LambdaFunctionName": "false" } },
    });
    expect(statement(policy, "DenyHelperEncryptersReadingValues")).toEqual({
      Sid: "DenyHelperEncryptersReadingValues",
      Effect: "Deny",
      Principal: { AWS: [ENCRYPTER] },
      Action: ["kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      Resource: ["*"],
    });
    // Listed, so that DenyKeyUseByUnlistedPrincipals does not refuse their encrypt.
    expect(statement(policy, "DenyKeyUseByUnlistedPrincipals").Condition?.ArnNotEquals).toEqual({ "aws:PrincipalArn": [ENCRYPTER] });
  });

  test("a key user who also encrypts helper values keeps decrypt", () => {
    const { policy } = build({ userArns: [USER], helperEncrypterArns: [USER] });
    expect(sids(policy)).not.toContain("DenyHelperEncryptersReadingValues");
  });
});

describe("explicit Denies (no IAM policy can override them)", () => {
  const KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/app/orders-eu-west-1`;

  test("DenyKeyUseByUnlistedPrincipals: every non-service principal but the users, deployers and grantees, except through CloudWatch Logs", () => {
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (key) => key.grantDecrypt(new RecordingGrantee(ROLE)));
    expect(statement(policy, "DenyKeyUseByUnlistedPrincipals")).toEqual({
      Sid: "DenyKeyUseByUnlistedPrincipals",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: KEY_USE,
      Resource: ["*"],
      Condition: {
        Bool: { "aws:PrincipalIsAWSService": "false" },
        StringNotEquals: { "kms:ViaService": [`logs.${REGION}.amazonaws.com`] },
        ArnNotEquals: { "aws:PrincipalArn": [USER, DEPLOYER, ROLE] },
      },
    });
  });

  test("with nobody listed, DenyKeyUseByUnlistedPrincipals covers every non-service principal (no empty ARN list)", () => {
    expect(statement(build().policy, "DenyKeyUseByUnlistedPrincipals").Condition).toEqual({
      Bool: { "aws:PrincipalIsAWSService": "false" },
      StringNotEquals: { "kms:ViaService": [`logs.${REGION}.amazonaws.com`] },
    });
  });

  test("allowIamToGrantKeyUse drops only DenyKeyUseByUnlistedPrincipals, and then grantees need no principalArn", () => {
    const { policy } = build({ administratorArns: [ADMIN], deployerArns: [DEPLOYER], allowIamToGrantKeyUse: true }, (key) => key.grantDecrypt(new RecordingGrantee(null)));
    expect(sids(policy).filter((sid) => sid?.startsWith("Deny"))).toEqual(["DenyKeyUseByAdministrators", "DenyDeployPipelineKeyUseOutsideServices", "DenyGrantsForNonAwsResources"]);
  });

  test("a grantee without principalArn is refused while the key denies unlisted principals", () => {
    const key = new EncryptionKey(newStack(), "key", baseProps());
    expect(() => key.grantDecrypt(new RecordingGrantee(null))).toThrow(
      'encryption key "key": grantDecrypt to a grantee without principalArn; the key policy denies key use to principals it does not name',
    );
  });

  test("DenyKeyUseByAdministrators: administrators that are neither users nor deployers, every key use except through CloudWatch Logs", () => {
    const { policy } = build({ administratorArns: [ADMIN, DEPLOYER], deployerArns: [DEPLOYER] });
    expect(statement(policy, "DenyKeyUseByAdministrators")).toEqual({
      Sid: "DenyKeyUseByAdministrators",
      Effect: "Deny",
      Principal: { AWS: [ADMIN] },
      Action: KEY_USE,
      Resource: ["*"],
      Condition: { StringNotEquals: { "kms:ViaService": [`logs.${REGION}.amazonaws.com`] } },
    });
  });

  test("DenyDeployPipelineKeyUseOutsideServices: deployers that are not users, outside Lambda, Logs, Secrets Manager and SSM", () => {
    const other = `arn:aws:iam::${ACCOUNT}:role/other-pipeline`;
    const { policy } = build({ userArns: [other], deployerArns: [DEPLOYER, other] });
    expect(statement(policy, "DenyDeployPipelineKeyUseOutsideServices")).toEqual({
      Sid: "DenyDeployPipelineKeyUseOutsideServices",
      Effect: "Deny",
      Principal: { AWS: [DEPLOYER] },
      Action: KEY_USE,
      Resource: ["*"],
      Condition: {
        StringNotEquals: { "kms:ViaService": ["lambda", "logs", "secretsmanager", "ssm"].map((service) => `${service}.${REGION}.amazonaws.com`) },
      },
    });
  });

  test("DenyGrantsForNonAwsResources: nobody creates a grant that is not for an AWS resource", () => {
    expect(statement(build().policy, "DenyGrantsForNonAwsResources")).toEqual({
      Sid: "DenyGrantsForNonAwsResources",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["kms:CreateGrant"],
      Resource: ["*"],
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" } },
    });
  });

  test("no Deny names a management action, so the account can always manage the key", () => {
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (k) => k.allowCloudWatchLogs("/aws/lambda/a"));
    const denied = policy.Statement.filter((s) => s.Effect === "Deny").flatMap((s) => s.Action as string[]);
    expect([...new Set(denied)].sort()).toEqual(["kms:CreateGrant", ...KEY_USE].sort());
  });

  test("the deployer creates the registered log groups through CloudWatch Logs only, and describes the key through it", () => {
    const { policy } = build({ deployerArns: [DEPLOYER] }, (k) => k.allowCloudWatchLogs("/aws/lambda/a"));
    const logGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/a`;
    expect(statement(policy, "DeployPipelineCreatesEncryptedLogGroups")).toEqual({
      Sid: "DeployPipelineCreatesEncryptedLogGroups",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:ViaService": `logs.${REGION}.amazonaws.com` }, ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [logGroup] } },
    });
    expect(statement(policy, "DeployPipelineDescribesKeyForCloudWatchLogs").Condition).toEqual({ StringEquals: { "kms:ViaService": `logs.${REGION}.amazonaws.com` } });
  });
});

describe("validation", () => {
  function create(overrides: Partial<EncryptionKeyProps>): () => EncryptionKey {
    return () => new EncryptionKey(newStack(), "key", baseProps(overrides));
  }

  test.each([89, 2561, 365.5, 0, -1])("fails when rotationPeriodDays is %p", (days) => {
    expect(create({ rotationPeriodDays: days })).toThrow(
      `encryption key "key": rotationPeriodDays ${days} is out of range; use a whole number from 90 to 2560`,
    );
  });

  test.each([6, 31, 7.5])("fails when deletionWindowDays is %p", (days) => {
    expect(create({ deletionWindowDays: days })).toThrow(`encryption key "key": deletionWindowDays ${days} is out of range; use a whole number from 7 to 30`);
  });

  test.each(["alias/aws/foo", "aws/foo"])("fails when an alias is reserved for AWS: %p", (alias) => {
    expect(create({ aliases: ["ok", alias] })).toThrow(`encryption key "key": alias "${alias}" is reserved for AWS managed keys`);
  });

  test.each(["lambda env", "alias/", "", "lambda.env", "läm"])("fails when an alias has invalid characters or is empty: %p", (alias) => {
    expect(create({ aliases: [alias] })).toThrow(`encryption key "key": alias "${alias}" is invalid`);
  });

  test("fails when an alias is longer than 256 characters with its prefix", () => {
    const ok = "a".repeat(250);
    expect(create({ aliases: [ok] })).not.toThrow();
    expect(create({ aliases: [`${ok}b`] })).toThrow(`alias "${ok}b" is invalid`);
  });

  test("fails when the same alias is listed twice (with and without prefix)", () => {
    expect(create({ aliases: ["lambda-env", "alias/lambda-env"] })).toThrow(
      'encryption key "key": alias "alias/lambda-env" is listed twice; list each alias once',
    );
  });

  test("fails when the alias list is empty", () => {
    expect(create({ aliases: [] })).toThrow('encryption key "key": aliases is empty; give the key at least one alias');
  });

  test.each(["12345", "1111111111112", "11111111111a", ""])("fails when the account ID is %p", (accountId) => {
    expect(create({ accountId })).toThrow(`encryption key "key": accountId "${accountId}" is not a 12-digit AWS account ID`);
  });

  test.each(["eu-west", "EU-WEST-1", "euwest1", "eu-west-1a", "us-iso-east-1", "us-isob-east-1"])("fails when the region is %p", (region) => {
    expect(create({ region })).toThrow(`encryption key "key": region "${region}" is not an AWS region code`);
  });

  test.each([
    ["administratorArns", "*"],
    ["userArns", "arn:aws:sts::111111111111:assumed-role/deployer/session"],
    ["deployerArns", "111111111111"],
    ["userArns", "arn:aws:iam::111111111111:group/readers"],
    ["administratorArns", "arn:aws:iam::1111:role/admin"],
  ])("fails when %s holds %p, which is not an IAM principal ARN", (field, arn) => {
    expect(create({ [field]: [arn] })).toThrow(`encryption key "key": ${field}: "${arn}" is not an IAM principal ARN`);
  });

  test("a key policy over 32 KB fails synth validation with its size, and the limit is not hit by a normal policy", () => {
    const manyUsers = Array.from({ length: 700 }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/application-reader-role-${String(i).padStart(4, "0")}`);
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps({ userArns: manyUsers }));
    const rendered = JSON.parse(Testing.synth(stack)).resource.aws_kms_key;
    const size = Buffer.byteLength(Object.values(rendered as Record<string, { policy: string }>)[0].policy, "utf8");
    expect(size).toBeGreaterThan(32768);
    expect(() => Testing.synth(stack, true)).toThrow(
      `[stack/key] encryption key "key": key policy is ${size} bytes, over the 32768-byte limit; use fewer principals or group them in roles`,
    );
    expect(key.policy.statements.map((x) => x.sid)).toEqual(["EnableIamPoliciesForAccount", "KeyUsage", ...ALWAYS_DENIED]);

    const small = newStack();
    new EncryptionKey(small, "key", baseProps({ userArns: manyUsers.slice(0, 100) }));
    expect(() => Testing.synth(small, true)).not.toThrow();
  });

  test("statements added later count toward the 32 KB limit", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    expect(() => Testing.synth(stack, true)).not.toThrow();
    for (let i = 0; i < 400; i++) key.allowCloudWatchLogs(`/aws/lambda/a-rather-long-function-name-number-${i}`);
    expect(() => Testing.synth(stack, true)).toThrow(/key policy is \d+ bytes, over the 32768-byte limit/);
  });
});

describe("guards added for review findings", () => {
  test("fails when two aliases map to the same Terraform address", () => {
    expect(() => build({ aliases: ["team/app", "team-app"] })).toThrow(
      'encryption key "key": aliases "alias/team/app" and "alias/team-app" map to the same Terraform address "alias-team-app"; rename one of them',
    );
  });

  test.each([
    ["*", undefined],
    ["arn:aws:iam::*:root", undefined],
    ["*", {}],
  ])("fails when a key-policy statement allows the principal %p without a condition (%p)", (principal, conditions) => {
    expect(
      () => new PolicyStatement({ sid: "Open", principals: { AWS: [principal] }, actions: ["kms:Decrypt"], resources: ["*"], conditions }),
    ).toThrow(`policy statement Open allows the principal "${principal}" without a condition`);
  });

  test("fails when a condition operator has no keys", () => {
    expect(
      () => new PolicyStatement({ sid: "Open", principals: { AWS: ["*"] }, actions: ["kms:Decrypt"], resources: ["*"], conditions: { StringEquals: {} } }),
    ).toThrow('policy statement Open: condition operator "StringEquals" has no keys');
  });

  test("accepts Principal \"*\" when a condition narrows it, and renders it", () => {
    const { policy } = build({}, (key) =>
      key.addToKeyPolicy(
        new PolicyStatement({
          sid: "AccountViaLambda",
          principals: { AWS: ["*"] },
          actions: ["kms:Decrypt"],
          resources: ["*"],
          conditions: { StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": "lambda.eu-west-1.amazonaws.com" } },
        }),
      ),
    );
    expect(statement(policy, "AccountViaLambda").Condition).toEqual({
      StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": "lambda.eu-west-1.amazonaws.com" },
    });
  });
});
