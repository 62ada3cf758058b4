import {
  ENVIRONMENT_MAX_BYTES,
  ENVIRONMENT_VARIABLE_NAME_PATTERN,
  RESERVED_ENVIRONMENT_VARIABLES,
  environmentProblems,
  secretLikeReason,
} from "../../modules/environment-variables";

const WHERE = 'function "orders"';
/** The problems as the construct reports them: prefixed with where they are. */
const problemsAt = (variables: Record<string, string>): string[] => environmentProblems(variables).map((p) => `${WHERE}: ${p.message}`);
const NAME_REASON = "its name says it holds a secret";

describe("secretLikeReason: names", () => {
  test.each([
    "PASSWORD",
    "DB_PASSWORD",
    "db_password",
    "PASSWD",
    "MYSQL_PWD",
    "GPG_PASSPHRASE",
    "SECRET",
    "CLIENT_SECRET",
    "APP_SECRETS",
    "GITHUB_TOKEN",
    "TOKEN",
    "API_KEY",
    "STRIPE_APIKEY",
    "JWT_PRIVATE_KEY",
    "AWS_ACCESS_KEY_BACKUP",
    "DB_CREDENTIALS",
    "SIGNING_KEY",
    "DATA_ENCRYPTION_KEY",
  ])("flags %p holding a plaintext value", (name) => {
    expect(secretLikeReason(name, "s3cr3t-value")).toBe(NAME_REASON);
  });

  test.each([
    ["DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf"],
    ["DB_PASSWORD", "arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:db-AbCdEf"],
    ["API_TOKEN_PARAMETER", "/prod/api/token"],
    ["SIGNING_KEY_PARAMETER", "/prod/signing_key.v2"],
    ["TOKEN_TTL", "300"],
    ["SECRET_ROTATION_ENABLED", "true"],
    ["SECRET_CACHE", "FALSE"],
  ])("allows %p when its value %p only points at a secret", (name, value) => {
    expect(secretLikeReason(name, value)).toBeUndefined();
  });

  test.each(["LOG_LEVEL", "SERVICE_NAME", "TOKENIZER_MODEL", "SECRETARY_EMAIL", "PASSWORDLESS_LOGIN", "KEY_ID", "TOKENS_PER_MINUTE", "MY_APIKEYS", "ACCESS_KEYS_ROTATION"])(
    "does not flag %p: a secret word must end the name or be followed by `_`",
    (name) => {
      expect(secretLikeReason(name, "some plain value")).toBeUndefined();
    },
  );

  test("secret words glued to a prefix are flagged: DBPASSWORD, APITOKEN, CLIENTSECRET", () => {
    expect(secretLikeReason("DBPASSWORD", "hunter2")).toBe(NAME_REASON);
    expect(secretLikeReason("APITOKEN", "hunter2")).toBe(NAME_REASON);
    expect(secretLikeReason("CLIENTSECRET", "hunter2")).toBe(NAME_REASON);
    expect(secretLikeReason("DB_PASSWORD", "hunter2")).toBe(NAME_REASON);
  });

  test("a digits-only or path-like value does not excuse a secret name without a metadata suffix", () => {
    expect(secretLikeReason("DB_PASSWORD", "12345678")).toBe(NAME_REASON);
    expect(secretLikeReason("DB_PASSWORD", "/hunter2")).toBe(NAME_REASON);
    expect(secretLikeReason("API_TOKEN_PARAMETER", "/hunter2")).toBeUndefined();
  });

  test("a secret name with a relative path, a URL or an empty value is still flagged", () => {
    expect(secretLikeReason("API_TOKEN", "prod/api/token")).toBe(NAME_REASON);
    expect(secretLikeReason("API_TOKEN", "https://vault.example.com/token")).toBe(NAME_REASON);
    expect(secretLikeReason("API_TOKEN", "")).toBe(NAME_REASON);
  });
});

