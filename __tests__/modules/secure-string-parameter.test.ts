import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { EncryptionKey } from "../../modules/encryption-key";
import { LambdaExecutionRole } from "../../modules/lambda-execution-role";
import { SecretsManagerSecret } from "../../modules/secrets-manager-secret";
import { PARAMETER_PLACEHOLDER_VALUE, PARAMETER_PLACEHOLDER_VERSION, SecureStringParameter, SecureStringParameterProps } from "../../modules/secure-string-parameter";
import { ABSENT, offlineTerraform, onlyResourceOf, referenceTo } from "../support/matchers";
import { newStackWithKey, PolicyStatementJson as Statement, SynthesizedJson } from "../support/synth";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "secure-string-parameter-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const ARN_PREFIX = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/`;

function setup(region = REGION) {
  return newStackWithKey(OUTDIR, { accountId: ACCOUNT, region, alias: "lambda-env" });
}

/** The stack synthesized with validations run (what the matchers take), parsed too, and the key's ARN reference. */
function synthesize(stack: TerraformStack) {
  const synthesized = Testing.synth(stack, true);
  // Exactly one aws_kms_key: referenceTo throws otherwise.
  return { synthesized, json: JSON.parse(synthesized) as SynthesizedJson, keyArnRef: referenceTo(synthesized, KmsKey, "arn") };
}

function build(props: Partial<SecureStringParameterProps> = {}, id = "api-key") {
  const { stack, key } = setup();
  const parameter = new SecureStringParameter(stack, id, { parameterName: "/orders/api-key", key, ...props });
  const synthesized = synthesize(stack);
  // Exactly one parameter.
  onlyResourceOf(synthesized.synthesized, SsmParameter);
  return { stack, key, parameter, ...synthesized };
}

function attempt(props: Partial<SecureStringParameterProps>): () => SecureStringParameter {
  return () => {
    const { stack, key } = setup();
    return new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key, ...props });
  };
}

/** The statements of the one execution role policy, parsed. */
function rolePolicy(synthesized: string): Statement[] {
  const [, policy] = onlyResourceOf(synthesized, IamRolePolicy);
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

describe("aws_ssm_parameter, not seeded (the default)", () => {
  test("SecureString under the key's ARN, Standard tier, the non-secret placeholder written once through value_wo (version 0, changes ignored)", () => {
    const { synthesized, keyArnRef, json, parameter } = build();
    expect(synthesized).toHaveResourceWithExactly(
      SsmParameter,
      {
        name: "/orders/api-key",
        type: "SecureString",
        key_id: keyArnRef,
        tier: "Standard",
        value_wo: "set-out-of-band",
        value_wo_version: 0,
        lifecycle: { ignore_changes: ["value_wo_version", "description", "tier", "key_id"] },
        // Never the plain `value`: the provider would read the real value back into the state on every refresh.
        value: ABSENT,
      },
      { exhaustive: true },
    );
    expect(PARAMETER_PLACEHOLDER_VALUE).toBe("set-out-of-band");
    expect(PARAMETER_PLACEHOLDER_VERSION).toBe(0);
    expect(json).not.toHaveProperty("variable");
    expect(parameter.seedVariable).toBeUndefined();
  });

  test("description, Advanced tier and tags are rendered as given", () => {
    const { synthesized, keyArnRef } = build({ description: "orders API key", tier: "Advanced", tags: { team: "orders" } });
    expect(synthesized).toHaveResourceWithExactly(
      SsmParameter,
      {
        name: "/orders/api-key",
        type: "SecureString",
        key_id: keyArnRef,
        tier: "Advanced",
        description: "orders API key",
        value_wo: "set-out-of-band",
        value_wo_version: 0,
        lifecycle: { ignore_changes: ["value_wo_version", "description", "tier", "key_id"] },
        tags: { team: "orders" },
      },
      { exhaustive: true },
    );
  });

  test("parameterName, key and the literal ARN are exposed", () => {
    const { parameter, key } = build();
    expect(parameter.parameterName).toBe("/orders/api-key");
    expect(parameter.key).toBe(key);
    expect(parameter.parameterArn).toBe(`${ARN_PREFIX}orders/api-key`);
  });

  test("the ARN follows the key's partition and region", () => {
    const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "cn-north-1", aliases: ["k"] });
    const parameter = new SecureStringParameter(stack, "p", { parameterName: "/a/b", key });
    expect(parameter.parameterArn).toBe(`arn:aws-cn:ssm:cn-north-1:${ACCOUNT}:parameter/a/b`);
  });

  test.each(["/a", "/orders/api-key", "/Orders_1/v1.2/x-y", "/x/aws/ssm", `/${"a/".repeat(14)}a`])(
    "parameter name %p is accepted (aws/ssm below the first level are fine)",
    (parameterName) => {
      expect(build({ parameterName }).synthesized).toHaveResourceWithProperties(SsmParameter, { name: parameterName });
    },
  );

  test("a name whose ARN has exactly 1011 characters is accepted", () => {
    const parameterName = `/${"n".repeat(1011 - ARN_PREFIX.length)}`;
    const { parameter } = build({ parameterName });
    expect(parameter.parameterArn).toHaveLength(1011);
  });
});

