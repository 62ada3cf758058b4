import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { deployerPolicyDocument } from "../../modules/deployer-policy-document";
import { EncryptionKey, EncryptionKeyProps } from "../../modules/encryption-key";
import { KeyGrantProps } from "../../modules/key-grant";
import { stackView } from "../../modules/compliance/stack-view";
import { onlyResourceOf, referenceTo } from "../support/matchers";
import { PolicyJson, PolicyStatementJson, newStack as newStackIn, statementBySid, synthJson, appStackDir } from "../support/synth";
import { checkStack } from "../../tooling/stack-check";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "key-grant-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deploy-pipeline`;
const USER = `arn:aws:iam::${ACCOUNT}:role/key-reader`;
const BATCH = `arn:aws:iam::${ACCOUNT}:role/orders-batch`;
const REPORTS = `arn:aws:iam::${ACCOUNT}:role/reports`;
const ORDERS = { LambdaFunctionName: "orders-api" };

const newStack = () => newStackIn(OUTDIR, REGION);
const newKey = (stack: TerraformStack, props: Partial<EncryptionKeyProps> = {}) =>
  new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"], deployerArns: [DEPLOYER], ...props });

function keyPolicy(stack: TerraformStack): PolicyJson {
  const [, key] = onlyResourceOf(synthJson(stack), KmsKey);
  return JSON.parse(key.policy as string) as PolicyJson;
}

const sids = (policy: PolicyJson) => policy.Statement.map((s) => s.Sid);

describe("the grant resource", () => {
  test("defaults: Decrypt only, EncryptionContextEquals, revoked on delete, named after the construct, on the key's ID", () => {
    const stack = newStack();
    const key = newKey(stack);
    const grant = key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    new TerraformOutput(stack, "grant_token", { value: grant.grantToken });
    const json = synthJson(stack);
    const [, resource] = onlyResourceOf(json, KmsGrant);
    expect(resource).toEqual({
      key_id: referenceTo(json, KmsKey, "key_id"),
      name: "orders-batch",
      grantee_principal: BATCH,
      operations: ["Decrypt"],
      constraints: [{ encryption_context_equals: { LambdaFunctionName: "orders-api" } }],
      retire_on_delete: false,
    });
    expect(grant.constraintType).toBe("EncryptionContextEquals");
    const [grantId] = onlyResourceOf(json, KmsGrant);
    expect(json.output.grant_token.value).toBe(`\${aws_kms_grant.${grantId}.grant_token}`);
  });

  test("a subset constraint, a retiring principal that retires it on delete, several operations and a name of its own", () => {
    const stack = newStack();
    newKey(stack).addConstrainedGrant("reports", {
      granteePrincipalArn: REPORTS,
      operations: ["Decrypt", "GenerateDataKey"],
      encryptionContextSubset: { Department: "finance" },
      retiringPrincipalArn: DEPLOYER,
      retireOnDelete: true,
      name: "reports/finance",
    });
    const [, resource] = onlyResourceOf(synthJson(stack), KmsGrant);
    expect(resource.constraints).toEqual([{ encryption_context_subset: { Department: "finance" } }]);
    expect(resource.operations).toEqual(["Decrypt", "GenerateDataKey"]);
    expect(resource.retiring_principal).toBe(DEPLOYER);
    expect(resource.retire_on_delete).toBe(true);
    expect(resource.name).toBe("reports/finance");
  });
});

