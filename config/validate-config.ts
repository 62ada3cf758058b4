import * as fs from "fs";
import * as path from "path";
import { ACCOUNT_ID_PATTERN, IAM_PRINCIPAL_ARN_PATTERN, REGION_PATTERN, partitionForRegion } from "../modules/aws-environment";
import { FUNCTION_NAME_PATTERN, SUPPORTED_RUNTIMES, logRetentionProblem } from "../modules/encrypted-function";
import { aliasNameProblem, normalizeAliasName } from "../modules/encryption-key";
import { EMAIL_PATTERN } from "../modules/alarm-topic";
import { EXCLUDABLE_EVENT_SOURCES, readWriteTypeProblem, trailNameProblem } from "../modules/audit-trail";
import { s3BucketNameProblem } from "../modules/trail-log-bucket";
import { ciphertextProblem, environmentProblems, environmentVariableNameProblem } from "../modules/environment-variables";
import { defaultExecutionRoleName } from "../modules/lambda-execution-role";
import { SECRET_NAME_PATTERN } from "../modules/secrets-manager-secret";
import { AccountConfig, AppConfig, AuditConfig, BackendConfig, DeployerConfig, EmulatorConfig, FunctionConfig, KeyConfig, SecretConfig, secretConstructId, stackEnvironment, targetStacks } from "./app-config";

/** A configuration problem: where it is, what was found, how to fix it. */
export interface ConfigIssue {
  /** Field path such as `accounts[1].regions[0]`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown with every problem found, so a user fixes the file in one pass. */
export class ConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid configuration ${file}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const PROJECT_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;
const ACCOUNT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const OIDC_PROVIDER_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider\/[\w.-]+(\/[\w./-]+)?$/;
const ROLE_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;
/** Path reported for the document itself; its fields are reported by their bare names. */
const ROOT = "(root)";

/**
 * Collects issues while reading a JSON document. Every accessor records a
 * problem instead of throwing, and returns a placeholder so reading goes on.
 */
class Reader {
  public readonly issues: ConfigIssue[] = [];

  public fail(at: string, message: string): void {
    this.issues.push({ path: at, message });
  }

