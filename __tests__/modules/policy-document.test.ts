import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import { PolicyDocument, PolicyStatement, PolicyStatementProps } from "../../modules/policy-document";

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

describe('principal "*" in an Allow: a condition must restrict the caller', () => {
  const ACCOUNT = "111111111111";
  const FIX = 'add a condition that names your account or organization, e.g. { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }';

  function open(conditions: PolicyStatementProps["conditions"], effect: "Allow" | "Deny" = "Allow"): () => PolicyStatement {
    return () => new PolicyStatement({ sid: "Open", effect, principals: { AWS: ["*"] }, actions: ["kms:Decrypt"], resources: ["*"], conditions });
  }

  test.each<[string, PolicyStatementProps["conditions"], string]>([
    [
      "a key that does not name the caller",
      { StringEquals: { "kms:ViaService": "lambda.eu-west-1.amazonaws.com" } },
      'StringEquals "kms:ViaService": not a key that names the caller',
    ],
    ["a Bool key", { Bool: { "aws:SecureTransport": "true" } }, 'Bool "aws:SecureTransport": not a key that names the caller'],
    [
      "an IfExists operator",
      { StringEqualsIfExists: { "aws:PrincipalAccount": ACCOUNT } },
      'StringEqualsIfExists "aws:PrincipalAccount": IfExists is true when the request lacks the key',
    ],
    ["a negated operator", { StringNotEquals: { "aws:PrincipalAccount": ACCOUNT } }, 'StringNotEquals "aws:PrincipalAccount": a negated operator matches every other caller'],
    [
      "a set operator",
      { "ForAllValues:StringEquals": { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
      'ForAllValues:StringEquals "aws:PrincipalOrgID": a set operator, for multivalued keys only',
    ],
    ["a Null check", { Null: { "aws:PrincipalOrgID": "false" } }, 'Null "aws:PrincipalOrgID": not an equality or pattern match for this key'],
    ["an ARN operator on an account key", { ArnEquals: { "aws:PrincipalAccount": ACCOUNT } }, 'ArnEquals "aws:PrincipalAccount": not an equality or pattern match for this key'],
    ["a wildcard-only value", { StringLike: { "aws:PrincipalOrgID": "*" } }, 'StringLike "aws:PrincipalOrgID": "*" is not an organization ID such as "o-a1b2c3d4e5"'],
    ["one wildcard among the values", { StringLike: { "kms:CallerAccount": [ACCOUNT, "*"] } }, 'StringLike "kms:CallerAccount": "*" is not a 12-digit account ID'],
    ["a partial account ID", { StringLike: { "aws:PrincipalAccount": "1111*" } }, 'StringLike "aws:PrincipalAccount": "1111*" is not a 12-digit account ID'],
    [
      "an ARN of any account",
      { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/admin" } },
      'ArnLike "aws:PrincipalArn": "arn:aws:iam::*:role/admin" is not an ARN with a literal 12-digit account ID',
    ],
    ["an empty list", { StringEquals: { "aws:PrincipalOrgID": [] } }, 'StringEquals "aws:PrincipalOrgID": no value'],
  ])("refuses %s, naming the statement, the condition and the fix", (_label, conditions, reason) => {
    expect(open(conditions)).toThrow(`policy statement Open allows the principal "*", but no condition restricts the caller (${reason}); ${FIX}`);
  });

  test("lists what is wrong with each condition when none restricts the caller", () => {
    expect(open({ StringEquals: { "kms:ViaService": "lambda.eu-west-1.amazonaws.com" }, StringNotEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } })).toThrow(
      'no condition restricts the caller (StringEquals "kms:ViaService": not a key that names the caller; StringNotEquals "aws:PrincipalOrgID": a negated operator matches every other caller)',
    );
  });

  test('refuses "*" without any condition, with the same fix', () => {
    expect(open(undefined)).toThrow(`policy statement Open allows the principal "*" without a condition; ${FIX}`);
  });

  test.each<[string, PolicyStatementProps["conditions"]]>([
    ["StringEquals on kms:CallerAccount", { StringEquals: { "kms:CallerAccount": ACCOUNT } }],
    ["StringEquals on aws:PrincipalAccount, in any case, with two accounts", { StringEquals: { "AWS:PrincipalAccount": [ACCOUNT, "222222222222"] } }],
    ["StringEquals on aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }],
    ["StringLike on aws:PrincipalOrgPaths, a pattern below the organization", { StringLike: { "aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*" } }],
    ["StringEqualsIgnoreCase on aws:SourceAccount", { StringEqualsIgnoreCase: { "aws:SourceAccount": ACCOUNT } }],
    ["ArnLike on aws:PrincipalArn, a pattern inside one account", { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/team-*` } }],
    ["StringEquals on aws:PrincipalArn", { StringEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/reader` } }],
    ["one restricting condition among others (conditions are ANDed)", { StringEquals: { "kms:ViaService": "lambda.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCOUNT } }],
  ])("accepts %s", (_label, conditions) => {
    expect(open(conditions)).not.toThrow();
    expect(open(conditions)().toJSON().Condition).toEqual(conditions);
  });

  test("accepts a token value: Terraform resolves it (typically to an account ID)", () => {
    const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
    const account = new TerraformVariable(stack, "account", { type: "string" }).stringValue;
    expect(open({ StringEquals: { "aws:PrincipalAccount": account } })).not.toThrow();
  });

  test('a Deny for "*" needs no restricting condition', () => {
    expect(open({ Bool: { "aws:SecureTransport": "false" } }, "Deny")).not.toThrow();
    expect(open(undefined, "Deny")).not.toThrow();
  });
});

describe("principals IAM does not match", () => {
  test.each(["arn:aws:iam::*:root", "arn:aws:iam::111111111111:role/team-*", "11111111111?"])(
    "refuses the AWS principal %p, which has a wildcard inside it, whatever the effect and conditions",
    (principal) => {
      for (const effect of ["Allow", "Deny"] as const) {
        expect(
          () =>
            new PolicyStatement({
              sid: "Partial",
              effect,
              principals: { AWS: [principal] },
              actions: ["kms:Decrypt"],
              resources: ["*"],
              conditions: { StringEquals: { "kms:CallerAccount": "111111111111" } },
            }),
        ).toThrow(
          `policy statement Partial: AWS principal "${principal}" has a wildcard inside it, which IAM does not match; name each principal exactly, or use "*" with a condition such as { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111111111111:role/team-*" } }`,
        );
      }
    },
  );

  test.each(["*", "*.amazonaws.com", "logs.*.amazonaws.com"])("refuses the Service principal %p, in an Allow or a Deny", (service) => {
    for (const effect of ["Allow", "Deny"] as const) {
      expect(() => new PolicyStatement({ sid: "AnyService", effect, principals: { Service: [service] }, actions: ["kms:Decrypt"], resources: ["*"] })).toThrow(
        `policy statement AnyService: Service principal "${service}" is a wildcard, which IAM does not support; name the service, e.g. "logs.eu-west-1.amazonaws.com"`,
      );
    }
  });

  test('accepts named service principals and the principal "*" on its own', () => {
    expect(() => new PolicyStatement({ principals: { Service: ["logs.eu-west-1.amazonaws.com", "lambda.amazonaws.com"] }, actions: ["sts:AssumeRole"] })).not.toThrow();
    expect(() => new PolicyStatement({ effect: "Deny", principals: { AWS: ["*"] }, actions: ["s3:*"], resources: ["*"] })).not.toThrow();
  });
});
