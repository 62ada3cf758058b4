import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";
import { SecretsManagerSecret, SecretsManagerSecretProps } from "../../modules/secrets-manager-secret";
import { newStackWithKey, onlyResource as only, PolicyStatementJson as Statement, Resources, synthJson } from "../support/synth";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-manager-secret-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const ROTATION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotate-db`;

function setup() {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
}

function synthesize(stack: TerraformStack) {
  const json = synthJson(stack);
  const resources = json.resource;
  const [keyId] = only(resources, "aws_kms_key");
  return { json, resources, keyArnRef: `\${aws_kms_key.${keyId}.arn}` };
}

function build(props: Partial<SecretsManagerSecretProps> = {}, id = "db-password") {
  const { stack, key } = setup();
  const secret = new SecretsManagerSecret(stack, id, { secretName: "orders/db-password", key, ...props });
  const synthesized = synthesize(stack);
  const [secretId, rendered] = only(synthesized.resources, "aws_secretsmanager_secret");
  return { stack, key, secret, secretId, rendered, secretArnRef: `\${aws_secretsmanager_secret.${secretId}.arn}`, ...synthesized };
}

function attempt(props: Partial<SecretsManagerSecretProps>): () => SecretsManagerSecret {
  return () => {
    const { stack, key } = setup();
    return new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key, ...props });
  };
}

/** A role whose policy the test can read. */
function roleFor(stack: TerraformStack, key: EncryptionKey) {
  return new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
}

function rolePolicy(resources: Resources): Statement[] {
  const [, policy] = only(resources, "aws_iam_role_policy");
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

describe("aws_secretsmanager_secret", () => {
  test("defaults: the name, the key's ARN reference as kms_key_id, a 30-day recovery window, nothing else", () => {
    const { rendered, keyArnRef, secret, secretArnRef, resources } = build();
    expect(rendered).toEqual({ name: "orders/db-password", kms_key_id: keyArnRef, recovery_window_in_days: 30 });
    expect(secret.secretName).toBe("orders/db-password");
    expect(secret.resource.friendlyUniqueId).toBe(only(resources, "aws_secretsmanager_secret")[0]);
    expect(secret.seedVariable).toBeUndefined();
    expect(secret.rotation).toBeUndefined();
    expect(resources).not.toHaveProperty("aws_secretsmanager_secret_version");
    expect(resources).not.toHaveProperty("aws_secretsmanager_secret_rotation");
    // The ARN is the resource's, resolved by Terraform (it ends in a random suffix).
    expect(secretArnRef).toMatch(/^\$\{aws_secretsmanager_secret\.db-password_secret_[0-9A-F]{8}\.arn\}$/);
  });

  test("without seedFromVariable no variable is declared: the value is put out of band", () => {
    const { json } = build();
    expect(json).not.toHaveProperty("variable");
  });

  test("description, recovery window and tags are rendered as given", () => {
    const { rendered, keyArnRef } = build({ description: "orders database password", recoveryWindowDays: 7, tags: { team: "orders" } });
    expect(rendered).toEqual({
      name: "orders/db-password",
      description: "orders database password",
      kms_key_id: keyArnRef,
      recovery_window_in_days: 7,
      tags: { team: "orders" },
    });
  });

  test.each([7, 30])("recovery window %p (a limit) is accepted", (days) => {
    expect(build({ recoveryWindowDays: days }).rendered.recovery_window_in_days).toBe(days);
  });

  test.each([
    ["1 character", "a"],
    ["a path", "orders/db-password"],
    ["512 characters", "x".repeat(512)],
    ["every allowed symbol", "A-Za-z0-9/_+=.@-"],
  ])("secret name (%s) is accepted", (_label, secretName) => {
    expect(build({ secretName }).rendered.name).toBe(secretName);
  });

  test("key is exposed as given", () => {
    const { secret, key } = build();
    expect(secret.key).toBe(key);
  });
});

describe("seedFromVariable", () => {
  test("declares a sensitive, ephemeral string variable without default, named after the construct path", () => {
    const { json, secret } = build({ seedFromVariable: true });
    expect(Object.keys(json.variable)).toEqual(["db_password_value"]);
    expect(json.variable.db_password_value).toEqual({
      type: "string",
      sensitive: true,
      ephemeral: true,
      nullable: false,
      description:
        "Value of the Secrets Manager secret orders/db-password. Supplied at apply time (-var or TF_VAR_db_password_value); never stored in the plan or the state.",
    });
    expect(json.variable.db_password_value).not.toHaveProperty("default");
    expect(secret.seedVariable).toBeInstanceOf(TerraformVariable);
  });

  test("writes the variable through secret_string_wo with version 1, and nothing else", () => {
    const { resources, secretId } = build({ seedFromVariable: true });
    const [, version] = only(resources, "aws_secretsmanager_secret_version");
    expect(version).toEqual({
      secret_id: `\${aws_secretsmanager_secret.${secretId}.id}`,
      secret_string_wo: "${var.db_password_value}",
      secret_string_wo_version: 1,
    });
  });

  test("seedVersion sets secret_string_wo_version", () => {
    const { resources } = build({ seedFromVariable: true, seedVersion: 7 });
    expect(only(resources, "aws_secretsmanager_secret_version")[1].secret_string_wo_version).toBe(7);
  });

  test("a nested construct's variable name joins the path below the stack, with _ for every other character", () => {
    const { stack, key } = setup();
    const group = new Construct(stack, "orders-api");
    new SecretsManagerSecret(group, "db.password", { secretName: "orders/db", key, seedFromVariable: true });
    const { json, resources } = synthesize(stack);
    expect(Object.keys(json.variable)).toEqual(["orders_api_db_password_value"]);
    expect(only(resources, "aws_secretsmanager_secret_version")[1].secret_string_wo).toBe("${var.orders_api_db_password_value}");
  });

  test("an id that starts with a digit gets a v_ prefix (Terraform names start with a letter or _)", () => {
    const { json } = build({ seedFromVariable: true }, "1password");
    expect(Object.keys(json.variable)).toEqual(["v_1password_value"]);
  });

  test("fails when two secrets map to the same variable name, naming both", () => {
    const { stack, key } = setup();
    new SecretsManagerSecret(stack, "db-password", { secretName: "a", key, seedFromVariable: true });
    expect(() => new SecretsManagerSecret(stack, "db_password", { secretName: "b", key, seedFromVariable: true })).toThrow(
      'secret "b": its seed variable would be named "db_password_value", which "stack/db-password/seed-value" already uses; give one of the constructs another id',
    );
  });
});

describe("rotation", () => {
  test("rotationLambdaArn + rotationDays create aws_secretsmanager_secret_rotation on the secret", () => {
    const { resources, secretId, secret } = build({ rotationLambdaArn: ROTATION_ARN, rotationDays: 30 });
    const [, rotation] = only(resources, "aws_secretsmanager_secret_rotation");
    expect(rotation).toEqual({
      secret_id: `\${aws_secretsmanager_secret.${secretId}.id}`,
      rotation_lambda_arn: ROTATION_ARN,
      rotation_rules: { automatically_after_days: 30 },
    });
    expect(secret.rotation).toBeDefined();
  });

  test.each([1, 1000])("rotation every %p days (a limit) is accepted", (days) => {
    const { resources } = build({ rotationLambdaArn: ROTATION_ARN, rotationDays: days });
    expect(only(resources, "aws_secretsmanager_secret_rotation")[1].rotation_rules).toEqual({ automatically_after_days: days });
  });
});

describe("grantRead", () => {
  test("GetSecretValue on exactly the secret's ARN, and Decrypt on the key via Secrets Manager with the SecretARN context", () => {
    const { stack, key } = setup();
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key });
    const role = roleFor(stack, key);
    secret.grantRead(role);
    const { resources, keyArnRef } = synthesize(stack);
    const [secretId] = only(resources, "aws_secretsmanager_secret");
    const secretArn = `\${aws_secretsmanager_secret.${secretId}.arn}`;
    const statements = rolePolicy(resources);
    expect(statements.map((s) => s.Sid)).toEqual(["WriteOwnLogStreams", "DecryptOwnEnvironment", "ReadSecretDbPassword", "DecryptSecretDbPassword"]);
    expect(statements[2]).toEqual({ Sid: "ReadSecretDbPassword", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] });
    expect(statements[3]).toEqual({
      Sid: "DecryptSecretDbPassword",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArnRef],
      Condition: {
        StringEquals: {
          "kms:EncryptionContext:SecretARN": secretArn,
          "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
        },
      },
    });
  });

  test("two secrets get distinct statement IDs; a second grant to the same role adds nothing", () => {
    const { stack, key } = setup();
    const a = new SecretsManagerSecret(stack, "db-password", { secretName: "a", key });
    const b = new SecretsManagerSecret(new Construct(stack, "billing"), "api_token", { secretName: "b", key });
    const role = roleFor(stack, key);
    const first = a.grantRead(role);
    expect(a.grantRead(role)).toBe(first);
    b.grantRead(role);
    const sids = rolePolicy(synthesize(stack).resources).map((s) => s.Sid);
    expect(sids).toEqual([
      "WriteOwnLogStreams",
      "DecryptOwnEnvironment",
      "ReadSecretDbPassword",
      "DecryptSecretDbPassword",
      "ReadSecretBillingApiToken",
      "DecryptSecretBillingApiToken",
    ]);
  });

  test("the Secrets Manager service name follows the key's region", () => {
    const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "us-east-1", aliases: ["k"] });
    const secret = new SecretsManagerSecret(stack, "s", { secretName: "s", key });
    const [, decrypt] = secret.grantRead(roleFor(stack, key));
    expect(decrypt.conditions?.StringEquals?.["kms:ViaService"]).toBe("secretsmanager.us-east-1.amazonaws.com");
  });
});

describe("validation", () => {
  test.each([
    ["empty", ""],
    ["513 characters", "x".repeat(513)],
    ["with a space", "orders db"],
    ["with #", "orders/db#1"],
    ["with *", "orders*"],
    ["not ASCII", "ünïcode"],
  ])("fails when the secret name is %s", (_label, secretName) => {
    // The name is quoted again after the field, cut to 80 characters.
    expect(attempt({ secretName })).toThrow(`secret "${secretName}": secretName "${secretName.slice(0, 76)}`);
    expect(attempt({ secretName })).toThrow(/is invalid; use 1–512 letters, digits or "\/_\+=\.@-"/);
  });

  test.each([6, 31, 0, 7.5])("fails when the recovery window is %p days", (days) => {
    expect(attempt({ recoveryWindowDays: days })).toThrow(`secret "orders/db-password": recoveryWindowDays ${days} is out of range; use a whole number from 7 to 30`);
  });

  test("fails when rotationDays is given without rotationLambdaArn", () => {
    expect(attempt({ rotationDays: 30 })).toThrow(
      'secret "orders/db-password": rotationDays is 30 but rotationLambdaArn is missing; give the ARN of the rotation function too, or remove rotationDays',
    );
  });

  test("fails when rotationLambdaArn is given without rotationDays", () => {
    expect(attempt({ rotationLambdaArn: ROTATION_ARN })).toThrow(
      'secret "orders/db-password": rotationLambdaArn is set but rotationDays is missing; give the days between rotations too, or remove rotationLambdaArn',
    );
  });

  test.each([0, 1001, 2.5])("fails when rotationDays is %p", (days) => {
    expect(attempt({ rotationLambdaArn: ROTATION_ARN, rotationDays: days })).toThrow(
      `secret "orders/db-password": rotationDays ${days} is out of range; use a whole number from 1 to 1000`,
    );
  });

  test.each(["rotate-db", `arn:aws:iam::${ACCOUNT}:role/rotate`, `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:x`])("fails when rotationLambdaArn is %p", (arn) => {
    expect(attempt({ rotationLambdaArn: arn, rotationDays: 30 })).toThrow(`secret "orders/db-password": rotationLambdaArn "${arn}" is not a Lambda function ARN`);
  });

  test("fails when seedVersion is given without seedFromVariable", () => {
    expect(attempt({ seedVersion: 2 })).toThrow(
      'secret "orders/db-password": seedVersion is 2 but seedFromVariable is off; set seedFromVariable to true, or remove seedVersion',
    );
  });

  test.each([0, -1, 1.5])("fails when seedVersion is %p", (seedVersion) => {
    expect(attempt({ seedFromVariable: true, seedVersion })).toThrow(`secret "orders/db-password": seedVersion ${seedVersion} is out of range; use a whole number from 1 to`);
  });

  test("a failed secret leaves no resource behind", () => {
    const { stack, key } = setup();
    expect(() => new SecretsManagerSecret(stack, "s", { secretName: "s", key, seedFromVariable: true, rotationDays: 3 })).toThrow();
    const { json, resources } = synthesize(stack);
    expect(resources).not.toHaveProperty("aws_secretsmanager_secret");
    expect(json).not.toHaveProperty("variable");
  });
});
