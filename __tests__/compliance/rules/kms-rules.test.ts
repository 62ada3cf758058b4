import { kmsKeyPolicyLockoutSafe } from "../../../modules/compliance/rules/kms-key-policy-lockout-safe";
import { kmsKeyPolicyNoPublicPrincipal } from "../../../modules/compliance/rules/kms-key-policy-no-public-principal";
import { kmsKeyRotation } from "../../../modules/compliance/rules/kms-key-rotation";
import { findings, policy, ROOT, ROOT_STATEMENT, stackOf } from "./helpers";

const key = (config: Record<string, unknown>) => stackOf({ aws_kms_key: { key: { "//": { metadata: { path: "s/key/key" } }, ...config } } });

describe("KMS-001 key rotation", () => {
  it("has the id and passes a rotating symmetric key", () => {
    expect(kmsKeyRotation.id).toBe("KMS-001");
    expect(findings(kmsKeyRotation, key({ enable_key_rotation: true }))).toEqual([]);
  });

  it("flags a key without rotation, attribute missing or false", () => {
    expect(findings(kmsKeyRotation, key({}))).toEqual([{ path: "s/key/key", message: expect.stringContaining("aws_kms_key.key does not enable automatic key rotation") }]);
    expect(findings(kmsKeyRotation, key({ enable_key_rotation: false }))).toHaveLength(1);
  });

  it("skips asymmetric and HMAC keys, which cannot rotate automatically", () => {
    expect(findings(kmsKeyRotation, key({ customer_master_key_spec: "RSA_2048", key_usage: "SIGN_VERIFY" }))).toEqual([]);
    expect(findings(kmsKeyRotation, key({ customer_master_key_spec: "HMAC_256" }))).toEqual([]);
  });
});

