/**
 * config/local.json: the default configuration deployed to a local AWS API
 * emulator (the end-to-end test). It must stay the default configuration
 * (so the end-to-end test deploys what users deploy) plus only the emulator
 * settings, and its synthesized providers must send every request of every
 * resource to the emulator, never to AWS.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppConfig, auditStackName, stackName } from "../../config/app-config";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../../config/load-config";
import { ConfigError, ConfigIssue, validateConfig } from "../../config/validate-config";
import { EMULATED_SERVICES } from "../../stacks/account-provider";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { Json, REPO } from "../support/stack-config";

const LOCAL_CONFIG_FILE = path.join(REPO, "config", "local.json");
const readDocument = (file: string): Json => JSON.parse(fs.readFileSync(file, "utf8"));
const LOCAL_DOCUMENT: Json = readDocument(LOCAL_CONFIG_FILE);
const DEFAULT_DOCUMENT: Json = readDocument(DEFAULT_CONFIG_FILE);
/** The endpoint written in config/local.json. */
const ENDPOINT = "http://127.0.0.1:5000";

/** Provider arguments that only the emulator settings add. */
const EMULATOR_PROVIDER_KEYS = ["access_key", "secret_key", "skip_credentials_validation", "skip_metadata_api_check", "skip_region_validation", "s3_use_path_style", "endpoints"];

/**
 * The provider `endpoints` name of the service behind each resource type the
 * app may create, by type prefix (longest prefix wins). A resource type that
 * matches none fails the test: add its service to EMULATED_SERVICES (and here).
 */
const SERVICE_BY_TYPE_PREFIX: Readonly<Record<string, (typeof EMULATED_SERVICES)[number]>> = {
  aws_cloudtrail: "cloudtrail",
  aws_cloudwatch_log_: "logs",
  aws_cloudwatch_metric_alarm: "cloudwatch",
  aws_iam_: "iam",
  aws_kms_: "kms",
  aws_lambda_: "lambda",
  aws_s3_: "s3",
  aws_secretsmanager_: "secretsmanager",
  aws_signer_: "signer",
  aws_sns_: "sns",
  aws_sqs_: "sqs",
  aws_ssm_: "ssm",
};