describe("the key policy follows the grants", () => {
  test("without grants, the policy has no grant statements and DenyGrantsForNonAwsResources exempts nobody", () => {
    const stack = newStack();
    newKey(stack);
    const policy = keyPolicy(stack);
    expect(statementBySid(policy, "DenyGrantsForNonAwsResources").Condition).toEqual({ Bool: { "kms:GrantIsForAWSResource": "false" } });
    expect(sids(policy).filter((sid) => /Constrained|Unconstrained|Grantee|NotRegistered/.test(sid ?? ""))).toEqual([]);
  });

  test("grants for non-AWS resources are denied unless they name a grantee, carry a constraint and give registered operations only", () => {
    const stack = newStack();
    const key = newKey(stack);
    key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    key.addConstrainedGrant("reports", { granteePrincipalArn: REPORTS, operations: ["Decrypt", "Encrypt"], encryptionContextEquals: { Department: "finance" } });
    const policy = keyPolicy(stack);
    const denyAll = { Effect: "Deny", Principal: { AWS: ["*"] }, Action: ["kms:CreateGrant"], Resource: ["*"] };
    expect(statementBySid(policy, "DenyGrantsForNonAwsResources")).toEqual({
      Sid: "DenyGrantsForNonAwsResources",
      ...denyAll,
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" }, StringNotEquals: { "kms:GranteePrincipal": [BATCH, REPORTS] } },
    });
    expect(statementBySid(policy, "DenyUnconstrainedGrants")).toEqual({
      Sid: "DenyUnconstrainedGrants",
      ...denyAll,
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" }, Null: { "kms:GrantConstraintType": "true" } },
    });
    expect(statementBySid(policy, "DenyGrantOperationsNotRegistered")).toEqual({
      Sid: "DenyGrantOperationsNotRegistered",
      ...denyAll,
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" }, "ForAnyValue:StringNotEquals": { "kms:GrantOperations": ["Decrypt", "Encrypt"] } },
    });
  });

  test("each grantee is denied, whatever IAM allows, every operation and encryption-context value its grants do not give", () => {
    const stack = newStack();
    const key = newKey(stack);
    key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    key.addConstrainedGrant("billing-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: { LambdaFunctionName: "billing" } });
    key.addConstrainedGrant("reports", { granteePrincipalArn: REPORTS, operations: ["GenerateDataKey"], encryptionContextSubset: { Department: "finance", Team: "ap" } });
    const policy = keyPolicy(stack);
    const deny = (principal: string, actions: string[], condition?: PolicyStatementJson["Condition"]) => ({
      Effect: "Deny",
      Principal: { AWS: [principal] },
      Action: actions,
      Resource: ["*"],
      ...(condition ? { Condition: condition } : {}),
    });
    const keyUse = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];
    expect(statementBySid(policy, "DenyGrantee1OperationsOutsideGrants")).toEqual({
      Sid: "DenyGrantee1OperationsOutsideGrants",
      ...deny(BATCH, ["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair*", "kms:ReEncrypt*"]),
    });
    // Both grants' values: a request with either passes the Deny, any other value or none is denied.
    expect(statementBySid(policy, "DenyGrantee1ContextOutsideGrants")).toEqual({
      Sid: "DenyGrantee1ContextOutsideGrants",
      ...deny(BATCH, keyUse, { StringNotEquals: { "kms:EncryptionContext:LambdaFunctionName": ["orders-api", "billing"] } }),
    });
    expect(statementBySid(policy, "DenyGrantee2OperationsOutsideGrants").Action).toEqual([
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:GenerateDataKeyPair*",
      "kms:ReEncrypt*",
    ]);
    // One statement per context key: the keys of one condition must all match for a Deny to apply.
    expect(statementBySid(policy, "DenyGrantee2ContextOutsideGrants1").Condition).toEqual({ StringNotEquals: { "kms:EncryptionContext:Department": ["finance"] } });
    expect(statementBySid(policy, "DenyGrantee2ContextOutsideGrants2").Condition).toEqual({ StringNotEquals: { "kms:EncryptionContext:Team": ["ap"] } });
    // The grantees are listed, so DenyKeyUseByUnlistedPrincipals leaves their grants working.
    expect(statementBySid(policy, "DenyKeyUseByUnlistedPrincipals").Condition?.ArnNotEquals).toEqual({ "aws:PrincipalArn": [DEPLOYER, BATCH, REPORTS] });
  });

  test("the deploy pipeline may create constrained grants, list and revoke them; without deployers nobody is allowed by the key policy", () => {
    const stack = newStack();
    newKey(stack).addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    const policy = keyPolicy(stack);
    expect(statementBySid(policy, "DeployPipelineCreatesConstrainedGrants")).toEqual({
      Sid: "DeployPipelineCreatesConstrainedGrants",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:CreateGrant"],
      Resource: ["*"],
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" }, Null: { "kms:GrantConstraintType": "false" } },
    });
    expect(statementBySid(policy, "DeployPipelineManagesConstrainedGrants")).toEqual({
      Sid: "DeployPipelineManagesConstrainedGrants",
      Effect: "Allow",
      Principal: { AWS: [DEPLOYER] },
      Action: ["kms:ListGrants", "kms:RevokeGrant"],
      Resource: ["*"],
    });

    const withoutDeployers = newStack();
    newKey(withoutDeployers, { deployerArns: [] }).addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    expect(sids(keyPolicy(withoutDeployers)).filter((sid) => sid?.startsWith("DeployPipeline"))).toEqual([]);
  });

  test("a decryptOnly key takes Decrypt grants", () => {
    const stack = newStack();
    newKey(stack, { decryptOnly: true }).addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    expect(statementBySid(keyPolicy(stack), "DenyGrantOperationsNotRegistered").Condition?.["ForAnyValue:StringNotEquals"]).toEqual({ "kms:GrantOperations": ["Decrypt"] });
  });
});