  public object(at: string, value: Json, allowed: readonly string[]): JsonObject {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(at, `expected an object, got ${show(value)}`);
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(at === ROOT ? key : `${at}.${key}`, `unknown field; allowed fields are ${allowed.join(", ")}`);
      }
    }
    return value as JsonObject;
  }

  public string(at: string, value: Json, pattern: RegExp | undefined, hint: string): string {
    if (typeof value !== "string") {
      this.fail(at, `expected a string, got ${show(value)}; ${hint}`);
      return "";
    }
    if (pattern && !pattern.test(value)) this.fail(at, `${show(value)} is invalid; ${hint}`);
    return value;
  }

  public optionalString(at: string, value: Json, pattern: RegExp | undefined, hint: string): string | undefined {
    return value === undefined ? undefined : this.string(at, value, pattern, hint);
  }

  public oneOf<T extends string>(at: string, value: Json, fallback: T, allowed: readonly T[]): T {
    if (value === undefined) return fallback;
    if (typeof value !== "string" || !allowed.includes(value as T)) {
      this.fail(at, `${show(value)} is not supported; use one of ${allowed.join(", ")}`);
      return fallback;
    }
    return value as T;
  }

  public integer(at: string, value: Json, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(at, `${show(value)} is out of range; use a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  public boolean(at: string, value: Json, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") {
      this.fail(at, `expected true or false, got ${show(value)}`);
      return fallback;
    }
    return value;
  }

  public array(at: string, value: Json, fallback: readonly Json[] | undefined, minItems: number): Json[] {
    if (value === undefined && fallback !== undefined) return [...fallback];
    if (!Array.isArray(value)) {
      this.fail(at, `expected a list, got ${show(value)}`);
      return [];
    }
    if (value.length < minItems) this.fail(at, `list is empty; give at least ${minItems} item${minItems > 1 ? "s" : ""}`);
    return value;
  }

  public strings(at: string, value: Json, pattern: RegExp, hint: string): string[] {
    const items = this.array(at, value, [], 0).map((item, i) => this.string(`${at}[${i}]`, item, pattern, hint));
    items.forEach((item, i) => {
      if (items.indexOf(item) !== i) this.fail(`${at}[${i}]`, `${show(item)} is listed twice; list each value once`);
    });
    return items;
  }

  public stringMap(at: string, value: Json): Record<string, string> {
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(at, `expected an object of string values, got ${show(value)}`);
      return {};
    }
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== "string") this.fail(`${at}.${key}`, `expected a string, got ${show(item)}; quote the value`);
      else result[key] = item;
    }
    return result;
  }
}

function show(value: Json): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const PRINCIPAL_HINT = "use an IAM principal ARN such as arn:aws:iam::111111111111:role/platform-admin";

/**
 * Validates a parsed configuration document and fills in defaults. Relative
 * paths are resolved against the folder of `sourceFile`. Throws a
 * `ConfigError` listing every problem.
 */
export function validateConfig(document: Json, sourceFile: string): AppConfig {
  const r = new Reader();
  const baseDir = path.dirname(path.resolve(sourceFile));
  const root = r.object(ROOT, document, ["$comment", "project", "defaultTags", "backend", "key", "accounts", "secrets", "functions", "emulator"]);

  const project = r.string("project", root.project, PROJECT_PATTERN, 'use 2–31 lowercase letters, digits or "-", starting with a letter, e.g. "payments"');
  const defaultTags = r.stringMap("defaultTags", root.defaultTags);
  const backend = readBackend(r, root.backend, baseDir);
  const key = readKey(r, root.key, project);
  const emulator = readEmulator(r, root.emulator);

  const accounts = r.array("accounts", root.accounts, undefined, 1).map((raw, i) => readAccount(r, `accounts[${i}]`, raw, project));
  const accountNames = accounts.map((a) => a.name);
  accounts.forEach((account, i) => {
    if (accountNames.indexOf(account.name) !== i) r.fail(`accounts[${i}].name`, `${show(account.name)} is used by another account; give each account its own name`);
    // Aliases are unique per account and region: the audit key and the workload key both live in the home region.
    const workloadAliases = key.aliases.map(normalizeAliasName);
    account.audit.keyAliases.forEach((alias, j) => {
      if (alias && workloadAliases.includes(normalizeAliasName(alias))) {
        r.fail(`accounts[${i}].audit.keyAliases[${j}]`, `${show(alias)} is also an alias of the workload key (key.aliases); give the audit key its own alias, e.g. "${project}-audit"`);
      }
    });
  });
  // Unique account names and unique regions per account give unique "<account>-<region>" stack
  // names: a valid region code cannot absorb a hyphenated suffix of an account name.

  const secrets = r.array("secrets", root.secrets, [], 0).map((raw, i) => readSecret(r, `secrets[${i}]`, raw, accountNames));
  secrets.forEach((secret, i) => {
    if (secrets.findIndex((other) => other.name === secret.name) !== i) r.fail(`secrets[${i}].name`, `${show(secret.name)} is defined twice; define each secret once`);
  });
  const functions = r.array("functions", root.functions, [], 0).map((raw, i) => readFunction(r, `functions[${i}]`, raw, baseDir, accountNames));
  // A workload stack holds every secret and function of its account side by side, under these ids.
  secrets.forEach((secret, i) => {
    const id = secretConstructId(secret.name);
    const other = secrets.findIndex((s) => s.name !== secret.name && secretConstructId(s.name) === id);
    if (other !== -1 && other < i) {
      r.fail(`secrets[${i}].name`, `${show(secret.name)} would get the same resource and seed variable names (${id}) as ${show(secrets[other].name)}; rename one of them`);
    }
    const fn = functions.find((f) => f.name === id);
    if (fn) r.fail(`secrets[${i}].name`, `${show(secret.name)} would get the resource names of function ${show(fn.name)} (${id}); rename the secret or the function`);
  });
  if (emulator) {
    // Against an emulator, nothing may reach real AWS: no S3 state (it would use ambient credentials), no role to assume.
    if (backend.type === "s3") r.fail("backend.type", `"s3" cannot be combined with "emulator": state would be written to a real bucket; use {"type": "local"} for an emulator configuration`);
    accounts.forEach((account, i) => {
      if (account.assumeRole) r.fail(`accounts[${i}].assumeRole`, `${show(account.assumeRole.roleArn)} cannot be combined with "emulator": the emulator selects the account by its ID; remove assumeRole from an emulator configuration`);
    });
  }
  const stacksKnown = accountsGiveKnownStacks(accounts);
  functions.forEach((fn, i) => {
    checkFunctionSecrets(r, `functions[${i}]`, fn, secrets, accounts, stacksKnown);
    checkEnvironmentOverrides(r, `functions[${i}]`, fn, accounts, stacksKnown);
  });
  functions.forEach((fn, i) => {
    if (functions.findIndex((other) => other.name === fn.name) !== i) {
      r.fail(`functions[${i}].name`, `${show(fn.name)} is used by another function; function names are unique per account and region`);
    }
    // IAM role names are global to an account, so each region gets its own role "<function>-<region>" (at most 64 characters).
    const regions = accounts.filter((a) => fn.accounts.includes(a.name)).flatMap((a) => a.regions);
    const longest = regions.reduce((a, b) => (b.length > a.length ? b : a), "");
    const roleName = defaultExecutionRoleName(fn.name, longest);
    if (longest && roleName.length > 64) {
      r.fail(`functions[${i}].name`, `${show(fn.name)} is too long: its execution role in ${longest} would be "${roleName}" (${roleName.length} characters, IAM allows 64); shorten the name to ${63 - longest.length} characters`);
    }
  });

  if (r.issues.length > 0) throw new ConfigError(sourceFile, r.issues);
  return { project, defaultTags, backend, key, accounts, secrets, functions, emulator, sourceFile: path.resolve(sourceFile) };
}

function readBackend(r: Reader, raw: Json, baseDir: string): BackendConfig {
  if (raw === undefined) return { type: "local", directory: path.resolve(baseDir, "..", "terraform-state"), stateInStackFolder: false };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    r.fail("backend", `expected an object, got ${show(raw)}; write e.g. {"type": "local"} or {"type": "s3", "bucket": "...", "region": "..."}`);
    return { type: "local", directory: baseDir, stateInStackFolder: false };
  }
  const type = (raw as JsonObject).type;
  if (type === "local") {
    const o = r.object("backend", raw, ["type", "directory", "stateInStackFolder"]);
    const directory = r.optionalString("backend.directory", o.directory, /.+/, "give a folder for state files") ?? "../terraform-state";
    const stateInStackFolder = r.boolean("backend.stateInStackFolder", o.stateInStackFolder, false);
    if (stateInStackFolder && o.directory !== undefined) {
      r.fail("backend.directory", `${show(o.directory)} cannot be combined with "stateInStackFolder": true, which keeps each state in its stack folder; remove one of the two`);
    }
    return { type: "local", directory: path.resolve(baseDir, directory), stateInStackFolder };
  }
  if (type === "s3") {
    const o = r.object("backend", raw, ["type", "bucket", "region", "keyPrefix", "useLockfile", "dynamodbTable", "kmsKeyId", "roleArn"]);
    return {
      type: "s3",
      bucket: r.string("backend.bucket", o.bucket, BUCKET_PATTERN, "use an S3 bucket name (3–63 lowercase letters, digits, '.' or '-')"),
      region: r.string("backend.region", o.region, REGION_PATTERN, 'use a region code such as "eu-west-1"'),
      keyPrefix: r.optionalString("backend.keyPrefix", o.keyPrefix, /^[A-Za-z0-9!_.*'()/-]+$/, "use a plain S3 key prefix such as \"lambda-kms\"") ?? "lambda-kms",
      useLockfile: r.boolean("backend.useLockfile", o.useLockfile, true),
      dynamodbTable: r.optionalString("backend.dynamodbTable", o.dynamodbTable, /^[a-zA-Z0-9_.-]{3,255}$/, "use a DynamoDB table name"),
      kmsKeyId: r.optionalString("backend.kmsKeyId", o.kmsKeyId, /^arn:aws[a-z-]*:kms:/, "use the ARN of the KMS key that encrypts state"),
      roleArn: r.optionalString("backend.roleArn", o.roleArn, ROLE_ARN_PATTERN, "use an IAM role ARN"),
    };
  }
  r.fail("backend.type", `${show(type)} is not a backend type; use "local" or "s3"`);
  return { type: "local", directory: baseDir, stateInStackFolder: false };
}

/** http(s) URL without path, query or credentials: the provider appends nothing, so a path would be lost. */
const EMULATOR_ENDPOINT_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/;

function readEmulator(r: Reader, raw: Json): EmulatorConfig | undefined {
  if (raw === undefined) return undefined;
  const o = r.object("emulator", raw, ["endpoint", "credentials"]);
  const endpoint = r.string("emulator.endpoint", o.endpoint, EMULATOR_ENDPOINT_PATTERN, 'use the base URL of the emulator, such as "http://127.0.0.1:5000", or remove "emulator" to deploy to AWS');
  const credentials = r.oneOf("emulator.credentials", o.credentials, "account-id", ["account-id", "environment"] as const);
  return { endpoint: endpoint.replace(/\/$/, ""), credentials };
}

function readKey(r: Reader, raw: Json, project: string): KeyConfig {
  const o = raw === undefined ? {} : r.object("key", raw, ["aliases", "rotationPeriodDays", "deletionWindowDays", "preventDestroy"]);
  const aliases = r.strings("key.aliases", o.aliases ?? [`${project}-lambda-env`], /.*/, 'use alias names such as "payments-lambda-env"');
  if (aliases.length === 0) r.fail("key.aliases", "list is empty; give the key at least one alias");
  aliases.forEach((alias, i) => {
    const problem = aliasNameProblem(alias);
    if (problem) r.fail(`key.aliases[${i}]`, problem);
  });
  const normalized = aliases.map(normalizeAliasName);
  normalized.forEach((name, i) => {
    if (normalized.indexOf(name) !== i) r.fail(`key.aliases[${i}]`, `${show(aliases[i])} is the same alias as ${show(aliases[normalized.indexOf(name)])}; list each alias once`);
  });
  return {
    aliases,
    rotationPeriodDays: r.integer("key.rotationPeriodDays", o.rotationPeriodDays, 365, 90, 2560),
    deletionWindowDays: r.integer("key.deletionWindowDays", o.deletionWindowDays, 30, 7, 30),
    preventDestroy: r.boolean("key.preventDestroy", o.preventDestroy, true),
  };
}

function readAccount(r: Reader, at: string, raw: Json, project: string): AccountConfig {
  const o = r.object(at, raw, [
    "name",
    "accountId",
    "regions",
    "assumeRole",
    "tags",
    "keyAdministratorArns",
    "keyUserArns",
    "deployerArns",
    "helperEncrypterArns",
    "allowIamToGrantKeyUse",
    "deployer",
    "audit",
  ]);
  let assumeRole: AccountConfig["assumeRole"];
  if (o.assumeRole !== undefined) {
    const a = r.object(`${at}.assumeRole`, o.assumeRole, ["roleArn", "sessionName", "externalId"]);
    assumeRole = {
      roleArn: r.string(`${at}.assumeRole.roleArn`, a.roleArn, ROLE_ARN_PATTERN, "use a role ARN such as arn:aws:iam::111111111111:role/terraform-deploy"),
      sessionName: r.optionalString(`${at}.assumeRole.sessionName`, a.sessionName, /^[\w+=,.@-]{2,64}$/, "use 2–64 letters, digits or +=,.@_-"),
      externalId: r.optionalString(`${at}.assumeRole.externalId`, a.externalId, /^[\w+=,.@:/-]{2,1224}$/, "use 2–1224 letters, digits or +=,.@:/_-"),
    };
  }
  const regions = r.strings(`${at}.regions`, o.regions, REGION_PATTERN, 'use region codes such as "eu-west-1"');
  if (regions.length === 0) r.fail(`${at}.regions`, 'list is empty; give at least one region, e.g. ["eu-west-1"]');
  const accountId = r.string(`${at}.accountId`, o.accountId, ACCOUNT_ID_PATTERN, 'write the 12-digit account ID as a string, e.g. "111111111111"');
  const name = r.string(`${at}.name`, o.name, ACCOUNT_NAME_PATTERN, 'use 1–31 lowercase letters, digits or "-", starting with a letter, e.g. "prod"');
  const tags = r.stringMap(`${at}.tags`, o.tags);
  const keyAdministratorArns = r.strings(`${at}.keyAdministratorArns`, o.keyAdministratorArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT);
  const keyUserArns = r.strings(`${at}.keyUserArns`, o.keyUserArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT);
  const deployerArns = r.strings(`${at}.deployerArns`, o.deployerArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT);
  const helperEncrypterArns = r.strings(`${at}.helperEncrypterArns`, o.helperEncrypterArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT);
  const deployer = readDeployer(r, `${at}.deployer`, o.deployer, project, accountId, regions[0] ?? "");
  return {
    name,
    accountId,
    regions,
    assumeRole,
    tags,
    keyAdministratorArns,
    keyUserArns,
    // The bootstrapped deploy role is a deployer like any other: one list feeds the key policies and the alarms.
    deployerArns: deployer && !deployerArns.includes(deployer.roleArn) ? [...deployerArns, deployer.roleArn] : deployerArns,
    helperEncrypterArns,
    deployer,
    allowIamToGrantKeyUse: r.boolean(`${at}.allowIamToGrantKeyUse`, o.allowIamToGrantKeyUse, false),
    audit: readAudit(r, `${at}.audit`, o.audit, {
      project,
      accountId,
      defaultRegion: regions[0] ?? "",
      // Defaults derived from an invalid project name or account ID are not checked again: that
      // problem is already reported once, at its own path.
      projectValid: PROJECT_PATTERN.test(project),
      accountIdValid: ACCOUNT_ID_PATTERN.test(accountId),
    }),
  };
}

/** `accounts[].deployer`: the bootstrap stack's deploy role; see `DeployerConfig`. */
function readDeployer(r: Reader, at: string, raw: Json, project: string, accountId: string, region: string): DeployerConfig | undefined {
  if (raw === undefined) return undefined;
  const o = r.object(at, raw, ["roleName", "trustedPrincipalArns", "oidc"]);
  const roleName = r.optionalString(`${at}.roleName`, o.roleName, /^[\w+=,.@-]{1,64}$/, 'use 1–64 letters, digits or "+=,.@_-", e.g. "payments-deployer"') ?? `${project}-deployer`;
  const trustedPrincipalArns = r.strings(`${at}.trustedPrincipalArns`, o.trustedPrincipalArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT);
  let oidc: DeployerConfig["oidc"];
  if (o.oidc !== undefined) {
    const x = r.object(`${at}.oidc`, o.oidc, ["providerArn", "subjects", "audience"]);
    const subjects = r.strings(`${at}.oidc.subjects`, x.subjects, /^[^*\s][^\s]*$/, 'use subject patterns such as "repo:my-org/my-repo:ref:refs/heads/main" (a lone "*" would trust every repository)');
    if (subjects.length === 0) r.fail(`${at}.oidc.subjects`, 'list is empty; name the CI subjects that may deploy, e.g. ["repo:my-org/my-repo:ref:refs/heads/main"]');
    oidc = {
      providerArn: r.string(`${at}.oidc.providerArn`, x.providerArn, OIDC_PROVIDER_ARN_PATTERN, "use an IAM OIDC provider ARN such as arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"),
      subjects,
      audience: r.optionalString(`${at}.oidc.audience`, x.audience, /^\S{1,255}$/, 'use the audience your CI requests, e.g. "sts.amazonaws.com"') ?? "sts.amazonaws.com",
    };
  }
  if (trustedPrincipalArns.length === 0 && !oidc) {
    r.fail(at, 'names nobody who may assume the deploy role; give trustedPrincipalArns (e.g. ["arn:aws:iam::333333333333:role/ci-runner"]) or oidc');
  }
  const partition = partitionForRegion(region);
  return { roleName, roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`, trustedPrincipalArns, oidc };
}

