import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { AnnotationMetadataEntryType, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";
import { SecretsManagerSecret, SecretsManagerSecretProps } from "../../modules/secrets-manager-secret";
import { offlineTerraform, onlyResourceOf, referenceTo } from "../support/matchers";
import { newStackWithKey, PolicyStatementJson as Statement, SynthesizedJson } from "../support/synth";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-manager-secret-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const ROTATION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotate-db`;
const ROTATION_ROLE = `arn:aws:iam::${ACCOUNT}:role/rotate-db-role`;
/** The three props of a rotation. */
const ROTATION = { rotationLambdaArn: ROTATION_ARN, rotationRoleArn: ROTATION_ROLE };

function setup() {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "lambda-env" });
}

/** The stack synthesized with validations run (what the matchers take), parsed too, and the key's ARN reference. */
function synthesize(stack: TerraformStack) {
  const synthesized = Testing.synth(stack, true);
  // Exactly one aws_kms_key: referenceTo throws otherwise.
  return { synthesized, json: JSON.parse(synthesized) as SynthesizedJson, keyArnRef: referenceTo(synthesized, KmsKey, "arn") };
}

function build(props: Partial<SecretsManagerSecretProps> = {}, id = "db-password") {
  const { stack, key } = setup();
  const secret = new SecretsManagerSecret(stack, id, { secretName: "orders/db-password", key, ...props });
  const synthesized = synthesize(stack);
  // Exactly one secret.
  const [secretId] = onlyResourceOf(synthesized.synthesized, SecretsmanagerSecret);
  return { stack, key, secret, secretId, secretArnRef: `\${aws_secretsmanager_secret.${secretId}.arn}`, ...synthesized };
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

/** The statements of the one execution role policy, parsed. */
function rolePolicy(synthesized: string): Statement[] {
  const [, policy] = onlyResourceOf(synthesized, IamRolePolicy);
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

describe("aws_secretsmanager_secret", () => {
  test("defaults: the name, the key's ARN reference as kms_key_id, a 30-day recovery window, nothing else", () => {
    const { synthesized, keyArnRef, secret, secretId, secretArnRef } = build();
    expect(synthesized).toHaveResourceWithExactly(SecretsmanagerSecret, { name: "orders/db-password", kms_key_id: keyArnRef, recovery_window_in_days: 30 }, { exhaustive: true });
    expect(secret.secretName).toBe("orders/db-password");
    expect(secret.resource.friendlyUniqueId).toBe(secretId);
    expect(secret.seedVariable).toBeUndefined();
    expect(secret.rotation).toBeUndefined();
    expect(synthesized).not.toHaveResource(SecretsmanagerSecretVersion);
    expect(synthesized).not.toHaveResource(SecretsmanagerSecretRotation);
    // The ARN is the resource's, resolved by Terraform (it ends in a random suffix).
    expect(secretArnRef).toMatch(/^\$\{aws_secretsmanager_secret\.db-password_secret_[0-9A-F]{8}\.arn\}$/);
  });

  test("without seedFromVariable no variable is declared: the value is put out of band", () => {
    const { json } = build();
    expect(json).not.toHaveProperty("variable");
  });

  test("description, recovery window and tags are rendered as given", () => {
    const { synthesized, keyArnRef } = build({ description: "orders database password", recoveryWindowDays: 7, tags: { team: "orders" } });
    expect(synthesized).toHaveResourceWithExactly(
      SecretsmanagerSecret,
      {
        name: "orders/db-password",
        description: "orders database password",
        kms_key_id: keyArnRef,
        recovery_window_in_days: 7,
        tags: { team: "orders" },
      },
      { exhaustive: true },
    );
  });

  test.each([7, 30])("recovery window %p (a limit) is accepted", (days) => {
    expect(build({ recoveryWindowDays: days }).synthesized).toHaveResourceWithExactly(SecretsmanagerSecret, { recovery_window_in_days: days });
  });

  test.each([
    ["1 character", "a"],
    ["a path", "orders/db-password"],
    ["512 characters", "x".repeat(512)],
    ["every allowed symbol", "A-Za-z0-9/_+=.@-"],
  ])("secret name (%s) is accepted", (_label, secretName) => {
    expect(build({ secretName }).synthesized).toHaveResourceWithProperties(SecretsmanagerSecret, { name: secretName });
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
      description: "Value of the Secrets Manager secret orders/db-password. Supplied at apply time (-var or TF_VAR_db_password_value); never stored in the plan or the state.",
    });
    expect(json.variable.db_password_value).not.toHaveProperty("default");
    expect(secret.seedVariable).toBeInstanceOf(TerraformVariable);
  });

  test("writes the variable through secret_string_wo with version 1, and nothing else", () => {
    const { synthesized, secretId } = build({ seedFromVariable: true });
    expect(synthesized).toHaveResourceWithExactly(
      SecretsmanagerSecretVersion,
      {
        secret_id: `\${aws_secretsmanager_secret.${secretId}.id}`,
        secret_string_wo: "${var.db_password_value}",
        secret_string_wo_version: 1,
      },
      { exhaustive: true },
    );
  });

  test("seedVersion sets secret_string_wo_version", () => {
    const { synthesized } = build({ seedFromVariable: true, seedVersion: 7 });
    expect(synthesized).toHaveResourceWithExactly(SecretsmanagerSecretVersion, { secret_string_wo_version: 7 });
  });

  test("a nested construct's variable name joins the path below the stack, with _ for every other character", () => {
    const { stack, key } = setup();
    const group = new Construct(stack, "orders-api");
    new SecretsManagerSecret(group, "db.password", { secretName: "orders/db", key, seedFromVariable: true });
    const { json, synthesized } = synthesize(stack);
    expect(Object.keys(json.variable)).toEqual(["orders_api_db_password_value"]);
    expect(synthesized).toHaveResourceWithExactly(SecretsmanagerSecretVersion, { secret_string_wo: "${var.orders_api_db_password_value}" });
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
    const { synthesized, secretId, secret } = build({ ...ROTATION, rotationDays: 30 });
    expect(synthesized).toHaveResourceWithExactly(
      SecretsmanagerSecretRotation,
      {
        secret_id: `\${aws_secretsmanager_secret.${secretId}.id}`,
        rotation_lambda_arn: ROTATION_ARN,
        rotation_rules: { automatically_after_days: 30 },
        rotate_immediately: false,
      },
      { exhaustive: true },
    );
    expect(secret.rotation).toBeDefined();
  });

  test("the key lets the rotation function's role decrypt and generate data keys through Secrets Manager for this secret only, and names the role", () => {
    const { json } = build({ ...ROTATION, rotationDays: 30 });
    const [, kmsKey] = Object.entries(json.resource.aws_kms_key)[0] as [string, { policy: string }];
    const policy = JSON.parse(kmsKey.policy) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement.find((s) => s.Sid === "RotationOfOrdersDbPassword")).toEqual({
      Sid: "RotationOfOrdersDbPassword",
      Effect: "Allow",
      Principal: { AWS: [ROTATION_ROLE] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:SecretARN": `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/db-password-??????` },
      },
    });
    const deny = policy.Statement.find((s) => s.Sid === "DenyKeyUseByUnlistedPrincipals") as { Condition: { ArnNotEquals: Record<string, string[]> } };
    expect(deny.Condition.ArnNotEquals["aws:PrincipalArn"]).toEqual([ROTATION_ROLE]);
  });

  test("with an imported key, the rotation statement is one the key's owner must add, and synth warns that rotation fails without it", () => {
    const { stack } = setup();
    const key = EncryptionKey.fromKeyArn(stack, "imported", `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key, ...ROTATION, rotationDays: 30 });
    expect(key.requiredKeyPolicyStatements.map((s) => s.sid)).toEqual(["RotationOfOrdersDbPassword"]);
    Testing.synth(stack, true);
    const warnings = key.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.WARN).map((entry) => String(entry.data));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("or the rotation functions of the secrets cannot use the key, and every rotation fails (requiredKeyPolicyStatements has them too)");
    expect(warnings[0]).not.toContain("CloudWatch Logs");
  });

  test.each([1, 1000])("rotation every %p days (a limit) is accepted", (days) => {
    const { synthesized } = build({ ...ROTATION, rotationDays: days });
    expect(synthesized).toHaveResourceWithExactly(SecretsmanagerSecretRotation, { rotation_rules: { automatically_after_days: days } });
  });
});

