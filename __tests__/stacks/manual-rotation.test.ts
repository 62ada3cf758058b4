import * as fs from "fs";
import { Testing } from "cdktf";

import { validateConfig } from "../../config/validate-config";
import { addStacks } from "../../stacks/synthesize-app";
import { WorkloadStack } from "../../stacks/workload-stack";
import { configRefusal, defaultConfigDocument as doc, Json, makeStackTestFolder } from "../support/stack-config";

let tmp: string;
let configFile: string;
let outdir: string;
const appOutdirs: string[] = [];

beforeAll(() => {
  ({ tmp, configFile, outdir } = makeStackTestFolder("manual-rotation-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const folder of appOutdirs) fs.rmSync(folder, { recursive: true, force: true });
});

const PRODUCTION = 1;
const STACK = "production-eu-west-1";
const KEY_USER = "arn:aws:iam::222222222222:role/incident-responder";
/** The Terraform address of generation 1's alias in every existing deployment (__tests__/fixtures/terraform-addresses). */
const GENERATION_1_ALIAS_ADDRESS = "aws_kms_alias.workload-key_alias-payments-lambda-env_BCBDDFF4";

/** The default configuration with production's key generations set as given. */
function rotated(generations: { keyGeneration?: number; retiringKeyGenerations?: number[]; encryptedEnvironmentKeyGeneration?: number }): Json {
  const document = doc();
  Object.assign(document.accounts[PRODUCTION], generations);
  return document;
}

/** The stack of `STACK` and its Terraform JSON. */
function synthesize(document: Json): { stack: WorkloadStack; json: Json } {
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const stacks = addStacks(app, validateConfig(document, configFile), outdir);
  const stack = stacks.find((s): s is WorkloadStack => s instanceof WorkloadStack && s.node.id === STACK)!;
  return { stack, json: JSON.parse(Testing.synth(stack, true)) };
}

function keys(json: Json): Record<string, Json> {
  return json.resource.aws_kms_key;
}

function policyOf(key: Json): { Statement: { Sid: string; Effect: string; Action: string[]; Principal?: { AWS?: string[] } }[] } {
  return JSON.parse(key.policy);
}

/** Alias name → the logical ID of the key it points at. */
function aliasTargets(json: Json): Record<string, string> {
  return Object.fromEntries(Object.values(json.resource.aws_kms_alias as Record<string, Json>).map((a) => [a.name, /aws_kms_key\.([^.]+)\.key_id/.exec(a.target_key_id)![1]]));
}

const refusal = (document: Json): string => configRefusal(document, configFile);

describe("before the first manual rotation", () => {
  test("one key with the configured aliases, at the address it always had, and no moved block", () => {
    const { json } = synthesize(doc());
    expect(Object.keys(keys(json))).toEqual(["workload-key_7A142891"]);
    expect(aliasTargets(json)).toEqual({ "alias/payments-lambda-env": "workload-key_7A142891" });
    expect(json.moved).toBeUndefined();
  });
});

describe("generation 2, generation 1 retiring", () => {
  const document = () => rotated({ keyGeneration: 2, retiringKeyGenerations: [1] });

  test("a new key at its own address takes the configured alias; the old key keeps only its generation alias", () => {
    const { json, stack } = synthesize(document());
    const current = "workload-key-generation-2_key_5002E8CC";
    expect(Object.keys(keys(json)).sort()).toEqual([current, "workload-key_7A142891"]);
    expect(aliasTargets(json)).toEqual({
      "alias/payments-lambda-env": current,
      "alias/payments-lambda-env-generation-2": current,
      "alias/payments-lambda-env-generation-1": "workload-key_7A142891",
    });
    expect(stack.key.decryptOnly).toBe(false);
    expect(stack.retiringKeys.get(1)!.decryptOnly).toBe(true);
    expect(keys(json)["workload-key_7A142891"].description).toBe(
      "payments: decrypt-only (retiring), generation 1 of the key for Lambda environment variables and logs in production/eu-west-1",
    );
  });

  test("a moved block carries the configured alias from generation 1's address to the new key's, so Terraform updates it in place", () => {
    const { json } = synthesize(document());
    expect(json.moved).toEqual([{ from: GENERATION_1_ALIAS_ADDRESS, to: "aws_kms_alias.workload-key-generation-2_alias-payments-lambda-env_BE7C1A5B" }]);
    expect(Object.keys(json.resource.aws_kms_alias)).toContain("workload-key-generation-2_alias-payments-lambda-env_BE7C1A5B");
  });

  test("the retiring key is decrypt-only; the new key lets key users re-encrypt into it", () => {
    const { json } = synthesize(document());
    const retiring = policyOf(keys(json)["workload-key_7A142891"]);
    expect(retiring.Statement.find((s) => s.Sid === "DenyEncryptionWithRetiringKey")).toMatchObject({
      Effect: "Deny",
      Principal: { AWS: ["*"] },
      Action: ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptTo"],
    });
    expect(retiring.Statement.find((s) => s.Sid === "KeyUsage")).toMatchObject({ Principal: { AWS: [KEY_USER] }, Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"] });
    const current = policyOf(keys(json)["workload-key-generation-2_key_5002E8CC"]);
    expect(current.Statement.map((s) => s.Sid)).not.toContain("DenyEncryptionWithRetiringKey");
    expect(current.Statement.find((s) => s.Sid === "ReEncryptIntoThisKey")).toEqual({
      Sid: "ReEncryptIntoThisKey",
      Effect: "Allow",
      Principal: { AWS: [KEY_USER] },
      Action: ["kms:ReEncryptTo"],
      Resource: ["*"],
    });
    expect(current.Statement.find((s) => s.Sid === "ReEncryptWithinThisKey")).toEqual({
      Sid: "ReEncryptWithinThisKey",
      Effect: "Allow",
      Principal: { AWS: [KEY_USER] },
      Action: ["kms:ReEncryptFrom"],
      Resource: ["*"],
      Condition: { Bool: { "kms:ReEncryptOnSameKey": "true" } },
    });
  });

  test("functions, log groups, secrets and parameters use the new key; the role decrypts helper values with both keys, with its own context only", () => {
    const { json } = synthesize(document());
    const current = "${aws_kms_key.workload-key-generation-2_key_5002E8CC.arn}";
    const previous = "${aws_kms_key.workload-key_7A142891.arn}";
    const withEnvironment = Object.values(json.resource.aws_lambda_function as Record<string, Json>).filter((fn) => fn.environment !== undefined);
    expect(withEnvironment.length).toBeGreaterThan(0);
    for (const fn of withEnvironment) expect(fn.kms_key_arn).toBe(current);
    for (const group of Object.values(json.resource.aws_cloudwatch_log_group as Record<string, Json>)) expect(group.kms_key_id).toBe(current);
    for (const secret of Object.values(json.resource.aws_secretsmanager_secret as Record<string, Json>)) expect(secret.kms_key_id).toBe(current);
    for (const parameter of Object.values(json.resource.aws_ssm_parameter as Record<string, Json>)) expect(parameter.key_id).toBe(current);
    const rolePolicy = Object.entries(json.resource.aws_iam_role_policy as Record<string, Json>).find(([id]) => id.startsWith("orders-api"))![1];
    const statements = JSON.parse(rolePolicy.policy).Statement as { Sid: string; Action: string[]; Resource: string[]; Condition: Json }[];
    // The parameter keeps its creation key until its value is put again: the role may still decrypt it through SSM with the old key.
    expect(statements.find((s) => s.Sid === "DecryptParameterSecretPaymentsOrdersApiPartnerWebhookTokenWithWorkloadKey")).toMatchObject({
      Resource: [previous],
      Condition: { StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } },
    });
    const helper = statements.filter((s) => s.Sid.startsWith("DecryptHelperEncryptedValues"));
    expect(helper).toEqual([
      {
        Sid: "DecryptHelperEncryptedValues",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [current],
        Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders-api" } },
      },
      {
        Sid: "DecryptHelperEncryptedValuesWithWorkloadKey",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [previous],
        Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders-api" } },
      },
    ]);
  });

  test("CloudWatch Logs and the deploy pipeline can still read what the retiring key encrypted before the move", () => {
    const { json } = synthesize(document());
    const sids = policyOf(keys(json)["workload-key_7A142891"]).Statement.map((s) => s.Sid);
    expect(sids).toEqual(
      expect.arrayContaining(["CloudWatchLogsEncryptsLogGroups", "DeployPipelineManagesSecrets", "DeployPipelineManagesParameters", "DeployPipelineReadsLambdaEnvironments"]),
    );
    expect(sids).not.toContain("DeployPipelineConfiguresLambda");
  });

  test("both keys have their alarms, the retiring key's named after its generation alias", () => {
    const { json } = synthesize(document());
    const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm as Record<string, Json>)
      .map((a) => a.alarm_name)
      .sort();
    expect(alarms).toEqual([
      "payments-lambda-env-eu-west-1-denied-key-use",
      "payments-lambda-env-eu-west-1-key-change",
      "payments-lambda-env-eu-west-1-unexpected-key-use",
      "payments-lambda-env-generation-1-eu-west-1-denied-key-use",
      "payments-lambda-env-generation-1-eu-west-1-key-change",
      "payments-lambda-env-generation-1-eu-west-1-unexpected-key-use",
    ]);
  });

  test("the key_arn output is the new key's", () => {
    const { json } = synthesize(document());
    expect(json.output.key_arn.value).toBe("${aws_kms_key.workload-key-generation-2_key_5002E8CC.arn}");
  });
});

describe("later generations", () => {
  test("generation 3 chains the moved blocks 1 → 2 → 3, so the alias reaches the new key from either earlier address", () => {
    const { json } = synthesize(rotated({ keyGeneration: 3, retiringKeyGenerations: [1, 2] }));
    expect(json.moved).toEqual([
      { from: GENERATION_1_ALIAS_ADDRESS, to: "aws_kms_alias.workload-key-generation-2_alias-payments-lambda-env_BE7C1A5B" },
      {
        from: "aws_kms_alias.workload-key-generation-2_alias-payments-lambda-env_BE7C1A5B",
        to: expect.stringMatching(/^aws_kms_alias\.workload-key-generation-3_alias-payments-lambda-env_[0-9A-F]{8}$/),
      },
    ]);
    expect(Object.keys(keys(json))).toHaveLength(3);
  });

  test("retiring generation 1 once the ciphertexts are re-encrypted removes its key (Terraform schedules its deletion) and its alarms", () => {
    const { json } = synthesize(rotated({ keyGeneration: 2, retiringKeyGenerations: [], encryptedEnvironmentKeyGeneration: 2 }));
    expect(Object.keys(keys(json))).toEqual(["workload-key-generation-2_key_5002E8CC"]);
    expect(Object.values(json.resource.aws_cloudwatch_metric_alarm as Record<string, Json>).map((a) => a.alarm_name)).not.toContainEqual(expect.stringContaining("generation-1"));
    // Nothing may still ask for the retired key.
    expect(JSON.stringify(json)).not.toContain("workload-key_7A142891");
  });
});

describe("refused at config load", () => {
  test("retiring a generation that encryptedEnvironment ciphertexts may still use", () => {
    const message = refusal(rotated({ keyGeneration: 2, retiringKeyGenerations: [] }));
    expect(message).toContain(
      "accounts[1].retiringKeyGenerations: does not list generation 1, so its keys would be scheduled for deletion, but encryptedEnvironmentKeyGeneration is 1",
    );
    expect(message).toContain("function(s) orders-api");
    expect(message).toContain("npm run reencrypt -- --config <file> --account production --write");
  });

  test("skipping a generation between the ciphertexts' and the current one", () => {
    const message = refusal(rotated({ keyGeneration: 3, retiringKeyGenerations: [1] }));
    expect(message).toContain("does not list generation 2");
    expect(message).not.toContain("does not list generation 1");
  });

  test("an account without encrypted values may retire at once", () => {
    const document = rotated({ keyGeneration: 2, retiringKeyGenerations: [] });
    document.functions[0].accounts = ["staging"];
    for (const key of Object.keys(document.functions[0].encryptedEnvironment.PARTNER_API_KEY)) {
      if (key.startsWith("production-")) delete document.functions[0].encryptedEnvironment.PARTNER_API_KEY[key];
    }
    for (const key of Object.keys(document.functions[0].environmentOverrides ?? {})) if (key.startsWith("production")) delete document.functions[0].environmentOverrides[key];
    expect(() => validateConfig(document, configFile)).not.toThrow();
  });

  test.each([
    [{ keyGeneration: 2, retiringKeyGenerations: [2] }, "accounts[1].retiringKeyGenerations[0]: 2 is not below keyGeneration 2"],
    [{ keyGeneration: 3, retiringKeyGenerations: [1, 2, 1] }, "accounts[1].retiringKeyGenerations[2]: 1 is listed twice"],
    [{ keyGeneration: 2, retiringKeyGenerations: [1], encryptedEnvironmentKeyGeneration: 3 }, "accounts[1].encryptedEnvironmentKeyGeneration: 3 is above keyGeneration 2"],
    [{ keyGeneration: 0 }, "accounts[1].keyGeneration"],
    [{ keyGeneration: 100 }, "accounts[1].keyGeneration"],
  ])("%j", (generations, expected) => {
    expect(refusal(rotated(generations))).toContain(expected);
  });

  test("a function named like a later generation's key", () => {
    const document = doc();
    document.functions[0].name = "workload-key-generation-2";
    expect(refusal(document)).toContain('functions[0].name: "workload-key-generation-2" is used by the stack itself');
  });
});
