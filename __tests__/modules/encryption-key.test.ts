import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EncryptionKey, EncryptionKeyProps } from "../../modules/encryption-key";
import { KEY_ADMIN_ACTIONS, KEY_MANAGEMENT_ACTIONS } from "../../modules/private/perms";
import { IGrantable } from "../../modules/grantable";
import { PolicyDocument, PolicyStatement } from "../../modules/policy-document";
import { offlineTerraform, onlyResourceOf, referenceTo, resourcesOf } from "../support/matchers";

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

/** The key-use actions the Denies name. */
const KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];

/** The whole policy of a key that names no principal and has no log group: the account statement and the Denies every key has. */
const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "EnableIamPoliciesForAccount", Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] }, Action: ["kms:*"], Resource: ["*"] },
    {
      Sid: "DenyKeyUseByUnlistedPrincipals",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: KEY_USE,
      Resource: ["*"],
      Condition: { Bool: { "aws:PrincipalIsAWSService": "false" }, StringNotEquals: { "kms:ViaService": [`logs.${REGION}.amazonaws.com`] } },
    },
    {
      Sid: "DenyGrantsForNonAwsResources",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["kms:CreateGrant"],
      Resource: ["*"],
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" } },
    },
  ],
};

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
  /** Testing.synth() of the stack, validations run: what the matchers take. */
  readonly synthesized: string;
  /** Terraform logical ID of the only aws_kms_key, for building expected references. */
  readonly keyLogicalId: string;
  /** The key policy, parsed, for walking its statements. */
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
  const synthesized = Testing.synth(stack, true);
  // The stack has exactly one aws_kms_key: onlyResourceOf throws otherwise.
  const [keyLogicalId, kmsKey] = onlyResourceOf(synthesized, KmsKey);
  return { stack, key, synthesized, keyLogicalId, policy: JSON.parse(kmsKey.policy as string), json: JSON.parse(synthesized) };
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
    const { synthesized } = build();
    // Every attribute, the whole key policy included; any other attribute fails.
    expect(synthesized).toHaveResourceWithExactly(
      KmsKey,
      {
        description: "Customer-managed key for Lambda environment variables and logs",
        customer_master_key_spec: "SYMMETRIC_DEFAULT",
        key_usage: "ENCRYPT_DECRYPT",
        is_enabled: true,
        multi_region: false,
        enable_key_rotation: true,
        rotation_period_in_days: 365,
        deletion_window_in_days: 30,
        bypass_policy_lockout_safety_check: false,
        policy: DEFAULT_KEY_POLICY,
        lifecycle: { prevent_destroy: true },
      },
      { exhaustive: true },
    );
  });

  test("the cdktf matcher agrees on the security-critical subset", () => {
    const stack = newStack();
    new EncryptionKey(stack, "key", baseProps());
    const synthesized = Testing.synth(stack);
    expect(synthesized).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      bypass_policy_lockout_safety_check: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(synthesized).toHaveResourceWithProperties(KmsAlias, { name: "alias/lambda-env" });
    expect(synthesized).toHaveProviderWithProperties(AwsProvider, { region: REGION });
  });

  test.each([90, 180, 2560])("rotation period %p days is rendered as given", (days) => {
    const { synthesized } = build({ rotationPeriodDays: days });
    expect(synthesized).toHaveResourceWithExactly(KmsKey, { rotation_period_in_days: days, enable_key_rotation: true });
  });

  test.each([7, 14, 30])("deletion window %p days is rendered as given", (days) => {
    expect(build({ deletionWindowDays: days }).synthesized).toHaveResourceWithExactly(KmsKey, { deletion_window_in_days: days });
  });

  test("prevent_destroy is false only when opted out", () => {
    expect(build({ preventDestroy: false }).synthesized).toHaveResourceWithExactly(KmsKey, { lifecycle: { prevent_destroy: false } });
    expect(build({ preventDestroy: true }).synthesized).toHaveResourceWithExactly(KmsKey, { lifecycle: { prevent_destroy: true } });
  });

  test("description and tags are passed through", () => {
    const { synthesized } = build({ description: "orders key", tags: { team: "orders" } });
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { description: "orders key", tags: { team: "orders" } });
  });

  test("exposes key ARN and key ID as references to the resource", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    new TerraformOutput(stack, "arn", { value: key.keyArn });
    new TerraformOutput(stack, "id", { value: key.keyId });
    const { json, synthesized } = synthesize(stack, key);
    expect(json.output.arn.value).toBe(referenceTo(synthesized, KmsKey, "arn"));
    expect(json.output.id.value).toBe(referenceTo(synthesized, KmsKey, "key_id"));
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
    const { synthesized, policy } = build();
    expect(sids(policy)).toEqual(["EnableIamPoliciesForAccount", ...ALWAYS_DENIED]);
    expect(synthesized).toHaveResourceWithExactly(KmsKey, { policy: DEFAULT_KEY_POLICY });
  });

  test("empty principal lists add no statements", () => {
    const { synthesized } = build({ administratorArns: [], userArns: [], deployerArns: [] });
    expect(synthesized).toHaveResourceWithExactly(KmsKey, { policy: DEFAULT_KEY_POLICY });
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
    const { policy } = build({ administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] }, (key) => key.allowCloudWatchLogs("/aws/lambda/orders"));
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
    const withGrant = policy.Statement.filter(
      (s) => s.Effect === "Allow" && s.Sid !== "EnableIamPoliciesForAccount" && s.Action.some((a) => a === "kms:CreateGrant" || a === "kms:*"),
    );
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
        "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders`, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/billing`],
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

  test('no Allow statement in any configuration names Principal "*"', () => {
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
    const { synthesized } = build({ aliases: ["lambda-env"] });
    expect(synthesized).toHaveResourceWithExactly(KmsAlias, { name: "alias/lambda-env", target_key_id: referenceTo(synthesized, KmsKey, "key_id") }, { exhaustive: true });
  });

  test("keeps an existing alias/ prefix", () => {
    const { synthesized, key } = build({ aliases: ["alias/orders/env"] });
    expect(synthesized).toHaveResourceWithExactly(KmsAlias, { name: "alias/orders/env" });
    expect(key.aliasNames).toEqual(["alias/orders/env"]);
  });

  test("several aliases give several aws_kms_alias resources, all targeting the key", () => {
    const { synthesized, key } = build({ aliases: ["lambda-env", "alias/orders", "team/app_1"] });
    expect(
      resourcesOf(synthesized, KmsAlias)
        .map(([, alias]) => alias.name)
        .sort(),
    ).toEqual(["alias/lambda-env", "alias/orders", "alias/team/app_1"]);
    expect(synthesized).toHaveResourceWithExactly(KmsAlias, { target_key_id: referenceTo(synthesized, KmsKey, "key_id") }, { each: true });
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
    const { synthesized } = synthesize(stack, key);
    const policy = JSON.parse(onlyResourceOf(synthesized, IamPolicy, "grantee")[1].policy as string) as { Statement: Statement[] };
    return { synthesized, policy, keyArn: referenceTo(synthesized, KmsKey, "arn"), returned, grantee };
  }

  test("without options: kms:Decrypt on exactly the key ARN, no condition", () => {
    const { synthesized, keyArn, returned, grantee } = grant();
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, {
      policy: { Version: "2012-10-17", Statement: [{ Sid: "DecryptWithLambdaEnv", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [keyArn] }] },
    });
    expect(grantee.document.statements).toEqual(returned.statements);
  });

  test("the default sid is built from the first alias", () => {
    const { policy } = grant(undefined, ["team/orders-env_v2", "other"]);
    expect(policy.Statement[0].Sid).toBe("DecryptWithTeamOrdersEnvV2");
  });

  test("encryption context and calling service become StringEquals conditions", () => {
    const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
    const { synthesized, keyArn } = grant({
      sid: "DecryptSecrets",
      encryptionContext: { "aws:lambda:FunctionArn": fnArn, SecretARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf" },
      viaService: `secretsmanager.${REGION}.amazonaws.com`,
    });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, {
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DecryptSecrets",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: {
              StringEquals: {
                "kms:EncryptionContext:aws:lambda:FunctionArn": fnArn,
                "kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf",
                "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
              },
            },
          },
        ],
      },
    });
  });

  test("only a viaService gives only the kms:ViaService condition", () => {
    const { synthesized, keyArn } = grant({ viaService: `ssm.${REGION}.amazonaws.com` });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, {
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DecryptWithLambdaEnv",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArn],
            Condition: { StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` } },
          },
        ],
      },
    });
  });

  test("an empty encryption context adds no condition", () => {
    const { synthesized, keyArn } = grant({ encryptionContext: {} });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, {
      policy: { Version: "2012-10-17", Statement: [{ Sid: "DecryptWithLambdaEnv", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [keyArn] }] },
    });
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
    expect(sids(policy).filter((sid) => sid?.startsWith("Deny"))).toEqual([
      "DenyKeyUseByAdministrators",
      "DenyDeployPipelineKeyUseOutsideServices",
      "DenyGrantsForNonAwsResources",
    ]);
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
    expect(create({ rotationPeriodDays: days })).toThrow(`encryption key "key": rotationPeriodDays ${days} is out of range; use a whole number from 90 to 2560`);
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
    expect(create({ aliases: ["lambda-env", "alias/lambda-env"] })).toThrow('encryption key "key": alias "alias/lambda-env" is listed twice; list each alias once');
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
    const [, rendered] = onlyResourceOf(Testing.synth(stack), KmsKey);
    const size = Buffer.byteLength(rendered.policy as string, "utf8");
    expect(size).toBeGreaterThan(32768);
    expect(() => Testing.synth(stack, true)).toThrow(
      `[stack/key] encryption key "key": key policy is ${size} bytes, over the 32768-byte limit; give fewer functions (log groups) this key, or use fewer principals or group them in roles`,
    );
    expect(key.policy.statements.map((x) => x.sid)).toEqual(["EnableIamPoliciesForAccount", "KeyUsage", ...ALWAYS_DENIED]);

    const small = newStack();
    new EncryptionKey(small, "key", baseProps({ userArns: manyUsers.slice(0, 100) }));
    expect(() => Testing.synth(small, true)).not.toThrow();
  });

  test("statements added later count toward the 32 KB limit, and the error says how many log groups the policy lists", () => {
    const stack = newStack();
    const key = new EncryptionKey(stack, "key", baseProps());
    expect(() => Testing.synth(stack, true)).not.toThrow();
    for (let i = 0; i < 400; i++) key.allowCloudWatchLogs(`/aws/lambda/a-rather-long-function-name-number-${i}`);
    expect(() => Testing.synth(stack, true)).toThrow(
      /key policy is \d+ bytes, over the 32768-byte limit, 400 log groups of them listed by ARN; give fewer functions \(log groups\) this key/,
    );
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
    ["*", {}],
  ])("fails when a key-policy statement allows the principal %p without a condition (%p)", (principal, conditions) => {
    expect(() => new PolicyStatement({ sid: "Open", principals: { AWS: [principal] }, actions: ["kms:Decrypt"], resources: ["*"], conditions })).toThrow(
      `policy statement Open allows the principal "${principal}" without a condition`,
    );
  });

  test("fails when a condition operator has no keys", () => {
    expect(() => new PolicyStatement({ sid: "Open", principals: { AWS: ["*"] }, actions: ["kms:Decrypt"], resources: ["*"], conditions: { StringEquals: {} } })).toThrow(
      'policy statement Open: condition operator "StringEquals" has no keys',
    );
  });

  test('accepts Principal "*" when a condition narrows it, and renders it', () => {
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

describe("principals the key refuses (library users do not go through the config validator)", () => {
  const OTHER = "222222222222";

  function create(overrides: Partial<EncryptionKeyProps>): () => EncryptionKey {
    return () => new EncryptionKey(newStack(overrides.region ?? REGION), "key", baseProps(overrides));
  }

  describe("an ARN in another partition than the key's region", () => {
    test.each(["administratorArns", "userArns", "deployerArns", "helperEncrypterArns"] as const)(
      "refuses an aws ARN in %s of a cn-north-1 key, naming the path, the value and the fix",
      (field) => {
        expect(create({ region: "cn-north-1", [field]: [ADMIN] })).toThrow(
          `encryption key "key" (stack/key): ${field}: "${ADMIN}" is in partition "aws", but region "cn-north-1" is in partition "aws-cn", and an account belongs to one partition only; write it as "arn:aws-cn:iam::${ACCOUNT}:role/key-admin"`,
        );
      },
    );

    test.each([
      ["eu-west-1", `arn:aws-cn:iam::${ACCOUNT}:role/key-admin`, "aws-cn", "aws"],
      ["us-gov-west-1", ADMIN, "aws", "aws-us-gov"],
      ["cn-northwest-1", `arn:aws-us-gov:iam::${ACCOUNT}:root`, "aws-us-gov", "aws-cn"],
    ])("refuses, in region %s, the ARN %p (partition %s, expected %s)", (region, arn, partition, expected) => {
      expect(create({ region, userArns: [arn] })).toThrow(`userArns: "${arn}" is in partition "${partition}", but region "${region}" is in partition "${expected}"`);
    });

    test("accepts the ARNs of the region's partition, in every field", () => {
      const arn = (name: string) => `arn:aws-cn:iam::${ACCOUNT}:role/${name}`;
      const { key } = build({ region: "cn-north-1", administratorArns: [arn("admin")], userArns: [arn("user")], deployerArns: [arn("deploy")], helperEncrypterArns: [arn("op")] });
      expect(key.environment.partition).toBe("aws-cn");
    });

    test("skips the check while the region is a token", () => {
      const stack = newStack();
      const region = new TerraformVariable(stack, "region", { type: "string" }).stringValue;
      expect(() => new EncryptionKey(stack, "key", baseProps({ region, administratorArns: [`arn:aws-cn:iam::${ACCOUNT}:role/admin`] }))).not.toThrow();
    });

    test("refuses a partition that contradicts the region, before it could hide a wrong ARN", () => {
      expect(create({ region: "cn-north-1", partition: "aws", administratorArns: [ADMIN] })).toThrow(
        'encryption key "key": partition "aws" does not match region "cn-north-1", which is in partition "aws-cn"; remove partition (it is derived from the region) or correct it',
      );
    });

    test("refuses a principal of another partition in addToKeyPolicy and addListedPrincipal", () => {
      const key = create({ region: "cn-north-1" })();
      const statement = new PolicyStatement({ sid: "Readers", principals: { AWS: [USER] }, actions: ["kms:Decrypt"], resources: ["*"] });
      expect(() => key.addToKeyPolicy(statement)).toThrow(
        `encryption key "key" (stack/key): addToKeyPolicy statement "Readers" principals.AWS: "${USER}" is in partition "aws", but region "cn-north-1" is in partition "aws-cn"`,
      );
      expect(() => key.addListedPrincipal(USER)).toThrow(`encryption key "key" (stack/key): addListedPrincipal: "${USER}" is in partition "aws"`);
      expect(key.policy.statements.map((s) => s.sid)).not.toContain("Readers");
    });
  });

  describe("key management for another account", () => {
    test("refuses another account's root as an administrator, naming the path, the value and the fix", () => {
      expect(create({ administratorArns: [ADMIN, `arn:aws:iam::${OTHER}:root`] })).toThrow(
        `encryption key "key" (stack/key): administratorArns: "arn:aws:iam::${OTHER}:root" is the root of account ${OTHER}, not of the key's account ${ACCOUNT}; KMS does not let another account manage a key — name administrator roles of account ${ACCOUNT}, or give account ${OTHER} key use only, with userArns`,
      );
    });

    test("every administrator action is key management, except the four KMS honours across accounts", () => {
      // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
      const crossAccount = ["kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:RevokeGrant"];
      expect(KEY_ADMIN_ACTIONS.filter((action) => !(KEY_MANAGEMENT_ACTIONS as readonly string[]).includes(action))).toEqual(crossAccount);
    });

    test("refuses a bare account ID as an administrator (it is no IAM principal ARN)", () => {
      expect(create({ administratorArns: [OTHER] })).toThrow(`encryption key "key": administratorArns: "${OTHER}" is not an IAM principal ARN`);
    });

    test("accepts the key's own account root as an administrator, another account's root as a key user, and another account's role as an administrator", () => {
      const { policy } = build({
        administratorArns: [`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${OTHER}:role/key-admin`],
        userArns: [`arn:aws:iam::${OTHER}:root`],
      });
      expect(statement(policy, "KeyUsage").Principal).toEqual({ AWS: [`arn:aws:iam::${OTHER}:root`] });
      expect(statement(policy, "KeyAdministration").Principal).toEqual({ AWS: [`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${OTHER}:role/key-admin`] });
    });

    test.each([
      [OTHER, "kms:*", "kms:CancelKeyDeletion"],
      [`arn:aws:iam::${OTHER}:root`, "kms:Put*", "kms:PutKeyPolicy"],
      [OTHER, "kms:scheduleKeyDeletion", "kms:ScheduleKeyDeletion"],
      [`arn:aws:iam::${OTHER}:root`, "kms:*Alias", "kms:CreateAlias"],
    ])("addToKeyPolicy refuses an Allow that gives account %p %p (covers %s)", (principal, action, covered) => {
      const key = create({})();
      const statement = new PolicyStatement({ sid: "Partner", principals: { AWS: [principal] }, actions: ["kms:Decrypt", action], resources: ["*"] });
      expect(() => key.addToKeyPolicy(statement)).toThrow(
        `encryption key "key" (stack/key): addToKeyPolicy statement "Partner": principal "${principal}" is account ${OTHER}, not the key's account ${ACCOUNT}, and the statement gives it "${action}", which covers key management (${covered}); KMS does not let another account manage a key — give account ${OTHER} key use only, e.g. ["kms:Decrypt", "kms:DescribeKey"], or name it in userArns`,
      );
      expect(key.policy.statements.map((s) => s.sid)).not.toContain("Partner");
    });

    test("addToKeyPolicy accepts key use for another account, kms:* for the key's own account, and a Deny for another account", () => {
      const { policy } = build({}, (key) => {
        key.addToKeyPolicy(
          new PolicyStatement({ sid: "PartnerUse", principals: { AWS: [OTHER] }, actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"], resources: ["*"] }),
        );
        key.addToKeyPolicy(new PolicyStatement({ sid: "OwnAccount", principals: { AWS: [ACCOUNT] }, actions: ["kms:*"], resources: ["*"] }));
        key.addToKeyPolicy(new PolicyStatement({ sid: "DenyPartner", effect: "Deny", principals: { AWS: [OTHER] }, actions: ["kms:*"], resources: ["*"] }));
      });
      expect(statement(policy, "PartnerUse").Principal).toEqual({ AWS: [OTHER] });
      expect(statement(policy, "OwnAccount").Action).toEqual(["kms:*"]);
      expect(statement(policy, "DenyPartner").Effect).toBe("Deny");
    });
  });
});