describe("grantRead", () => {
  test("GetSecretValue on exactly the secret's ARN, and Decrypt on the key via Secrets Manager with the SecretARN context", () => {
    const { stack, key } = setup();
    const secret = new SecretsManagerSecret(stack, "db-password", { secretName: "orders/db-password", key });
    const role = roleFor(stack, key);
    secret.grantRead(role);
    const { synthesized, keyArnRef } = synthesize(stack);
    const secretArn = referenceTo(synthesized, SecretsmanagerSecret, "arn");
    // The whole role policy: the role's own two statements, then exactly the two the grant adds.
    expect(synthesized).toHaveResourceWithExactly(IamRolePolicy, {
      policy: {
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
          { Sid: "ReadSecretDbPassword", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] },
          {
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
          },
        ],
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
    const sids = rolePolicy(synthesize(stack).synthesized).map((s) => s.Sid);
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
    const [, decrypt] = secret.grantRead(roleFor(stack, key)).statements;
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

  test("fails when rotationLambdaArn is given without rotationRoleArn, saying why the role is needed", () => {
    expect(attempt({ rotationLambdaArn: ROTATION_ARN, rotationDays: 30 })).toThrow(
      `secret "orders/db-password": rotationLambdaArn is set but rotationRoleArn is missing; give the ARN of the rotation function's execution role, which the key must let use it for this secret`,
    );
  });

  test("fails when rotationRoleArn is not an IAM principal ARN", () => {
    expect(attempt({ ...ROTATION, rotationRoleArn: "rotate-db-role", rotationDays: 30 })).toThrow('secret "orders/db-password": rotationRoleArn');
  });

  test("fails when rotationLambdaArn is given without rotationDays", () => {
    expect(attempt({ ...ROTATION })).toThrow(
      'secret "orders/db-password": rotationLambdaArn is set but rotationDays is missing; give the days between rotations too, or remove rotationLambdaArn',
    );
  });

  test.each([0, 1001, 2.5])("fails when rotationDays is %p", (days) => {
    expect(attempt({ ...ROTATION, rotationDays: days })).toThrow(`secret "orders/db-password": rotationDays ${days} is out of range; use a whole number from 1 to 1000`);
  });

  test.each(["rotate-db", `arn:aws:iam::${ACCOUNT}:role/rotate`, `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:x`])("fails when rotationLambdaArn is %p", (arn) => {
    expect(attempt({ ...ROTATION, rotationLambdaArn: arn, rotationDays: 30 })).toThrow(`secret "orders/db-password": rotationLambdaArn "${arn}" is not a Lambda function ARN`);
  });

  test("fails when seedVersion is given without seedFromVariable", () => {
    expect(attempt({ seedVersion: 2 })).toThrow('secret "orders/db-password": seedVersion is 2 but seedFromVariable is off; set seedFromVariable to true, or remove seedVersion');
  });

  test.each([0, -1, 1.5])("fails when seedVersion is %p", (seedVersion) => {
    expect(attempt({ seedFromVariable: true, seedVersion })).toThrow(`secret "orders/db-password": seedVersion ${seedVersion} is out of range; use a whole number from 1 to`);
  });

  test("a failed secret leaves no resource behind", () => {
    const { stack, key } = setup();
    expect(() => new SecretsManagerSecret(stack, "s", { secretName: "s", key, seedFromVariable: true, rotationDays: 3 })).toThrow();
    const { json, synthesized } = synthesize(stack);
    expect(synthesized).not.toHaveResource(SecretsmanagerSecret);
    expect(json).not.toHaveProperty("variable");
  });
});

describe("terraform", () => {
  const terraform = offlineTerraform();

  test("a seeded, rotated secret with every option is valid Terraform", () => {
    const { stack, key } = setup();
    new SecretsManagerSecret(stack, "db-password", {
      secretName: "orders/db-password",
      key,
      description: "orders database password",
      recoveryWindowDays: 7,
      tags: { team: "orders" },
      seedFromVariable: true,
      seedVersion: 2,
      ...ROTATION,
      rotationDays: 30,
    });
    expect(terraform.fullSynth(stack)).toBeValidTerraform();
  }, 120_000);
});