describe("refused, naming the field and the fix", () => {
  const grant = (options: Partial<KeyGrantProps>, keyProps: Partial<EncryptionKeyProps> = {}) => {
    const stack = newStack();
    newKey(stack, keyProps).addConstrainedGrant("g", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS, ...options } as Omit<KeyGrantProps, "key">);
    return stack;
  };

  test.each([
    ["no constraint", { encryptionContextEquals: undefined }, /give exactly one of encryptionContextEquals and encryptionContextSubset; a grant without/],
    ["both constraints", { encryptionContextSubset: ORDERS }, /give exactly one of encryptionContextEquals and encryptionContextSubset \(both are given\)/],
    ["an empty constraint", { encryptionContextEquals: {} }, /encryptionContextEquals is empty; give at least one encryption-context pair/],
    ["more than 8 pairs", { encryptionContextEquals: Object.fromEntries([...Array(9).keys()].map((i) => [`k${i}`, "v"])) }, /has 9 pairs; KMS allows at most 8/],
    ["an empty value", { encryptionContextEquals: { LambdaFunctionName: "" } }, /encryptionContextEquals.LambdaFunctionName must be a non-empty string/],
    ["no operation", { operations: [] }, /operations is empty; give at least one of/],
    ["an operation that takes no encryption context", { operations: ["DescribeKey"] }, /operations: "DescribeKey" is not a grantable operation here; use \["Decrypt","Encrypt"/],
    ["an operation twice", { operations: ["Decrypt", "Decrypt"] }, /operations lists "Decrypt" twice/],
    [
      "an account root as grantee",
      { granteePrincipalArn: `arn:aws:iam::${ACCOUNT}:root` },
      /granteePrincipalArn "arn:aws:iam::111111111111:root" is not a literal role or user ARN/,
    ],
    [
      "a grantee in another partition",
      { granteePrincipalArn: `arn:aws-cn:iam::${ACCOUNT}:role/x` },
      /granteePrincipalArn: "arn:aws-cn:iam::111111111111:role\/x" is in partition "aws-cn".*write it as "arn:aws:iam::111111111111:role\/x"/,
    ],
    ["retiring on delete without a retiring principal", { retireOnDelete: true }, /retireOnDelete is true but no retiringPrincipalArn is given/],
    ["a name with a space", { name: "orders batch" }, /name "orders batch" is not a valid grant name/],
  ])("%s", (_what, options, message) => {
    expect(() => grant(options as Partial<KeyGrantProps>)).toThrow(message);
  });

  test("an operation that encrypts, on a decryptOnly key", () => {
    expect(() => grant({ operations: ["Decrypt", "Encrypt"] }, { decryptOnly: true })).toThrow(
      /operations \["Decrypt","Encrypt"\] on decryptOnly key "key"; a retiring key encrypts nothing, so grant "Decrypt" only/,
    );
  });

  test("a second grant of the same grantee on other encryption-context keys", () => {
    const stack = newStack();
    const key = newKey(stack);
    key.addConstrainedGrant("a", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    expect(() => key.addConstrainedGrant("b", { granteePrincipalArn: BATCH, encryptionContextEquals: { Department: "it" } })).toThrow(
      /grantee "arn:aws:iam::111111111111:role\/orders-batch" already has a grant on this key with EncryptionContextEquals on \["LambdaFunctionName"\], and this one has EncryptionContextEquals on \["Department"\]/,
    );
  });

  test.each([
    ["a key user", (key: EncryptionKey) => key.addListedPrincipal(USER), USER],
    ["the deploy pipeline", () => undefined, DEPLOYER],
  ])("a grantee that is also %s, at synth", (_what, list, grantee) => {
    const stack = newStack();
    const key = newKey(stack);
    list(key);
    key.addConstrainedGrant("g", { granteePrincipalArn: grantee, encryptionContextEquals: ORDERS });
    expect(() => synthJson(stack)).toThrow(/is the grantee of a constrained grant and also a principal the key policy names for other access/);
  });
});

describe("the deploy pipeline's IAM policy", () => {
  const manageKeys = (withGrant: boolean) => {
    const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    new AwsProvider(stack, "aws", { region: REGION, allowedAccountIds: [ACCOUNT] });
    const key = newKey(stack, { tags: { Project: "orders" } });
    if (withGrant) key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS });
    return deployerPolicyDocument([stackView(stack)])
      .statements.find((s) => s.sid === "ManageKmsKeys")
      ?.toJSON() as unknown as PolicyStatementJson;
  };

  test("manages the grants on the keys it manages, scoped by the keys' tags, revoking included; without grants, no grant action", () => {
    expect(manageKeys(false).Action.filter((action) => action.includes("Grant"))).toEqual([]);
    const statement = manageKeys(true);
    expect(statement.Action.filter((action) => action.includes("Grant"))).toEqual(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]);
    expect(statement.Resource).toEqual([`arn:aws:kms:${REGION}:${ACCOUNT}:key/*`]);
    expect(statement.Condition).toEqual({ StringEquals: { "aws:ResourceTag/Project": "orders" } });
  });
});

describe("terraform", () => {
  test("a key with grants validates and plans with the AWS provider", async () => {
    const stack = newStack();
    const key = newKey(stack, { preventDestroy: false });
    key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: ORDERS, retiringPrincipalArn: DEPLOYER });
    key.addConstrainedGrant("reports", { granteePrincipalArn: REPORTS, operations: ["Decrypt", "GenerateDataKey"], encryptionContextSubset: { Department: "finance" } });
    const result = await checkStack(appStackDir(stack), { validate: false });
    expect(result.validate.valid).toBe(true);
    expect(result.validate.warnings).toEqual([]);
    expect(result.plan.ran).toBe(true);
    if (!result.plan.ran) return;
    // key, alias, two grants
    expect(result.plan.resourcesToAdd).toBe(4);
  }, 180_000);
});
