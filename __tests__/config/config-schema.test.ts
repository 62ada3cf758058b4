/**
 * The JSON Schema (config/config.schema.json, generated from the spec the
 * validator reads the file with) and the validator agree: what the validator
 * accepts, the schema accepts; a field the schema refuses, the validator
 * refuses at the same path; and both fill in the same defaults.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject } from "ajv";
import { ConfigError, validateConfig } from "../../config/validate-config";
import { CONFIG_SCHEMA_FILE } from "../../config/config-schema";

const root = path.resolve(__dirname, "..", "..");
const schema = JSON.parse(fs.readFileSync(path.join(root, CONFIG_SCHEMA_FILE), "utf8")) as Record<string, unknown>;
const defaultFile = path.join(root, "config", "default.json");
const validateWithSchema = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const base = (): Doc => JSON.parse(fs.readFileSync(defaultFile, "utf8")) as Doc;

/** ajv's `/accounts/0/regions` as the validator writes it, `accounts[0].regions`; an unknown field is named. */
function schemaPaths(errors: readonly ErrorObject[]): string[] {
  return errors.map((error) => {
    const pointer = error.keyword === "additionalProperties" ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}` : error.instancePath;
    return pointer
      .split("/")
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join("")
      .replace(/^\./, "");
  });
}

function validatorPaths(document: Doc): string[] {
  try {
    validateConfig(document, defaultFile);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => issue.path);
  }
}

describe("the shipped configurations", () => {
  test.each(["default.json", "local.json"])("config/%s names the schema, and both the schema and the validator accept it", (name) => {
    const document = JSON.parse(fs.readFileSync(path.join(root, "config", name), "utf8")) as Doc;
    expect(document.$schema).toBe("./config.schema.json");
    expect(validateWithSchema(document) ? [] : schemaPaths(validateWithSchema.errors ?? [])).toEqual([]);
    expect(validatorPaths(document)).toEqual([]);
  });

  test("npm pack ships the schema", () => {
    const files = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { files: string[] }).files;
    expect(files).toContain(CONFIG_SCHEMA_FILE);
  });
});

const VALID: readonly [string, (d: Doc) => void][] = [
  [
    "no optional section at all",
    (d) => {
      for (const field of ["defaultTags", "backend", "key", "secrets", "functions"]) delete d[field];
      d.accounts = [{ name: "dev", accountId: "333333333333", regions: ["eu-central-1"] }];
    },
  ],
  [
    "an S3 backend with every field",
    (d) => {
      d.backend = {
        type: "s3",
        bucket: "acme-tf-state",
        region: "eu-west-1",
        keyPrefix: "lambda",
        useLockfile: false,
        dynamodbTable: "locks",
        kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        roleArn: "arn:aws:iam::111111111111:role/state",
      };
    },
  ],
  [
    "Object Lock, access-log bucket, break-glass roles and every alarm setting",
    (d) => {
      d.accounts[0].audit = {
        objectLock: { mode: "COMPLIANCE", retentionDays: 90 },
        accessLogBucketName: "acme-access-logs",
        breakGlassRoleArns: ["arn:aws:iam::111111111111:role/break-glass"],
        cisAlarms: false,
        alarmEmails: ["a@example.com"],
        logRetentionDays: 3653,
        readWriteType: "All",
        excludeManagementEventSources: ["rdsdata.amazonaws.com"],
      };
    },
  ],
  [
    "function limits at their edges",
    (d) => {
      Object.assign(d.functions[0], { memorySize: 10240, timeout: 900, runtime: "nodejs20.x", architecture: "x86_64", logRetentionDays: 0 });
    },
  ],
  [
    "an emulator",
    (d) => {
      d.emulator = { endpoint: "http://127.0.0.1:5000", credentials: "environment" };
    },
  ],
];

describe("a configuration the validator accepts, the schema accepts", () => {
  test.each(VALID)("%s", (_label, change) => {
    const document = base();
    change(document);
    expect(validatorPaths(document)).toEqual([]);
    expect(validateWithSchema(document) ? [] : schemaPaths(validateWithSchema.errors ?? [])).toEqual([]);
  });
});

/** [what, change, the path where the validator reports it]; the schema must report at that path or a parent of it. */
const INVALID: readonly [string, (d: Doc) => void, string][] = [
  ["an unknown top-level field", (d) => (d.regionz = ["eu-west-1"]), "regionz"],
  ["a project name that is a number", (d) => (d.project = 5), "project"],
  ["a rotation period below 90 days", (d) => (d.key.rotationPeriodDays = 89), "key.rotationPeriodDays"],
  ["a deletion window of 31 days", (d) => (d.key.deletionWindowDays = 31), "key.deletionWindowDays"],
  ["preventDestroy as a string", (d) => (d.key.preventDestroy = "yes"), "key.preventDestroy"],
  ["an 11-digit account ID", (d) => (d.accounts[0].accountId = "11111111111"), "accounts[0].accountId"],
  ["a region listed twice", (d) => (d.accounts[0].regions = ["eu-west-1", "eu-west-1"]), "accounts[0].regions[1]"],
  ["a region that is no region code", (d) => (d.accounts[0].regions = ["europe-west1"]), "accounts[0].regions[0]"],
  ["a key user that is no IAM principal", (d) => (d.accounts[1].keyUserArns = ["arn:aws:iam::1:role/x"]), "accounts[1].keyUserArns[0]"],
  ["an alarm email that is no address", (d) => (d.accounts[0].audit.alarmEmails = ["security"]), "accounts[0].audit.alarmEmails[0]"],
  ["an unknown audit field", (d) => (d.accounts[0].audit.trail = "x"), "accounts[0].audit.trail"],
  ["an Object Lock mode S3 does not have", (d) => (d.accounts[0].audit.objectLock = { mode: "LEGAL", retentionDays: 30 }), "accounts[0].audit.objectLock.mode"],
  ["a lone * as OIDC subject", (d) => (d.accounts[0].deployer.oidc.subjects = ["*"]), "accounts[0].deployer.oidc.subjects[0]"],
  ["memory below 128 MB", (d) => (d.functions[0].memorySize = 64), "functions[0].memorySize"],
  ["a timeout given as a string", (d) => (d.functions[0].timeout = "10"), "functions[0].timeout"],
  ["a deprecated runtime", (d) => (d.functions[0].runtime = "nodejs18.x"), "functions[0].runtime"],
  ["an architecture Lambda does not have", (d) => (d.functions[0].architecture = "arm"), "functions[0].architecture"],
  ["a log retention CloudWatch Logs does not offer", (d) => (d.functions[0].logRetentionDays = 100), "functions[0].logRetentionDays"],
  ["a secret type that does not exist", (d) => (d.secrets[0].type = "vault"), "secrets[0].type"],
  ["an SSM tier that does not exist", (d) => (d.secrets[1].tier = "Premium"), "secrets[1].tier"],
  ["an S3 backend without a bucket", (d) => (d.backend = { type: "s3", region: "eu-west-1" }), "backend.bucket"],
  ["an emulator credentials mode that does not exist", (d) => (d.emulator = { endpoint: "http://127.0.0.1:5000", credentials: "aws" }), "emulator.credentials"],
  ["an emulator endpoint with a path", (d) => (d.emulator = { endpoint: "http://127.0.0.1:5000/moto" }), "emulator.endpoint"],
];

describe("a field the schema refuses, the validator refuses at the same path", () => {
  test.each(INVALID)("%s", (_label, change, expected) => {
    const document = base();
    change(document);
    expect(validatorPaths(document)).toContain(expected);
    expect(validateWithSchema(document)).toBe(false);
    const reported = schemaPaths(validateWithSchema.errors ?? []);
    expect(reported.some((p) => expected === p || expected.startsWith(`${p}.`) || expected.startsWith(`${p}[`))).toBe(true);
  });
});

describe("the schema's defaults are the ones the validator fills in", () => {
  const properties = (node: unknown): Record<string, { default?: unknown }> => (node as { properties: Record<string, { default?: unknown }> }).properties;
  const document = base();
  delete document.key;
  const config = validateConfig(document, defaultFile);
  const fn = document.functions[0] as Doc;

  test("key", () => {
    const key = properties(properties(schema).key);
    expect({ rotationPeriodDays: key.rotationPeriodDays.default, deletionWindowDays: key.deletionWindowDays.default, preventDestroy: key.preventDestroy.default }).toEqual({
      rotationPeriodDays: config.key.rotationPeriodDays,
      deletionWindowDays: config.key.deletionWindowDays,
      preventDestroy: config.key.preventDestroy,
    });
  });

  test("functions[]", () => {
    const fields = properties((properties(schema).functions as { items: unknown }).items);
    const validated = config.functions[0];
    for (const name of ["handler", "runtime", "memorySize", "timeout", "architecture", "logRetentionDays", "allowShortLogRetention"] as const) {
      if (fn[name] !== undefined) continue;
      expect({ [name]: fields[name].default }).toEqual({ [name]: validated[name] });
    }
  });
});
