import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AnnotationMetadataEntryType, TerraformStack, TerraformVariable } from "cdktf";
import { IConstruct } from "constructs";
import { EncryptedFunction } from "../../modules/encrypted-function";
import { EncryptionKey } from "../../modules/encryption-key";
import { IEncryptionKey } from "../../modules/encryption-key-interface";
import { ImportedEncryptionKey, ImportedEncryptionKeyOptions } from "../../modules/imported-encryption-key";
import { SecretsManagerSecret } from "../../modules/secrets-manager-secret";
import { SecureStringParameter } from "../../modules/secure-string-parameter";
import { newStack, onlyResource as only, PolicyStatementJson as Statement, Resources, statementBySid, synthJson } from "../support/synth";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "imported-encryption-key-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const CODE = path.resolve(__dirname, "../../functions/config-reader");
/** 48 bytes: long enough to pass for a KMS ciphertext. */
const CIPHERTEXT = Buffer.alloc(48, 7).toString("base64");

/** The statement the key's owner must add for CloudWatch Logs, as policy JSON, for these log groups. */
function logsStatement(...logGroups: string[]): Statement {
  return {
    Sid: "CloudWatchLogsEncryptsLogGroups",
    Effect: "Allow",
    Principal: { Service: [`logs.${REGION}.amazonaws.com`] },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    Resource: ["*"],
    Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroups.map((name) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`) } },
  };
}

function setup(keyArn = KEY_ARN, options: ImportedEncryptionKeyOptions = {}): { stack: TerraformStack; key: IEncryptionKey } {
  const stack = newStack(OUTDIR, REGION);
  return { stack, key: EncryptionKey.fromKeyArn(stack, "shared-key", keyArn, options) };
}

function warnings(construct: IConstruct): string[] {
  return construct.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.WARN).map((entry) => entry.data as string);
}

function roleStatements(resources: Resources): Statement[] {
  const [, rolePolicy] = only(resources, "aws_iam_role_policy");
  return (JSON.parse(rolePolicy.policy as string) as { Statement: Statement[] }).Statement;
}

function attempt(keyArn: string, options: ImportedEncryptionKeyOptions = {}): () => IEncryptionKey {
  return () => setup(keyArn, options).key;
}

describe("EncryptionKey.fromKeyArn", () => {
  test("reads account, region and partition from the ARN, returns the interface type, and synthesizes no key", () => {
    const { stack, key } = setup();
    expect(key).toBeInstanceOf(ImportedEncryptionKey);
    expect(key.keyArn).toBe(KEY_ARN);
    expect((key as ImportedEncryptionKey).keyId).toBe(KEY_ID);
    expect(key.environment).toEqual({ accountId: ACCOUNT, region: REGION, partition: "aws" });
    expect(key.requiredKeyPolicyStatements).toEqual([]);
    expect(synthJson(stack).resource).toBeUndefined();
    expect(warnings(key)).toEqual([]);
  });

  test.each([
    ["aws-cn", "cn-north-1", KEY_ID],
    ["aws-us-gov", "us-gov-west-1", KEY_ID],
    ["aws", "us-east-1", "mrk-1234abcd12ab34cd56ef1234567890ab"],
  ])("accepts partition %s, region %s and key ID %s", (partition, region, keyId) => {
    const key = setup(`arn:${partition}:kms:${region}:${ACCOUNT}:key/${keyId}`).key;
    expect(key.environment).toEqual({ accountId: ACCOUNT, region, partition });
    expect((key as ImportedEncryptionKey).keyId).toBe(keyId);
  });

  test("environment options that repeat the ARN's values are accepted", () => {
    expect(setup(KEY_ARN, { accountId: ACCOUNT, region: REGION, partition: "aws" }).key.environment).toEqual({ accountId: ACCOUNT, region: REGION, partition: "aws" });
  });

  test("a token ARN (known only at apply) is accepted with a literal account and region; the references pass through", () => {
    const stack = newStack(OUTDIR, REGION);
    const keyArn = new TerraformVariable(stack, "key_arn", { type: "string" });
    const key = EncryptionKey.fromKeyArn(stack, "shared-key", keyArn.stringValue, { accountId: ACCOUNT, region: REGION });
    expect(key.environment).toEqual({ accountId: ACCOUNT, region: REGION, partition: "aws" });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, environment: { LOG_LEVEL: "info" } });
    const resources = synthJson(stack).resource;
    expect(only(resources, "aws_lambda_function")[1].kms_key_arn).toBe("${var.key_arn}");
    expect(only(resources, "aws_cloudwatch_log_group")[1].kms_key_id).toBe("${var.key_arn}");
    expect(statementBySid({ Statement: roleStatements(resources) }, "DecryptOwnEnvironment").Resource).toEqual(["${var.key_arn}"]);
    // The warning cannot show the ARN (a token), so it names the key's account and region.
    expect(warnings(key)).toEqual([expect.stringMatching(/^imported key "shared-key" \(in account 111111111111, eu-west-1\): this app cannot change the key's policy/)]);
  });
});

describe("a function with an imported key", () => {
  function build() {
    const { stack, key } = setup();
    const fn = new EncryptedFunction(stack, "fn", {
      functionName: "orders",
      key,
      codeDirectory: CODE,
      environment: { LOG_LEVEL: "info" },
      encryptedEnvironment: { API_TOKEN: CIPHERTEXT },
    });
    const resources = synthJson(stack).resource;
    return { stack, key, fn, resources };
  }

  test("kms_key_arn and the log group's kms_key_id are the key's ARN, and no key or key policy is created", () => {
    const { resources } = build();
    expect(only(resources, "aws_lambda_function")[1].kms_key_arn).toBe(KEY_ARN);
    expect(only(resources, "aws_cloudwatch_log_group")[1]).toMatchObject({ name: "/aws/lambda/orders", kms_key_id: KEY_ARN, retention_in_days: 365 });
    expect(Object.keys(resources).sort()).toEqual(["aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy", "aws_lambda_function"]);
  });

  test("the role decrypts with exactly the key's ARN, under Lambda's and the helper's encryption contexts, as with an owned key", () => {
    const statements = roleStatements(build().resources);
    expect(statements.map((s) => s.Sid)).toEqual(["WriteOwnLogStreams", "DecryptOwnEnvironment", "DecryptHelperEncryptedValues"]);
    expect(statements[1]).toEqual({
      Sid: "DecryptOwnEnvironment",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KEY_ARN],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders` } },
    });
    expect(statements[2]).toEqual({
      Sid: "DecryptHelperEncryptedValues",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KEY_ARN],
      Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders" } },
    });
  });

  test("the CloudWatch Logs statement the key policy would get is listed for the key's owner instead, as policy JSON", () => {
    const { key } = build();
    expect(JSON.parse(JSON.stringify(key.requiredKeyPolicyStatements))).toEqual([logsStatement("/aws/lambda/orders")]);
  });

  test("synth adds one warning that names the key, the log group and the exact statements", () => {
    const { key } = build();
    const [warning, ...more] = warnings(key);
    expect(more).toEqual([]);
    const [text, json] = [warning.slice(0, warning.indexOf("\n")), warning.slice(warning.indexOf("\n") + 1)];
    expect(text).toBe(
      `imported key "shared-key" (${KEY_ARN}): this app cannot change the key's policy. Ask the key's owner to add the statements below to it, ` +
        'or CloudWatch Logs cannot use the key and creating the encrypted log groups "/aws/lambda/orders" fails (requiredKeyPolicyStatements has them too):',
    );
    expect(JSON.parse(json)).toEqual([logsStatement("/aws/lambda/orders")]);
  });

  test("two functions share one statement with both log groups; synthesizing again adds no second warning", () => {
    const { stack, key } = setup();
    new EncryptedFunction(stack, "orders", { functionName: "orders", key, codeDirectory: CODE });
    new EncryptedFunction(stack, "billing", { functionName: "billing", key, codeDirectory: CODE });
    synthJson(stack);
    synthJson(stack);
    const all = warnings(key);
    expect(all).toHaveLength(1);
    expect(all[0]).toContain('the encrypted log groups "/aws/lambda/orders", "/aws/lambda/billing" fails');
    expect(JSON.parse(all[0].slice(all[0].indexOf("\n") + 1))).toEqual([logsStatement("/aws/lambda/orders", "/aws/lambda/billing")]);
  });

  test("a function with a token name cannot register its log group with an imported key: the owner needs the literal ARN", () => {
    const { stack, key } = setup();
    const name = new TerraformVariable(stack, "name", { type: "string" });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: name.stringValue, key, codeDirectory: CODE })).toThrow(
      /^imported key "shared-key": log group name "\/aws\/lambda\/\$\{TfToken\[TOKEN\.\d+\]\}" is a token, but the key-policy statement the key owner must add needs the literal log group ARN; give the function a literal name, or use a key this app creates$/,
    );
  });

  test("an owned key needs nothing from anyone: its own policy gets the statement and no warning is added", () => {
    const stack = newStack(OUTDIR, REGION);
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"] });
    new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    const [, kmsKey] = only(synthJson(stack).resource, "aws_kms_key");
    expect(statementBySid(JSON.parse(kmsKey.policy as string), "CloudWatchLogsEncryptsLogGroups")).toEqual(logsStatement("/aws/lambda/orders"));
    expect(key.requiredKeyPolicyStatements).toEqual([]);
    expect(warnings(key)).toEqual([]);
  });
});