describe("terraform", () => {
  const terraform = offlineTerraform();

  test("a key with every kind of principal, a log group, several aliases and custom periods is valid Terraform", () => {
    const stack = newStack();
    const key = new EncryptionKey(
      stack,
      "key",
      baseProps({
        administratorArns: [ADMIN],
        userArns: [USER],
        deployerArns: [DEPLOYER],
        helperEncrypterArns: [`arn:aws:iam::${ACCOUNT}:role/platform-operator`],
        rotationPeriodDays: 90,
        deletionWindowDays: 7,
        aliases: ["lambda-env", "team/app_1"],
      }),
    );
    key.allowCloudWatchLogs("/aws/lambda/orders");
    expect(terraform.fullSynth(stack)).toBeValidTerraform();
  }, 120_000);
});

describe("a key being retired after a manual rotation (decryptOnly)", () => {
  const ENCRYPTER = `arn:aws:iam::${ACCOUNT}:role/helper-encrypter`;
  const everyone = { administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER], helperEncrypterArns: [ENCRYPTER] };

  test("nobody but an AWS service calling as itself may encrypt, generate data keys or re-encrypt into it, whatever IAM allows", () => {
    const { policy } = build({ ...everyone, decryptOnly: true });
    expect(statement(policy, "DenyEncryptionWithRetiringKey")).toEqual({
      Sid: "DenyEncryptionWithRetiringKey",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptTo"],
      Resource: ["*"],
      Condition: { Bool: { "aws:PrincipalIsAWSService": "false" } },
    });
  });

  test("no Allow statement of a principal gives an action that produces ciphertext", () => {
    const { policy } = build({ ...everyone, decryptOnly: true }, (key) => {
      key.allowCloudWatchLogs("/aws/lambda/orders-api");
    });
    const allowed = policy.Statement.filter(
      (s) => s.Effect === "Allow" && typeof s.Principal === "object" && s.Principal.AWS !== undefined && s.Sid !== "EnableIamPoliciesForAccount",
    );
    expect(allowed.map((s) => s.Sid)).toEqual(["KeyAdministration", "KeyUsage", "DeployPipelineReadsLambdaEnvironments"]);
    const producing = allowed.flatMap((s) =>
      s.Action.filter((action) => /^kms:(\*|Encrypt|GenerateDataKey|ReEncryptTo|ReEncrypt\*)/.test(action)).map((action) => `${s.Sid}: ${action}`),
    );
    expect(producing).toEqual([]);
  });

  test("helper encrypters get nothing; key users may decrypt, describe and re-encrypt from it; the deployer may only read environments back through Lambda", () => {
    const { policy } = build({ ...everyone, decryptOnly: true });
    expect(sids(policy)).not.toContain("OperatorsEncryptHelperValues");
    expect(sids(policy)).not.toContain("DeployPipelineConfiguresLambda");
    expect(sids(policy)).not.toContain("DeployPipelineCreatesGrantsForAwsResources");
    expect(statement(policy, "KeyUsage")).toEqual({
      Sid: "KeyUsage",
      Effect: "Allow",
      Principal: { AWS: [USER] },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"],
      Resource: ["*"],
    });
    expect(statement(policy, "DeployPipelineReadsLambdaEnvironments")).toEqual({
      Sid: "DeployPipelineReadsLambdaEnvironments",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:Decrypt"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:ViaService": `lambda.${REGION}.amazonaws.com` } },
    });
    // The Denies of an ordinary key stay.
    for (const sid of [...ALWAYS_DENIED, "DenyKeyUseByAdministrators", "DenyHelperEncryptersReadingValues", "DenyDeployPipelineKeyUseOutsideServices"]) {
      expect(sids(policy)).toContain(sid);
    }
  });

  test("CloudWatch Logs keeps its statement for registered log groups: their earlier events stay encrypted under this key", () => {
    const { policy } = build({ decryptOnly: true }, (key) => key.allowCloudWatchLogs("/aws/lambda/orders-api"));
    expect(statement(policy, "CloudWatchLogsEncryptsLogGroups").Condition).toEqual({
      ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-api`] },
    });
  });

  test("an ordinary key has none of this", () => {
    const { policy, key } = build(everyone);
    expect(key.decryptOnly).toBe(false);
    expect(sids(policy)).not.toContain("DenyEncryptionWithRetiringKey");
    expect(sids(policy)).not.toContain("DeployPipelineReadsLambdaEnvironments");
    expect(statement(policy, "KeyUsage").Action).toEqual(["kms:Decrypt", "kms:DescribeKey"]);
  });
});

describe("multi-Region keys: a primary and its replicas", () => {
  const PRIMARY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
  const everyone = { administratorArns: [ADMIN], userArns: [USER], deployerArns: [DEPLOYER] };

  test("multiRegion makes the key a primary that nobody may replicate without replicaRegions; nothing else of it changes", () => {
    const single = build(everyone);
    const primary = build({ ...everyone, multiRegion: true });
    const [, key] = onlyResourceOf(primary.synthesized, KmsKey);
    expect(key.multi_region).toBe(true);
    expect(key.enable_key_rotation).toBe(true);
    expect({ ...key, multi_region: false, policy: undefined }).toEqual({ ...onlyResourceOf(single.synthesized, KmsKey)[1], policy: undefined });
    expect(primary.policy.Statement.filter((s) => s.Sid !== "DenyReplicationToOtherRegions")).toEqual(single.policy.Statement);
  });

  test("replicaOf creates an aws_kms_replica_key with the policy built for its own region, its aliases on it, and no aws_kms_key", () => {
    const stack = newStack("us-east-1");
    const key = new EncryptionKey(stack, "key", baseProps({ ...everyone, region: "us-east-1", replicaOf: PRIMARY_ARN, deletionWindowDays: 7 }));
    key.allowCloudWatchLogs("/aws/lambda/orders");
    const json = JSON.parse(Testing.synth(stack, true)) as Synthesized["json"];
    expect(resourcesOf(json, KmsKey)).toEqual([]);
    const [replicaId, replica] = onlyResourceOf(json, KmsReplicaKey);
    expect(replica).toEqual({
      primary_key_arn: PRIMARY_ARN,
      enabled: true,
      description: "Customer-managed key for Lambda environment variables and logs",
      deletion_window_in_days: 7,
      bypass_policy_lockout_safety_check: false,
      policy: expect.any(String),
      lifecycle: { prevent_destroy: true },
    });
    const [, alias] = onlyResourceOf(json, KmsAlias);
    expect(alias.target_key_id).toBe(`\${aws_kms_replica_key.${replicaId}.key_id}`);

    // The same principals as the primary's policy, with the conditions of the replica's region.
    const policy = JSON.parse(replica.policy as string) as { Statement: Statement[] };
    const primaryPolicy = build(everyone, (k) => k.allowCloudWatchLogs("/aws/lambda/orders")).policy;
    expect(policy.Statement.map((s) => s.Sid)).toEqual(primaryPolicy.Statement.map((s) => s.Sid));
    expect(JSON.stringify(policy)).toBe(JSON.stringify(primaryPolicy).replaceAll(REGION, "us-east-1"));
    expect(statement(policy, "DeployPipelineConfiguresLambda").Condition).toEqual({ StringEquals: { "kms:ViaService": "lambda.us-east-1.amazonaws.com" } });
    expect(statement(policy, "CloudWatchLogsEncryptsLogGroups").Principal).toEqual({ Service: ["logs.us-east-1.amazonaws.com"] });
  });

  test.each([
    ["a primary and a replica at once", { multiRegion: true, replicaOf: PRIMARY_ARN }, /multiRegion and replicaOf are both set/],
    ["a single-Region key ARN", { replicaOf: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` }, /is not the key ARN of a multi-Region key/],
    ["an alias ARN", { replicaOf: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/lambda-env` }, /is not the key ARN of a multi-Region key/],
    [
      "a primary in another account",
      { replicaOf: PRIMARY_ARN.replace(ACCOUNT, "999999999999") },
      /is in account 999999999999; a replica is created in the primary's account, 111111111111 here/,
    ],
    ["a primary in the replica's own region", { region: REGION, replicaOf: PRIMARY_ARN }, /is in region eu-west-1, the replica's own/],
    ["a primary in another partition", { region: "us-east-1", replicaOf: PRIMARY_ARN.replace("arn:aws:", "arn:aws-cn:") }, /is in partition "aws-cn", not the key's "aws"/],
  ])("refused: %s", (_what, overrides, message) => {
    expect(() => new EncryptionKey(newStack(), "key", baseProps({ region: "us-east-1", ...overrides }))).toThrow(message);
  });

  test("a primary may be replicated by the deploy pipeline to its replicaRegions, and by nobody anywhere else", () => {
    const { policy } = build({ ...everyone, multiRegion: true, replicaRegions: ["us-east-1", "eu-central-1"] });
    expect(statement(policy, "DeployPipelineReplicatesKey")).toEqual({
      Sid: "DeployPipelineReplicatesKey",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:ReplicateKey"],
      Resource: ["*"],
      Condition: { StringEquals: { "kms:ReplicaRegion": ["us-east-1", "eu-central-1"] } },
    });
    expect(statement(policy, "DenyReplicationToOtherRegions")).toEqual({
      Sid: "DenyReplicationToOtherRegions",
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["kms:ReplicateKey"],
      Resource: ["*"],
      Condition: { StringNotEquals: { "kms:ReplicaRegion": ["us-east-1", "eu-central-1"] } },
    });
    // Without replica regions, nobody may replicate it at all; a single-Region key has neither statement.
    const unreplicated = build({ ...everyone, multiRegion: true }).policy;
    expect(statement(unreplicated, "DenyReplicationToOtherRegions").Condition).toBeUndefined();
    expect(unreplicated.Statement.some((s) => s.Sid === "DeployPipelineReplicatesKey")).toBe(false);
    expect(build(everyone).policy.Statement.filter((s) => s.Sid?.includes("Replicat"))).toEqual([]);
  });

  test.each([
    ["replica regions of a single-Region key", { replicaRegions: ["us-east-1"] }, /replicaRegions is set but multiRegion is not/],
    ["the key's own region as a replica region", { multiRegion: true, replicaRegions: [REGION] }, /replicaRegions lists "eu-west-1", the key's own region/],
    [
      "a replica region in another partition",
      { multiRegion: true, replicaRegions: ["cn-north-1"] },
      /replicaRegions lists "cn-north-1", which is not in the key's partition "aws"/,
    ],
  ])("refused: %s", (_what, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  test("a replica of a primary given as a reference (another resource's ARN) is not checked at synth", () => {
    const stack = newStack("us-east-1");
    const primaryArn = new TerraformVariable(stack, "primary_arn", { type: "string" }).stringValue;
    new EncryptionKey(stack, "key", baseProps({ region: "us-east-1", replicaOf: primaryArn }));
    const [, replica] = onlyResourceOf(Testing.synth(stack, true), KmsReplicaKey);
    expect(replica.primary_key_arn).toBe("${var.primary_arn}");
  });
});