describe("seedFromVariable", () => {
  test("value_wo references a sensitive, ephemeral string variable without default; no value; only the key fixed at creation", () => {
    const { synthesized, json, keyArnRef } = build({ seedFromVariable: true });
    expect(synthesized).toHaveResourceWithExactly(
      SsmParameter,
      {
        name: "/orders/api-key",
        type: "SecureString",
        key_id: keyArnRef,
        tier: "Standard",
        value_wo: "${var.api_key_value}",
        value_wo_version: 1,
        lifecycle: { ignore_changes: ["key_id"] },
      },
      { exhaustive: true },
    );
    expect(Object.keys(json.variable)).toEqual(["api_key_value"]);
    expect(json.variable.api_key_value).toEqual({
      type: "string",
      sensitive: true,
      ephemeral: true,
      nullable: false,
      description: "Value of the SSM SecureString parameter /orders/api-key. Supplied at apply time (-var or TF_VAR_api_key_value); never stored in the plan or the state.",
    });
    expect(json.variable.api_key_value).not.toHaveProperty("default");
  });

  test("seedVersion sets value_wo_version", () => {
    expect(build({ seedFromVariable: true, seedVersion: 3 }).synthesized).toHaveResourceWithExactly(SsmParameter, { value_wo_version: 3 });
  });

  test("fails when a parameter and a secret map to the same variable name", () => {
    const { stack, key } = setup();
    new SecretsManagerSecret(stack, "api-key", { secretName: "a", key, seedFromVariable: true });
    expect(() => new SecureStringParameter(stack, "api_key", { parameterName: "/a", key, seedFromVariable: true })).toThrow(
      'parameter "/a": its seed variable would be named "api_key_value", which "stack/api-key/seed-value" already uses; give one of the constructs another id',
    );
  });
});

describe("grantRead", () => {
  test("GetParameter on exactly the literal ARN, and Decrypt on the key via SSM with the PARAMETER_ARN context", () => {
    const { stack, key } = setup();
    const parameter = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key });
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    parameter.grantRead(role);
    const { synthesized, keyArnRef } = synthesize(stack);
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
          {
            Sid: "ReadParameterApiKey",
            Effect: "Allow",
            Action: ["ssm:GetParameter"],
            Resource: [`${ARN_PREFIX}orders/api-key`],
          },
          {
            Sid: "DecryptParameterApiKey",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [keyArnRef],
            Condition: {
              StringEquals: {
                "kms:EncryptionContext:PARAMETER_ARN": `${ARN_PREFIX}orders/api-key`,
                "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
              },
            },
          },
        ],
      },
    });
  });

  test("two parameters get distinct statement IDs; a second grant to the same role adds nothing", () => {
    const { stack, key } = setup();
    const a = new SecureStringParameter(stack, "api-key", { parameterName: "/a", key });
    const b = new SecureStringParameter(new Construct(stack, "billing"), "token", { parameterName: "/b", key });
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    const first = a.grantRead(role);
    expect(a.grantRead(role)).toBe(first);
    b.grantRead(role);
    expect(rolePolicy(synthesize(stack).synthesized).map((s) => s.Sid)).toEqual([
      "WriteOwnLogStreams",
      "DecryptOwnEnvironment",
      "ReadParameterApiKey",
      "DecryptParameterApiKey",
      "ReadParameterBillingToken",
      "DecryptParameterBillingToken",
    ]);
  });
});