describe("secretLikeReason: values", () => {
  test.each([
    ["an AWS access key ID", "AKIAIOSFODNN7EXAMPLE"],
    ["an AWS access key ID", "key=ASIAIOSFODNN7EXAMPLE;"],
    ["a private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"],
    ["a private key", "-----BEGIN PRIVATE KEY-----MIIE"],
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----"],
    ["a GitHub token", `ghp_${"a".repeat(36)}`],
    ["a GitHub token", `github_pat_${"A1_".repeat(10)}`],
    ["a Slack token", "xoxb-123456789012-abcdefghij"],
    ["a Stripe secret key", `sk_live_${"a1B2".repeat(6)}`],
    ["a JSON Web Token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    ["a URL with an embedded password", "postgres://app:hunter2@db.internal:5432/orders"],
    ["a URL with an embedded password", "https://user:pa%24s@example.com"],
  ])("flags a value that looks like %s, whatever the name", (what, value) => {
    expect(secretLikeReason("UPSTREAM", value)).toBe(`its value looks like ${what}`);
  });

  test("a value pattern wins over a reference-looking name", () => {
    expect(secretLikeReason("DB_PASSWORD_SECRET_ARN", "postgres://app:hunter2@db/orders")).toBe("its value looks like a URL with an embedded password");
  });

  test.each([
    "https://example.com/path",
    "https://db.internal:5432/orders",
    "postgres://app@db.internal/orders",
    "mailto:someone@example.com",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "AKIA1234",
    "eu-west-1",
    "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf",
  ])("does not flag the ordinary value %p", (value) => {
    expect(secretLikeReason("UPSTREAM", value)).toBeUndefined();
  });
});

describe("ENVIRONMENT_VARIABLE_NAME_PATTERN and reserved names", () => {
  test.each(["AB", "a1", "LOG_LEVEL", "x_"])("accepts %p", (name) => {
    expect(ENVIRONMENT_VARIABLE_NAME_PATTERN.test(name)).toBe(true);
  });

  test.each(["A", "1ABC", "_X", "MY-VAR", "MY VAR", "É_T", ""])("rejects %p", (name) => {
    expect(ENVIRONMENT_VARIABLE_NAME_PATTERN.test(name)).toBe(false);
  });

  test("reserves the keys AWS documents, including AWS_DEFAULT_REGION and TZ", () => {
    for (const name of [
      "_HANDLER",
      "_X_AMZN_TRACE_ID",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_EXECUTION_ENV",
      "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
      "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_LAMBDA_INITIALIZATION_TYPE",
      "AWS_LAMBDA_LOG_GROUP_NAME",
      "AWS_LAMBDA_LOG_STREAM_NAME",
      "AWS_ACCESS_KEY",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_LAMBDA_RUNTIME_API",
      "LAMBDA_TASK_ROOT",
      "LAMBDA_RUNTIME_DIR",
      "TZ",
    ]) {
      expect(RESERVED_ENVIRONMENT_VARIABLES.has(name)).toBe(true);
    }
  });

  test("keeps the documented settable keys settable", () => {
    for (const name of [
      "LANG",
      "PATH",
      "LD_LIBRARY_PATH",
      "NODE_PATH",
      "PYTHONPATH",
      "GEM_PATH",
      "AWS_XRAY_CONTEXT_MISSING",
      "AWS_XRAY_DAEMON_ADDRESS",
      "AWS_LAMBDA_DOTNET_PREJIT",
      "NODE_OPTIONS",
    ]) {
      expect(RESERVED_ENVIRONMENT_VARIABLES.has(name)).toBe(false);
      expect(problemsAt({ [name]: "1" })).toEqual([]);
    }
  });
});

describe("environmentProblems", () => {
  test("no variables, no problems", () => {
    expect(problemsAt({})).toEqual([]);
  });

  test("ordinary configuration passes", () => {
    expect(
      problemsAt({
        LOG_LEVEL: "info",
        SERVICE_NAME: "orders",
        DB_PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf",
        API_TOKEN_PARAMETER: "/prod/api/token",
        TOKEN_TTL: "300",
      }),
    ).toEqual([]);
  });

  test("the limit is 4096 bytes", () => {
    expect(ENVIRONMENT_MAX_BYTES).toBe(4096);
  });

  test("exactly 4096 bytes of names and values pass", () => {
    expect(problemsAt({ AB: "x".repeat(4094) })).toEqual([]);
    expect(problemsAt({ AB: "x".repeat(2046), CD: "y".repeat(2046) })).toEqual([]);
  });

  test("4097 bytes fail, counting names and values across all variables", () => {
    expect(problemsAt({ AB: "x".repeat(4095) })).toEqual([
      `${WHERE}: environment variables total 4097 bytes, over Lambda's 4096-byte limit; move large values to SSM parameters or the code package`,
    ]);
    expect(problemsAt({ AB: "x".repeat(2046), CD: "y".repeat(2047) })).toHaveLength(1);
  });

  test("size counts UTF-8 bytes, not characters", () => {
    // "é" is 2 bytes: 2 + 2047 * 2 = 4096 bytes passes, one more character does not.
    expect(problemsAt({ AB: "é".repeat(2047) })).toEqual([]);
    expect(problemsAt({ AB: "é".repeat(2048) })).toEqual([
      `${WHERE}: environment variables total 4098 bytes, over Lambda's 4096-byte limit; move large values to SSM parameters or the code package`,
    ]);
  });

  test("an invalid name, a reserved name and a secret are each reported, naming the variable", () => {
    expect(problemsAt({ "1ABC": "1", AWS_REGION: "eu-west-1", LOG_LEVEL: "info" })).toEqual([
      `${WHERE}: environment variable "1ABC" has an invalid name; start with a letter and use at least 2 letters, digits or "_"`,
      `${WHERE}: environment variable "AWS_REGION" is reserved by the Lambda runtime; choose another name`,
    ]);
  });

  test("a secret is reported with the Secrets Manager / SSM fix and never with its value", () => {
    const value = "Tr0ub4dor&3";
    const problems = problemsAt({ DB_PASSWORD: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^function "orders": environment variable "DB_PASSWORD" looks like a secret \(its name says it holds a secret\); /);
    expect(problems[0]).toContain("Secrets Manager");
    expect(problems[0]).toContain("SSM SecureString");
    expect(problems[0]).not.toContain(value);
  });

  test("a secret-looking value is reported without echoing it", () => {
    const value = "AKIAIOSFODNN7EXAMPLE";
    const problems = problemsAt({ UPSTREAM_ID: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("its value looks like an AWS access key ID");
    expect(problems[0]).not.toContain(value);
  });

  test("a reserved secret name gets both problems", () => {
    const problems = problemsAt({ AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('"AWS_SECRET_ACCESS_KEY" is reserved');
    expect(problems[1]).toContain('"AWS_SECRET_ACCESS_KEY" looks like a secret');
    expect(problems.join("\n")).not.toContain("wJalrXUtnFEMI");
  });

  test("a non-string value is reported as such instead of crashing", () => {
    const problems = problemsAt({ PORT: 8080 as unknown as string, LOG_LEVEL: "info" });
    expect(problems).toEqual([`${WHERE}: environment variable "PORT" has a number value; write it as a string`]);
  });
});

test.each([
  ["DB_PASS", "hunter2", "its name says it holds a secret"],
  ["SMTP_PASS_WORD", "hunter2", "its name says it holds a secret"],
  ["AUTH", "Bearer abcdefghijklmnop", "its value looks like an HTTP Authorization header value"],
  ["UPSTREAM_AUTH", "Basic dXNlcjpodW50ZXIy", "its value looks like an HTTP Authorization header value"],
])("flags %p = %p (%s)", (name, value, reason) => {
  expect(secretLikeReason(name, value)).toBe(reason);
});

test.each([
  ["PASSENGER_COUNT", "3"],
  ["BYPASS_CACHE", "yes"],
  ["AUTH_MODE", "Bearer"],
])("does not flag %p = %p", (name, value) => {
  expect(secretLikeReason(name, value)).toBeUndefined();
});