describe("KMS-002 no unconditioned * principal", () => {
  it("passes named principals, a conditioned *, a Deny with *, and the default policy", () => {
    const conditioned = { Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": "111111111111" } } };
    const deny = { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" };
    expect(findings(kmsKeyPolicyNoPublicPrincipal, key({ policy: policy(ROOT_STATEMENT, conditioned, deny) }))).toEqual([]);
    expect(findings(kmsKeyPolicyNoPublicPrincipal, key({}))).toEqual([]);
  });

  it.each([
    ['Principal "*"', { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }],
    ['Principal { AWS: "*" }', { Sid: "Open", Effect: "Allow", Principal: { AWS: ["*"] }, Action: "kms:Decrypt", Resource: "*" }],
  ])("flags %s without a Condition", (_, statement) => {
    expect(findings(kmsKeyPolicyNoPublicPrincipal, key({ policy: policy(ROOT_STATEMENT, statement) }))).toEqual([
      { path: "s/key/key", message: 'KMS key aws_kms_key.key: key policy statement "Open" allows the "*" principal without a Condition' },
    ]);
  });

  it("reads aws_iam_policy_document data sources and reports unreadable policies", () => {
    const data = {
      aws_iam_policy_document: {
        doc: { statement: [{ effect: "Allow", actions: ["kms:*"], resources: ["*"], principals: [{ type: "AWS", identifiers: ["*"] }] }] },
      },
    };
    const stack = stackOf({ aws_kms_key: { key: { policy: "${data.aws_iam_policy_document.doc.json}" } } }, { data });
    expect(findings(kmsKeyPolicyNoPublicPrincipal, stack)).toEqual([{ path: "test/key", message: expect.stringContaining('statement 1 allows the "*" principal') }]);
    expect(findings(kmsKeyPolicyNoPublicPrincipal, key({ policy: "${var.key_policy}" }))).toEqual([{ path: "s/key/key", message: expect.stringContaining("cannot be checked") }]);
  });
});

describe("KMS-003 lockout-safe key policy", () => {
  it("passes a root kms:* statement, a root kms:PutKeyPolicy statement and the AWS default policy", () => {
    expect(findings(kmsKeyPolicyLockoutSafe, key({ policy: policy(ROOT_STATEMENT) }))).toEqual([]);
    const put = { Effect: "Allow", Principal: { AWS: "arn:aws-us-gov:iam::111111111111:root" }, Action: ["kms:PutKeyPolicy", "kms:DescribeKey"], Resource: "*" };
    expect(findings(kmsKeyPolicyLockoutSafe, key({ policy: policy(put) }))).toEqual([]);
    expect(findings(kmsKeyPolicyLockoutSafe, key({}))).toEqual([]);
  });

  it("flags a policy that names only roles, or gives root less than PutKeyPolicy", () => {
    const roleOnly = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/admin" }, Action: "kms:*", Resource: "*" };
    const rootRead = { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:Describe*", Resource: "*" };
    for (const statement of [roleOnly, rootRead]) {
      expect(findings(kmsKeyPolicyLockoutSafe, key({ policy: policy(statement) }))).toEqual([
        { path: "s/key/key", message: "KMS key aws_kms_key.key: no key policy statement allows the account root kms:* (or kms:PutKeyPolicy); the key can become unmanageable" },
      ]);
    }
  });

  it("judges a key by the aws_kms_key_policy that references it, not as the default policy", () => {
    const roleOnly = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/admin" }, Action: "kms:*", Resource: "*" };
    const withPolicy = (statement: Record<string, unknown>) =>
      stackOf({
        aws_kms_key: { key: {} },
        aws_kms_key_policy: { kp: { "//": { metadata: { path: "s/key/policy" } }, key_id: "${aws_kms_key.key.id}", policy: policy(statement) } },
      });
    expect(findings(kmsKeyPolicyLockoutSafe, withPolicy(roleOnly))).toEqual([
      {
        path: "s/key/policy",
        message: "KMS key policy aws_kms_key_policy.kp: no key policy statement allows the account root kms:* (or kms:PutKeyPolicy); the key can become unmanageable",
      },
    ]);
    expect(findings(kmsKeyPolicyLockoutSafe, withPolicy(ROOT_STATEMENT))).toEqual([]);
  });
});

describe("KMS-002 with aws_kms_key_policy", () => {
  it("flags an unconditioned * in an aws_kms_key_policy and passes a named principal", () => {
    const withPolicy = (...statements: Record<string, unknown>[]) =>
      stackOf({
        aws_kms_key: { key: {} },
        aws_kms_key_policy: { kp: { "//": { metadata: { path: "s/key/policy" } }, key_id: "${aws_kms_key.key.id}", policy: policy(...statements) } },
      });
    const open = { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" };
    expect(findings(kmsKeyPolicyNoPublicPrincipal, withPolicy(ROOT_STATEMENT, open))).toEqual([
      { path: "s/key/policy", message: 'KMS key policy aws_kms_key_policy.kp: key policy statement "Open" allows the "*" principal without a Condition' },
    ]);
    expect(findings(kmsKeyPolicyNoPublicPrincipal, withPolicy(ROOT_STATEMENT))).toEqual([]);
  });
});

describe("a multi-Region replica key (aws_kms_replica_key) is judged like a key", () => {
  const replica = (config: Record<string, unknown>) => stackOf({ aws_kms_replica_key: { replica: { "//": { metadata: { path: "s/key/replica" } }, ...config } } });
  const open = { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" };

  it("KMS-002 flags an unconditioned * principal in its policy", () => {
    expect(findings(kmsKeyPolicyNoPublicPrincipal, replica({ policy: policy(ROOT_STATEMENT, open) }))).toEqual([
      { path: "s/key/replica", message: 'KMS key aws_kms_replica_key.replica: key policy statement "Open" allows the "*" principal without a Condition' },
    ]);
  });

  it("KMS-003 flags a policy without the account root, and passes one with it", () => {
    expect(findings(kmsKeyPolicyLockoutSafe, replica({ policy: policy(open) }))).toHaveLength(1);
    expect(findings(kmsKeyPolicyLockoutSafe, replica({ policy: policy(ROOT_STATEMENT) }))).toEqual([]);
  });
});