interface AuditDefaults {
  readonly project: string;
  readonly accountId: string;
  readonly defaultRegion: string;
  readonly projectValid: boolean;
  readonly accountIdValid: boolean;
}

function readAudit(r: Reader, at: string, raw: Json, defaults: AuditDefaults): AuditConfig {
  const o =
    raw === undefined
      ? {}
      : r.object(at, raw, [
          "homeRegion",
          "trailName",
          "bucketName",
          "keyAliases",
          "logRetentionDays",
          "allowShortLogRetention",
          "bucketRetentionDays",
          "accessLogBucketName",
          "accessLogging",
          "alarmEmails",
          "readerArns",
          "readWriteType",
          "excludeManagementEventSources",
          "breakGlassRoleArns",
          "objectLock",
          "cisAlarms",
        ]);
  const homeRegion = r.optionalString(`${at}.homeRegion`, o.homeRegion, REGION_PATTERN, 'use a region code such as "eu-west-1"') ?? defaults.defaultRegion;
  // An account lives in one partition; the workload stacks build the alarm topic's ARN in their own partition.
  if (o.homeRegion !== undefined && REGION_PATTERN.test(homeRegion) && REGION_PATTERN.test(defaults.defaultRegion)) {
    const expected = partitionForRegion(defaults.defaultRegion);
    if (partitionForRegion(homeRegion) !== expected) {
      r.fail(`${at}.homeRegion`, `${show(homeRegion)} is in partition "${partitionForRegion(homeRegion)}", but the account's regions are in "${expected}"; use a region of the account's partition, e.g. ${show(defaults.defaultRegion)}`);
    }
  }
  const trailName = r.optionalString(`${at}.trailName`, o.trailName, undefined, 'use a trail name such as "payments-audit"') ?? `${defaults.project}-audit`;
  // A given name that is not a string is reported by optionalString already.
  const trailProblem = (o.trailName === undefined ? defaults.projectValid : typeof o.trailName === "string") ? trailNameProblem(trailName) : undefined;
  if (trailProblem) r.fail(`${at}.trailName`, trailProblem);
  const bucketName = r.optionalString(`${at}.bucketName`, o.bucketName, undefined, 'use an S3 bucket name such as "payments-audit-logs-111111111111"') ?? `${defaults.project}-audit-logs-${defaults.accountId}`;
  const bucketNameKnown = o.bucketName === undefined ? defaults.projectValid && defaults.accountIdValid : typeof o.bucketName === "string";
  const bucketProblem = bucketNameKnown ? s3BucketNameProblem(bucketName) : undefined;
  if (bucketProblem) r.fail(`${at}.bucketName`, bucketProblem);
  const accessLogBucketName = r.optionalString(`${at}.accessLogBucketName`, o.accessLogBucketName, undefined, "use the name of an existing S3 bucket");
  const accessLogProblem = typeof o.accessLogBucketName === "string" ? s3BucketNameProblem(o.accessLogBucketName) : undefined;
  if (accessLogProblem) r.fail(`${at}.accessLogBucketName`, accessLogProblem);
  else if (accessLogBucketName !== undefined && accessLogBucketName === bucketName) {
    r.fail(`${at}.accessLogBucketName`, `${show(accessLogBucketName)} is the log bucket itself; a bucket that logs into itself writes a log for every log delivery — name a separate bucket or leave accessLogBucketName out`);
  }
  const accessLogging = r.boolean(`${at}.accessLogging`, o.accessLogging, true);
  if (accessLogging && accessLogBucketName === undefined && bucketNameKnown && !bucketProblem) {
    // The audit stack creates "<bucketName>-access" for the access logs.
    const createdProblem = s3BucketNameProblem(`${bucketName}-access`);
    if (createdProblem) {
      r.fail(
        `${at}.bucketName`,
        `the access-log bucket the audit stack creates for it, ${createdProblem.split(";")[0]}; shorten bucketName, name an existing bucket in accessLogBucketName, or set accessLogging to false`,
      );
    }
  }
  const bucketRetentionDays = r.integer(`${at}.bucketRetentionDays`, o.bucketRetentionDays, 365, 1, 36500);
  let objectLock: AuditConfig["objectLock"];
  if (o.objectLock !== undefined) {
    const lock = r.object(`${at}.objectLock`, o.objectLock, ["mode", "retentionDays"]);
    if (lock.mode === undefined) r.fail(`${at}.objectLock.mode`, 'missing; use "GOVERNANCE" (privileged principals may still delete) or "COMPLIANCE" (nobody may)');
    if (lock.retentionDays === undefined) r.fail(`${at}.objectLock.retentionDays`, "missing; give the days each log file stays locked, e.g. 365");
    const mode = r.oneOf(`${at}.objectLock.mode`, lock.mode, "GOVERNANCE", ["GOVERNANCE", "COMPLIANCE"] as const);
    const retentionDays = r.integer(`${at}.objectLock.retentionDays`, lock.retentionDays, 1, 1, 36500);
    if (retentionDays > bucketRetentionDays) {
      r.fail(
        `${at}.objectLock.retentionDays`,
        `${retentionDays} is above bucketRetentionDays (${bucketRetentionDays}): the lifecycle rule could not expire locked log files; lower it or raise bucketRetentionDays`,
      );
    }
    objectLock = { mode, retentionDays };
  }
  const keyAliases = r.strings(`${at}.keyAliases`, o.keyAliases ?? [`${defaults.project}-audit`], /.*/, 'use alias names such as "payments-audit"');
  keyAliases.forEach((alias, i) => {
    // Items that are not strings are reported by strings() already.
    const given = Array.isArray(o.keyAliases) ? typeof o.keyAliases[i] === "string" : defaults.projectValid;
    const problem = given ? aliasNameProblem(alias) : undefined;
    if (problem) r.fail(`${at}.keyAliases[${i}]`, problem);
  });
  const normalizedAliases = keyAliases.map(normalizeAliasName);
  normalizedAliases.forEach((name, i) => {
    const first = normalizedAliases.indexOf(name);
    if (first !== i && keyAliases[first] !== keyAliases[i]) {
      r.fail(`${at}.keyAliases[${i}]`, `${show(keyAliases[i])} is the same alias as ${show(keyAliases[first])}; list each alias once`);
    }
  });
  if (keyAliases.length === 0) r.fail(`${at}.keyAliases`, "list is empty; give the audit key at least one alias");
  const allowShortLogRetention = r.boolean(`${at}.allowShortLogRetention`, o.allowShortLogRetention, false);
  const logRetentionDays = r.integer(`${at}.logRetentionDays`, o.logRetentionDays, 365, 0, 3653);
  const retentionProblem = logRetentionProblem(logRetentionDays, allowShortLogRetention);
  if (retentionProblem) r.fail(`${at}.logRetentionDays`, retentionProblem);
  const readWriteProblem = typeof o.readWriteType === "string" ? readWriteTypeProblem(o.readWriteType) : undefined;
  if (readWriteProblem) r.fail(`${at}.readWriteType`, `${readWriteProblem} (the default)`);
  else r.oneOf(`${at}.readWriteType`, o.readWriteType, "All", ["All"] as const);
  const excluded = r.strings(`${at}.excludeManagementEventSources`, o.excludeManagementEventSources, /.*/, 'use "rdsdata.amazonaws.com" or nothing');
  excluded.forEach((source, i) => {
    if (source === "kms.amazonaws.com") {
      r.fail(`${at}.excludeManagementEventSources[${i}]`, '"kms.amazonaws.com" must not be excluded: the trail exists to record every use of the keys; remove it');
    } else if (!EXCLUDABLE_EVENT_SOURCES.includes(source)) {
      r.fail(`${at}.excludeManagementEventSources[${i}]`, `${show(source)} cannot be excluded; CloudTrail only allows "rdsdata.amazonaws.com" here`);
    }
  });
  return {
    homeRegion,
    trailName,
    bucketName,
    keyAliases,
    logRetentionDays,
    allowShortLogRetention,
    bucketRetentionDays,
    accessLogBucketName,
    accessLogging,
    alarmEmails: r.strings(`${at}.alarmEmails`, o.alarmEmails, EMAIL_PATTERN, "use an email address such as security@example.com"),
    readerArns: r.strings(`${at}.readerArns`, o.readerArns, IAM_PRINCIPAL_ARN_PATTERN, PRINCIPAL_HINT),
    readWriteType: "All",
    excludeManagementEventSources: excluded,
    breakGlassRoleArns: r.strings(`${at}.breakGlassRoleArns`, o.breakGlassRoleArns, ROLE_ARN_PATTERN, "use an IAM role ARN such as arn:aws:iam::111111111111:role/audit-break-glass"),
    objectLock,
    cisAlarms: r.boolean(`${at}.cisAlarms`, o.cisAlarms, true),
  };
}