function serviceOf(resourceType: string): string | undefined {
  const prefixes = Object.keys(SERVICE_BY_TYPE_PREFIX).filter((prefix) => resourceType.startsWith(prefix));
  prefixes.sort((a, b) => b.length - a.length);
  return prefixes.length > 0 ? SERVICE_BY_TYPE_PREFIX[prefixes[0]] : undefined;
}

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "local-config-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("config/local.json", () => {
  test("loads, with the emulator endpoint, destroyable keys and its own state folder", () => {
    const config = loadConfig(LOCAL_CONFIG_FILE);
    expect(config.emulator).toEqual({ endpoint: ENDPOINT, credentials: "account-id", allowPlainHttpToRemoteHost: false });
    expect(config.key.preventDestroy).toBe(false);
    expect(config.backend).toEqual({ type: "local", directory: path.join(REPO, "terraform-state", "emulator"), stateInStackFolder: false });
  });

  test("the default configuration has no emulator and keeps its keys", () => {
    const config = loadConfig(DEFAULT_CONFIG_FILE);
    expect(config.emulator).toBeUndefined();
    expect(config.key.preventDestroy).toBe(true);
    expect(config.backend).toEqual({ type: "local", directory: path.join(REPO, "terraform-state"), stateInStackFolder: false });
  });

  test("differs from config/default.json only in $comment, emulator, key.preventDestroy, backend.directory, staging's multi-Region keys, nightly-report's code signing and production's log bucket replication", () => {
    const strip = (document: Json): Json => {
      const copy = structuredClone(document);
      delete copy.$comment;
      delete copy.emulator;
      delete copy.key.preventDestroy;
      delete copy.backend.directory;
      delete copy.accounts[0].multiRegionKeysFromGeneration;
      // One ciphertext for staging (multi-Region keys) where the default has one per stack.
      const partnerKey = copy.functions[0].encryptedEnvironment.PARTNER_API_KEY;
      for (const name of ["staging", "staging-eu-west-1", "staging-us-east-1"]) delete partnerKey[name];
      delete copy.functions[1].codeSigning;
      delete copy.accounts[1].audit.replication;
      return copy;
    };
    // A change to default.json that local.json does not mirror (or the reverse) fails here.
    expect(strip(LOCAL_DOCUMENT)).toEqual(strip(DEFAULT_DOCUMENT));
    // The four fields really differ: local state never mixes with the default's.
    expect(LOCAL_DOCUMENT.$comment).not.toBe(DEFAULT_DOCUMENT.$comment);
    expect(LOCAL_DOCUMENT.backend.directory).not.toBe(DEFAULT_DOCUMENT.backend.directory);
    expect(DEFAULT_DOCUMENT.emulator).toBeUndefined();
    expect(DEFAULT_DOCUMENT.key.preventDestroy).toBe(true);
    expect(LOCAL_DOCUMENT.key.preventDestroy).toBe(false);
    // The end-to-end run deploys staging with multi-Region keys: one ciphertext for both regions.
    expect(LOCAL_DOCUMENT.accounts[0].multiRegionKeysFromGeneration).toBe(1);
    expect(DEFAULT_DOCUMENT.accounts[0].multiRegionKeysFromGeneration).toBeUndefined();
    expect(Object.keys(LOCAL_DOCUMENT.functions[0].encryptedEnvironment.PARTNER_API_KEY)).toEqual(["staging", "production-eu-west-1", "production-us-east-1"]);
    // The end-to-end run deploys nightly-report's code signing path; the default leaves code signing off (docs/scanners.md).
    expect(LOCAL_DOCUMENT.functions[1]).toMatchObject({ name: "nightly-report", codeSigning: true });
    expect(DEFAULT_DOCUMENT.functions[1].codeSigning).toBeUndefined();
    // ...and production's log bucket replication (into us-east-1, one of the account's regions, which the teardown check reads); the default leaves it off.
    expect(LOCAL_DOCUMENT.accounts[1].audit.replication).toEqual({ region: "us-east-1" });
    expect(DEFAULT_DOCUMENT.accounts[1].audit.replication).toBeUndefined();
  });
});

