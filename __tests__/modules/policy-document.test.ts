import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing, Token } from "cdktf";
import { PolicyDocument, PolicyStatement } from "../../modules/policy-document";

// Testing.app() would create a fresh temporary folder per app; share one and remove it.
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "policy-document-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ROLE_ARN = "arn:aws:iam::111111111111:role/deployer";
const KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("PolicyStatement rendering", () => {
  test("renders Sid, Effect, Action and Resource as arrays, in that order, with nothing else", () => {
    const statement = new PolicyStatement({ sid: "ReadKey", actions: ["kms:Decrypt"], resources: [KEY_ARN] });
    const json = statement.toJSON();
    expect(json).toEqual({ Sid: "ReadKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY_ARN] });
    expect(Object.keys(json)).toEqual(["Sid", "Effect", "Action", "Resource"]);
  });

  test("Effect defaults to Allow and Deny is kept", () => {
    expect(new PolicyStatement({ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] }).effect).toBe("Allow");
    const deny = new PolicyStatement({ effect: "Deny", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] });
    expect(deny.toJSON().Effect).toBe("Deny");
  });

  test("omits Sid when none is given", () => {
    const json = new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN] }).toJSON();
    expect(json).not.toHaveProperty("Sid");
  });

  test("renders principals as arrays per principal type", () => {
    const json = new PolicyStatement({
      sid: "KeyUsage",
      principals: { AWS: [ROLE_ARN], Service: ["logs.eu-west-1.amazonaws.com"] },
      actions: ["kms:Decrypt"],
      resources: ["*"],
    }).toJSON();
    expect(json.Principal).toEqual({ AWS: [ROLE_ARN], Service: ["logs.eu-west-1.amazonaws.com"] });
    expect(json.Resource).toEqual(["*"]);
  });

  test("leaves out an empty principal type", () => {
    const json = new PolicyStatement({
      principals: { AWS: [], Service: ["lambda.amazonaws.com"] },
      actions: ["sts:AssumeRole"],
    }).toJSON();
    expect(json.Principal).toEqual({ Service: ["lambda.amazonaws.com"] });
  });

  test("deduplicates actions, resources and principals, keeping first-seen order", () => {
    const statement = new PolicyStatement({
      principals: { AWS: [ROLE_ARN, ROLE_ARN] },
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:Encrypt"],
      resources: ["arn:aws:s3:::b", "arn:aws:s3:::a", "arn:aws:s3:::b"],
    });
    expect(statement.actions).toEqual(["kms:Encrypt", "kms:Decrypt"]);
    expect(statement.resources).toEqual(["arn:aws:s3:::b", "arn:aws:s3:::a"]);
    const json = statement.toJSON();
    expect(json.Action).toEqual(["kms:Encrypt", "kms:Decrypt"]);
    expect(json.Resource).toEqual(["arn:aws:s3:::b", "arn:aws:s3:::a"]);
    expect(json.Principal).toEqual({ AWS: [ROLE_ARN] });
  });

  test("renders conditions as given", () => {
    const conditions = { StringEquals: { "kms:ViaService": "lambda.eu-west-1.amazonaws.com" }, Bool: { "aws:SecureTransport": "true" } };
    const json = new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN], conditions }).toJSON();
    expect(json.Condition).toEqual(conditions);
  });

  test("omits Condition when conditions are absent or empty", () => {
    expect(new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN] }).toJSON()).not.toHaveProperty("Condition");
    expect(new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN], conditions: {} }).toJSON()).not.toHaveProperty("Condition");
  });

  test("a trust statement (principals, no resources) has no Resource key", () => {
    const json = new PolicyStatement({ principals: { Service: ["lambda.amazonaws.com"] }, actions: ["sts:AssumeRole"] }).toJSON();
    expect(json).toEqual({ Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com"] }, Action: ["sts:AssumeRole"] });
    expect(json).not.toHaveProperty("Resource");
  });

  test("accepts wildcards inside the action name and service prefixes with digits and dashes", () => {
    expect(() => new PolicyStatement({ actions: ["kms:GenerateDataKey*", "kms:*", "ec2-instance-connect:SendSSHPublicKey", "s3:Get*"], resources: ["*"] })).not.toThrow();
  });

  test("accepts an unresolved token as an action", () => {
    const action = Token.asString({ Ref: "action" });
    expect(() => new PolicyStatement({ actions: [action], resources: [KEY_ARN] })).not.toThrow();
  });
});