/** Construct IDs of a workload stack's own resources and outputs: a function with one of these names would clash. */
const RESERVED_CONSTRUCT_IDS = ["aws", "aws-audit", "workload-key", "key-use-alarms", "key_arn", "key_aliases"];

/** Checks the variable names of `secrets` / `encryptedEnvironment` at load, as `environment` is checked. */
function checkVariableNames<T>(r: Reader, at: string, variables: Record<string, T>): Record<string, T> {
  for (const variable of Object.keys(variables)) {
    const problem = environmentVariableNameProblem(variable);
    if (problem) r.fail(`${at}.${variable}`, `environment variable "${variable}" ${problem}`);
  }
  return variables;
}

function readFunction(r: Reader, at: string, raw: Json, baseDir: string, accountNames: readonly string[]): FunctionConfig {
  const o = r.object(at, raw, [
    "name",
    "codeDirectory",
    "handler",
    "runtime",
    "memorySize",
    "timeout",
    "architecture",
    "environment",
    "environmentOverrides",
    "logRetentionDays",
    "allowShortLogRetention",
    "permissionsBoundaryPolicyName",
    "secrets",
    "encryptedEnvironment",
    "accounts",
  ]);
  const name = r.string(`${at}.name`, o.name, FUNCTION_NAME_PATTERN, 'use 1–64 letters, digits, "-" or "_"');
  if (RESERVED_CONSTRUCT_IDS.includes(name)) {
    r.fail(`${at}.name`, `${show(name)} is used by the stack itself (${RESERVED_CONSTRUCT_IDS.join(", ")}); choose another function name`);
  }
  const codeDirectory = path.resolve(baseDir, r.string(`${at}.codeDirectory`, o.codeDirectory, /.+/, "give the folder of the function code, relative to this file"));
  if (typeof o.codeDirectory === "string" && !isDirectory(codeDirectory)) {
    r.fail(`${at}.codeDirectory`, `${show(o.codeDirectory)} resolves to ${codeDirectory}, which is not a folder; paths are relative to the configuration file`);
  }
  const runtime = r.oneOf(`${at}.runtime`, o.runtime, "nodejs22.x", SUPPORTED_RUNTIMES);
  const architecture = r.oneOf(`${at}.architecture`, o.architecture, "arm64", ["arm64", "x86_64"] as const);
  const allowShortLogRetention = r.boolean(`${at}.allowShortLogRetention`, o.allowShortLogRetention, false);
  const logRetentionDays = r.integer(`${at}.logRetentionDays`, o.logRetentionDays, 365, 0, 3653);
  const retentionProblem = logRetentionProblem(logRetentionDays, allowShortLogRetention);
  if (retentionProblem) r.fail(`${at}.logRetentionDays`, retentionProblem);
  const environment = r.stringMap(`${at}.environment`, o.environment);
  for (const problem of environmentProblems(environment)) {
    r.fail(problem.variable ? `${at}.environment.${problem.variable}` : `${at}.environment`, problem.message);
  }
  const accounts = readAccountNames(r, `${at}.accounts`, o.accounts, accountNames);
  return {
    name,
    codeDirectory,
    handler: r.optionalString(`${at}.handler`, o.handler, /^[^\s]{1,128}$/, 'use "<file>.<export>", e.g. "index.handler"') ?? "index.handler",
    runtime,
    memorySize: r.integer(`${at}.memorySize`, o.memorySize, 256, 128, 10240),
    timeout: r.integer(`${at}.timeout`, o.timeout, 10, 1, 900),
    architecture,
    environment,
    environmentOverrides: readEnvironmentOverrides(r, `${at}.environmentOverrides`, o.environmentOverrides),
    logRetentionDays,
    allowShortLogRetention,
    permissionsBoundaryPolicyName: r.optionalString(`${at}.permissionsBoundaryPolicyName`, o.permissionsBoundaryPolicyName, POLICY_NAME_PATTERN, "use the name (not the ARN) of a managed policy that exists in every target account"),
    secrets: checkVariableNames(r, `${at}.secrets`, r.stringMap(`${at}.secrets`, o.secrets)),
    encryptedEnvironment: checkVariableNames(r, `${at}.encryptedEnvironment`, readEncryptedEnvironment(r, `${at}.encryptedEnvironment`, o.encryptedEnvironment)),
    accounts,
  };
}