describe("validation", () => {
  test.each(["orders/api-key", "api-key", ""])("fails when the name %p does not start with /", (parameterName) => {
    expect(attempt({ parameterName })).toThrow(`parameter "${parameterName}": parameterName "${parameterName}" is not fully qualified; start it with "/"`);
  });

  test.each(["/", "/orders//key", "/orders/", "/orders/api key", "/orders/key#1", "/orders/ключ"])(
    "fails when the name %p has invalid characters or empty levels",
    (parameterName) => {
      expect(attempt({ parameterName })).toThrow(`parameter "${parameterName}": parameterName "${parameterName}" is invalid; use letters, digits or "_.-" between single slashes`);
    },
  );

  test.each(["/aws/x", "/AWS-config", "/ssm/x", "/SsmThing", "/awsome"])("fails when the name %p starts with aws or ssm", (parameterName) => {
    expect(attempt({ parameterName })).toThrow(`parameter "${parameterName}": parameterName "${parameterName}" starts with "aws" or "ssm" (any case), which AWS reserves`);
  });

  test("fails when the name has 16 levels", () => {
    const parameterName = `/${"a/".repeat(15)}a`;
    expect(attempt({ parameterName })).toThrow(`parameter "${parameterName}": parameterName "${parameterName}" has 16 levels; SSM allows at most 15`);
  });

  test("fails when the full ARN would exceed 1011 characters", () => {
    const parameterName = `/${"n".repeat(1012 - ARN_PREFIX.length)}`;
    expect(attempt({ parameterName })).toThrow(
      `parameter "${parameterName}": the parameter's ARN would have 1012 characters; SSM allows at most 1011 including the ARN prefix, so shorten the name`,
    );
  });

  test.each(["Intelligent-Tiering", "standard"])("fails when the tier is %p", (tier) => {
    expect(attempt({ tier: tier as "Standard" })).toThrow(`parameter "/orders/api-key": tier "${tier}" is not supported; use one of Standard, Advanced`);
  });

  test("fails when seedVersion is given without seedFromVariable", () => {
    expect(attempt({ seedVersion: 2 })).toThrow('parameter "/orders/api-key": seedVersion is 2 but seedFromVariable is off');
  });

  test("fails when seedVersion is 0", () => {
    expect(attempt({ seedFromVariable: true, seedVersion: 0 })).toThrow('parameter "/orders/api-key": seedVersion 0 is out of range; use a whole number from 1 to');
  });
});

describe("terraform", () => {
  const terraform = offlineTerraform();

  test("an Advanced-tier parameter with description and tags, and a seeded one, are valid Terraform", () => {
    const { stack, key } = setup();
    new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key, description: "orders API key", tier: "Advanced", tags: { team: "orders" } });
    new SecureStringParameter(stack, "webhook-token", { parameterName: "/orders/webhook-token", key, seedFromVariable: true, seedVersion: 3 });
    expect(terraform.fullSynth(stack)).toBeValidTerraform();
  }, 120_000);
});

describe("previousKeys (a manual rotation)", () => {
  const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deploy`;

  test("grantRead also decrypts through SSM with each previous key, for this parameter only; the deploy pipeline may read it back with them", () => {
    const stack = newStackWithKey(OUTDIR, { accountId: ACCOUNT, region: REGION, alias: "unused" }).stack;
    const key = new EncryptionKey(stack, "current-key", { accountId: ACCOUNT, region: REGION, aliases: ["orders"], deployerArns: [DEPLOYER] });
    const previous = new EncryptionKey(stack, "previous-key", {
      accountId: ACCOUNT,
      region: REGION,
      aliases: ["orders-generation-1"],
      deployerArns: [DEPLOYER],
      decryptOnly: true,
    });
    const parameter = new SecureStringParameter(stack, "api-key", { parameterName: "/orders/api-key", key, previousKeys: [previous, key] });
    const role = new LambdaExecutionRole(stack, "role", { functionName: "orders", key });
    const grant = parameter.grantRead(role);
    expect(parameter.previousKeys).toEqual([previous]);
    expect(grant.statements.map((s) => s.sid)).toEqual(["ReadParameterApiKey", "DecryptParameterApiKey", "DecryptParameterApiKeyWithPreviousKey"]);
    const json = JSON.parse(Testing.synth(stack, true)) as SynthesizedJson;
    const keyRef = (id: string) => `\${aws_kms_key.${Object.keys(json.resource.aws_kms_key).find((name) => name.startsWith(id))}.arn}`;
    const parameterArn = `${ARN_PREFIX}orders/api-key`;
    expect(rolePolicy(Testing.synth(stack, true)).find((s) => s.Sid === "DecryptParameterApiKeyWithPreviousKey")).toEqual({
      Sid: "DecryptParameterApiKeyWithPreviousKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyRef("previous-key")],
      Condition: { StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": parameterArn } },
    });
    const previousPolicy = JSON.parse(json.resource.aws_kms_key[Object.keys(json.resource.aws_kms_key).find((name) => name.startsWith("previous-key"))!].policy as string);
    expect(previousPolicy.Statement.find((s: Statement) => s.Sid === "DeployPipelineManagesParameters").Condition.StringEquals["kms:EncryptionContext:PARAMETER_ARN"]).toEqual([
      parameterArn,
    ]);
  });
});
