import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppConfig, stackEnvironment } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { ConfigError, ConfigIssue, validateConfig } from "../../config/validate-config";

const REPO = path.resolve(__dirname, "..", "..");
const DEFAULT_DOCUMENT = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));

// The documents below are validated as if they lived in <tmp>/config.json;
// relative paths in them resolve against <tmp>.
let tmp: string;
let configFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "validate-config-test-"));
  configFile = path.join(tmp, "config.json");
  fs.mkdirSync(path.join(tmp, "code"));
  fs.writeFileSync(path.join(tmp, "code", "index.js"), "exports.handler = async () => 'ok';\n");
  fs.writeFileSync(path.join(tmp, "not-a-folder.js"), "");
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** A fresh deep copy of config/default.json whose functions use <tmp>/code. */
function doc(): Doc {
  const copy = structuredClone(DEFAULT_DOCUMENT);
  for (const fn of copy.functions) fn.codeDirectory = "code";
  return copy;
}

/** The placeholder ciphertexts of orders-api's PARTNER_API_KEY in config/default.json, one per stack. */
const DEFAULT_CIPHERTEXTS: Record<string, string> = {
  "staging-eu-west-1":
    "AQICAFoxt9I5Ki7ldmw1uiDvFqm/6Jx7rqkqd1lV+kK/IaZLDhFk914L/7fLuhWNoM9giTVgsabk29vl4elTHOMqgFn2A3wuCDvuBLoUj/6Txhp70h4YIzp4h4AwRyRlxe4hG19XNBQK0mJL7Fr9bpsn5UjvKvD9/AI0Jgae1fc=",
  "staging-us-east-1":
    "AQICAIqfNPifySvIAAMY0UkB8hrvxRqkIFKVTbWMBvUrd3uDcxiBsOE3dyFB/XpS7xsGaIRpn+uWdRxW39KtUJodU797mBb3e9EmhptlYvEbYIay+N2yRO+7q3mK23VZI5xXluC9sc8VEh6R5OiOzYDuiBFSK5/b7u1UzMaLUqM=",
  "production-eu-west-1":
    "AQICALXez7rG7FElEs3TPFFhhKuxOISdB1jbznwC92b2u03XgrumLor4LrduQxtziz2FeuwoNKG2xrGKfw8gFJJgoyGzl1tnX4+lb6Pwi5CfVV+YTPjTu2kH/H7OZ8uOl3Ih0ARUh9ojrHlPDEDkL3BOOn6v5qQgP05Jyp8Jd8M=",
  "production-us-east-1":
    "AQICAMvk4vses1MghDmMeAERNwcDMnDW9moB6rCb6PxoaMqvua2hQZ6oh0pkCcL/SkHvqM9Nu9ag9tJguhq5buoUtKJUUDQ7dwWeRD60ar/Frf0BNQxmzgIaQxIn9srN8jTD/dFvnIeCn+V07fUqb9BZdvD86gt+5v7NGGdtsFI=",
};
/** A well-formed ciphertext (base64 of 48 bytes) for stacks the default configuration has none for. */
const CIPHERTEXT = Buffer.alloc(48, 7).toString("base64");
const ALL_STACKS = ["staging-eu-west-1", "staging-us-east-1", "production-eu-west-1", "production-us-east-1"];
/** What the thrown messages about a refused ciphertext tell the user to do. */
const CIPHERTEXT_FIX = `paste the base64 ciphertext printed by the encrypt command ("npx lambda-kms-encrypt", or "npm run encrypt" in the cdktf-lambda-kms repository), made with this function's key and the encryption context LambdaFunctionName=<function name>`;

/**
 * Sets an account's regions, and gives orders-api's encrypted PARTNER_API_KEY
 * a ciphertext for exactly the stacks it then runs in.
 */
function setRegions(document: Doc, account: number, regions: string[]): void {
  const name = document.accounts[account].name;
  document.accounts[account].regions = regions;
  const perStack = document.functions[0].encryptedEnvironment.PARTNER_API_KEY;
  for (const stack of Object.keys(perStack)) if (stack.startsWith(`${name}-`)) delete perStack[stack];
  for (const region of regions) perStack[`${name}-${region}`] = CIPHERTEXT;
}

/** A ciphertext per stack of the default configuration, for a new encrypted variable of orders-api. */
function everyStack(): Record<string, string> {
  return Object.fromEntries(ALL_STACKS.map((stack) => [stack, CIPHERTEXT]));
}