/** A function's or secret's `accounts`: names from accounts[].name; every account when left out. */
function readAccountNames(r: Reader, at: string, raw: Json, accountNames: readonly string[]): string[] {
  if (raw === undefined) return [...accountNames];
  const accounts = r.strings(at, raw, ACCOUNT_NAME_PATTERN, "use account names from accounts[].name");
  accounts.forEach((account, i) => {
    if (!accountNames.includes(account)) r.fail(`${at}[${i}]`, `${show(account)} is not an account in this file; use one of ${accountNames.join(", ")}`);
  });
  return accounts;
}

const SSM_PARAMETER_NAME_PATTERN = /^\/(?!aws|ssm)[A-Za-z0-9/_.-]{1,1010}$/i;

function readSecret(r: Reader, at: string, raw: Json, accountNames: readonly string[]): SecretConfig {
  const o = r.object(at, raw, ["name", "type", "description", "recoveryWindowDays", "tier", "seedFromVariable", "accounts"]);
  if (o.type === undefined) r.fail(`${at}.type`, 'is missing; use "secretsmanager" or "ssm"');
  const type = r.oneOf(`${at}.type`, o.type, "secretsmanager", ["secretsmanager", "ssm"] as const);
  const name =
    type === "ssm"
      ? r.string(`${at}.name`, o.name, SSM_PARAMETER_NAME_PATTERN, 'SSM parameter names start with "/" and use letters, digits, "/", "_", ".", "-" (not "/aws" or "/ssm"), e.g. "/payments/orders/api-token"')
      : r.string(`${at}.name`, o.name, SECRET_NAME_PATTERN, 'use 1–512 letters, digits or "/_+=.@-", e.g. "payments/orders/db-password"');
  const accounts = readAccountNames(r, `${at}.accounts`, o.accounts, accountNames);
  return {
    name,
    type,
    description: r.optionalString(`${at}.description`, o.description, /^.{0,2048}$/s, "use at most 2048 characters"),
    recoveryWindowDays: r.integer(`${at}.recoveryWindowDays`, o.recoveryWindowDays, 30, 7, 30),
    tier: r.oneOf(`${at}.tier`, o.tier, "Standard", ["Standard", "Advanced"] as const),
    seedFromVariable: r.boolean(`${at}.seedFromVariable`, o.seedFromVariable, false),
    accounts,
  };
}

