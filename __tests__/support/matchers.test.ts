import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { ABSENT, onlyResourceOf, referenceTo, resourcesOf } from "./matchers";

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "matchers-test-"));
afterAll(() => fs.rmSync(OUTDIR, { recursive: true, force: true }));

const ROOT = "arn:aws:iam::111111111111:root";
const ACCOUNT_STATEMENT = { Sid: "EnableIamPoliciesForAccount", Effect: "Allow", Principal: { AWS: [ROOT] }, Action: ["kms:*"], Resource: ["*"] };
const EXTRA_STATEMENT = { Sid: "Open", Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["kms:Decrypt"], Resource: ["*"] };

/** A stack with one aws_kms_key whose policy holds `statements`, synthesized. */
function synthKey(statements: object[], props: Partial<ConstructorParameters<typeof KmsKey>[2]> = {}): string {
  const stack = new TerraformStack(Testing.app({ outdir: OUTDIR }), "stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new KmsKey(stack, "key", {
    enableKeyRotation: true,
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    lifecycle: { preventDestroy: true },
    ...props,
  });
  return Testing.synth(stack, true);
}

/** A synthesized stack with the given aws_iam_policy resources by logical ID. */
function synthPolicies(policies: Record<string, { name: string; policy: string }>): string {
  return JSON.stringify({ resource: { aws_iam_policy: policies } });
}