/** Validates and returns the ConfigError; fails the test when the document is accepted. */
function configError(document: Doc): ConfigError {
  try {
    validateConfig(document, configFile);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but the configuration was accepted");
}

/** The only issue of the error (and checks that it is the only one). */
/** Path and message of each issue; the code of a refused setting is checked on its own (see "codes"). */
function withoutCodes(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map(({ path, message }) => ({ path, message }));
}

function onlyIssue(document: Doc): ConfigIssue {
  const error = configError(document);
  expect(error.issues).toHaveLength(1);
  const [issue] = error.issues;
  // The thrown message carries the same text, prefixed by the field path and followed by the code, if any.
  expect(error.message).toContain(`  - ${issue.path}: ${issue.message}${issue.code ? ` [${issue.code}]` : ""}`);
  return withoutCodes([issue])[0];
}

/** The audit settings every account gets when it has no `audit` object (or an empty one). */
function defaultAudit(project: string, accountId: string, homeRegion: string): AppConfig["accounts"][number]["audit"] {
  return {
    homeRegion,
    trailName: `${project}-audit`,
    bucketName: `${project}-audit-logs-${accountId}`,
    keyAliases: [`${project}-audit`],
    logRetentionDays: 365,
    allowShortLogRetention: false,
    bucketRetentionDays: 365,
    accessLogBucketName: undefined,
    accessLogging: true,
    bucketEventNotifications: true,
    logFileNotifications: true,
    alarmEmails: [],
    readerArns: [],
    readWriteType: "All",
    excludeManagementEventSources: [],
    breakGlassRoleArns: [],
    objectLock: undefined,
    cisAlarms: true,
  };
}

/** The issue at `at`; fails when there is none. */
function issueAt(error: ConfigError, at: string): ConfigIssue {
  const found = error.issues.filter((issue) => issue.path === at);
  expect(found.map((i) => i.path)).toEqual([at]);
  return found[0];
}

describe("validateConfig: the default configuration", () => {
  let config: AppConfig;

  beforeAll(() => {
    config = loadConfig(DEFAULT_CONFIG_FILE);
  });

  test("is config/default.json of the repository", () => {
    expect(DEFAULT_CONFIG_FILE).toBe(path.join(REPO, "config", "default.json"));
    expect(config.sourceFile).toBe(path.join(REPO, "config", "default.json"));
  });

  test("loads with every default filled in", () => {
    const code = path.join(REPO, "functions", "config-reader");
    expect(DEFAULT_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY).toEqual(DEFAULT_CIPHERTEXTS);
    expect(config).toEqual({
      project: "payments",
      defaultTags: { Project: "payments", ManagedBy: "cdktf-lambda-kms" },
      backend: { type: "local", directory: path.join(REPO, "terraform-state"), stateInStackFolder: false },
      key: { aliases: ["payments-lambda-env"], rotationPeriodDays: 365, deletionWindowDays: 30, preventDestroy: true },
      accounts: [
        {
          name: "staging",
          accountId: "111111111111",
          regions: ["eu-west-1", "us-east-1"],
          assumeRole: undefined,
          tags: { Environment: "staging" },
          keyAdministratorArns: ["arn:aws:iam::111111111111:role/platform-key-admin"],
          keyUserArns: [],
          deployerArns: ["arn:aws:iam::111111111111:role/terraform-deploy"],
          helperEncrypterArns: [],
          deployer: {
            roleName: "terraform-deploy",
            roleArn: "arn:aws:iam::111111111111:role/terraform-deploy",
            trustedPrincipalArns: [],
            oidc: {
              providerArn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
              subjects: ["repo:example-org/payments:ref:refs/heads/main"],
              audience: "sts.amazonaws.com",
            },
          },
          allowIamToGrantKeyUse: false,
          keyGeneration: 1,
          retiringKeyGenerations: [],
          encryptedEnvironmentKeyGeneration: 1,
          audit: { ...defaultAudit("payments", "111111111111", "eu-west-1"), alarmEmails: ["staging-alerts@example.com"] },
        },
        {
          name: "production",
          accountId: "222222222222",
          regions: ["eu-west-1", "us-east-1"],
          assumeRole: undefined,
          tags: { Environment: "production" },
          keyAdministratorArns: ["arn:aws:iam::222222222222:role/platform-key-admin"],
          keyUserArns: ["arn:aws:iam::222222222222:role/incident-responder"],
          deployerArns: ["arn:aws:iam::222222222222:role/terraform-deploy"],
          helperEncrypterArns: [],
          deployer: {
            roleName: "terraform-deploy",
            roleArn: "arn:aws:iam::222222222222:role/terraform-deploy",
            trustedPrincipalArns: [],
            oidc: {
              providerArn: "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
              subjects: ["repo:example-org/payments:environment:production"],
              audience: "sts.amazonaws.com",
            },
          },
          allowIamToGrantKeyUse: false,
          keyGeneration: 1,
          retiringKeyGenerations: [],
          encryptedEnvironmentKeyGeneration: 1,
          audit: {
            ...defaultAudit("payments", "222222222222", "eu-west-1"),
            alarmEmails: ["security-alerts@example.com"],
            readerArns: ["arn:aws:iam::222222222222:role/security-auditor"],
          },
        },
      ],
      secrets: [
        {
          name: "payments/orders-api/db-password",
          type: "secretsmanager",
          description: "Database password of orders-api",
          recoveryWindowDays: 30,
          tier: "Standard",
          seedFromVariable: true,
          accounts: ["staging", "production"],
        },
        {
          name: "/payments/orders-api/partner-webhook-token",
          type: "ssm",
          description: "Token the partner sends with webhooks",
          recoveryWindowDays: 30,
          tier: "Standard",
          seedFromVariable: false,
          accounts: ["staging", "production"],
        },
      ],
      functions: [
        {
          name: "orders-api",
          // The bundled example handler (npm run build), not its source.
          codeDirectory: path.join(REPO, "functions", "orders-api", "dist"),
          handler: "index.handler",
          runtime: "nodejs22.x",
          memorySize: 256,
          timeout: 10,
          architecture: "arm64",
          environment: { SERVICE_NAME: "orders-api", LOG_LEVEL: "info" },
          environmentOverrides: { staging: { API_BASE_URL: "https://api.staging.example.com" }, production: { API_BASE_URL: "https://api.example.com" } },
          logRetentionDays: 365,
          allowShortLogRetention: false,
          reservedConcurrentExecutions: 50,
          tracing: true,
          deadLetterQueue: true,
          codeSigning: false,
          vpc: {},
          permissionsBoundaryPolicyName: undefined,
          secrets: {
            DB_PASSWORD_SECRET_ARN: "payments/orders-api/db-password",
            WEBHOOK_TOKEN_PARAMETER: "/payments/orders-api/partner-webhook-token",
          },
          encryptedEnvironment: { PARTNER_API_KEY: DEFAULT_CIPHERTEXTS },
          accounts: ["staging", "production"],
        },
        {
          name: "nightly-report",
          codeDirectory: code,
          handler: "index.handler",
          runtime: "nodejs22.x",
          memorySize: 256,
          timeout: 60,
          architecture: "arm64",
          environment: {},
          environmentOverrides: {},
          logRetentionDays: 365,
          allowShortLogRetention: false,
          reservedConcurrentExecutions: 1,
          tracing: true,
          deadLetterQueue: true,
          codeSigning: false,
          vpc: {},
          permissionsBoundaryPolicyName: undefined,
          secrets: {},
          encryptedEnvironment: {},
          accounts: ["production"],
        },
      ],
      sourceFile: path.join(REPO, "config", "default.json"),
    });
  });

  test("resolves paths to absolute folders that exist", () => {
    expect(path.isAbsolute(config.backend.type === "local" ? config.backend.directory : "")).toBe(true);
    for (const fn of config.functions) {
      expect(path.isAbsolute(fn.codeDirectory)).toBe(true);
      expect(fs.statSync(fn.codeDirectory).isDirectory()).toBe(true);
    }
  });
});

describe("validateConfig: defaults and relative paths", () => {
  test("fills in every default for a minimal document", () => {
    const config = validateConfig(
      {
        project: "billing",
        accounts: [{ name: "dev", accountId: "333333333333", regions: ["eu-central-1"] }],
        functions: [{ name: "worker", codeDirectory: "code" }],
      },
      configFile,
    );
    expect(config).toEqual({
      project: "billing",
      defaultTags: {},
      backend: { type: "local", directory: path.join(path.dirname(tmp), "terraform-state"), stateInStackFolder: false },
      key: { aliases: ["billing-lambda-env"], rotationPeriodDays: 365, deletionWindowDays: 30, preventDestroy: true },
      accounts: [
        {
          name: "dev",
          accountId: "333333333333",
          regions: ["eu-central-1"],
          assumeRole: undefined,
          tags: {},
          keyAdministratorArns: [],
          keyUserArns: [],
          deployerArns: [],
          helperEncrypterArns: [],
          deployer: undefined,
          allowIamToGrantKeyUse: false,
          keyGeneration: 1,
          retiringKeyGenerations: [],
          encryptedEnvironmentKeyGeneration: 1,
          audit: defaultAudit("billing", "333333333333", "eu-central-1"),
        },
      ],
      secrets: [],
      functions: [
        {
          name: "worker",
          codeDirectory: path.join(tmp, "code"),
          handler: "index.handler",
          runtime: "nodejs22.x",
          memorySize: 256,
          timeout: 10,
          architecture: "arm64",
          environment: {},
          environmentOverrides: {},
          logRetentionDays: 365,
          allowShortLogRetention: false,
          tracing: false,
          deadLetterQueue: false,
          codeSigning: false,
          vpc: {},
          permissionsBoundaryPolicyName: undefined,
          secrets: {},
          encryptedEnvironment: {},
          accounts: ["dev"],
        },
      ],
      sourceFile: configFile,
    });
  });

  test("resolves relative paths against the folder of the configuration file, not the working directory", () => {
    const document = doc();
    document.backend.directory = "state";
    const config = validateConfig(document, configFile);
    expect(config.backend).toEqual({ type: "local", directory: path.join(tmp, "state"), stateInStackFolder: false });
    expect(config.functions.map((fn) => fn.codeDirectory)).toEqual([path.join(tmp, "code"), path.join(tmp, "code")]);
  });

  test("reads a local backend that keeps each state in its stack folder", () => {
    const document = doc();
    document.backend = { type: "local", stateInStackFolder: true };
    const backend = validateConfig(document, configFile).backend;
    expect(backend).toMatchObject({ type: "local", stateInStackFolder: true });
  });

  test("reads an S3 backend with its defaults", () => {
    const document = doc();
    document.backend = { type: "s3", bucket: "acme-terraform-state", region: "eu-central-1" };
    expect(validateConfig(document, configFile).backend).toEqual({
      type: "s3",
      bucket: "acme-terraform-state",
      region: "eu-central-1",
      keyPrefix: "lambda-kms",
      useLockfile: true,
      dynamodbTable: undefined,
      kmsKeyId: undefined,
      roleArn: undefined,
    });
  });

  test("reads an assume-role block", () => {
    const document = doc();
    document.accounts[1].assumeRole = { roleArn: "arn:aws:iam::222222222222:role/terraform-deploy", sessionName: "ci", externalId: "ext-123" };
    expect(validateConfig(document, configFile).accounts[1].assumeRole).toEqual({
      roleArn: "arn:aws:iam::222222222222:role/terraform-deploy",
      sessionName: "ci",
      externalId: "ext-123",
    });
  });

  test("accepts aliases with and without the alias/ prefix, including ones that merely contain aws", () => {
    const document = doc();
    document.key.aliases = ["alias/team/app-env", "app-env", "aws-lambda-env", "alias/my/aws/x"];
    expect(validateConfig(document, configFile).key.aliases).toEqual(["alias/team/app-env", "app-env", "aws-lambda-env", "alias/my/aws/x"]);
  });

  test("accepts a short log retention when allowShortLogRetention is true", () => {
    const document = doc();
    Object.assign(document.functions[0], { logRetentionDays: 7, allowShortLogRetention: true });
    const fn = validateConfig(document, configFile).functions[0];
    expect(fn.logRetentionDays).toBe(7);
    expect(fn.allowShortLogRetention).toBe(true);
  });

  test("accepts a function name whose role name is exactly 64 characters", () => {
    const document = doc();
    setRegions(document, 1, ["ap-southeast-2"]);
    document.functions[1].name = "n".repeat(49); // "<49>-ap-southeast-2" = 64
    expect(validateConfig(document, configFile).functions[1].name).toHaveLength(49);
  });
});

describe("validateConfig: errors", () => {
  test("fails when the document is not an object", () => {
    const issue = configError([]).issues[0];
    expect(issue).toEqual({ path: "(root)", message: "expected an object, got a list of 0 items" });
  });

  test("fails when the root has an unknown field, and lists the allowed fields", () => {
    const document = doc();
    document.colour = "blue";
    expect(onlyIssue(document)).toEqual({
      path: "colour",
      message: "unknown field; allowed fields are $schema, $comment, project, codeRoot, additionalRegions, defaultTags, backend, key, accounts, secrets, functions, emulator",
    });
  });

  test("fails when a function has an unknown field, and lists the allowed fields", () => {
    const document = doc();
    document.functions[1].memory = 512; // a typo for memorySize
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[1].memory");
    expect(issue.message).toMatch(/^unknown field; allowed fields are name, codeDirectory, handler, .*memorySize.*, secrets, encryptedEnvironment, accounts$/);
  });

  test("fails when the project name is invalid", () => {
    const document = doc();
    document.project = "Payments!";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("project");
    expect(issue.message).toContain('"Payments!" is invalid');
    expect(issue.message).toContain('use 2–31 lowercase letters, digits or "-"');
  });

  test("fails when accounts are missing", () => {
    const document = doc();
    delete document.accounts;
    const error = configError(document);
    expect(issueAt(error, "accounts").message).toBe("expected a list, got nothing");
    // The function that names an account now names an unknown one; nothing else is reported.
    expect(error.issues.map((i) => i.path)).toEqual(["accounts", "functions[1].accounts[0]"]);
  });

  test("fails when the account list is empty", () => {
    const document = doc();
    document.accounts = [];
    document.functions[1].accounts = undefined;
    expect(onlyIssue(document)).toEqual({ path: "accounts", message: "list is empty; give at least 1 item" });
  });

  test("fails when an account has no regions", () => {
    const document = doc();
    document.accounts[0].regions = [];
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].regions");
    expect(issue.message).toContain('list is empty; give at least one region, e.g. ["eu-west-1"]');
  });

  test("fails when a region is not an AWS region code", () => {
    const document = doc();
    document.accounts[1].regions[0] = "europe-west1";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].regions[0]");
    expect(issue.message).toBe('"europe-west1" is invalid; use a region code such as "eu-west-1"');
  });

  test("fails when a region is listed twice, reported once", () => {
    const document = doc();
    document.accounts[0].regions = ["eu-west-1", "eu-west-1"];
    expect(onlyIssue(document)).toEqual({ path: "accounts[0].regions[1]", message: '"eu-west-1" is listed twice; list each value once' });
  });

  test("fails when two aliases differ only by the alias/ prefix", () => {
    const document = doc();
    document.key.aliases = ["payments-lambda-env", "alias/payments-lambda-env"];
    expect(onlyIssue(document)).toEqual({
      path: "key.aliases[1]",
      message: '"alias/payments-lambda-env" is the same alias as "payments-lambda-env"; list each alias once',
    });
  });

  // Both passed config load before and failed only in the construct, without a config path.
  test("fails when two aliases of the workload key would share a Terraform address", () => {
    const document = doc();
    document.key.aliases = ["team/app", "team-app"];
    expect(onlyIssue(document)).toEqual({ path: "key.aliases[1]", message: '"team-app" and "team/app" would share the Terraform address "alias-team-app"; rename one of them' });
  });

  test("fails when two aliases of an audit key would share a Terraform address", () => {
    const document = doc();
    document.accounts[0].audit.keyAliases = ["audit/keys", "audit-keys"];
    expect(onlyIssue(document)).toEqual({
      path: "accounts[0].audit.keyAliases[1]",
      message: '"audit-keys" and "audit/keys" would share the Terraform address "alias-audit-keys"; rename one of them',
    });
  });

  test("fails when two accounts have the same account ID (their account-wide names would collide at apply)", () => {
    const document = doc();
    document.accounts[1].accountId = document.accounts[0].accountId;
    expect(onlyIssue(document)).toEqual({
      path: "accounts[1].accountId",
      message: `"${document.accounts[0].accountId}" is also the account ID of accounts[0] ("${document.accounts[0].name}"); list each AWS account once, with all its regions in one entry`,
    });
  });

  test("fails when an account ID has the wrong number of digits", () => {
    const document = doc();
    document.accounts[0].accountId = "12345";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].accountId");
    expect(issue.message).toBe('"12345" is invalid; write the 12-digit account ID as a string, e.g. "111111111111"');
  });

  test("fails when an account ID is a number instead of a string", () => {
    const document = doc();
    document.accounts[1].accountId = 222222222222;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].accountId");
    expect(issue.message).toBe('expected a string, got 222222222222; write the 12-digit account ID as a string, e.g. "111111111111"');
  });

  test("fails when two accounts have the same name", () => {
    const document = doc();
    document.accounts[1].name = "staging";
    const error = configError(document);
    expect(issueAt(error, "accounts[1].name").message).toBe('"staging" is used by another account; give each account its own name');
  });

  test("fails when a key administrator is not an IAM principal ARN", () => {
    const document = doc();
    // Groups cannot be principals in a key policy.
    document.accounts[0].keyAdministratorArns = ["arn:aws:iam::111111111111:group/admins"];
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].keyAdministratorArns[0]");
    expect(issue.message).toBe('"arn:aws:iam::111111111111:group/admins" is invalid; use an IAM principal ARN such as arn:aws:iam::111111111111:role/platform-admin');
  });

  test("fails when a key user or deployer is not an IAM principal ARN", () => {
    const document = doc();
    document.accounts[1].keyUserArns = ["incident-responder"];
    document.accounts[1].deployerArns.push("arn:aws:iam::22222222222:role/short-account");
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual(["accounts[1].keyUserArns[0]", "accounts[1].deployerArns[1]"]);
    expect(error.issues[0].message).toContain('"incident-responder" is invalid');
    expect(error.issues[1].message).toContain('"arn:aws:iam::22222222222:role/short-account" is invalid');
  });

  test("accounts[].deployer: the deploy role joins deployerArns, once", () => {
    const document = doc();
    document.accounts[0].deployerArns = [];
    document.accounts[0].deployer = { roleName: "ci-deploy", trustedPrincipalArns: ["arn:aws:iam::333333333333:role/ci-runner"] };
    const config = validateConfig(document, configFile);
    expect(config.accounts[0].deployer).toEqual({
      roleName: "ci-deploy",
      roleArn: "arn:aws:iam::111111111111:role/ci-deploy",
      trustedPrincipalArns: ["arn:aws:iam::333333333333:role/ci-runner"],
      oidc: undefined,
    });
    expect(config.accounts[0].deployerArns).toEqual(["arn:aws:iam::111111111111:role/ci-deploy"]);
    // Already listed (the default configuration): not twice.
    expect(validateConfig(doc(), configFile).accounts[1].deployerArns).toEqual(["arn:aws:iam::222222222222:role/terraform-deploy"]);
  });

  test("accounts[].deployer: the role name defaults to <project>-deployer", () => {
    const document = doc();
    document.accounts[0].deployer = { trustedPrincipalArns: ["arn:aws:iam::333333333333:role/ci-runner"] };
    expect(validateConfig(document, configFile).accounts[0].deployer?.roleArn).toBe("arn:aws:iam::111111111111:role/payments-deployer");
  });

  test.each([
    ["names nobody who may assume the role", {}, "accounts[0].deployer", "names nobody who may assume the deploy role; give trustedPrincipalArns"],
    ["trusts something that is not a principal ARN", { trustedPrincipalArns: ["ci-runner"] }, "accounts[0].deployer.trustedPrincipalArns[0]", '"ci-runner" is invalid'],
    [
      "names an OIDC provider that is not an OIDC provider ARN",
      { oidc: { providerArn: "token.actions.githubusercontent.com", subjects: ["repo:org/repo:ref:refs/heads/main"] } },
      "accounts[0].deployer.oidc.providerArn",
      "use an IAM OIDC provider ARN such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
    ],
    [
      "trusts every subject of the OIDC provider",
      { oidc: { providerArn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com", subjects: ["*"] } },
      "accounts[0].deployer.oidc.subjects[0]",
      'a lone "*" would trust every repository',
    ],
    [
      "lists no OIDC subject",
      { oidc: { providerArn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com", subjects: [] } },
      "accounts[0].deployer.oidc.subjects",
      "name the CI subjects that may deploy",
    ],
    [
      "has a role name IAM refuses",
      { roleName: "ci deploy", trustedPrincipalArns: ["arn:aws:iam::333333333333:role/ci-runner"] },
      "accounts[0].deployer.roleName",
      '"ci deploy" is invalid',
    ],
  ])("fails when accounts[].deployer %s", (_what, deployer, at, message) => {
    const document = doc();
    document.accounts[0].deployer = deployer;
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual([at]);
    expect(error.issues[0].message).toContain(message);
  });

  test("fails when a helper encrypter is not an IAM principal ARN", () => {
    const document = doc();
    document.accounts[1].helperEncrypterArns = ["platform-operator"];
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual(["accounts[1].helperEncrypterArns[0]"]);
  });

  test("fails when assumeRole.roleArn is not a role ARN", () => {
    const document = doc();
    document.accounts[1].assumeRole = { roleArn: "arn:aws:iam::222222222222:user/deploy" };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].assumeRole.roleArn");
    expect(issue.message).toBe('"arn:aws:iam::222222222222:user/deploy" is invalid; use a role ARN such as arn:aws:iam::111111111111:role/terraform-deploy');
  });

  test("fails when rotationPeriodDays is below 90", () => {
    const document = doc();
    document.key.rotationPeriodDays = 80;
    expect(onlyIssue(document)).toEqual({ path: "key.rotationPeriodDays", message: "80 is out of range; use a whole number from 90 to 2560" });
  });

  test("fails when deletionWindowDays is above 30", () => {
    const document = doc();
    document.key.deletionWindowDays = 31;
    expect(onlyIssue(document)).toEqual({ path: "key.deletionWindowDays", message: "31 is out of range; use a whole number from 7 to 30" });
  });

  test("fails when rotationPeriodDays is not a whole number", () => {
    const document = doc();
    document.key.rotationPeriodDays = "365";
    expect(onlyIssue(document)).toEqual({ path: "key.rotationPeriodDays", message: '"365" is out of range; use a whole number from 90 to 2560' });
  });

  test.each(["aws/x", "alias/aws/x"])("fails when an alias is reserved for AWS (%s)", (alias) => {
    const document = doc();
    document.key.aliases = ["payments-lambda-env", alias];
    const issue = onlyIssue(document);
    expect(issue.path).toBe("key.aliases[1]");
    expect(issue.message).toBe(`"${alias}" is reserved for AWS managed keys; choose a name that does not start with "aws/"`);
  });

  test("fails when an alias is only the alias/ prefix", () => {
    const document = doc();
    document.key.aliases = ["alias/"];
    const issue = onlyIssue(document);
    expect(issue.path).toBe("key.aliases[0]");
    expect(issue.message).toContain('"alias/" is invalid');
  });

  test("fails when the alias list is empty", () => {
    const document = doc();
    document.key.aliases = [];
    expect(onlyIssue(document)).toEqual({ path: "key.aliases", message: "list is empty; give the key at least one alias" });
  });

  test("fails when the backend type is unknown", () => {
    const document = doc();
    document.backend = { type: "gcs", bucket: "state" };
    expect(onlyIssue(document)).toEqual({ path: "backend.type", message: '"gcs" is not a backend type; use "local" or "s3"' });
  });

  test("fails when an S3 backend has no bucket", () => {
    const document = doc();
    document.backend = { type: "s3", region: "eu-west-1" };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("backend.bucket");
    expect(issue.message).toBe('expected a string, got nothing; use an S3 bucket name such as "payments-audit-logs-111111111111"');
  });

  test("fails when an S3 backend has an unknown field", () => {
    const document = doc();
    document.backend = { type: "s3", bucket: "acme-state", region: "eu-west-1", directory: "../terraform-state" };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("backend.directory");
    expect(issue.message).toContain("allowed fields are type, bucket, region, keyPrefix, useLockfile, dynamodbTable, kmsKeyId, roleArn");
  });

  test("fails when a local backend has both a directory and stateInStackFolder", () => {
    const document = doc();
    document.backend = { type: "local", directory: "state", stateInStackFolder: true };
    expect(onlyIssue(document)).toEqual({
      path: "backend.directory",
      message: '"state" cannot be combined with "stateInStackFolder": true, which keeps each state in its stack folder; remove one of the two',
    });
  });

  test("fails when stateInStackFolder is not a boolean", () => {
    const document = doc();
    document.backend = { type: "local", stateInStackFolder: "yes" };
    expect(onlyIssue(document).path).toBe("backend.stateInStackFolder");
  });

  test("fails when a function targets an unknown account", () => {
    const document = doc();
    document.functions[1].accounts = ["prod"];
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].accounts[0]",
      message: '"prod" is not an account in this file; use one of staging, production',
    });
  });

  test("fails when codeDirectory does not exist", () => {
    const document = doc();
    document.functions[0].codeDirectory = "../functions/config-reader";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[0].codeDirectory");
    expect(issue.message).toBe(
      `"../functions/config-reader" resolves to ${path.join(path.dirname(tmp), "functions", "config-reader")}, which is not a folder; paths are relative to the configuration file`,
    );
  });

  test("fails when codeDirectory is a file", () => {
    const document = doc();
    document.functions[1].codeDirectory = "not-a-folder.js";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[1].codeDirectory");
    expect(issue.message).toContain(`resolves to ${path.join(tmp, "not-a-folder.js")}, which is not a folder`);
  });

  test("fails when an environment variable is reserved by the Lambda runtime", () => {
    const document = doc();
    document.functions[0].environment.AWS_REGION = "eu-west-1";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[0].environment.AWS_REGION");
    expect(issue.message).toBe('environment variable "AWS_REGION" is reserved by the Lambda runtime; choose another name');
  });

  test("fails when an environment variable looks like a secret, without echoing its value", () => {
    const document = doc();
    document.functions[0].environment.DB_PASSWORD = "hunter2-correct-horse";
    document.functions[1].environment = { PAYMENT_PROVIDER: "sk_live_4eC39HqLyjWDarjtT1zdp7dc" };
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual(["functions[0].environment.DB_PASSWORD", "functions[1].environment.PAYMENT_PROVIDER"]);
    expect(error.issues[0].message).toContain('environment variable "DB_PASSWORD" looks like a secret (its name says it holds a secret)');
    expect(error.issues[1].message).toContain('environment variable "PAYMENT_PROVIDER" looks like a secret (its value looks like a Stripe secret key)');
    for (const issue of error.issues) expect(issue.message).toContain("Secrets Manager");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    expect(JSON.stringify(error.issues)).not.toContain("hunter2");
  });

  test("accepts a secret's ARN in a variable whose name mentions a secret", () => {
    const document = doc();
    // nightly-report: orders-api gets DB_PASSWORD_SECRET_ARN from its secrets already.
    document.functions[1].environment = { DB_PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db-AbCdEf" };
    expect(() => validateConfig(document, configFile)).not.toThrow();
  });

  test("fails when an environment value is not a string", () => {
    const document = doc();
    document.functions[0].environment.PORT = 8080;
    expect(onlyIssue(document)).toEqual({ path: "functions[0].environment.PORT", message: "expected a string, got a number; quote the value" });
  });

  test("fails when logRetentionDays is below 365 without allowShortLogRetention", () => {
    const document = doc();
    document.functions[0].logRetentionDays = 7;
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].logRetentionDays",
      message: "7 is below the 365-day default; set allowShortLogRetention to true to accept shorter retention explicitly",
    });
  });

  test("fails when logRetentionDays is not a CloudWatch Logs value", () => {
    const document = doc();
    document.functions[1].logRetentionDays = 100;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[1].logRetentionDays");
    expect(issue.message).toMatch(/^100 is not a CloudWatch Logs retention value; use one of 0, 1, 3, .*, 365, .*3653$/);
  });

  test("fails when <name>-<region> is longer than 64 characters, and says how long the name may be", () => {
    const document = doc();
    setRegions(document, 1, ["eu-west-1", "ap-southeast-2"]);
    setRegions(document, 0, ["ap-southeast-2"]);
    const name = "n".repeat(50); // "<50>-ap-southeast-2" = 65 characters; "<50>-eu-west-1" = 60
    document.functions[1].name = name;
    document.functions[1].accounts = ["staging", "production"]; // two accounts in the long region: still one issue
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[1].name");
    expect(issue.message).toBe(
      `"${name}" is too long: its execution role in ap-southeast-2 would be "${name}-ap-southeast-2" (65 characters, IAM allows 64); shorten the name to 49 characters`,
    );
  });

  test("fails when two functions have the same name", () => {
    const document = doc();
    document.functions[1].name = "orders-api";
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].name",
      message: '"orders-api" is used by another function; function names are unique per account and region',
    });
  });

  test("fails when a tag value is not a string", () => {
    const document = doc();
    document.defaultTags.CostCenter = 4711;
    expect(onlyIssue(document)).toEqual({ path: "defaultTags.CostCenter", message: "expected a string, got a number; quote the value" });
  });

  test("reports every problem together in one ConfigError", () => {
    const document = doc();
    document.project = "P";
    document.accounts[1].regions[0] = "europe-west1";
    document.key.rotationPeriodDays = 80;
    document.functions[1].accounts = ["prod"];
    document.functions[0].environment.API_TOKEN = "abc123secretvalue";

    let thrown: unknown;
    try {
      validateConfig(document, configFile);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.name).toBe("ConfigError");
    expect(error.file).toBe(configFile);
    expect(error.issues.map((i) => i.path)).toEqual([
      "project",
      // key is read before accounts
      "key.rotationPeriodDays",
      "accounts[1].regions[0]",
      "functions[0].environment.API_TOKEN",
      "functions[1].accounts[0]",
    ]);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe(`invalid configuration ${configFile}:`);
    expect(lines).toHaveLength(6);
    expect(error.message).toContain('  - project: "P" is invalid');
    expect(error.message).toContain("  - key.rotationPeriodDays: 80 is out of range");
    expect(error.message).toContain('  - accounts[1].regions[0]: "europe-west1" is invalid');
    expect(error.message).toContain('  - functions[0].environment.API_TOKEN: environment variable "API_TOKEN" looks like a secret');
    expect(error.message).toContain('  - functions[1].accounts[0]: "prod" is not an account in this file');
    expect(error.message).not.toContain("abc123secretvalue");
  });
});