describe("validateConfig emulator", () => {
  /** The issues validateConfig reports for config/local.json with `emulator` replaced. */
  function issuesWith(emulator: Json): readonly ConfigIssue[] {
    const document = structuredClone(LOCAL_DOCUMENT);
    document.emulator = emulator;
    try {
      validateConfig(document, LOCAL_CONFIG_FILE);
    } catch (error) {
      // Path and message; codes are checked in validate-config.test.ts.
      if (error instanceof ConfigError) return error.issues.map(({ path, message }) => ({ path, message }));
      throw error;
    }
    throw new Error(`expected a ConfigError, but emulator ${JSON.stringify(emulator)} was accepted`);
  }

  function accepted(emulator: Json): AppConfig {
    const document = structuredClone(LOCAL_DOCUMENT);
    document.emulator = emulator;
    return validateConfig(document, LOCAL_CONFIG_FILE);
  }

  test("accepts http and https base URLs, and drops a trailing slash", () => {
    expect(accepted({ endpoint: "http://localhost:4566" }).emulator).toEqual({ endpoint: "http://localhost:4566", credentials: "account-id", allowPlainHttpToRemoteHost: false });
    expect(accepted({ endpoint: "https://moto.internal" }).emulator).toEqual({ endpoint: "https://moto.internal", credentials: "account-id", allowPlainHttpToRemoteHost: false });
    expect(accepted({ endpoint: "http://127.0.0.1:5000/" }).emulator).toEqual({ endpoint: "http://127.0.0.1:5000", credentials: "account-id", allowPlainHttpToRemoteHost: false });
  });

  test("refuses plain HTTP to another host unless allowPlainHttpToRemoteHost says so", () => {
    for (const endpoint of ["http://moto.internal:5000", "http://10.0.0.5", "http://128.0.0.1", "http://127.0.0.1.evil.example"]) {
      expect(issuesWith({ endpoint })).toEqual([
        {
          path: "emulator.endpoint",
          message: expect.stringMatching(
            /is plain HTTP to another host: .* use https:\/\/, an emulator on this machine \(127\.0\.0\.1\), or set "allowPlainHttpToRemoteHost": true/,
          ),
        },
      ]);
    }
    expect(accepted({ endpoint: "http://moto.internal:5000", allowPlainHttpToRemoteHost: true }).emulator).toEqual({
      endpoint: "http://moto.internal:5000",
      credentials: "account-id",
      allowPlainHttpToRemoteHost: true,
    });
    expect(accepted({ endpoint: "http://127.8.9.10:5000" }).emulator?.endpoint).toBe("http://127.8.9.10:5000");
  });

  test('takes the credentials from the environment with credentials: "environment", and refuses other values', () => {
    expect(accepted({ endpoint: ENDPOINT, credentials: "environment" }).emulator).toEqual({ endpoint: ENDPOINT, credentials: "environment", allowPlainHttpToRemoteHost: false });
    const issues = issuesWith({ endpoint: ENDPOINT, credentials: "profile" });
    expect(issues).toEqual([{ path: "emulator.credentials", message: expect.stringContaining('"profile"') }]);
    expect(issues[0].message).toContain("account-id, environment");
  });

  test.each([
    ["a number", 5000, "5000"],
    ["an ftp URL", "ftp://x", '"ftp://x"'],
    ["a URL with a path", "http://127.0.0.1:5000/path", '"http://127.0.0.1:5000/path"'],
    ["a URL with a query", "http://127.0.0.1:5000?x=1", '"http://127.0.0.1:5000?x=1"'],
    ["a URL with credentials", "http://user:pass@127.0.0.1:5000", "a string of 31 characters that looks like a URL with an embedded password (not shown)"],
    ["a host name without a scheme", "127.0.0.1:5000", '"127.0.0.1:5000"'],
  ])("fails when emulator.endpoint is %s", (_what, endpoint, shown) => {
    const issues = issuesWith({ endpoint });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("emulator.endpoint");
    expect(issues[0].message).toContain(shown);
    expect(issues[0].message).toContain("http://127.0.0.1:5000");
  });

  test("fails when emulator.endpoint is missing", () => {
    const issues = issuesWith({});
    expect(issues).toEqual([{ path: "emulator.endpoint", message: expect.stringContaining("expected a string, got nothing") }]);
  });

  test("fails when emulator has an unknown field", () => {
    const issues = issuesWith({ endpoint: ENDPOINT, foo: "bar" });
    expect(issues).toEqual([{ path: "emulator.foo", message: expect.stringContaining("unknown field; allowed fields are endpoint, allowPlainHttpToRemoteHost, credentials") }]);
  });

  test("fails when emulator is not an object", () => {
    const issues = issuesWith(ENDPOINT);
    expect(issues.map((i) => i.path)).toContain("emulator");
    expect(issues.find((i) => i.path === "emulator")?.message).toContain(`expected an object, got "${ENDPOINT}"`);
  });

  describe("with settings that would reach real AWS", () => {
    const S3_BACKEND = { type: "s3", bucket: "payments-terraform-state", region: "eu-west-1" };
    const ROLE_ARN = "arn:aws:iam::111111111111:role/terraform-deploy";

    /** config/local.json with `change` applied, and with its emulator section or without it. */
    function documentWith(change: (document: Json) => void, withEmulator: boolean): Json {
      const document = structuredClone(LOCAL_DOCUMENT);
      change(document);
      if (!withEmulator) delete document.emulator;
      return document;
    }

    /** The issues validateConfig reports for the document. */
    function issuesOf(document: Json): readonly ConfigIssue[] {
      try {
        validateConfig(document, LOCAL_CONFIG_FILE);
      } catch (error) {
        // Path and message; codes are checked in validate-config.test.ts.
        if (error instanceof ConfigError) return error.issues.map(({ path, message }) => ({ path, message }));
        throw error;
      }
      throw new Error("expected a ConfigError, but the document was accepted");
    }

    const s3Backend = (document: Json) => {
      document.backend = S3_BACKEND;
    };
    const assumeRole = (document: Json) => {
      document.accounts[0].assumeRole = { roleArn: ROLE_ARN };
    };

    test("fails when emulator is combined with an s3 backend", () => {
      expect(issuesOf(documentWith(s3Backend, true))).toEqual([
        { path: "backend.type", message: `"s3" cannot be combined with "emulator": state would be written to a real bucket; use {"type": "local"} for an emulator configuration` },
      ]);
    });

    test("fails when emulator is combined with assumeRole", () => {
      const issues = issuesOf(documentWith(assumeRole, true));
      expect(issues).toEqual([
        {
          path: "accounts[0].assumeRole",
          message: `"${ROLE_ARN}" cannot be combined with "emulator": the emulator selects the account by its ID; remove assumeRole from an emulator configuration`,
        },
      ]);
      expect(issues[0].message).toContain(ROLE_ARN);
    });

    test("fails once per account that has assumeRole, and for the s3 backend, all in one error", () => {
      const issues = issuesOf(
        documentWith((document) => {
          s3Backend(document);
          document.accounts[0].assumeRole = { roleArn: ROLE_ARN };
          document.accounts[1].assumeRole = { roleArn: "arn:aws:iam::222222222222:role/terraform-deploy" };
        }, true),
      );
      expect(issues.map((i) => i.path)).toEqual(["backend.type", "accounts[0].assumeRole", "accounts[1].assumeRole"]);
      expect(issues[2].message).toContain("arn:aws:iam::222222222222:role/terraform-deploy");
    });

    test("accepts the same s3 backend without emulator", () => {
      const config = validateConfig(documentWith(s3Backend, false), LOCAL_CONFIG_FILE);
      expect(config.emulator).toBeUndefined();
      expect(config.backend).toMatchObject(S3_BACKEND);
    });

    test("accepts the same assumeRole without emulator", () => {
      const config = validateConfig(documentWith(assumeRole, false), LOCAL_CONFIG_FILE);
      expect(config.emulator).toBeUndefined();
      expect(config.accounts[0].assumeRole).toEqual({ roleArn: ROLE_ARN, sessionName: undefined, externalId: undefined });
    });
  });
});

