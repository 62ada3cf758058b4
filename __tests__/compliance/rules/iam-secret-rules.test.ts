import { iamSensitiveActionsScoped } from "../../../modules/compliance/rules/iam-sensitive-actions-scoped";
import { secretsCustomerManagedKey } from "../../../modules/compliance/rules/secrets-customer-managed-key";
import { sqsCustomerManagedKey } from "../../../modules/compliance/rules/sqs-customer-managed-key";
import { findings, policy, stackOf } from "./helpers";

const meta = (path: string) => ({ "//": { metadata: { path } } });

describe("IAM-001 KMS/Secrets/SSM actions never on *", () => {
  it("passes scoped statements, resource-less actions and other services on *", () => {
    const scoped = policy(
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: ["${aws_kms_key.k.arn}"] },
      { Effect: "Allow", Action: ["ssm:DescribeParameters", "kms:ListAliases"], Resource: "*" },
      { Effect: "Allow", Action: ["logs:CreateLogGroup"], Resource: "*" },
      { Effect: "Deny", Action: ["kms:*"], Resource: "*" },
    );
    expect(findings(iamSensitiveActionsScoped, stackOf({ aws_iam_role_policy: { p: { ...meta("s/role/policy"), policy: scoped } } }))).toEqual([]);
  });

  it("flags role policies, managed policies and role inline policies", () => {
    const wide = policy({ Sid: "Wide", Effect: "Allow", Action: ["kms:Decrypt", "secretsmanager:GetSecretValue", "logs:PutLogEvents"], Resource: "*" });
    const stack = stackOf({
      aws_iam_role_policy: { p: { ...meta("s/role/policy"), policy: wide } },
      aws_iam_policy: { m: { ...meta("s/managed"), policy: policy({ Effect: "Allow", Action: "ssm:Get*", Resource: ["*"] }) } },
      aws_iam_role: { r: { ...meta("s/role/role"), inline_policy: [{ name: "x", policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }) }] } },
    });
    expect(findings(iamSensitiveActionsScoped, stack)).toEqual([
      { path: "s/role/policy", message: 'aws_iam_role_policy.p: policy statement "Wide" allows kms:Decrypt, secretsmanager:GetSecretValue on Resource "*"' },
      { path: "s/managed", message: 'aws_iam_policy.m: policy statement 1 allows ssm:Get* on Resource "*"' },
      { path: "s/role/role", message: 'aws_iam_role.r: policy statement 1 allows * on Resource "*"' },
    ]);
  });
});

describe("IAM-001 NotResource and wildcard ARNs", () => {
  const check = (...statements: Record<string, unknown>[]) =>
    findings(iamSensitiveActionsScoped, stackOf({ aws_iam_role_policy: { p: { ...meta("s/role/policy"), policy: policy(...statements) } } }));

  it("flags sensitive actions with NotResource and on ARNs whose resource part is only wildcards", () => {
    expect(check({ Sid: "Not", Effect: "Allow", Action: "kms:Decrypt", NotResource: "arn:aws:kms:eu-west-1:111111111111:key/other" })).toEqual([
      { path: "s/role/policy", message: expect.stringContaining('statement "Not" allows kms:Decrypt on NotResource') },
    ]);
    for (const arn of ["arn:aws:kms:*:*:key/*", "arn:aws:secretsmanager:*:*:secret:*", "arn:aws:ssm:*:*:parameter/*", "arn:aws:kms:eu-west-1:111111111111:key/*"]) {
      expect(check({ Effect: "Allow", Action: ["kms:Decrypt", "secretsmanager:GetSecretValue", "ssm:GetParameter"], Resource: arn })).toEqual([
        { path: "s/role/policy", message: expect.stringContaining(`on Resource "${arn}" (as broad as "*")`) },
      ]);
    }
  });

  it("passes named ARNs, a secret name prefix with a wildcard suffix, and NotResource on other services", () => {
    expect(
      check(
        { Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
        { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/db-*" },
        { Effect: "Allow", Action: "logs:PutLogEvents", NotResource: "arn:aws:logs:*:*:log-group:other" },
      ),
    ).toEqual([]);
  });
});

describe("SECRET-001 customer-managed keys for secrets and SecureStrings", () => {
  it("passes customer-managed keys and ignores String parameters", () => {
    const stack = stackOf({
      aws_secretsmanager_secret: { s: { kms_key_id: "${aws_kms_key.k.arn}" } },
      aws_ssm_parameter: { p: { type: "SecureString", key_id: "${aws_kms_key.k.arn}" }, plain: { type: "String" } },
    });
    expect(findings(secretsCustomerManagedKey, stack)).toEqual([]);
  });

  it("flags missing keys and AWS managed aliases", () => {
    const stack = stackOf({
      aws_secretsmanager_secret: { s: { ...meta("s/secret") }, a: { ...meta("s/aliased"), kms_key_id: "alias/aws/secretsmanager" } },
      aws_ssm_parameter: { p: { ...meta("s/param"), type: "SecureString", key_id: "alias/aws/ssm" }, q: { ...meta("s/param2"), type: "SecureString" } },
    });
    expect(findings(secretsCustomerManagedKey, stack)).toEqual([
      { path: "s/secret", message: "Secret aws_secretsmanager_secret.s has no kms_key_id: it is encrypted with the AWS managed key aws/secretsmanager" },
      { path: "s/aliased", message: "Secret aws_secretsmanager_secret.a uses the AWS managed key alias/aws/secretsmanager" },
      { path: "s/param", message: "SecureString parameter aws_ssm_parameter.p uses the AWS managed key alias/aws/ssm" },
      { path: "s/param2", message: "SecureString parameter aws_ssm_parameter.q has no key_id: it is encrypted with the AWS managed key aws/ssm" },
    ]);
  });
});

describe("SQS-001 customer-managed keys for queues", () => {
  it("passes a queue with a customer-managed key", () => {
    expect(findings(sqsCustomerManagedKey, stackOf({ aws_sqs_queue: { q: { kms_master_key_id: "${aws_kms_key.k.arn}" } } }))).toEqual([]);
  });

  it("flags a queue without a key (SSE-SQS or none) and one with the AWS managed key", () => {
    const stack = stackOf({
      aws_sqs_queue: { q: { ...meta("s/queue"), sqs_managed_sse_enabled: true }, a: { ...meta("s/aliased"), kms_master_key_id: "alias/aws/sqs" } },
    });
    expect(findings(sqsCustomerManagedKey, stack)).toEqual([
      { path: "s/queue", message: "Queue aws_sqs_queue.q has no kms_master_key_id: it is not encrypted with a customer-managed key" },
      { path: "s/aliased", message: "Queue aws_sqs_queue.a uses the AWS managed key alias/aws/sqs" },
    ]);
  });
});