describe("validateConfig: one issue per problem, at the right path", () => {
  test("a backend that is not an object is reported at backend", () => {
    const document = doc();
    document.backend = "s3";
    expect(onlyIssue(document)).toEqual({
      path: "backend",
      message: 'expected an object, got "s3"; write e.g. {"type": "local"} or {"type": "s3", "bucket": "...", "region": "..."}',
    });
  });

  test("a runtime that is not a string is one issue with the allowed values", () => {
    const document = doc();
    document.functions[0].runtime = 22;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[0].runtime");
    expect(issue.message).toMatch(/^22 is not supported; use one of nodejs20.x, nodejs22.x, /);
  });

  test("a logRetentionDays that is not a number is one issue", () => {
    const document = doc();
    document.functions[0].logRetentionDays = "365";
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].logRetentionDays",
      message: expect.stringMatching(/^"365" is not a CloudWatch Logs retention value; use one of 0, 1, 3, .*, 3653$/),
    });
  });
});

describe("validateConfig: accounts[].audit", () => {
  test("an account without audit gets the full default set-up, derived from the project, the account ID and the first region", () => {
    const document = doc();
    delete document.accounts[1].audit;
    document.accounts[1].regions = ["us-east-1", "eu-west-1"];
    const config = validateConfig(document, configFile);
    expect(config.accounts[1].audit).toEqual({
      homeRegion: "us-east-1",
      trailName: "payments-audit",
      bucketName: "payments-audit-logs-222222222222",
      keyAliases: ["payments-audit"],
      logRetentionDays: 365,
      allowShortLogRetention: false,
      bucketRetentionDays: 365,
      accessLogBucketName: undefined,
      accessLogging: true,
      bucketEventNotifications: true,
      logFileNotifications: true,
      alarmEmails: [],
      readerArns: [],
      readWriteType: "All",
      excludeManagementEventSources: [],
      breakGlassRoleArns: [],
      objectLock: undefined,
      cisAlarms: true,
    });
    // Bucket names are global: each account gets its own.
    expect(config.accounts[0].audit.bucketName).toBe("payments-audit-logs-111111111111");
  });

  test("an empty audit object gets the same defaults as none", () => {
    const withEmpty = doc();
    withEmpty.accounts[0].audit = {};
    const without = doc();
    delete without.accounts[0].audit;
    expect(validateConfig(withEmpty, configFile).accounts[0].audit).toEqual(validateConfig(without, configFile).accounts[0].audit);
  });

  test("keeps the defaults for the fields a partial audit object leaves out", () => {
    const document = doc();
    document.accounts[0].audit = { alarmEmails: ["ops@example.com"] };
    expect(validateConfig(document, configFile).accounts[0].audit).toEqual({ ...defaultAudit("payments", "111111111111", "eu-west-1"), alarmEmails: ["ops@example.com"] });
  });

  test("reads every audit field as given", () => {
    const document = doc();
    const audit = {
      homeRegion: "us-east-1",
      trailName: "org_Audit-2",
      bucketName: "acme.audit-logs.222222222222",
      keyAliases: ["alias/acme/audit", "acme-audit-2"],
      logRetentionDays: 90,
      allowShortLogRetention: true,
      bucketRetentionDays: 36500,
      accessLogBucketName: "acme-access-logs-222222222222",
      accessLogging: true,
      bucketEventNotifications: false,
      logFileNotifications: false,
      alarmEmails: ["security@example.com", "oncall+kms@example.org"],
      readerArns: ["arn:aws:iam::222222222222:role/security-auditor", "arn:aws:iam::333333333333:user/external-auditor"],
      readWriteType: "All",
      excludeManagementEventSources: ["rdsdata.amazonaws.com"],
      breakGlassRoleArns: ["arn:aws:iam::222222222222:role/audit-break-glass"],
      objectLock: { mode: "COMPLIANCE", retentionDays: 3650 },
      replication: { region: "us-west-2", bucketName: "acme.audit-replica.222222222222" },
      cisAlarms: false,
    };
    document.accounts[1].audit = structuredClone(audit);
    expect(validateConfig(document, configFile).accounts[1].audit).toEqual(audit);
  });

  test("accepts the boundary values: bucketRetentionDays 1, logRetentionDays 0 (never expire)", () => {
    const document = doc();
    document.accounts[0].audit = { bucketRetentionDays: 1, logRetentionDays: 0 };
    const audit = validateConfig(document, configFile).accounts[0].audit;
    expect(audit.bucketRetentionDays).toBe(1);
    expect(audit.logRetentionDays).toBe(0);
  });

  test.each([
    ["ab", "too short"],
    ["a".repeat(51), "longer than 50 (the delivery role <trail>-to-cloudwatch would pass IAM's 64)"],
    ["-audit", "starts with a hyphen"],
    ["audit_", "ends with an underscore"],
    ["org--audit", "two hyphens in a row"],
    ["org_-audit", "an underscore next to a hyphen"],
    ["org.audit", "a period (the alarm topic <trail>-alarms cannot have one)"],
    ["192.168.10.1", "an IP address"],
    ["org audit", "a space"],
  ])("fails when trailName is outside the naming rules: %j (%s)", (trailName) => {
    const document = doc();
    document.accounts[0].audit = { trailName };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.trailName");
    expect(issue.message).toContain(`"${trailName}"`);
    expect(issue.message).toContain('e.g. "payments-audit"');
  });

  test("fails when trailName is not a string, reported once", () => {
    const document = doc();
    document.accounts[1].audit.trailName = 42;
    expect(onlyIssue(document)).toEqual({ path: "accounts[1].audit.trailName", message: 'expected a string, got 42; use a trail name such as "payments-audit"' });
  });

  test.each([
    ["ab", "has 2 characters"],
    ["a".repeat(64), "has 64 characters"],
    ["Audit-Logs", "is invalid"],
    ["audit_logs", "is invalid"],
    ["-audit-logs", "is invalid"],
    ["audit..logs", "contains two adjacent periods"],
    ["10.0.0.1", "is formatted as an IP address"],
    ["xn--audit-logs", 'starts with "xn--", a prefix reserved by AWS'],
    ["audit-logs-s3alias", 'ends with "-s3alias", a suffix reserved by AWS'],
  ])("fails when bucketName is outside the S3 naming rules: %j", (bucketName, reason) => {
    const document = doc();
    document.accounts[1].audit.bucketName = bucketName;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.bucketName");
    expect(issue.message).toContain(`"${bucketName}" ${reason}`);
  });

  test("fails when the access-log bucket the audit stack creates (<bucketName>-access) would break the S3 naming rules, unless logging goes elsewhere", () => {
    const bucketName = `acme-audit-${"x".repeat(50)}`; // 61 characters: valid itself, 68 with "-access"
    const document = doc();
    document.accounts[1].audit.bucketName = bucketName;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.bucketName");
    expect(issue.message).toBe(
      `the access-log bucket the audit stack creates for it, "${bucketName}-access" has 68 characters; shorten bucketName, name an existing bucket in accessLogBucketName, or set accessLogging to false`,
    );
    document.accounts[1].audit.accessLogging = false;
    expect(validateConfig(document, configFile).accounts[1].audit).toMatchObject({ bucketName, accessLogging: false });
    document.accounts[1].audit.accessLogging = true;
    document.accounts[1].audit.accessLogBucketName = "acme-existing-access-logs";
    expect(validateConfig(document, configFile).accounts[1].audit).toMatchObject({ bucketName, accessLogBucketName: "acme-existing-access-logs" });
  });

  test.each([
    [{ mode: "GOVERNANCE" }, "objectLock.retentionDays", "missing; give the days each log file stays locked"],
    [{ retentionDays: 30 }, "objectLock.mode", 'missing; use "GOVERNANCE"'],
    [{ mode: "governance", retentionDays: 30 }, "objectLock.mode", '"governance" is not supported; use one of GOVERNANCE, COMPLIANCE'],
    [{ mode: "COMPLIANCE", retentionDays: 400 }, "objectLock.retentionDays", "400 is above bucketRetentionDays (365): the lifecycle rule could not expire locked log files"],
    [{ mode: "COMPLIANCE", retentionDays: 30, years: 1 }, "objectLock.years", "unknown field; allowed fields are mode, retentionDays"],
  ])("fails when objectLock is %j", (objectLock, field, message) => {
    const document = doc();
    document.accounts[0].audit = { objectLock };
    const issue = onlyIssue(document);
    expect(issue.path).toBe(`accounts[0].audit.${field}`);
    expect(issue.message).toContain(message);
  });

  test("fails when a break-glass principal is not a role ARN", () => {
    const document = doc();
    document.accounts[0].audit = { breakGlassRoleArns: ["arn:aws:iam::111111111111:user/alice"] };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.breakGlassRoleArns[0]");
    expect(issue.message).toContain('"arn:aws:iam::111111111111:user/alice" is invalid; use an IAM role ARN such as arn:aws:iam::111111111111:role/audit-break-glass');
  });

  test("fails when cisAlarms or accessLogging is not a boolean", () => {
    const document = doc();
    document.accounts[0].audit = { cisAlarms: "yes", accessLogging: 0 };
    const error = configError(document);
    expect(issueAt(error, "accounts[0].audit.cisAlarms").message).toBe('expected true or false, got "yes"');
    expect(issueAt(error, "accounts[0].audit.accessLogging").message).toBe("expected true or false, got 0");
  });

  test("fails when accessLogBucketName is outside the S3 naming rules", () => {
    const document = doc();
    document.accounts[0].audit = { accessLogBucketName: "Access_Logs" };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.accessLogBucketName");
    expect(issue.message).toContain('"Access_Logs" is invalid');
  });

  describe("audit.replication", () => {
    test("is off by default; with a region, the replica bucket is <bucketName>-replica", () => {
      expect(validateConfig(doc(), configFile).accounts[0].audit.replication).toBeUndefined();
      const document = doc();
      document.accounts[0].audit = { replication: { region: "eu-central-1" } };
      expect(validateConfig(document, configFile).accounts[0].audit.replication).toEqual({ region: "eu-central-1", bucketName: "payments-audit-logs-111111111111-replica" });
    });

    test("takes a replica bucket name as given, and a region newer than the release from additionalRegions", () => {
      const document = doc();
      document.additionalRegions = ["eu-east-9"];
      document.accounts[0].audit = { replication: { region: "eu-east-9", bucketName: "acme-audit-replica" } };
      expect(validateConfig(document, configFile).accounts[0].audit.replication).toEqual({ region: "eu-east-9", bucketName: "acme-audit-replica" });
    });

    test.each([
      [{}, "replication.region", 'missing; give the region of the replica bucket, another region than homeRegion "eu-west-1", e.g. "eu-central-1"'],
      [
        { region: "eu-west-1" },
        "replication.region",
        '"eu-west-1" is homeRegion, where the log bucket already is; cross-region replication needs another region, e.g. "eu-central-1"',
      ],
      [{ region: "eu-wset-2" }, "replication.region", '"eu-wset-2" is not an AWS region this release knows; did you mean "eu-west-2"?'],
      [{ region: "EU-WEST-2" }, "replication.region", '"EU-WEST-2" is invalid; use a region code such as "eu-west-1"'],
      [{ region: "cn-north-1" }, "replication.region", '"cn-north-1" is in partition "aws-cn", but homeRegion "eu-west-1" is in "aws"; S3 replicates only within a partition'],
      [{ region: "eu-central-1", bucketName: "Audit_Replica" }, "replication.bucketName", '"Audit_Replica" is invalid'],
      [
        { region: "eu-central-1", bucketName: "payments-audit-logs-111111111111" },
        "replication.bucketName",
        '"payments-audit-logs-111111111111" is the log bucket (bucketName); the replica needs a bucket of its own, e.g. "payments-audit-logs-111111111111-replica"',
      ],
      [
        { region: "eu-central-1", bucketName: "payments-audit-logs-111111111111-access" },
        "replication.bucketName",
        '"payments-audit-logs-111111111111-access" is the access-log bucket the audit stack creates; the replica needs a bucket of its own',
      ],
      [{ region: "eu-central-1", kmsKey: "x" }, "replication.kmsKey", "unknown field; allowed fields are region, bucketName"],
    ])("fails at load when replication is %j, naming the field, the value and the fix", (replication, field, message) => {
      const document = doc();
      document.accounts[0].audit = { replication };
      const issue = onlyIssue(document);
      expect(issue.path).toBe(`accounts[0].audit.${field}`);
      expect(issue.message).toContain(message);
    });

    test("fails when the default replica bucket name would break the S3 naming rules", () => {
      const bucketName = `acme-audit-${"x".repeat(45)}`; // 56 characters: valid itself and with "-access", 64 with "-replica"
      const document = doc();
      document.accounts[1].audit = { bucketName, replication: { region: "eu-central-1" } };
      const issue = onlyIssue(document);
      expect(issue.path).toBe("accounts[1].audit.replication.bucketName");
      expect(issue.message).toBe(
        `the default replica bucket name, "${bucketName}-replica" has 64 characters; shorten bucketName or name the replica bucket in replication.bucketName`,
      );
      document.accounts[1].audit.replication.bucketName = "acme-audit-replica";
      expect(validateConfig(document, configFile).accounts[1].audit.replication).toEqual({ region: "eu-central-1", bucketName: "acme-audit-replica" });
    });

    test("fails when the replica's access-log bucket (<replica>-access) would break the S3 naming rules, unless accessLogging is off", () => {
      const bucketName = `acme-audit-${"x".repeat(40)}`; // 51 characters: 59 with "-replica", 66 with "-replica-access"
      const document = doc();
      document.accounts[1].audit = { bucketName, replication: { region: "eu-central-1" } };
      const issue = onlyIssue(document);
      expect(issue.path).toBe("accounts[1].audit.replication.bucketName");
      expect(issue.message).toBe(
        `the access-log bucket the audit stack creates for the replica, "${bucketName}-replica-access" has 66 characters; shorten the replica bucket's name (bucketName, or replication.bucketName), or set accessLogging to false`,
      );
      document.accounts[1].audit.accessLogging = false;
      expect(validateConfig(document, configFile).accounts[1].audit.replication).toEqual({ region: "eu-central-1", bucketName: `${bucketName}-replica` });
    });
  });

  test("fails when accessLogBucketName is the log bucket itself", () => {
    const document = doc();
    document.accounts[0].audit = { accessLogBucketName: "payments-audit-logs-111111111111" };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.accessLogBucketName");
    expect(issue.message).toContain('"payments-audit-logs-111111111111" is the log bucket itself');
  });

  test.each([0, 36501, 30.5, "365"])("fails when bucketRetentionDays is %j", (bucketRetentionDays) => {
    const document = doc();
    document.accounts[1].audit.bucketRetentionDays = bucketRetentionDays;
    expect(onlyIssue(document)).toEqual({
      path: "accounts[1].audit.bucketRetentionDays",
      message: `${JSON.stringify(bucketRetentionDays)} is out of range; use a whole number from 1 to 36500`,
    });
  });

  test("fails when logRetentionDays is below 365 without allowShortLogRetention", () => {
    const document = doc();
    document.accounts[0].audit = { logRetentionDays: 7 };
    expect(onlyIssue(document)).toEqual({
      path: "accounts[0].audit.logRetentionDays",
      message: "7 is below the 365-day default; set allowShortLogRetention to true to accept shorter retention explicitly",
    });
  });

  test("accepts logRetentionDays 7 with allowShortLogRetention", () => {
    const document = doc();
    document.accounts[0].audit = { logRetentionDays: 7, allowShortLogRetention: true };
    expect(validateConfig(document, configFile).accounts[0].audit).toMatchObject({ logRetentionDays: 7, allowShortLogRetention: true });
  });

  test("fails when logRetentionDays is not a CloudWatch Logs value", () => {
    const document = doc();
    document.accounts[0].audit = { logRetentionDays: 500 };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.logRetentionDays");
    expect(issue.message).toMatch(/^500 is not a CloudWatch Logs retention value; use one of 0, 1, 3, .*3653$/);
  });

  test('fails when readWriteType is "WriteOnly": Decrypt is a read event', () => {
    const document = doc();
    document.accounts[1].audit.readWriteType = "WriteOnly";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.readWriteType");
    expect(issue.message).toContain('"WriteOnly"');
    expect(issue.message).toContain("Decrypt");
    expect(issue.message).toMatch(/read event/);
    expect(issue.message).toContain('use "All"');
  });

  test('fails when readWriteType is "ReadOnly": the alarms watch write events', () => {
    const document = doc();
    document.accounts[1].audit.readWriteType = "ReadOnly";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.readWriteType");
    expect(issue.message).toContain('"ReadOnly"');
    expect(issue.message).toContain("DisableKey, ScheduleKeyDeletion, PutKeyPolicy");
  });

  test("fails when readWriteType is not a CloudTrail value", () => {
    const document = doc();
    document.accounts[1].audit.readWriteType = "all";
    expect(onlyIssue(document)).toEqual({ path: "accounts[1].audit.readWriteType", message: '"all" is not supported; use one of All' });
  });

  test('fails when excludeManagementEventSources contains "kms.amazonaws.com"', () => {
    const document = doc();
    document.accounts[0].audit = { excludeManagementEventSources: ["rdsdata.amazonaws.com", "kms.amazonaws.com"] };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.excludeManagementEventSources[1]");
    expect(issue.message).toContain('"kms.amazonaws.com" must not be excluded');
    expect(issue.message).toContain("remove it");
  });

  test("fails when excludeManagementEventSources contains a source CloudTrail cannot exclude", () => {
    const document = doc();
    document.accounts[0].audit = { excludeManagementEventSources: ["s3.amazonaws.com"] };
    expect(onlyIssue(document)).toEqual({
      path: "accounts[0].audit.excludeManagementEventSources[0]",
      message: '"s3.amazonaws.com" cannot be excluded; CloudTrail only allows "rdsdata.amazonaws.com" here',
    });
  });

  test.each(["security-auditor", "arn:aws:iam::222222222222:group/auditors", "arn:aws:iam::22222222222:role/short-account"])(
    "fails when a reader is not an IAM principal ARN: %s",
    (reader) => {
      const document = doc();
      document.accounts[1].audit.readerArns.push(reader);
      expect(onlyIssue(document)).toEqual({
        path: "accounts[1].audit.readerArns[1]",
        message: `"${reader}" is invalid; use an IAM principal ARN such as arn:aws:iam::111111111111:role/platform-admin`,
      });
    },
  );

  test.each(["security-alerts", "security alerts@example.com", "security@example", "@example.com"])("fails when an alarm email is not an email address: %j", (email) => {
    const document = doc();
    document.accounts[1].audit.alarmEmails = [email];
    expect(onlyIssue(document)).toEqual({
      path: "accounts[1].audit.alarmEmails[0]",
      message: `${JSON.stringify(email)} is invalid; use an email address such as security@example.com`,
    });
  });

  test("fails when two alarm emails would share a Terraform address (it passed config load before, and failed in the construct)", () => {
    const document = doc();
    document.accounts[1].audit.alarmEmails = ["sec.ops@example.com", "sec-ops@example.com"];
    expect(onlyIssue(document)).toEqual({
      path: "accounts[1].audit.alarmEmails[1]",
      message:
        '"sec-ops@example.com" and "sec.ops@example.com" would share the Terraform address "email-sec-ops-example-com"; subscribe one of them through a distribution list instead',
    });
  });

  test("fails when an alarm email is listed twice", () => {
    const document = doc();
    document.accounts[1].audit.alarmEmails.push("security-alerts@example.com");
    expect(onlyIssue(document)).toEqual({ path: "accounts[1].audit.alarmEmails[1]", message: '"security-alerts@example.com" is listed twice; list each value once' });
  });

  test("fails when the audit object has an unknown field", () => {
    const document = doc();
    document.accounts[1].audit.retentionDays = 400;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.retentionDays");
    expect(issue.message).toBe(
      "unknown field; allowed fields are homeRegion, trailName, bucketName, keyAliases, logRetentionDays, allowShortLogRetention, bucketRetentionDays, accessLogBucketName, accessLogging, bucketEventNotifications, logFileNotifications, alarmEmails, readerArns, readWriteType, excludeManagementEventSources, breakGlassRoleArns, objectLock, replication, cisAlarms",
    );
  });

  test("fails when audit is not an object", () => {
    const document = doc();
    document.accounts[0].audit = ["payments-audit"];
    expect(onlyIssue(document)).toEqual({ path: "accounts[0].audit", message: "expected an object, got a list of 1 item" });
  });

  test("fails when homeRegion is not a region code", () => {
    const document = doc();
    document.accounts[0].audit = { homeRegion: "Ireland" };
    expect(onlyIssue(document)).toEqual({ path: "accounts[0].audit.homeRegion", message: '"Ireland" is invalid; use a region code such as "eu-west-1"' });
  });

  test("fails when homeRegion is in another partition than the account's regions", () => {
    const document = doc();
    document.accounts[0].audit = { homeRegion: "cn-north-1" };
    expect(onlyIssue(document)).toEqual({
      path: "accounts[0].audit.homeRegion",
      message: '"cn-north-1" is in partition "aws-cn", but the account\'s regions are in "aws"; use a region of the account\'s partition, e.g. "eu-west-1"',
    });
  });

  test("accepts a homeRegion that is not one of the account's stack regions, in the same partition", () => {
    const document = doc();
    document.accounts[0].audit = { homeRegion: "eu-central-1" };
    expect(validateConfig(document, configFile).accounts[0].audit.homeRegion).toBe("eu-central-1");
  });

  test("fails when an audit key alias is reserved for AWS", () => {
    const document = doc();
    document.accounts[0].audit = { keyAliases: ["alias/aws/cloudtrail"] };
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[0].audit.keyAliases[0]");
    expect(issue.message).toBe('"alias/aws/cloudtrail" is reserved for AWS managed keys; choose a name that does not start with "aws/"');
  });

  test("fails when the audit key alias list is empty", () => {
    const document = doc();
    document.accounts[0].audit = { keyAliases: [] };
    expect(onlyIssue(document)).toEqual({ path: "accounts[0].audit.keyAliases", message: "list is empty; give the audit key at least one alias" });
  });

  test("fails when two audit key aliases differ only by the alias/ prefix", () => {
    const document = doc();
    document.accounts[0].audit = { keyAliases: ["payments-audit", "alias/payments-audit"] };
    expect(onlyIssue(document)).toEqual({
      path: "accounts[0].audit.keyAliases[1]",
      message: '"alias/payments-audit" is the same alias as "payments-audit"; list each alias once',
    });
  });

  test("fails when an audit key alias is also an alias of the workload key (both keys live in the home region)", () => {
    const document = doc();
    document.accounts[1].audit.keyAliases = ["alias/payments-lambda-env"];
    const issue = onlyIssue(document);
    expect(issue.path).toBe("accounts[1].audit.keyAliases[0]");
    expect(issue.message).toContain('"alias/payments-lambda-env" is also an alias of the workload key (key.aliases)');
  });

  test("a non-string audit key alias is one issue", () => {
    const document = doc();
    document.accounts[0].audit = { keyAliases: [7] };
    expect(onlyIssue(document)).toEqual({ path: "accounts[0].audit.keyAliases[0]", message: 'expected a string, got 7; use alias names such as "payments-audit"' });
  });

  test("an invalid project name is reported once, not again in the audit names derived from it", () => {
    const document = doc();
    document.project = "Payments!";
    expect(onlyIssue(document).path).toBe("project");
  });

  test("an invalid account ID is reported once, not again in the default bucket name derived from it", () => {
    const document = doc();
    document.accounts[0].accountId = "1111";
    expect(onlyIssue(document).path).toBe("accounts[0].accountId");
  });

  test("reports problems of several audit fields together, each at its own path", () => {
    const document = doc();
    document.accounts[0].audit = { trailName: "x", bucketRetentionDays: 0, readerArns: ["auditor"] };
    document.accounts[1].audit.alarmEmails = ["nope"];
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual([
      "accounts[0].audit.trailName",
      "accounts[0].audit.bucketRetentionDays",
      "accounts[0].audit.readerArns[0]",
      "accounts[1].audit.alarmEmails[0]",
    ]);
  });
});