describe("PolicyStatement validation", () => {
  test.each(["Key-Usage", "key usage", "Key_Usage", "Sid.1"])("fails when the sid is %p (not letters and digits)", (sid) => {
    expect(() => new PolicyStatement({ sid, actions: ["kms:Decrypt"], resources: [KEY_ARN] })).toThrow(`policy statement sid "${sid}" is invalid: use letters and digits only`);
  });

  test("fails when actions is empty", () => {
    expect(() => new PolicyStatement({ sid: "Nothing", actions: [], resources: [KEY_ARN] })).toThrow(/policy statement Nothing has no actions/);
  });

  test.each(["Decrypt", "kms Decrypt", "kms:", ":Decrypt", "KMS:Decrypt", "kms:Decrypt:now", "*"])("fails when an action is malformed: %p", (action) => {
    expect(() => new PolicyStatement({ actions: ["kms:Encrypt", action], resources: [KEY_ARN] })).toThrow(`policy action "${action}" is invalid: write it as "service:Action"`);
  });

  test("fails when an identity statement (no principals) has no resources", () => {
    expect(() => new PolicyStatement({ sid: "Orphan", actions: ["kms:Decrypt"] })).toThrow(/policy statement Orphan has no resources/);
    expect(() => new PolicyStatement({ sid: "Orphan", actions: ["kms:Decrypt"], resources: [] })).toThrow(/has no resources/);
  });
});

describe("PolicyDocument", () => {
  test("renders Version 2012-10-17 and the statements in insertion order", () => {
    const doc = new PolicyDocument([new PolicyStatement({ sid: "A", actions: ["kms:Decrypt"], resources: [KEY_ARN] })]);
    doc.addStatements(new PolicyStatement({ sid: "B", actions: ["kms:Encrypt"], resources: [KEY_ARN] }));
    expect(doc.toJSON()).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY_ARN] },
        { Sid: "B", Effect: "Allow", Action: ["kms:Encrypt"], Resource: [KEY_ARN] },
      ],
    });
    expect(doc.statements.map((s) => s.sid)).toEqual(["A", "B"]);
  });

  test("an empty document renders an empty Statement list", () => {
    expect(new PolicyDocument().toJSON()).toEqual({ Version: "2012-10-17", Statement: [] });
  });

  test("fails when two statements share a sid (constructor or addStatements)", () => {
    const a = new PolicyStatement({ sid: "Same", actions: ["kms:Decrypt"], resources: [KEY_ARN] });
    const b = new PolicyStatement({ sid: "Same", actions: ["kms:Encrypt"], resources: [KEY_ARN] });
    expect(() => new PolicyDocument([a, b])).toThrow('policy already has a statement with sid "Same"');
    const doc = new PolicyDocument([a]);
    expect(() => doc.addStatements(b)).toThrow('policy already has a statement with sid "Same"');
    expect(doc.statements).toHaveLength(1);
  });

  test("statements without a sid never collide", () => {
    const doc = new PolicyDocument([
      new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN] }),
      new PolicyStatement({ actions: ["kms:Decrypt"], resources: [KEY_ARN] }),
    ]);
    expect(doc.statements).toHaveLength(2);
  });

  test("toJsonString() is a token that renders statements added after it was taken", () => {
    const app = Testing.app({ outdir: OUTDIR });
    const stack = new TerraformStack(app, "stack");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    const doc = new PolicyDocument([new PolicyStatement({ sid: "First", actions: ["kms:Decrypt"], resources: [KEY_ARN] })]);
    const rendered = doc.toJsonString();
    expect(Token.isUnresolved(rendered)).toBe(true);
    new IamPolicy(stack, "policy", { name: "p", policy: rendered });
    doc.addStatements(new PolicyStatement({ sid: "Late", actions: ["kms:Encrypt"], resources: [KEY_ARN] }));

    const synthesized = JSON.parse(Testing.synth(stack, true));
    const policy = JSON.parse(synthesized.resource.aws_iam_policy.policy.policy);
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "First", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY_ARN] },
        { Sid: "Late", Effect: "Allow", Action: ["kms:Encrypt"], Resource: [KEY_ARN] },
      ],
    });
  });

  test("tokens inside statements are resolved to Terraform references at synth", () => {
    const app = Testing.app({ outdir: OUTDIR });
    const stack = new TerraformStack(app, "stack");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    const target = new IamPolicy(stack, "target", { name: "target", policy: "{}" });
    const doc = new PolicyDocument([new PolicyStatement({ sid: "Ref", actions: ["iam:GetPolicy"], resources: [target.arn] })]);
    new IamPolicy(stack, "policy", { name: "p", policy: doc.toJsonString() });

    const synthesized = JSON.parse(Testing.synth(stack, true));
    const policy = JSON.parse(synthesized.resource.aws_iam_policy.policy.policy);
    expect(policy.Statement[0].Resource).toEqual(["${aws_iam_policy.target.arn}"]);
  });
});

test("fails when principals is given but names nobody", () => {
  expect(() => new PolicyStatement({ sid: "Empty", principals: {}, actions: ["kms:Decrypt"], resources: ["*"] })).toThrow("policy statement Empty has an empty principal list");
  expect(() => new PolicyStatement({ principals: { AWS: [] }, actions: ["kms:Decrypt"], resources: ["*"] })).toThrow("empty principal list");
});

test("accepts the ? wildcard in action names, as IAM does", () => {
  expect(new PolicyStatement({ actions: ["kms:Decryp?"], resources: ["*"] }).actions).toEqual(["kms:Decryp?"]);
});