describe("secrets with an imported key", () => {
  test("the secret and the parameter are encrypted with the ARN; grantRead(fn) decrypts with exactly that key via the service", () => {
    const { stack, key } = setup();
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key });
    const parameter = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key });
    const fn = new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE });
    secret.grantRead(fn);
    parameter.grantRead(fn);
    const resources = synthJson(stack).resource;
    const [secretId, renderedSecret] = only(resources, "aws_secretsmanager_secret");
    expect(renderedSecret.kms_key_id).toBe(KEY_ARN);
    expect(only(resources, "aws_ssm_parameter")[1].key_id).toBe(KEY_ARN);
    const policy = { Statement: roleStatements(resources) };
    expect(statementBySid(policy, "DecryptSecretDbPassword")).toEqual({
      Sid: "DecryptSecretDbPassword",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KEY_ARN],
      Condition: {
        StringEquals: { "kms:EncryptionContext:SecretARN": `\${aws_secretsmanager_secret.${secretId}.arn}`, "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
      },
    });
    expect(statementBySid(policy, "DecryptParameterApiKey").Resource).toEqual([KEY_ARN]);
    expect(statementBySid(policy, "DecryptParameterApiKey").Condition).toEqual({
      StringEquals: { "kms:EncryptionContext:PARAMETER_ARN": `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/api-key`, "kms:ViaService": `ssm.${REGION}.amazonaws.com` },
    });
  });

  test("the same ARN imported twice is one key: a function may use a secret created with the other import", () => {
    const { stack, key } = setup();
    const again = EncryptionKey.fromKeyArn(stack, "shared-key-again", KEY_ARN);
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key: again });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: secret } })).not.toThrow();
  });

  test("a secret under another imported key is refused, naming both keys", () => {
    const { stack, key } = setup();
    const other = EncryptionKey.fromKeyArn(stack, "other-key", `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`);
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key: other });
    expect(() => new EncryptedFunction(stack, "fn", { functionName: "orders", key, codeDirectory: CODE, secrets: { DB_SECRET: secret } })).toThrow(
      'function "orders": secrets variable "DB_SECRET": secret "orders/db-password" is encrypted with key "stack/other-key", not with the function\'s key "stack/shared-key"; create the secret with the function\'s key',
    );
  });
});