describe("validateConfig: secrets", () => {
  test("fills in the defaults of a secret: recoveryWindowDays 30, tier Standard, seedFromVariable false, every account", () => {
    const document = doc();
    document.secrets = [
      { name: "payments/orders-api/db-password", type: "secretsmanager" },
      { name: "/payments/orders-api/partner-webhook-token", type: "ssm" },
    ];
    expect(validateConfig(document, configFile).secrets).toEqual([
      {
        name: "payments/orders-api/db-password",
        type: "secretsmanager",
        description: undefined,
        recoveryWindowDays: 30,
        tier: "Standard",
        seedFromVariable: false,
        accounts: ["staging", "production"],
      },
      {
        name: "/payments/orders-api/partner-webhook-token",
        type: "ssm",
        description: undefined,
        recoveryWindowDays: 30,
        tier: "Standard",
        seedFromVariable: false,
        accounts: ["staging", "production"],
      },
    ]);
  });

  test("a document without secrets has none, and functions without secrets or encrypted values get empty maps", () => {
    const document = doc();
    delete document.secrets;
    delete document.functions[0].secrets;
    delete document.functions[0].encryptedEnvironment;
    const config = validateConfig(document, configFile);
    expect(config.secrets).toEqual([]);
    expect(config.functions[0].secrets).toEqual({});
    expect(config.functions[0].encryptedEnvironment).toEqual({});
  });

  test("reads every secret field as given, at the boundaries of recoveryWindowDays", () => {
    const document = doc();
    document.secrets = [
      { name: "payments/reports/api-key", type: "secretsmanager", description: "Reports API key", recoveryWindowDays: 7, seedFromVariable: true, accounts: ["production"] },
      { name: "/payments/reports/signing-key", type: "ssm", description: "Signing key", tier: "Advanced", seedFromVariable: true, accounts: ["production"] },
      { name: "payments/reports/db", type: "secretsmanager", recoveryWindowDays: 30, seedFromVariable: false, accounts: ["staging", "production"] },
    ];
    document.functions[0].secrets = {};
    document.functions[1].secrets = { REPORTS_API_KEY_SECRET_ARN: "payments/reports/api-key", SIGNING_KEY_PARAMETER: "/payments/reports/signing-key" };
    const config = validateConfig(document, configFile);
    expect(config.secrets).toEqual([
      {
        name: "payments/reports/api-key",
        type: "secretsmanager",
        description: "Reports API key",
        recoveryWindowDays: 7,
        tier: "Standard",
        seedFromVariable: true,
        accounts: ["production"],
      },
      {
        name: "/payments/reports/signing-key",
        type: "ssm",
        description: "Signing key",
        recoveryWindowDays: 30,
        tier: "Advanced",
        seedFromVariable: true,
        accounts: ["production"],
      },
      {
        name: "payments/reports/db",
        type: "secretsmanager",
        description: undefined,
        recoveryWindowDays: 30,
        tier: "Standard",
        seedFromVariable: false,
        accounts: ["staging", "production"],
      },
    ]);
    expect(config.functions[1].secrets).toEqual({ REPORTS_API_KEY_SECRET_ARN: "payments/reports/api-key", SIGNING_KEY_PARAMETER: "/payments/reports/signing-key" });
  });

  test("fails when the secret list is not a list", () => {
    const document = doc();
    document.secrets = { name: "payments/orders-api/db-password" };
    document.functions[0].secrets = {};
    expect(onlyIssue(document)).toEqual({ path: "secrets", message: "expected a list, got an object" });
  });

  test("fails when a secret is defined twice", () => {
    const document = doc();
    document.secrets.push({ ...document.secrets[0] });
    expect(onlyIssue(document)).toEqual({
      path: "secrets[2].name",
      message: '"payments/orders-api/db-password" is defined twice; define each secret once',
    });
  });

  test("fails when a secret's type is not supported, and lists the types", () => {
    const document = doc();
    document.secrets[1].type = "parameter";
    expect(onlyIssue(document)).toEqual({ path: "secrets[1].type", message: '"parameter" is not supported; use one of secretsmanager, ssm' });
  });

  test("fails when a secret has no type", () => {
    const document = doc();
    delete document.secrets[1].type;
    expect(onlyIssue(document)).toEqual({ path: "secrets[1].type", message: 'is missing; use "secretsmanager" or "ssm"' });
  });

  test("fails when a secret has an unknown field, and lists the allowed fields", () => {
    const document = doc();
    document.secrets[0].value = "hunter2";
    const issue = onlyIssue(document);
    expect(issue).toEqual({
      path: "secrets[0].value",
      message: "unknown field; allowed fields are name, type, description, recoveryWindowDays, tier, rotation, seedFromVariable, accounts",
    });
  });

  const BETWEEN_SLASHES = 'is invalid; use letters, digits or "_.-" between single slashes, without a trailing slash, e.g. "/orders/db-password"';
  const RESERVED = 'starts with "aws" or "ssm" (any case), which AWS reserves; choose another first level, e.g. "/orders/..."';
  test.each([
    ["payments/orders-api/partner-webhook-token", "no leading /", 'is not fully qualified; start it with "/", e.g. "/orders/db-password"'],
    ["/aws/partner-webhook-token", "under /aws, reserved", RESERVED],
    ["/SSM/partner-webhook-token", "under /ssm (any case), reserved", RESERVED],
    ["/payments/partner webhook token", "a space", BETWEEN_SLASHES],
    // The next two passed config load before and failed only in the construct, without a config path.
    ["/payments//partner-webhook-token", "an empty level", BETWEEN_SLASHES],
    [`/${Array.from({ length: 16 }, (_, i) => `l${i}`).join("/")}`, "16 levels", "has 16 levels; SSM allows at most 15"],
  ])("fails when an SSM parameter name is invalid: %j (%s)", (name, _why, problem) => {
    const document = doc();
    document.secrets[1].name = name;
    // The function follows the rename, so the name is the only problem.
    document.functions[0].secrets.WEBHOOK_TOKEN_PARAMETER = name;
    expect(onlyIssue(document)).toEqual({ path: "secrets[1].name", message: `${JSON.stringify(name)} ${problem}` });
  });

  test("fails when a Secrets Manager secret name has a character Secrets Manager refuses", () => {
    const document = doc();
    document.secrets[0].name = "payments/orders-api/db password";
    document.functions[0].secrets.DB_PASSWORD_SECRET_ARN = "payments/orders-api/db password";
    expect(onlyIssue(document)).toEqual({
      path: "secrets[0].name",
      message: '"payments/orders-api/db password" is invalid; use 1–512 letters, digits or "/_+=.@-", e.g. "payments/orders/db-password"',
    });
  });

  test.each([6, 31, 0, 7.5])("fails when recoveryWindowDays is %j", (recoveryWindowDays) => {
    const document = doc();
    document.secrets[0].recoveryWindowDays = recoveryWindowDays;
    expect(onlyIssue(document)).toEqual({
      path: "secrets[0].recoveryWindowDays",
      message: `${JSON.stringify(recoveryWindowDays)} is out of range; use a whole number from 7 to 30`,
    });
  });

  test("fails when an SSM tier is not Standard or Advanced", () => {
    const document = doc();
    document.secrets[1].tier = "Intelligent-Tiering";
    expect(onlyIssue(document)).toEqual({ path: "secrets[1].tier", message: '"Intelligent-Tiering" is not supported; use one of Standard, Advanced' });
  });

  test("fails when seedFromVariable is not a boolean", () => {
    const document = doc();
    document.secrets[0].seedFromVariable = "yes";
    expect(onlyIssue(document)).toEqual({ path: "secrets[0].seedFromVariable", message: 'expected true or false, got "yes"' });
  });

  test("fails when a secret names an account that is not in the file", () => {
    const document = doc();
    document.secrets[1].accounts = ["staging", "prod"];
    const error = configError(document);
    expect(issueAt(error, "secrets[1].accounts[1]").message).toBe('"prod" is not an account in this file; use one of staging, production');
    // The function runs in production, where the secret is now not created.
    expect(issueAt(error, "functions[0].secrets.WEBHOOK_TOKEN_PARAMETER").message).toBe(
      'secret "/payments/orders-api/partner-webhook-token" is not created in account(s) production, where the function runs; add them to the secret\'s accounts',
    );
    expect(error.issues).toHaveLength(2);
  });

  test("fails when two secret names give the same resource and seed variable names", () => {
    const document = doc();
    document.secrets.push({ name: "payments_orders-api_db-password", type: "secretsmanager" });
    expect(onlyIssue(document)).toEqual({
      path: "secrets[2].name",
      message:
        '"payments_orders-api_db-password" would get the same resource and seed variable names (secret-payments-orders-api-db-password) as "payments/orders-api/db-password"; rename one of them',
    });
  });

  test("fails when a secret would get the resource names of a function", () => {
    const document = doc();
    document.functions[1].name = "secret-payments-orders-api-db-password";
    expect(onlyIssue(document)).toEqual({
      path: "secrets[0].name",
      message:
        '"payments/orders-api/db-password" would get the resource names of function "secret-payments-orders-api-db-password" (secret-payments-orders-api-db-password); rename the secret or the function',
    });
  });
});