/** `{ VARIABLE: { "<account>-<region>": "<base64 ciphertext>" } }`: a ciphertext only decrypts with the key of the stack it was made for. */
function readEncryptedEnvironment(r: Reader, at: string, raw: Json): Record<string, Record<string, string>> {
  if (raw === undefined) return {};
  const result: Record<string, Record<string, string>> = {};
  // Values are not echoed here: a mistaken entry may be the plaintext itself.
  const perStackHint = 'write {"<VARIABLE>": {"<account>-<region>": "<base64 ciphertext>"}}, one ciphertext per stack, made with that stack\'s key';
  if (!isJsonObject(raw)) {
    r.fail(at, `expected an object, got ${describeType(raw)}; ${perStackHint}`);
    return result;
  }
  for (const [variable, perStack] of Object.entries(raw)) {
    if (!isJsonObject(perStack)) {
      // Left out of the result, so the stack checks do not report it again.
      r.fail(`${at}.${variable}`, `expected an object, got ${describeType(perStack)}; ${perStackHint}`);
      continue;
    }
    result[variable] = {};
    for (const [stack, ciphertext] of Object.entries(perStack)) {
      const problem = ciphertextProblem(ciphertext);
      if (problem) r.fail(`${at}.${variable}.${stack}`, problem);
      // A refused value still counts as given for its stack, so it is not reported again as missing
      // (and a document with issues never becomes a config).
      result[variable][stack] = typeof ciphertext === "string" ? ciphertext : "";
    }
  }
  return result;
}