describe("failures name the field, the value and the fix", () => {
  const lookUp = (arn: string) => `look the key ARN up with "aws kms describe-key --key-id ${arn} --query KeyMetadata.Arn"`;
  const form = "arn:<partition>:kms:<region>:<account-id>:key/<key-id>, e.g. arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/orders-lambda-env`;

  test.each([
    [
      "an alias ARN",
      aliasArn,
      `imported key "shared-key": keyArn "${aliasArn}" is an alias ARN, not a key ARN: an alias can be moved to another key, and kms_key_arn and IAM statements need the key's own ARN; ${lookUp(aliasArn)}`,
    ],
    [
      "an alias name",
      "alias/orders-lambda-env",
      `imported key "shared-key": keyArn "alias/orders-lambda-env" is an alias name, not a key ARN; ${lookUp("alias/orders-lambda-env")}`,
    ],
    ["a key ID", KEY_ID, `imported key "shared-key": keyArn "${KEY_ID}" is a key ID, not a key ARN; use the full ARN, ${form} (${lookUp(KEY_ID)})`],
    ["no ARN at all", "orders-key", `imported key "shared-key": keyArn "orders-key" is not an ARN; use ${form}`],
    [
      "an IAM role ARN",
      `arn:aws:iam::${ACCOUNT}:role/orders`,
      `imported key "shared-key": keyArn "arn:aws:iam::${ACCOUNT}:role/orders" is not a KMS key ARN (service "iam"); use ${form}`,
    ],
    ["an unsupported partition", `arn:aws-iso:kms:us-iso-east-1:${ACCOUNT}:key/${KEY_ID}`, `has partition "aws-iso"; use one of aws, aws-cn, aws-us-gov`],
    ["a region of another partition", `arn:aws:kms:cn-north-1:${ACCOUNT}:key/${KEY_ID}`, `has partition "aws", but region "cn-north-1" is in partition "aws-cn"; correct the ARN`],
    ["a malformed region", `arn:aws:kms:europe:${ACCOUNT}:key/${KEY_ID}`, `has region "europe", which is not an AWS region code; use one like "eu-west-1"`],
    ["a short account ID", `arn:aws:kms:${REGION}:12345:key/${KEY_ID}`, `has account "12345", which is not a 12-digit AWS account ID; correct the ARN`],
    [
      "a malformed key ID",
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/orders`,
      "does not end in key/<key-id> with a key ID such as 1234abcd-12ab-34cd-56ef-1234567890ab (or mrk-… for a multi-Region key)",
    ],
    ["no key/ prefix", `arn:aws:kms:${REGION}:${ACCOUNT}:${KEY_ID}`, "does not end in key/<key-id>"],
  ])("fails on %s", (_label, arn, message) => {
    expect(attempt(arn)).toThrow(message);
  });

  test("fails when an option contradicts the ARN", () => {
    expect(attempt(KEY_ARN, { region: "us-east-1" })).toThrow(
      `imported key "shared-key": region "us-east-1" does not match the region "${REGION}" in keyArn "${KEY_ARN}"; remove region (it is read from the ARN) or correct it`,
    );
    expect(attempt(KEY_ARN, { accountId: "222222222222" })).toThrow(`accountId "222222222222" does not match the accountId "${ACCOUNT}" in keyArn`);
  });

  describe("a token ARN", () => {
    function tokenAttempt(options: ImportedEncryptionKeyOptions): () => IEncryptionKey {
      return () => {
        const stack = newStack(OUTDIR, REGION);
        const keyArn = new TerraformVariable(stack, "key_arn", { type: "string" });
        return EncryptionKey.fromKeyArn(stack, "shared-key", keyArn.stringValue, options);
      };
    }

    test("fails without the account and region, saying why they are needed", () => {
      expect(tokenAttempt({ region: REGION })).toThrow(
        'imported key "shared-key": keyArn is a token (known only at apply), so the key\'s account and region cannot be read from it, and the constructs need them as literals to build function, log group and parameter ARNs; give accountId in the options, e.g. fromKeyArn(scope, id, arn, { accountId: "111111111111", region: "eu-west-1" })',
      );
      expect(tokenAttempt({ accountId: ACCOUNT })).toThrow("give region in the options");
    });

    test("fails when the account is a token too", () => {
      expect(() => {
        const stack = newStack(OUTDIR, REGION);
        const keyArn = new TerraformVariable(stack, "key_arn", { type: "string" });
        const account = new TerraformVariable(stack, "account", { type: "string" });
        return EncryptionKey.fromKeyArn(stack, "shared-key", keyArn.stringValue, { accountId: account.stringValue, region: REGION });
      }).toThrow('imported key "shared-key": accountId is a token too; with a token keyArn,');
    });

    test.each([
      [{ accountId: "1111", region: REGION }, 'accountId "1111" is not a 12-digit AWS account ID'],
      [{ accountId: ACCOUNT, region: "Ireland" }, 'region "Ireland" is not an AWS region code'],
      [{ accountId: ACCOUNT, region: "cn-north-1", partition: "aws" }, 'partition "aws" does not match region "cn-north-1", which is in partition "aws-cn"'],
    ])("fails on the literal options %p", (options, message) => {
      expect(tokenAttempt(options)).toThrow(message);
    });
  });
});