describe("validateConfig: functions[].secrets", () => {
  test("fails when a function references a secret that is not defined, and lists the defined ones", () => {
    const document = doc();
    document.functions[0].secrets.DB_PASSWORD_SECRET_ARN = "payments/orders-api/db-pasword";
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].secrets.DB_PASSWORD_SECRET_ARN",
      message:
        '"payments/orders-api/db-pasword" is not defined in "secrets"; add it there (name, type) or fix the name: defined are payments/orders-api/db-password, /payments/orders-api/partner-webhook-token',
    });
  });

  test("fails for every reference when no secret is defined at all", () => {
    const document = doc();
    delete document.secrets;
    const error = configError(document);
    expect(withoutCodes(error.issues)).toEqual([
      {
        path: "functions[0].secrets.DB_PASSWORD_SECRET_ARN",
        message: '"payments/orders-api/db-password" is not defined in "secrets"; add it there (name, type) or fix the name',
      },
      {
        path: "functions[0].secrets.WEBHOOK_TOKEN_PARAMETER",
        message: '"/payments/orders-api/partner-webhook-token" is not defined in "secrets"; add it there (name, type) or fix the name',
      },
    ]);
  });

  test("fails when a secret is not created in an account where the function runs", () => {
    const document = doc();
    document.secrets[0].accounts = ["production"];
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].secrets.DB_PASSWORD_SECRET_ARN",
      message: 'secret "payments/orders-api/db-password" is not created in account(s) staging, where the function runs; add them to the secret\'s accounts',
    });
  });

  test("accepts a secret limited to the accounts of the function that uses it", () => {
    const document = doc();
    document.secrets[0].accounts = ["production"];
    document.functions[0].secrets = {};
    document.functions[1].secrets = { DB_PASSWORD_SECRET_ARN: "payments/orders-api/db-password" };
    expect(validateConfig(document, configFile).functions[1].secrets).toEqual({ DB_PASSWORD_SECRET_ARN: "payments/orders-api/db-password" });
  });

  test("fails when a variable is set in both environment and secrets", () => {
    const document = doc();
    document.functions[0].environment.WEBHOOK_TOKEN_PARAMETER = "/payments/orders-api/partner-webhook-token";
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].secrets.WEBHOOK_TOKEN_PARAMETER",
      message: '"WEBHOOK_TOKEN_PARAMETER" is also set in environment; give each variable one source: remove it from environment or from secrets',
    });
  });

  test("fails when a secret reference is not a string", () => {
    const document = doc();
    document.functions[0].secrets.DB_PASSWORD_SECRET_ARN = { name: "payments/orders-api/db-password" };
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].secrets.DB_PASSWORD_SECRET_ARN",
      message: "expected a string, got an object; quote the value",
    });
  });

  test("a function account that is not in the file is reported once, not again for the secrets it uses", () => {
    const document = doc();
    document.functions[0].accounts = ["staging", "prod"];
    expect(onlyIssue(document)).toEqual({ path: "functions[0].accounts[1]", message: '"prod" is not an account in this file; use one of staging, production' });
  });
});