/**
 * `{ "<account>" | "<account>-<region>": { VARIABLE: "value" } }`. Each
 * variable is checked as those of `environment` are (names, secret-looking
 * values); the keys, and the size of each stack's merged environment, are
 * checked by checkEnvironmentOverrides once the accounts are known.
 */
function readEnvironmentOverrides(r: Reader, at: string, raw: Json): Record<string, Record<string, string>> {
  if (raw === undefined) return {};
  // Values are not echoed here: a mistaken entry may be a secret.
  if (!isJsonObject(raw)) {
    r.fail(at, `expected an object, got ${describeType(raw)}; write {"<account>": {"<VARIABLE>": "<value>"}}, or "<account>-<region>" as the key for one stack only`);
    return {};
  }
  const entries: [string, Record<string, string>][] = [];
  for (const [key, variables] of Object.entries(raw)) {
    if (!isJsonObject(variables)) {
      r.fail(`${at}.${key}`, `expected an object of strings, got ${describeType(variables)}; write {"<VARIABLE>": "<value>"}`);
      continue;
    }
    // The size limit is left to the merged environment of each stack.
    for (const problem of environmentProblems(variables as Record<string, string>)) {
      if (problem.variable !== undefined) r.fail(`${at}.${key}.${problem.variable}`, problem.message);
    }
    entries.push([key, Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === "string"))]);
  }
  // fromEntries: a key such as "__proto__" stays an own key (and is reported as unknown), not the prototype.
  return Object.fromEntries(entries);
}

/**
 * Whether the "<account>-<region>" stack names can be trusted: every account
 * has a valid, unique name and valid, unique regions. Otherwise the problem is
 * already reported at its own path, and checks against stack names would only
 * repeat it.
 */
function accountsGiveKnownStacks(accounts: readonly AccountConfig[]): boolean {
  const names = accounts.map((a) => a.name);
  return (
    accounts.length > 0 &&
    new Set(names).size === names.length &&
    accounts.every((a) => ACCOUNT_NAME_PATTERN.test(a.name) && a.regions.length > 0 && new Set(a.regions).size === a.regions.length && a.regions.every((region) => REGION_PATTERN.test(region)))
  );
}