/** Synthesized Terraform JSON of every stack of the app, by stack name. */
interface SynthesizedApp {
  readonly config: AppConfig;
  readonly stacks: Record<string, Json>;
  /** The account ID each stack deploys to. */
  readonly accountOf: Record<string, string>;
}

async function synthesize(configFile: string, folder: string): Promise<SynthesizedApp> {
  const config = loadConfig(configFile);
  const outdir = path.join(tmp, folder, "cdktf.out");
  const result = await synthesizeApp(config, outdir);
  const stacks = Object.fromEntries(result.stacks.map((name) => [name, readDocument(path.join(outdir, "stacks", name, "cdk.tf.json"))]));
  const accountOf: Record<string, string> = {};
  for (const account of config.accounts) {
    accountOf[auditStackName(account)] = account.accountId;
    if (account.deployer) accountOf[`${account.name}-deployer`] = account.accountId;
    for (const region of account.regions) accountOf[stackName(account, region)] = account.accountId;
  }
  expect(Object.keys(stacks).sort()).toEqual(Object.keys(accountOf).sort());
  return { config, stacks, accountOf };
}

/** Every `aws` provider block of a stack (the default and the aliased ones). */
function awsProviders(stack: Json): Json[] {
  const providers = stack.provider?.aws;
  expect(Array.isArray(providers)).toBe(true);
  return providers;
}