describe("validateConfig: functions[].encryptedEnvironment", () => {
  test("fails when a ciphertext is not valid base64, showing the value and the fix", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"] = "not base64!";
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.PARTNER_API_KEY.staging-eu-west-1",
      message: `is not valid base64 (11 characters); ${CIPHERTEXT_FIX}`,
    });
  });

  test("fails when a ciphertext is too short for a KMS ciphertext", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"] = "QUJD"; // "ABC"
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.PARTNER_API_KEY.production-us-east-1",
      message: `decodes to 3 bytes (4 characters), too short for a KMS ciphertext (at least 32); ${CIPHERTEXT_FIX}`,
    });
  });

  test.each([
    ["a plaintext that is not base64", "pk_live_partner-plaintext-4711", "is not valid base64 (30 characters)"],
    ["base64 of a short plaintext", Buffer.from("partner-plaintext-value-4711").toString("base64"), "decodes to 28 bytes (40 characters)"],
  ])("shows only the length of a refused ciphertext, never its characters: %s", (_, value, shown) => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-us-east-1"] = value;
    const error = configError(document);
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[0].encryptedEnvironment.PARTNER_API_KEY.staging-us-east-1");
    expect(issue.message).toContain(shown);
    expect(issue.message).toContain(CIPHERTEXT_FIX);
    // Not even a prefix, in the issue or in the thrown message.
    expect(error.message).not.toContain(value.slice(0, 4));
  });

  test("fails when a ciphertext is not a string, without reporting the stack again as missing", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"] = 42;
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.PARTNER_API_KEY.staging-eu-west-1",
      message: "has a number value; paste the base64 ciphertext as a string",
    });
  });

  test("fails when an encrypted variable is one value instead of one per stack, without echoing it", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY = "pk_live_partner-plaintext-4711";
    const error = configError(document);
    expect(withoutCodes(error.issues)).toEqual([
      {
        path: "functions[0].encryptedEnvironment.PARTNER_API_KEY",
        message: 'expected an object, got a string; write {"<VARIABLE>": {"<account>-<region>": "<base64 ciphertext>"}}, one ciphertext per stack, made with that stack\'s key',
      },
    ]);
    expect(error.message).not.toContain("pk_live");
  });

  test("fails when encryptedEnvironment is not an object, without echoing it", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment = "PARTNER_API_KEY=pk_live_partner-plaintext-4711";
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual(["functions[0].encryptedEnvironment"]);
    expect(error.issues[0].message).toMatch(/^expected an object, got a string; write \{"<VARIABLE>": /);
    expect(error.message).not.toContain("pk_live");
  });

  test("fails when an encrypted variable has no ciphertext for a stack the function runs in", () => {
    const document = doc();
    delete document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-us-east-1"];
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.PARTNER_API_KEY",
      message: "has no ciphertext for production-us-east-1; encrypt the value once per stack, with that stack's key",
    });
  });

  test("fails when an encrypted variable names a stack the function does not run in, and lists its stacks", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-eu-central-1"] = CIPHERTEXT;
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.PARTNER_API_KEY.production-eu-central-1",
      message: "is not a stack of this function; use one of staging-eu-west-1, staging-us-east-1, production-eu-west-1, production-us-east-1",
    });
  });

  test("fails when an encrypted variable names a stack of an account the function does not run in", () => {
    const document = doc();
    document.functions[1].encryptedEnvironment = { REPORT_SIGNING_KEY: everyStack() };
    const error = configError(document);
    expect(withoutCodes(error.issues)).toEqual([
      {
        path: "functions[1].encryptedEnvironment.REPORT_SIGNING_KEY.staging-eu-west-1",
        message: "is not a stack of this function; use one of production-eu-west-1, production-us-east-1",
      },
      {
        path: "functions[1].encryptedEnvironment.REPORT_SIGNING_KEY.staging-us-east-1",
        message: "is not a stack of this function; use one of production-eu-west-1, production-us-east-1",
      },
    ]);
  });

  test("fails when a variable is set in both environment and encryptedEnvironment", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.LOG_LEVEL = everyStack();
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.LOG_LEVEL",
      message: '"LOG_LEVEL" is also set in environment; give each variable one source: remove it from environment or from encryptedEnvironment',
    });
  });

  test("fails when a variable is set in both secrets and encryptedEnvironment", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.WEBHOOK_TOKEN_PARAMETER = everyStack();
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].encryptedEnvironment.WEBHOOK_TOKEN_PARAMETER",
      message: '"WEBHOOK_TOKEN_PARAMETER" is also set in secrets; give each variable one source: remove it from secrets or from encryptedEnvironment',
    });
  });

  test("a variable named like an Object.prototype member is not mistaken for one set elsewhere", () => {
    const document = doc();
    document.functions[0].encryptedEnvironment.valueOf = everyStack();
    expect(validateConfig(document, configFile).functions[0].encryptedEnvironment.valueOf).toEqual(everyStack());
  });

  test("a plaintext that looks like a secret still fails in environment, where the encrypted value belongs in encryptedEnvironment", () => {
    const document = doc();
    delete document.functions[0].encryptedEnvironment;
    document.functions[0].environment.PARTNER_API_KEY = "partner-plaintext-4711";
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[0].environment.PARTNER_API_KEY");
    expect(issue.message).toContain('environment variable "PARTNER_API_KEY" looks like a secret (its name says it holds a secret)');
    // The fix names the config fields that take the value instead.
    expect(issue.message).toContain('"encryptedEnvironment"');
    expect(issue.message).toContain('"secrets"');
    expect(issue.message).not.toContain("partner-plaintext-4711");
  });

  test.each([
    ["an account has no regions", (document: Doc) => (document.accounts[0].regions = []), "accounts[0].regions"],
    ["a region is invalid", (document: Doc) => (document.accounts[1].regions[0] = "europe-west1"), "accounts[1].regions[0]"],
    ["a region is listed twice", (document: Doc) => (document.accounts[0].regions = ["eu-west-1", "eu-west-1"]), "accounts[0].regions[1]"],
    ["an account name is invalid", (document: Doc) => Object.assign(document.accounts[0], { name: "Staging" }), "accounts[0].name"],
  ])("when %s, that is reported once, not again for the encrypted values' stacks", (_, modify, at) => {
    const document = doc();
    modify(document);
    const error = configError(document);
    expect(error.issues.filter((i) => i.path.includes("encryptedEnvironment"))).toEqual([]);
    expect(error.issues.map((i) => i.path)).toContain(at);
  });
});

