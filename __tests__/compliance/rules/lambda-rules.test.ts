import { lambdaCodeSigningEnforced } from "../../../modules/compliance/rules/lambda-code-signing-enforced";
import { lambdaEnvironmentKmsKey } from "../../../modules/compliance/rules/lambda-environment-kms-key";
import { lambdaLogGroup } from "../../../modules/compliance/rules/lambda-log-group";
import { lambdaNoPlaintextSecrets } from "../../../modules/compliance/rules/lambda-no-plaintext-secrets";
import { findings, stackOf } from "./helpers";

const meta = (path: string) => ({ "//": { metadata: { path } } });
const fn = (config: Record<string, unknown>, extra: Record<string, Record<string, Record<string, unknown>>> = {}) =>
  stackOf({ aws_lambda_function: { fn: { ...meta("s/api/function"), function_name: "api", ...config } }, ...extra });

describe("LAMBDA-001 environment encrypted with a customer-managed key", () => {
  const environment = { variables: { LOG_LEVEL: "info" } };

  it("passes a key reference, a key ARN literal, and functions without environment", () => {
    expect(findings(lambdaEnvironmentKmsKey, fn({ environment, kms_key_arn: "${aws_kms_key.k.arn}" }))).toEqual([]);
    // A multi-Region key's replica is a customer-managed key of the stack too.
    expect(findings(lambdaEnvironmentKmsKey, fn({ environment, kms_key_arn: "${aws_kms_replica_key.k.arn}" }))).toEqual([]);
    expect(
      findings(lambdaEnvironmentKmsKey, fn({ environment: [environment], kms_key_arn: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab" })),
    ).toEqual([]);
    expect(findings(lambdaEnvironmentKmsKey, fn({}))).toEqual([]);
  });

  it("flags a missing key and an AWS managed alias", () => {
    expect(findings(lambdaEnvironmentKmsKey, fn({ environment }))).toEqual([
      {
        path: "s/api/function",
        message: "Lambda function aws_lambda_function.fn has environment variables but no kms_key_arn: they are encrypted with the AWS managed key aws/lambda",
      },
    ]);
    expect(findings(lambdaEnvironmentKmsKey, fn({ environment, kms_key_arn: "arn:aws:kms:eu-west-1:111111111111:alias/aws/lambda" }))).toEqual([
      { path: "s/api/function", message: expect.stringContaining("not a customer-managed aws_kms_key reference or key ARN") },
    ]);
  });
});

/** A base64 value of KMS ciphertext shape (48 bytes). */
const CIPHERTEXT = Buffer.alloc(48, 7).toString("base64");

describe("LAMBDA-002 no plaintext secrets", () => {
  it("exempts a listed variable from the name rule only if its value is a ciphertext; value patterns still apply", () => {
    const variables = {
      LAMBDA_KMS_ENCRYPTED_VARIABLES: "API_TOKEN,DB_PASSWORD,AWS_SECRET_KEY_ID",
      API_TOKEN: CIPHERTEXT,
      DB_PASSWORD: "hunter2hunter2",
      AWS_SECRET_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    };
    const result = findings(lambdaNoPlaintextSecrets, fn({ environment: { variables } }));
    expect(result).toEqual([
      { path: "s/api/function", message: expect.stringContaining('"DB_PASSWORD" looks like a plaintext secret (its name says it holds a secret)') },
      { path: "s/api/function", message: expect.stringMatching(/"AWS_SECRET_KEY_ID" looks like a plaintext secret \(its value looks like/) },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|AKIAIOSFODNN7EXAMPLE/);
  });

  it("passes configuration, secret references and client-side ciphertexts", () => {
    const variables = {
      LOG_LEVEL: "info",
      DB_PASSWORD_SECRET_ARN: "${aws_secretsmanager_secret.s.arn}",
      LAMBDA_KMS_ENCRYPTED_VARIABLES: "API_TOKEN",
      API_TOKEN: CIPHERTEXT,
    };
    expect(findings(lambdaNoPlaintextSecrets, fn({ environment: { variables } }))).toEqual([]);
  });

  it("flags secret-looking names and values without echoing the value", () => {
    const variables = { DB_PASSWORD: "hunter2hunter2", UPSTREAM: "postgres://app:s3cret@db.example.com/app" };
    const result = findings(lambdaNoPlaintextSecrets, fn({ environment: { variables } }));
    expect(result).toEqual([
      {
        path: "s/api/function",
        message: 'Lambda function aws_lambda_function.fn: environment variable "DB_PASSWORD" looks like a plaintext secret (its name says it holds a secret)',
      },
      { path: "s/api/function", message: expect.stringContaining('"UPSTREAM" looks like a plaintext secret (its value looks like a URL with an embedded password)') },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|s3cret/);
  });
});

describe("LAMBDA-003 log group", () => {
  const logGroup = (config: Record<string, unknown>) => ({ aws_cloudwatch_log_group: { logs: { ...meta("s/api/logs"), name: "/aws/lambda/api", ...config } } });

  it("passes an encrypted log group kept 365 days or forever", () => {
    expect(findings(lambdaLogGroup, fn({}, logGroup({ kms_key_id: "${aws_kms_key.k.arn}", retention_in_days: 365 })))).toEqual([]);
    expect(findings(lambdaLogGroup, fn({}, logGroup({ kms_key_id: "${aws_kms_key.k.arn}", retention_in_days: 0 })))).toEqual([]);
    const byReference = { aws_cloudwatch_log_group: { logs: { name: "/aws/lambda/${aws_lambda_function.fn.function_name}", kms_key_id: "k", retention_in_days: 731 } } };
    expect(findings(lambdaLogGroup, fn({ function_name: "${var.name}" }, byReference))).toEqual([]);
  });

  it("expects the log group of logging_config instead of /aws/lambda/<name>", () => {
    const custom = { aws_cloudwatch_log_group: { shared: { ...meta("s/api/shared"), name: "/app/shared", kms_key_id: "k", retention_in_days: 365 } } };
    expect(findings(lambdaLogGroup, fn({ logging_config: [{ log_format: "JSON", log_group: "/app/shared" }] }, custom))).toEqual([]);
    expect(findings(lambdaLogGroup, fn({ logging_config: { log_group: "${aws_cloudwatch_log_group.shared.name}" } }, custom))).toEqual([]);
    // A compliant /aws/lambda/api group does not count when the function logs elsewhere.
    expect(findings(lambdaLogGroup, fn({ logging_config: { log_group: "/app/missing" } }, logGroup({ kms_key_id: "k", retention_in_days: 365 })))).toEqual([
      { path: "s/api/function", message: expect.stringContaining('has no aws_cloudwatch_log_group named "/app/missing"') },
    ]);
  });

  it("flags a missing log group on the function", () => {
    expect(findings(lambdaLogGroup, fn({}, logGroup({ name: "/aws/lambda/other" })))).toEqual([
      { path: "s/api/function", message: expect.stringContaining('has no aws_cloudwatch_log_group named "/aws/lambda/api"') },
    ]);
  });

  it("flags an unencrypted or short-lived log group on the log group", () => {
    expect(findings(lambdaLogGroup, fn({}, logGroup({ retention_in_days: 30 })))).toEqual([
      { path: "s/api/logs", message: "Log group aws_cloudwatch_log_group.logs of Lambda function aws_lambda_function.fn is not KMS-encrypted (kms_key_id unset)" },
      {
        path: "s/api/logs",
        message: "Log group aws_cloudwatch_log_group.logs of Lambda function aws_lambda_function.fn has retention_in_days 30; set at least 365 (or 0 = never expire)",
      },
    ]);
    expect(findings(lambdaLogGroup, fn({}, logGroup({ kms_key_id: "k" })))).toEqual([{ path: "s/api/logs", message: expect.stringContaining("retention_in_days unset") }]);
  });
});

describe("LAMBDA-004 code signing configurations enforce", () => {
  const config = (policies: unknown) =>
    stackOf({ aws_lambda_code_signing_config: { csc: { ...meta("s/code-signing/config"), allowed_publishers: {}, ...(policies === undefined ? {} : { policies }) } } });

  it("passes Enforce", () => {
    expect(findings(lambdaCodeSigningEnforced, config({ untrusted_artifact_on_deployment: "Enforce" }))).toEqual([]);
    expect(findings(lambdaCodeSigningEnforced, config([{ untrusted_artifact_on_deployment: "Enforce" }]))).toEqual([]);
  });

  it("flags Warn, and no policies (Lambda's default is Warn)", () => {
    const message = (policy: string) =>
      `Code signing configuration aws_lambda_code_signing_config.csc has untrusted_artifact_on_deployment "${policy}": Lambda deploys untrusted code`;
    expect(findings(lambdaCodeSigningEnforced, config({ untrusted_artifact_on_deployment: "Warn" }))).toEqual([{ path: "s/code-signing/config", message: message("Warn") }]);
    expect(findings(lambdaCodeSigningEnforced, config(undefined))).toEqual([{ path: "s/code-signing/config", message: message("Warn") }]);
  });
});