describe("synthesized stacks", () => {
  let local: SynthesizedApp;
  let defaults: SynthesizedApp;

  beforeAll(async () => {
    local = await synthesize(LOCAL_CONFIG_FILE, "local");
    defaults = await synthesize(DEFAULT_CONFIG_FILE, "default");
  });

  test("every aws provider of the local stacks talks to the emulator, as the stack's account", () => {
    const endpoints = Object.fromEntries(EMULATED_SERVICES.map((service) => [service, ENDPOINT]));
    let aliased = 0;
    for (const [name, stack] of Object.entries(local.stacks)) {
      const accountId = local.accountOf[name];
      for (const provider of awsProviders(stack)) {
        if (provider.alias) aliased += 1;
        expect({ stack: name, alias: provider.alias, ...provider }).toMatchObject({
          stack: name,
          access_key: accountId,
          secret_key: expect.stringMatching(/.+/),
          skip_credentials_validation: true,
          skip_metadata_api_check: "true",
          skip_region_validation: true,
          s3_use_path_style: true,
          allowed_account_ids: [accountId],
          region: expect.stringMatching(/^[a-z]{2}-[a-z]+-\d$/),
        });
        expect(provider.endpoints).toEqual([endpoints]);
      }
    }
    // The workload stacks' "audit" providers were checked too.
    expect(aliased).toBeGreaterThan(0);
  });

  test("no aws provider of the default stacks has emulator settings", () => {
    let providers = 0;
    for (const [name, stack] of Object.entries(defaults.stacks)) {
      for (const provider of awsProviders(stack)) {
        providers += 1;
        for (const key of EMULATOR_PROVIDER_KEYS)
          expect({ stack: name, alias: provider.alias, key, value: provider[key] }).toEqual({ stack: name, alias: provider.alias, key, value: undefined });
        expect(provider.allowed_account_ids).toEqual([defaults.accountOf[name]]);
      }
    }
    expect(providers).toBeGreaterThan(Object.keys(defaults.stacks).length);
  });

  test("every resource type of the local stacks belongs to an emulated service, and the only data source is a replica region's lookup of its KMS primary key", () => {
    const unmapped: string[] = [];
    const used = new Set<string>();
    for (const [name, stack] of Object.entries(local.stacks)) {
      // staging's keys are multi-Region: its us-east-1 stack looks the primary up (KMS, emulated).
      const dataSources = Object.entries(stack.data ?? {}).flatMap(([type, byName]) => Object.keys(byName as Json).map((id) => `${type}.${id}`));
      expect({ stack: name, dataSources }).toEqual({ stack: name, dataSources: name === "staging-us-east-1" ? ["aws_kms_key.workload-key-primary"] : [] });
      for (const type of Object.keys(stack.resource ?? {})) {
        const service = serviceOf(type);
        if (service === undefined) unmapped.push(`${name}: ${type}`);
        else used.add(service);
      }
    }
    if (unmapped.length > 0) {
      throw new Error(
        `resource types with no emulated service:\n  ${unmapped.join("\n  ")}\n` +
          "add each type's service (its name in the provider's endpoints block) to EMULATED_SERVICES in stacks/account-provider.ts, " +
          "and its type prefix to SERVICE_BY_TYPE_PREFIX in this test",
      );
    }
    for (const service of used) expect(EMULATED_SERVICES).toContain(service);
    // Every mapped service is used; and STS, which the provider calls to check allowed_account_ids.
    expect([...used, "sts"].sort()).toEqual([...EMULATED_SERVICES].sort());
  });

  test("keys and the trail log bucket are destroyable in the local stacks only", () => {
    const preventDestroy = (app: SynthesizedApp, type: string): boolean[] =>
      Object.values(app.stacks).flatMap((stack) => Object.values(stack.resource?.[type] ?? {}).map((resource: Json) => resource.lifecycle?.prevent_destroy));
    // Two accounts: a workload key per region (staging's us-east-1 key a replica) and an audit key per account, one log bucket per account;
    // locally also production's replica key (log bucket replication).
    expect([...preventDestroy(local, "aws_kms_key"), ...preventDestroy(local, "aws_kms_replica_key")]).toEqual([false, false, false, false, false, false, false]);
    expect(preventDestroy(defaults, "aws_kms_key")).toEqual([true, true, true, true, true, true]);
    // The trail log bucket and the access-log bucket of each account; locally also production's replica and its access-log bucket,
    // and the code signing buckets of nightly-report's stacks, which never prevent destroy (build output only).
    const codeBuckets = (app: SynthesizedApp) =>
      Object.values(app.stacks)
        .flatMap((stack) => Object.values(stack.resource?.aws_s3_bucket ?? {}))
        .filter((b: Json) => b.bucket.includes("-lambda-code-"));
    expect(codeBuckets(local).map((bucket: Json) => bucket.lifecycle?.prevent_destroy)).toEqual([undefined, undefined]);
    expect(preventDestroy(local, "aws_s3_bucket").filter((value) => value !== undefined)).toEqual([false, false, false, false, false, false]);
    expect(preventDestroy(defaults, "aws_s3_bucket")).toEqual([true, true, true, true]);
  });
});