describe("validateConfig: functions[].environmentOverrides", () => {
  /** What a refused plain variable tells the user to do instead (the start of it). */
  const SECRETS_FIX = 'keep secrets out of plain environment variables: declare it in "secrets"';
  const LIMIT_FIX = "over Lambda's 4096-byte limit; move large values to SSM parameters or the code package";

  test("keeps account and stack keys as given; per stack, a stack key wins over its account key, which wins over environment", () => {
    const document = doc();
    document.functions[0].environmentOverrides["production-us-east-1"] = { API_BASE_URL: "https://us.api.example.com", LOG_LEVEL: "warn", REGION_LABEL: "us" };
    const config = validateConfig(document, configFile);
    const fn = config.functions[0];
    expect(fn.environmentOverrides).toEqual({
      staging: { API_BASE_URL: "https://api.staging.example.com" },
      production: { API_BASE_URL: "https://api.example.com" },
      "production-us-east-1": { API_BASE_URL: "https://us.api.example.com", LOG_LEVEL: "warn", REGION_LABEL: "us" },
    });
    const [staging, production] = config.accounts;
    expect(stackEnvironment(fn, staging, "us-east-1")).toEqual({ SERVICE_NAME: "orders-api", LOG_LEVEL: "info", API_BASE_URL: "https://api.staging.example.com" });
    expect(stackEnvironment(fn, production, "eu-west-1")).toEqual({ SERVICE_NAME: "orders-api", LOG_LEVEL: "info", API_BASE_URL: "https://api.example.com" });
    expect(stackEnvironment(fn, production, "us-east-1")).toEqual({
      SERVICE_NAME: "orders-api",
      LOG_LEVEL: "warn",
      API_BASE_URL: "https://us.api.example.com",
      REGION_LABEL: "us",
    });
    // A function without overrides has its environment everywhere.
    expect(stackEnvironment(config.functions[1], production, "us-east-1")).toEqual({});
  });

  test("fails when environmentOverrides is not an object, without echoing it", () => {
    const document = doc();
    document.functions[0].environmentOverrides = "API_BASE_URL=https://user:hunter2@api.example.com";
    const error = configError(document);
    expect(withoutCodes(error.issues)).toEqual([
      {
        path: "functions[0].environmentOverrides",
        message: 'expected an object, got a string; write {"<account>": {"<VARIABLE>": "<value>"}}, or "<account>-<region>" as the key for one stack only',
      },
    ]);
    expect(error.message).not.toContain("hunter2");
  });

  test.each([
    ["a string", "https://api.example.com"],
    ["a list of 1 item", [{ API_BASE_URL: "https://api.example.com" }]],
    ["null", null],
  ])("fails when an override is %s instead of an object of strings, without echoing it", (shown, value) => {
    const document = doc();
    document.functions[0].environmentOverrides.production = value;
    const error = configError(document);
    expect(withoutCodes(error.issues)).toEqual([
      { path: "functions[0].environmentOverrides.production", message: `expected an object of strings, got ${shown}; write {"<VARIABLE>": "<value>"}` },
    ]);
    expect(error.message).not.toContain("api.example.com");
  });

  test("fails when an override value is not a string", () => {
    const document = doc();
    document.functions[0].environmentOverrides.staging.PORT = 8080;
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environmentOverrides.staging.PORT",
      message: 'environment variable "PORT" has a number value; write it as a string',
    });
  });

  test("fails when a key is neither an account nor a stack of the function, and names the allowed keys", () => {
    const document = doc();
    document.functions[0].environmentOverrides.prod = { API_BASE_URL: "https://api.example.com" };
    document.functions[0].environmentOverrides["production-eu-central-1"] = { API_BASE_URL: "https://api.example.com" };
    // nightly-report runs in production only: staging and its stacks are not keys of it.
    document.functions[1].environmentOverrides = { staging: { MODE: "dry-run" }, "staging-eu-west-1": { MODE: "dry-run" }, "production-us-east-1": { MODE: "full" } };
    const error = configError(document);
    const ordersKeys = "staging, production, staging-eu-west-1, staging-us-east-1, production-eu-west-1, production-us-east-1";
    const reportKeys = "production, production-eu-west-1, production-us-east-1";
    expect(withoutCodes(error.issues)).toEqual([
      { path: "functions[0].environmentOverrides.prod", message: `is not an account or a stack of this function; use one of ${ordersKeys}` },
      { path: "functions[0].environmentOverrides.production-eu-central-1", message: `is not an account or a stack of this function; use one of ${ordersKeys}` },
      { path: "functions[1].environmentOverrides.staging", message: `is not an account or a stack of this function; use one of ${reportKeys}` },
      { path: "functions[1].environmentOverrides.staging-eu-west-1", message: `is not an account or a stack of this function; use one of ${reportKeys}` },
    ]);
  });

  test("fails when a key is given to a function that runs in no account", () => {
    const document = doc();
    document.functions[1].accounts = [];
    document.functions[1].environmentOverrides = { production: { MODE: "full" } };
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].environmentOverrides.production",
      message: "is not an account or a stack of this function, which runs in no account; remove it",
    });
  });

  test("fails when a key is named like an Object.prototype member, which is not taken for a missing key", () => {
    const document = doc();
    document.functions[0].environmentOverrides = JSON.parse('{"__proto__": {"API_BASE_URL": "https://api.example.com"}, "constructor": {"MODE": "x"}}');
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual(["functions[0].environmentOverrides.__proto__", "functions[0].environmentOverrides.constructor"]);
    for (const issue of error.issues) expect(issue.message).toMatch(/^is not an account or a stack of this function; use one of staging, /);
  });

  test("fails when a key names both an account and a stack of another account", () => {
    const document = doc();
    document.accounts.push({ name: "production-eu-west-1", accountId: "333333333333", regions: ["us-west-2"] });
    document.functions[0].accounts = ["staging", "production", "production-eu-west-1"];
    document.functions[0].encryptedEnvironment.PARTNER_API_KEY["production-eu-west-1-us-west-2"] = CIPHERTEXT;
    document.functions[0].environmentOverrides["production-eu-west-1"] = { API_BASE_URL: "https://api.example.com" };
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environmentOverrides.production-eu-west-1",
      message:
        'names both account "production-eu-west-1" and the stack "production-eu-west-1" of account "production"; rename one of the accounts so that no account name is also a stack name',
    });
  });

  test.each([
    ["AWS_REGION", "is reserved by the Lambda runtime; choose another name"],
    ["1BAD", 'has an invalid name; start with a letter and use at least 2 letters, digits or "_"'],
    [
      "LAMBDA_KMS_ENCRYPTED_VARIABLES",
      "is reserved: the function sets it to the names of its client-side encrypted variables; list encrypted values under encryptedEnvironment and choose another name",
    ],
  ])("fails when an override variable is named %p, as in environment", (variable, reason) => {
    const document = doc();
    document.functions[0].environmentOverrides["staging-eu-west-1"] = { [variable]: "x1" };
    expect(onlyIssue(document)).toEqual({ path: `functions[0].environmentOverrides.staging-eu-west-1.${variable}`, message: `environment variable "${variable}" ${reason}` });
  });

  test("fails when an override variable looks like a secret, by its name or its value, without echoing the value", () => {
    const document = doc();
    document.functions[0].environmentOverrides.production.DB_PASSWORD = "hunter2-correct-horse";
    document.functions[0].environmentOverrides["staging-us-east-1"] = { API_BASE_URL: "https://deploy:hunter3-battery@api.staging.example.com" };
    const error = configError(document);
    expect(error.issues.map((i) => i.path)).toEqual([
      "functions[0].environmentOverrides.production.DB_PASSWORD",
      "functions[0].environmentOverrides.staging-us-east-1.API_BASE_URL",
    ]);
    expect(error.issues[0].message).toContain('environment variable "DB_PASSWORD" looks like a secret (its name says it holds a secret); ');
    expect(error.issues[0].message).toContain(SECRETS_FIX);
    expect(error.issues[1].message).toContain('environment variable "API_BASE_URL" looks like a secret (its value looks like a URL with an embedded password); ');
    expect(error.issues[1].message).toContain(SECRETS_FIX);
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("hunter3");
  });

  test("fails when an override variable is also set in secrets", () => {
    const document = doc();
    document.functions[0].environmentOverrides.production.WEBHOOK_TOKEN_PARAMETER = "/payments/orders-api/other-token";
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environmentOverrides.production.WEBHOOK_TOKEN_PARAMETER",
      message: '"WEBHOOK_TOKEN_PARAMETER" is also set in secrets; give each variable one source: remove it from secrets or from environmentOverrides',
    });
  });

  test("fails when an override variable is also set in encryptedEnvironment", () => {
    const document = doc();
    // A ciphertext-looking value under an innocent name: only the collision is wrong.
    document.functions[0].environmentOverrides["staging-eu-west-1"] = { PARTNER_API_KEY_VERSION: "2", PARTNER_API_KEY: "arn:aws:kms:eu-west-1:111111111111:key/placeholder" };
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environmentOverrides.staging-eu-west-1.PARTNER_API_KEY",
      message: '"PARTNER_API_KEY" is also set in encryptedEnvironment; give each variable one source: remove it from encryptedEnvironment or from environmentOverrides',
    });
  });

  // orders-api's environment (SERVICE_NAME=orders-api, LOG_LEVEL=info) is 35 bytes, production's
  // API_BASE_URL=https://api.example.com another 35: with BIG (3 bytes) and its value, a stack of
  // production is at the limit when the value has 4096 - 73 = 4023 characters.
  test("accepts a merged environment of exactly 4 KB", () => {
    const document = doc();
    document.functions[0].environmentOverrides["production-us-east-1"] = { BIG: "x".repeat(4023) };
    expect(() => validateConfig(document, configFile)).not.toThrow();
  });

  test("fails when the merged environment of a stack is over 4 KB, naming the stack, at its most specific key", () => {
    const document = doc();
    document.functions[0].environmentOverrides["production-us-east-1"] = { BIG: "x".repeat(4024) };
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environmentOverrides.production-us-east-1",
      message: `in stack production-us-east-1 (environment with environmentOverrides.production and environmentOverrides.production-us-east-1): environment variables total 4097 bytes, ${LIMIT_FIX}`,
    });
  });

  test("fails once per stack when an account's overrides make each of its stacks over 4 KB", () => {
    const document = doc();
    document.functions[0].environmentOverrides.production.BIG = "x".repeat(4024);
    const error = configError(document);
    expect(error.issues).toEqual(
      ["production-eu-west-1", "production-us-east-1"].map((stack) => ({
        path: "functions[0].environmentOverrides.production",
        message: `in stack ${stack} (environment with environmentOverrides.production): environment variables total 4097 bytes, ${LIMIT_FIX}`,
      })),
    );
  });

  test("counts a variable that an override replaces once, with the value that wins", () => {
    const document = doc();
    // 35 + 3 + 4000 bytes fit; counted twice (environment's value and the override's) they would not.
    document.functions[0].environment.BIG = "x".repeat(4000);
    document.functions[0].environmentOverrides.staging = { BIG: "y".repeat(4000) };
    const config = validateConfig(document, configFile);
    expect(stackEnvironment(config.functions[0], config.accounts[0], "eu-west-1").BIG).toBe("y".repeat(4000));
  });

  test("an environment over 4 KB by itself is reported once, at environment, not again for each stack with overrides", () => {
    const document = doc();
    document.functions[0].environment.BIG = "x".repeat(4100);
    expect(onlyIssue(document)).toEqual({
      path: "functions[0].environment",
      message: `environment variables total 4138 bytes, ${LIMIT_FIX}`,
    });
  });

  test.each([
    ["an account has no regions", (document: Doc) => (document.accounts[0].regions = []), "accounts[0].regions"],
    ["an account name is invalid", (document: Doc) => Object.assign(document.accounts[1], { name: "Production" }), "accounts[1].name"],
  ])("when %s, that is not reported again for the override keys", (_, modify, at) => {
    const document = doc();
    document.functions[0].environmentOverrides["staging-eu-west-1"] = { LOG_LEVEL: "debug" };
    modify(document);
    const error = configError(document);
    expect(error.issues.filter((i) => i.path.includes("environmentOverrides"))).toEqual([]);
    expect(error.issues.map((i) => i.path)).toContain(at);
  });
});