/** Secrets a function references must exist in every account it runs in; encrypted values must cover every stack it runs in. */
function checkFunctionSecrets(r: Reader, at: string, fn: FunctionConfig, secrets: readonly SecretConfig[], accounts: readonly AccountConfig[], stacksKnown: boolean): void {
  const accountNames = accounts.map((a) => a.name);
  for (const [variable, secretName] of Object.entries(fn.secrets)) {
    const secret = secrets.find((s) => s.name === secretName);
    if (!secret) {
      r.fail(`${at}.secrets.${variable}`, `${show(secretName)} is not defined in "secrets"; add it there (name, type) or fix the name${secrets.length ? `: defined are ${secrets.map((s) => s.name).join(", ")}` : ""}`);
      continue;
    }
    // Accounts not in this file are reported at the function's accounts already.
    const missing = fn.accounts.filter((account) => accountNames.includes(account) && !secret.accounts.includes(account));
    if (missing.length > 0) r.fail(`${at}.secrets.${variable}`, `secret ${show(secretName)} is not created in account(s) ${missing.join(", ")}, where the function runs; add them to the secret's accounts`);
  }
  const stacks = targetStacks(accounts, fn).map((s) => s.name);
  const checkStacks = stacksKnown && fn.accounts.every((account) => accountNames.includes(account));
  for (const [variable, perStack] of Object.entries(fn.encryptedEnvironment)) {
    const alsoIn = [Object.hasOwn(fn.environment, variable) ? "environment" : "", Object.hasOwn(fn.secrets, variable) ? "secrets" : ""].filter(Boolean);
    if (alsoIn.length > 0) {
      r.fail(`${at}.encryptedEnvironment.${variable}`, `"${variable}" is also set in ${alsoIn.join(" and ")}; give each variable one source: remove it from ${alsoIn.join(" and ")} or from encryptedEnvironment`);
    }
    if (!checkStacks) continue;
    const missing = stacks.filter((stack) => !Object.hasOwn(perStack, stack));
    if (missing.length > 0) r.fail(`${at}.encryptedEnvironment.${variable}`, `has no ciphertext for ${missing.join(", ")}; encrypt the value once per stack, with that stack's key`);
    for (const stack of Object.keys(perStack).filter((s) => !stacks.includes(s))) {
      r.fail(
        `${at}.encryptedEnvironment.${variable}.${stack}`,
        stacks.length > 0 ? `is not a stack of this function; use one of ${stacks.join(", ")}` : "is not a stack of this function, which runs in no account; remove the value",
      );
    }
  }
  for (const variable of Object.keys(fn.secrets)) {
    if (Object.hasOwn(fn.environment, variable)) {
      r.fail(`${at}.secrets.${variable}`, `"${variable}" is also set in environment; give each variable one source: remove it from environment or from secrets`);
    }
  }
}

/**
 * `environmentOverrides`: no variable that `secrets` or `encryptedEnvironment`
 * sets too; keys that name an account or a stack of the function (one
 * meaning only); and for each stack an override applies to, a merged
 * environment within Lambda's 4 KB.
 */
function checkEnvironmentOverrides(r: Reader, at: string, fn: FunctionConfig, accounts: readonly AccountConfig[], stacksKnown: boolean): void {
  const overrides = fn.environmentOverrides;
  for (const [key, variables] of Object.entries(overrides)) {
    for (const variable of Object.keys(variables)) {
      const alsoIn = [Object.hasOwn(fn.secrets, variable) ? "secrets" : "", Object.hasOwn(fn.encryptedEnvironment, variable) ? "encryptedEnvironment" : ""].filter(Boolean);
      if (alsoIn.length > 0) {
        r.fail(`${at}.environmentOverrides.${key}.${variable}`, `"${variable}" is also set in ${alsoIn.join(" and ")}; give each variable one source: remove it from ${alsoIn.join(" and ")} or from environmentOverrides`);
      }
    }
  }
  // With an account or region in error (reported at its own path), the keys cannot be judged.
  if (!stacksKnown || !fn.accounts.every((account) => accounts.some((a) => a.name === account))) return;
  const fnAccounts = accounts.filter((a) => fn.accounts.includes(a.name)).map((a) => a.name);
  const stacks = targetStacks(accounts, fn);
  for (const key of Object.keys(overrides)) {
    const stack = stacks.find((s) => s.name === key);
    if (stack && fnAccounts.includes(key)) {
      r.fail(`${at}.environmentOverrides.${key}`, `names both account "${key}" and the stack "${key}" of account "${stack.account.name}"; rename one of the accounts so that no account name is also a stack name`);
    } else if (!stack && !fnAccounts.includes(key)) {
      r.fail(
        `${at}.environmentOverrides.${key}`,
        stacks.length > 0
          ? `is not an account or a stack of this function; use one of ${[...fnAccounts, ...stacks.map((s) => s.name)].join(", ")}`
          : "is not an account or a stack of this function, which runs in no account; remove it",
      );
    }
  }
  // An environment too large by itself is reported at environment already, and fixed there.
  if (environmentProblems(fn.environment).some((p) => p.variable === undefined)) return;
  for (const { account, region, name } of stacks) {
    const applied = [account.name, name].filter((key) => Object.hasOwn(overrides, key));
    if (applied.length === 0) continue;
    for (const problem of environmentProblems(stackEnvironment(fn, account, region)).filter((p) => p.variable === undefined)) {
      r.fail(
        `${at}.environmentOverrides.${applied[applied.length - 1]}`,
        `in stack ${name} (environment with ${applied.map((key) => `environmentOverrides.${key}`).join(" and ")}): ${problem.message}`,
      );
    }
  }
}

function isJsonObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The kind of a JSON value, for messages that must not echo it. */
function describeType(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