/** The message of the assertion error `assertion` throws. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the assertion to fail, it passed");
}

describe("toHaveResourceWithExactly", () => {
  test("passes on an exact match, with the policy JSON compared as an object", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT]);
    expect(synthesized).toHaveResourceWithExactly(KmsKey, {
      enable_key_rotation: true,
      policy: { Version: "2012-10-17", Statement: [ACCOUNT_STATEMENT] },
      lifecycle: { prevent_destroy: true },
    });
  });

  test("fails on an extra policy statement, which toHaveResourceWithProperties does not see", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT, EXTRA_STATEMENT]);
    // The subset matcher passes: the policy is left out of its expectation.
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    const message = failure(() =>
      expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true, policy: { Version: "2012-10-17", Statement: [ACCOUNT_STATEMENT] } }),
    );
    expect(message).toMatch(/aws_kms_key\.key: attribute "policy" differs/);
    expect(message).toContain('"Sid": "Open"');
    expect(message).not.toContain('attribute "enable_key_rotation"');
  });

  test("fails on an extra action inside a statement", () => {
    const synthesized = synthKey([{ ...ACCOUNT_STATEMENT, Action: ["kms:Decrypt", "kms:Encrypt"] }]);
    const expected = { Version: "2012-10-17", Statement: [{ ...ACCOUNT_STATEMENT, Action: ["kms:Decrypt"] }] };
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { policy: expected }))).toMatch(/attribute "policy" differs/);
  });

  test("fails on a missing attribute, naming it", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT], { enableKeyRotation: undefined });
    const message = failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true, lifecycle: { prevent_destroy: true } }));
    expect(message).toContain('aws_kms_key.key: attribute "enable_key_rotation" is missing; expected true');
    expect(message).not.toContain('"lifecycle"');
  });

  test("fails on a different value, naming the attribute; every mismatch is reported", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT], { enableKeyRotation: false, lifecycle: { preventDestroy: false } });
    const message = failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true, lifecycle: { prevent_destroy: true } }));
    expect(message).toContain('aws_kms_key.key: attribute "enable_key_rotation" differs');
    expect(message).toContain('aws_kms_key.key: attribute "lifecycle" differs');
  });

  test("a nested object must match exactly, not as a subset", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT], { lifecycle: { preventDestroy: true, ignoreChanges: ["description"] } });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { lifecycle: { prevent_destroy: true } }))).toContain('attribute "lifecycle" differs');
  });

  test('a value of another type fails (strict: true is not "true")', () => {
    const synthesized = JSON.stringify({ resource: { aws_kms_key: { key: { enable_key_rotation: "true" } } } });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true }))).toContain('attribute "enable_key_rotation" differs');
  });

  test("an expected string compares the policy as text; an attribute that is not JSON never equals an object", () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [ACCOUNT_STATEMENT] });
    const synthesized = synthPolicies({ p: { name: "p", policy } });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: `${policy} ` }))).toContain('attribute "policy" differs');
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: { value: "p" } }))).toContain('attribute "name" differs');
  });

  test("asymmetric matchers are honoured where given", () => {
    const synthesized = synthPolicies({ p: { name: "reader-1", policy: "{}" } });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: expect.stringMatching(/^reader-\d$/), policy: {} });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: expect.stringMatching(/^writer/) }))).toContain('attribute "name" differs');
  });

  test("ABSENT asserts that an attribute is not set", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT]);
    expect(synthesized).toHaveResourceWithExactly(KmsKey, { tags: ABSENT, enable_key_rotation: true });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: ABSENT }))).toContain(
      'aws_kms_key.key: attribute "enable_key_rotation" should be absent, but is true',
    );
  });

  test("an undefined expected value is refused rather than taken as absent", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT]);
    expect(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: undefined })).toThrow(
      'attribute "enable_key_rotation": the expected value is undefined; use ABSENT',
    );
    expect(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, {})).toThrow("list at least one attribute");
  });

  test("exhaustive: an attribute that is not listed fails, named", () => {
    const synthesized = synthPolicies({ p: { name: "p", policy: "{}" } });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: "p", policy: {} }, { exhaustive: true });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: "p" }, { exhaustive: true }))).toContain(
      'aws_iam_policy.p: attribute "policy" is not expected, but is "{}"',
    );
  });

  test("fails when the stack has no resource of the type", () => {
    const synthesized = synthPolicies({ p: { name: "p", policy: "{}" } });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true }))).toContain("the stack has no aws_kms_key resource");
  });

  test("with several resources of the type, one must be picked: by logical ID, pattern or predicate", () => {
    const synthesized = synthPolicies({ reader: { name: "reader", policy: '{"a":1}' }, writer: { name: "writer", policy: '{"a":2}' } });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 1 } }))).toContain(
      "2 aws_iam_policy resources match (reader, writer); pick one with { select } or check them all with { each: true }",
    );
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 1 } }, { select: "reader" });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 2 } }, { select: /^wri/ });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 2 } }, { select: (attributes) => attributes.name === "writer" });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 1 } }, { select: "other" }))).toContain(
      "no aws_iam_policy resource matches the selector; the stack has reader, writer",
    );
  });

  test("each: every selected resource must match", () => {
    const synthesized = synthPolicies({ reader: { name: "reader", policy: '{"a":1}' }, writer: { name: "writer", policy: '{"a":2}' } });
    expect(synthesized).toHaveResourceWithExactly(IamPolicy, { name: expect.any(String) }, { each: true });
    expect(failure(() => expect(synthesized).toHaveResourceWithExactly(IamPolicy, { policy: { a: 1 } }, { each: true }))).toContain(
      'aws_iam_policy.writer: attribute "policy" differs',
    );
  });

  test(".not is refused: a resource that differs in any way would pass", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT]);
    expect(() => expect(synthesized).not.toHaveResourceWithExactly(KmsKey, { enable_key_rotation: false })).toThrow(".not is not supported");
  });

  test("takes the parsed object or a cdk.tf.json path as well as the JSON string", () => {
    const synthesized = synthKey([ACCOUNT_STATEMENT]);
    const file = path.join(OUTDIR, "cdk.tf.json");
    fs.writeFileSync(file, synthesized);
    expect(JSON.parse(synthesized)).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true });
    expect(file).toHaveResourceWithExactly(KmsKey, { enable_key_rotation: true });
  });
});

describe("resource helpers", () => {
  test("resourcesOf, onlyResourceOf and referenceTo find resources by type", () => {
    const synthesized = synthPolicies({ reader: { name: "reader", policy: "{}" }, writer: { name: "writer", policy: "{}" } });
    expect(resourcesOf(synthesized, IamPolicy).map(([id]) => id)).toEqual(["reader", "writer"]);
    expect(resourcesOf(synthesized, KmsKey)).toEqual([]);
    expect(onlyResourceOf(synthesized, IamPolicy, "writer")).toEqual(["writer", { name: "writer", policy: "{}" }]);
    expect(() => onlyResourceOf(synthesized, IamPolicy)).toThrow("2 aws_iam_policy resources match (reader, writer)");
    expect(referenceTo(synthesized, IamPolicy, "arn", (attributes) => attributes.name === "reader")).toBe("${aws_iam_policy.reader.arn}");
  });
});