describe("validateConfig: names checked at load that would otherwise fail at synth", () => {
  // "backend" is cdktf's ID for every stack's state backend: such a function used to crash synth.
  test.each(["workload-key", "key-use-alarms", "key_arn", "backend"])("fails when a function is called %p, a name the stack uses itself", (name) => {
    const document = doc();
    document.functions[1].name = name;
    const issue = onlyIssue(document);
    expect(issue.path).toBe("functions[1].name");
    expect(issue.message).toContain(`"${name}" is used by the stack itself`);
  });

  test("fails when a function is called like another function's output (it used to crash synth)", () => {
    const document = doc();
    document.functions[1].name = `${document.functions[0].name}_role_arn`;
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].name",
      message: `"${document.functions[0].name}_role_arn" is the name of an output of function "${document.functions[0].name}"; choose another function name`,
    });
  });

  test.each([
    ["secrets", "AWS_REGION", "is reserved by the Lambda runtime"],
    ["secrets", "LAMBDA_KMS_ENCRYPTED_VARIABLES", "is reserved: the function sets it"],
    ["encryptedEnvironment", "1BAD", "has an invalid name"],
  ])("fails when a variable under %s is named %p", (field, variable, reason) => {
    const document = doc();
    const fn = document.functions[0];
    if (field === "secrets") fn.secrets[variable] = fn.secrets.DB_PASSWORD_SECRET_ARN;
    else fn.encryptedEnvironment[variable] = fn.encryptedEnvironment.PARTNER_API_KEY;
    const error = configError(document);
    expect(issueAt(error, `functions[0].${field}.${variable}`).message).toContain(`environment variable "${variable}" ${reason}`);
  });
});

describe("validateConfig: codes", () => {
  test("a refused setting is reported with its code, in the issue and after the message; a rule across fields has none", () => {
    const document = doc();
    document.key.rotationPeriodDays = 89;
    document.functions[0].memorySize = 64;
    document.accounts[0].regions = ["eu-west-1", "eu-west-1"];
    const error = configError(document);
    expect(error.issues.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: "key.rotationPeriodDays", code: "KEY_ROTATION_PERIOD" },
      { path: "accounts[0].regions[1]", code: undefined },
      { path: "functions[0].memorySize", code: "FUNCTION_MEMORY" },
    ]);
    expect(error.message).toContain("  - key.rotationPeriodDays: 89 is out of range; use a whole number from 90 to 2560 [KEY_ROTATION_PERIOD]\n");
    expect(error.message).toContain('  - accounts[0].regions[1]: "eu-west-1" is listed twice; list each value once\n');
  });

  test("the configuration reference names every code a field is reported with", () => {
    const reference = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
    for (const code of ["KEY_ROTATION_PERIOD", "FUNCTION_MEMORY", "LOG_RETENTION", "REGION", "SSM_TIER", "ALARM_EMAIL"]) expect(reference).toContain(`Code \`${code}\`.`);
  });
});

describe("validateConfig: functions[] hardening options", () => {
  const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"];
  const GROUPS = ["sg-0123456789abcdef0"];
  /** A VPC entry for each of nightly-report's stacks (it runs in production only). */
  const productionVpc = () => ({
    "production-eu-west-1": { subnetIds: SUBNETS, securityGroupIds: GROUPS },
    "production-us-east-1": { subnetIds: SUBNETS, securityGroupIds: GROUPS },
  });

  test("reads reservedConcurrentExecutions, tracing, deadLetterQueue and vpc per stack", () => {
    const document = doc();
    document.functions[1].vpc = productionVpc();
    const fn = validateConfig(document, configFile).functions[1];
    expect([fn.reservedConcurrentExecutions, fn.tracing, fn.deadLetterQueue]).toEqual([1, true, true]);
    expect(fn.vpc).toEqual(productionVpc());
  });

  test.each([
    ["reservedConcurrentExecutions", 0, "0 is out of range; use a whole number from 1 to 1000000"],
    ["tracing", "Active", 'expected true or false, got "Active"'],
    ["deadLetterQueue", 1, "expected true or false, got 1"],
    ["codeSigning", "Enforce", 'expected true or false, got "Enforce"'],
  ])("fails when %s is %p, naming the field", (field, value, message) => {
    const document = doc();
    document.functions[0][field] = value;
    expect(onlyIssue(document)).toEqual({ path: `functions[0].${field}`, message });
  });

  test("reads codeSigning, off by default", () => {
    const document = doc();
    document.functions[1].codeSigning = true;
    const config = validateConfig(document, configFile);
    expect(config.functions.map((fn) => fn.codeSigning)).toEqual([false, true]);
  });

  test("fails when a code signing bucket name would pass S3's 63 characters, naming the stack and the fix", () => {
    const document = doc();
    // "<project>-lambda-code-<12 digits>-<region>": 31 + 13 + 12 + 1 + 9 = 66 characters for eu-west-1.
    document.project = "a-very-long-project-name-for-ci";
    document.functions[1].codeSigning = true;
    const issues = withoutCodes(configError(document).issues).filter((issue) => issue.path === "functions[1].codeSigning");
    expect(issues).toEqual([
      {
        path: "functions[1].codeSigning",
        message: expect.stringMatching(
          /^the code signing bucket of production-eu-west-1, "a-very-long-project-name-for-ci-lambda-code-222222222222-eu-west-1" has 66 characters; shorten project, or set codeSigning to false$/,
        ),
      },
      { path: "functions[1].codeSigning", message: expect.stringContaining("the code signing bucket of production-us-east-1, ") },
    ]);
  });

  test("fails when vpc leaves out a stack the function runs in, naming it and the fix", () => {
    const document = doc();
    document.functions[1].vpc = { "production-eu-west-1": { subnetIds: SUBNETS, securityGroupIds: GROUPS } };
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].vpc",
      message: "has no entry for production-us-east-1; give the subnets and security groups of every stack the function runs in, or limit the function's accounts",
    });
  });

  test("fails when vpc names a stack the function does not run in", () => {
    const document = doc();
    document.functions[1].vpc = { ...productionVpc(), "staging-eu-west-1": { subnetIds: SUBNETS, securityGroupIds: GROUPS } };
    expect(onlyIssue(document)).toEqual({
      path: "functions[1].vpc.staging-eu-west-1",
      message: "is not a stack of this function; use one of production-eu-west-1, production-us-east-1",
    });
  });

  test("fails when vpc, or one of its entries, is not an object", () => {
    const document = doc();
    document.functions[1].vpc = ["subnet-0123456789abcdef0"];
    expect(onlyIssue(document).path).toBe("functions[1].vpc");
    document.functions[1].vpc = { ...productionVpc(), "production-us-east-1": "subnet-0123456789abcdef0" };
    expect(onlyIssue(document)).toEqual({ path: "functions[1].vpc.production-us-east-1", message: 'expected an object, got "subnet-0123456789abcdef0"' });
  });

  test("fails with more than 16 subnets or 5 security groups, and with an ID listed twice", () => {
    const document = doc();
    const many = Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, "0")}`);
    document.functions[1].vpc = { ...productionVpc(), "production-eu-west-1": { subnetIds: many, securityGroupIds: [...GROUPS, GROUPS[0]] } };
    expect(withoutCodes(configError(document).issues)).toEqual([
      { path: "functions[1].vpc.production-eu-west-1.subnetIds", message: "lists 17 subnets; Lambda takes 1 to 16" },
      { path: "functions[1].vpc.production-eu-west-1.securityGroupIds[1]", message: '"sg-0123456789abcdef0" is listed twice; list each value once' },
    ]);
  });

  test("reports every malformed vpc entry at its path: a bad ID, an empty list, a missing list, an unknown field", () => {
    const document = doc();
    document.functions[1].vpc = {
      "production-eu-west-1": { subnetIds: ["subnet-1"], securityGroupIds: [] },
      "production-us-east-1": { subnetIds: SUBNETS, securityGroups: GROUPS },
    };
    expect(withoutCodes(configError(document).issues)).toEqual([
      { path: "functions[1].vpc.production-eu-west-1.subnetIds[0]", message: '"subnet-1" is invalid; write it like "subnet-0123456789abcdef0"' },
      { path: "functions[1].vpc.production-eu-west-1.securityGroupIds", message: "lists 0 security groups; Lambda takes 1 to 5" },
      { path: "functions[1].vpc.production-us-east-1.securityGroups", message: "unknown field; allowed fields are subnetIds, securityGroupIds" },
      { path: "functions[1].vpc.production-us-east-1.securityGroupIds", message: "is missing; list the security group IDs of this stack" },
    ]);
  });
});

describe("validateConfig: secrets[].rotation", () => {
  const ROTATION = { functionName: "rotate-orders-db", roleName: "rotate-orders-db-role", days: 30 };

  test("reads the rotation function, its role and the days of a Secrets Manager secret", () => {
    const document = doc();
    document.secrets[0].rotation = { ...ROTATION };
    expect(validateConfig(document, configFile).secrets[0].rotation).toEqual(ROTATION);
  });

  test("fails for an SSM parameter, which has no rotation", () => {
    const document = doc();
    document.secrets[1].rotation = { ...ROTATION };
    expect(onlyIssue(document)).toEqual({
      path: "secrets[1].rotation",
      message: "SSM parameters have no rotation; remove rotation, or make the secret a Secrets Manager secret",
    });
  });

  test("fails when a field is missing, or is not a name", () => {
    const document = doc();
    document.secrets[0].rotation = { functionName: "rotate-orders-db", days: 30 };
    expect(onlyIssue(document)).toEqual({
      path: "secrets[0].rotation.roleName",
      message: "is missing; give the rotation function's name, its execution role's name and the days between rotations",
    });
    document.secrets[0].rotation = { ...ROTATION, roleName: "arn:aws:iam::222222222222:role/rotate" };
    expect(onlyIssue(document)).toEqual({
      path: "secrets[0].rotation.roleName",
      message: '"arn:aws:iam::222222222222:role/rotate" is invalid; use the role\'s name (1–64 letters, digits or "+=,.@_-"), not its ARN',
    });
    document.secrets[0].rotation = { ...ROTATION, days: 0 };
    expect(onlyIssue(document)).toEqual({ path: "secrets[0].rotation.days", message: "0 is out of range; use a whole number from 1 to 1000" });
  });
});
