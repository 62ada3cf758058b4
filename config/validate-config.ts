import * as fs from "fs";
import * as path from "path";
import { emailSubscriptionId } from "../modules/alarm-topic";
import { readWriteTypeProblem } from "../modules/audit-trail";
import { ciphertextProblem, environmentProblems, environmentVariableNameProblem } from "../modules/environment-variables";
import { FUNCTION_VPC_LIMITS, FunctionVpcProps } from "../modules/encrypted-function";
import { defaultExecutionRoleName } from "../modules/lambda-execution-role";
import {
  ACCOUNT_ID_PATTERN,
  LOG_RETENTION,
  REGION_PATTERN,
  ROLE_NAME_MAX_LENGTH,
  aliasConstructId,
  logRetentionProblem,
  normalizeAliasName,
  partitionForRegion,
  s3BucketNameProblem,
} from "../modules/private/aws-limits";
import { WORKLOAD_STACK_RESERVED_IDS, functionConstructId, functionOutputIds, isWorkloadStackReservedId } from "../stacks/construct-ids";
import { scaleProblems } from "./scale-limits";
import { ACCOUNT_NAME, CONFIG_SPEC, DERIVED_DEFAULTS, ListSpec, ObjectSpec, PROJECT_NAME, SPEC, TAG_VALUE } from "./config-spec";
import { SECRETS_MANAGER_SECRET_SETTINGS } from "../modules/secrets-manager-secret";
import { SECURE_STRING_PARAMETER_SETTINGS } from "../modules/secure-string-parameter";
import { regionProblem } from "../modules/private/aws-regions";
import { MAX_TAGS_PER_RESOURCE, tagKeyProblem } from "../modules/private/aws-tags";
import { describeType, formatReport } from "../modules/private/safe-output";
import { Setting, SettingValue, settingProblem, show } from "../modules/private/setting";
import {
  AccountConfig,
  AppConfig,
  AuditConfig,
  BackendConfig,
  DeployerConfig,
  EmulatorConfig,
  FunctionConfig,
  KeyConfig,
  SecretConfig,
  secretConstructId,
  stackEnvironment,
  isMultiRegionGeneration,
  targetStacks,
} from "./app-config";

/** A configuration problem: where it is, what was found, how to fix it. */
export interface ConfigIssue {
  /** Field path such as `accounts[1].regions[0]`. */
  readonly path: string;
  readonly message: string;
  /** The refused setting's code (see docs/configuration.md); undefined for rules across fields. */
  readonly code?: string;
}

export interface ValidateConfigOptions {
  /** Problems the JSON reader found (duplicate keys, ...), reported first. @default none */
  readonly parseProblems?: readonly ConfigIssue[];
  /** Check the AWS limits that grow with the configuration (`scaleProblems`); only their own tests turn this off. @default true */
  readonly checkScale?: boolean;
}

/** Thrown with every problem found, so a user fixes the file in one pass. */
export class ConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly issues: readonly ConfigIssue[],
  ) {
    super(
      formatReport(
        `invalid configuration ${file}:`,
        issues.map((i) => `  - ${i.path}: ${i.message}${i.code ? ` [${i.code}]` : ""}`),
      ),
    );
    this.name = "ConfigError";
  }
}

type Json = unknown;
type JsonObject = Record<string, Json>;

/** Path reported for the document itself; its fields are reported by their bare names. */
const ROOT = "(root)";

/**
 * Collects issues while reading a JSON document. Every accessor records a
 * problem instead of throwing, and returns a placeholder so reading goes on.
 */
class Reader {
  public readonly issues: ConfigIssue[] = [];

  public fail(at: string, message: string, code?: string): void {
    this.issues.push(code ? { path: at, message, code } : { path: at, message });
  }

  public object(at: string, value: Json, spec: ObjectSpec): JsonObject {
    const allowed = Object.keys(spec.fields);
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

  /** A field's value: the given one when the setting accepts it, else (reported) its default or a placeholder. */
  public setting<S extends Setting>(at: string, value: Json, setting: S): SettingValue<S> {
    if (value === undefined && setting.default !== undefined) return setting.default as SettingValue<S>;
    const problem = settingProblem(setting, value);
    if (!problem) return value as SettingValue<S>;
    this.fail(at, problem, setting.code);
    // A refused string stays as typed, so later checks (e.g. references to a secret by name) do not report it again.
    if (setting.kind === "text" && typeof value === "string") return value as SettingValue<S>;
    return (setting.default ?? placeholder(setting)) as SettingValue<S>;
  }

  /** Like `setting`, but undefined when the field is left out and the setting has no default. */
  public optional<S extends Setting>(at: string, value: Json, setting: S): SettingValue<S> | undefined {
    return value === undefined && setting.default === undefined ? undefined : this.setting(at, value, setting);
  }

  /** A list of values of one setting, each listed once; `fallback` when left out. */
  public list<S extends Setting>(at: string, value: Json, spec: ListSpec & { items: S }, fallback: readonly SettingValue<S>[] = []): SettingValue<S>[] {
    const items = this.array(at, value, fallback, 0).map((item, i) => this.setting(`${at}[${i}]`, item, spec.items));
    items.forEach((item, i) => {
      if (items.indexOf(item) !== i) this.fail(`${at}[${i}]`, `${show(item)} is listed twice; list each value once`);
    });
    return items;
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

  public stringMap(at: string, value: Json): Record<string, string> {
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(at, `expected an object of string values, got ${show(value)}`);
      return {};
    }
    const result: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      // Never shown: these are environment variables and tags, where a misplaced secret is likely.
      if (typeof item !== "string") this.fail(`${at}.${key}`, `expected a string, got ${describeType(item)}; quote the value`);
      else result[key] = item;
    }
    return result;
  }
}

/** `localhost` and the IPv4 loopback network 127.0.0.0/8 (https://www.rfc-editor.org/rfc/rfc6890#section-2.2.2). */
function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** What reading goes on with after a refused value that has no default. */
function placeholder(setting: Setting): unknown {
  switch (setting.kind) {
    case "integer":
      return setting.min;
    case "boolean":
      return false;
    case "choice":
      return setting.values[0];
    case "text":
      return "";
  }
}

/**
 * Validates a parsed configuration document and fills in defaults. Relative
 * paths are resolved against the folder of `sourceFile`. Throws a
 * `ConfigError` listing every problem.
 */
export function validateConfig(document: Json, sourceFile: string, options: ValidateConfigOptions = {}): AppConfig {
  const r = new Reader();
  r.issues.push(...(options.parseProblems ?? []));
  const baseDir = path.dirname(path.resolve(sourceFile));
  const root = r.object(ROOT, document, CONFIG_SPEC);

  const project = r.setting("project", root.project, PROJECT_NAME);
  const additionalRegions = r.list("additionalRegions", root.additionalRegions, CONFIG_SPEC.fields.additionalRegions);
  const defaultTags = readTags(r, "defaultTags", root.defaultTags);
  const backend = readBackend(r, root.backend, baseDir);
  const backendRegionProblem = backend.type === "s3" && REGION_PATTERN.test(backend.region) ? regionProblem(backend.region, additionalRegions) : undefined;
  if (backendRegionProblem) r.fail("backend.region", backendRegionProblem, SPEC.S3_BACKEND.fields.region.code);
  const key = readKey(r, root.key, project);
  const emulator = readEmulator(r, root.emulator);

  const accounts = r.array("accounts", root.accounts, undefined, 1).map((raw, i) => readAccount(r, `accounts[${i}]`, raw, project, additionalRegions));
  const accountNames = accounts.map((a) => a.name);
  accounts.forEach((account, i) => {
    // The home region defaults to one of the account's regions, checked above; a region named only here is checked now.
    const homeRegionProblem = account.regions.includes(account.audit.homeRegion) ? undefined : regionProblem(account.audit.homeRegion, additionalRegions);
    if (homeRegionProblem && REGION_PATTERN.test(account.audit.homeRegion)) r.fail(`accounts[${i}].audit.homeRegion`, homeRegionProblem, SPEC.AUDIT.fields.homeRegion.code);
    const replicaRegion = account.audit.replication?.region;
    const replicaRegionProblem = replicaRegion && REGION_PATTERN.test(replicaRegion) ? regionProblem(replicaRegion, additionalRegions) : undefined;
    if (replicaRegionProblem) r.fail(`accounts[${i}].audit.replication.region`, replicaRegionProblem, SPEC.AUDIT.fields.replication.fields.region.code);
    const tagCount = Object.keys({ ...defaultTags, ...account.tags }).length;
    if (tagCount > MAX_TAGS_PER_RESOURCE) {
      r.fail(
        `accounts[${i}].tags`,
        `with defaultTags, every resource of the account would get ${tagCount} tags; AWS allows ${MAX_TAGS_PER_RESOURCE} per resource, so drop ${tagCount - MAX_TAGS_PER_RESOURCE}`,
      );
    }
    if (accountNames.indexOf(account.name) !== i) r.fail(`accounts[${i}].name`, `${show(account.name)} is used by another account; give each account its own name`);
    // Two entries for one AWS account would create the account's audit trail, deploy role and every other
    // account-wide name twice, and the second apply would fail half-way.
    const first = accounts.findIndex((other) => other.accountId === account.accountId);
    if (first !== i && account.accountId) {
      r.fail(
        `accounts[${i}].accountId`,
        `${show(account.accountId)} is also the account ID of accounts[${first}] (${show(accounts[first].name)}); list each AWS account once, with all its regions in one entry`,
      );
    }
    // Aliases are unique per account and region: the audit key and the workload key both live in the home region.
    const workloadAliases = key.aliases.map(normalizeAliasName);
    account.audit.keyAliases.forEach((alias, j) => {
      if (alias && workloadAliases.includes(normalizeAliasName(alias))) {
        r.fail(
          `accounts[${i}].audit.keyAliases[${j}]`,
          `${show(alias)} is also an alias of the workload key (key.aliases); give the audit key its own alias, e.g. "${DERIVED_DEFAULTS.auditKeyAlias(project)}"`,
        );
      }
    });
  });
  // Unique account names and unique regions per account give unique "<account>-<region>" stack
  // names: a valid region code cannot absorb a hyphenated suffix of an account name.

  const secrets = r.array("secrets", root.secrets, [], 0).map((raw, i) => readSecret(r, `secrets[${i}]`, raw, accountNames));
  secrets.forEach((secret, i) => {
    if (secrets.findIndex((other) => other.name === secret.name) !== i) r.fail(`secrets[${i}].name`, `${show(secret.name)} is defined twice; define each secret once`);
  });
  const codeRoot = readCodeRoot(r, root.codeRoot, baseDir);
  const functions = r.array("functions", root.functions, [], 0).map((raw, i) => readFunction(r, `functions[${i}]`, raw, baseDir, codeRoot, accountNames));
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
    if (backend.type === "s3")
      r.fail("backend.type", `"s3" cannot be combined with "emulator": state would be written to a real bucket; use {"type": "local"} for an emulator configuration`);
    accounts.forEach((account, i) => {
      if (account.assumeRole)
        r.fail(
          `accounts[${i}].assumeRole`,
          `${show(account.assumeRole.roleArn)} cannot be combined with "emulator": the emulator selects the account by its ID; remove assumeRole from an emulator configuration`,
        );
    });
  }
  const stacksKnown = accountsGiveKnownStacks(accounts);
  functions.forEach((fn, i) => {
    checkFunctionSecrets(r, `functions[${i}]`, fn, secrets, accounts, stacksKnown);
    checkEnvironmentOverrides(r, `functions[${i}]`, fn, accounts, stacksKnown);
    checkVpcStacks(r, `functions[${i}]`, fn, accounts, stacksKnown);
    if (stacksKnown && !settingProblem(PROJECT_NAME, project)) checkCodeSigningBuckets(r, `functions[${i}]`, fn, accounts, project);
  });
  accounts.forEach((account, i) => checkRetiredGenerations(r, `accounts[${i}]`, account, functions));
  // Indexed once: a configuration may have thousands of functions.
  const outputOwners = new Map(functions.flatMap((fn) => Object.values(functionOutputIds(functionConstructId(fn.name))).map((id) => [id, fn.name] as const)));
  const firstByName = new Map<string, number>();
  functions.forEach((fn, i) => {
    if (!firstByName.has(fn.name)) firstByName.set(fn.name, i);
    const outputOf = outputOwners.get(functionConstructId(fn.name));
    if (outputOf !== undefined) r.fail(`functions[${i}].name`, `${show(fn.name)} is the name of an output of function ${show(outputOf)}; choose another function name`);
    if (firstByName.get(fn.name) !== i) {
      r.fail(`functions[${i}].name`, `${show(fn.name)} is used by another function; function names are unique per account and region`);
    }
    // IAM role names are global to an account, so each region gets its own role "<function>-<region>".
    const regions = accounts.filter((a) => fn.accounts.includes(a.name)).flatMap((a) => a.regions);
    const longest = regions.reduce((a, b) => (b.length > a.length ? b : a), "");
    const roleName = defaultExecutionRoleName(fn.name, longest);
    if (longest && roleName.length > ROLE_NAME_MAX_LENGTH) {
      r.fail(
        `functions[${i}].name`,
        `${show(fn.name)} is too long: its execution role in ${longest} would be "${roleName}" (${roleName.length} characters, IAM allows ${ROLE_NAME_MAX_LENGTH}); shorten the name to ${ROLE_NAME_MAX_LENGTH - 1 - longest.length} characters`,
      );
    }
  });

  if (r.issues.length > 0) throw new ConfigError(sourceFile, r.issues);
  const config: AppConfig = { project, defaultTags, backend, key, accounts, secrets, functions, emulator, sourceFile: path.resolve(sourceFile) };
  // Limits AWS sets on what grows with the configuration (key policy size, alarm metrics, metric filters): checked on a valid configuration only.
  const scale = options.checkScale === false ? [] : scaleProblems(config);
  if (scale.length > 0) throw new ConfigError(sourceFile, scale);
  return config;
}

function readBackend(r: Reader, raw: Json, baseDir: string): BackendConfig {
  const L = SPEC.LOCAL_BACKEND.fields;
  const S = SPEC.S3_BACKEND.fields;
  if (raw === undefined) return { type: "local", directory: path.resolve(baseDir, r.setting("backend.directory", undefined, L.directory)), stateInStackFolder: false };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    r.fail("backend", `expected an object, got ${show(raw)}; write e.g. {"type": "local"} or {"type": "s3", "bucket": "...", "region": "..."}`);
    return { type: "local", directory: baseDir, stateInStackFolder: false };
  }
  const type = (raw as JsonObject).type;
  if (type === "local") {
    const o = r.object("backend", raw, SPEC.LOCAL_BACKEND);
    const directory = r.setting("backend.directory", o.directory, L.directory);
    const stateInStackFolder = r.setting("backend.stateInStackFolder", o.stateInStackFolder, L.stateInStackFolder);
    if (stateInStackFolder && o.directory !== undefined) {
      r.fail("backend.directory", `${show(o.directory)} cannot be combined with "stateInStackFolder": true, which keeps each state in its stack folder; remove one of the two`);
    }
    return { type: "local", directory: path.resolve(baseDir, directory), stateInStackFolder };
  }
  if (type === "s3") {
    const o = r.object("backend", raw, SPEC.S3_BACKEND);
    return {
      type: "s3",
      bucket: r.setting("backend.bucket", o.bucket, S.bucket),
      region: r.setting("backend.region", o.region, S.region),
      keyPrefix: r.setting("backend.keyPrefix", o.keyPrefix, S.keyPrefix),
      useLockfile: r.setting("backend.useLockfile", o.useLockfile, S.useLockfile),
      dynamodbTable: r.optional("backend.dynamodbTable", o.dynamodbTable, S.dynamodbTable),
      kmsKeyId: r.optional("backend.kmsKeyId", o.kmsKeyId, S.kmsKeyId),
      roleArn: r.optional("backend.roleArn", o.roleArn, S.roleArn),
    };
  }
  r.fail("backend.type", `${show(type)} is not a backend type; use "local" or "s3"`);
  return { type: "local", directory: baseDir, stateInStackFolder: false };
}

function readEmulator(r: Reader, raw: Json): EmulatorConfig | undefined {
  if (raw === undefined) return undefined;
  const o = r.object("emulator", raw, SPEC.EMULATOR);
  // An http(s) URL without path, query or credentials: the provider appends nothing, so a path would be lost.
  const E = SPEC.EMULATOR.fields;
  const endpoint = r.setting("emulator.endpoint", o.endpoint, E.endpoint);
  const credentials = r.setting("emulator.credentials", o.credentials, E.credentials);
  const allowPlainHttpToRemoteHost = r.setting("emulator.allowPlainHttpToRemoteHost", o.allowPlainHttpToRemoteHost, E.allowPlainHttpToRemoteHost);
  const host = /^http:\/\/([^/:]+)/.exec(endpoint)?.[1];
  if (host !== undefined && !isLoopbackHost(host) && !allowPlainHttpToRemoteHost && !settingProblem(E.endpoint, endpoint)) {
    r.fail(
      "emulator.endpoint",
      `${show(endpoint)} is plain HTTP to another host: the seeded secret values and signed requests would cross the network in the clear; use https://, an emulator on this machine (127.0.0.1), or set "allowPlainHttpToRemoteHost": true for an isolated test network`,
    );
  }
  return { endpoint: endpoint.replace(/\/$/, ""), credentials, allowPlainHttpToRemoteHost };
}

function readKey(r: Reader, raw: Json, project: string): KeyConfig {
  const K = SPEC.KEY.fields;
  const o = raw === undefined ? {} : r.object("key", raw, SPEC.KEY);
  const aliases = r.list("key.aliases", o.aliases, K.aliases, [DERIVED_DEFAULTS.keyAlias(project)]);
  if (aliases.length === 0) r.fail("key.aliases", "list is empty; give the key at least one alias");
  checkAliasesDistinct(r, "key.aliases", aliases);
  return {
    aliases,
    rotationPeriodDays: r.setting("key.rotationPeriodDays", o.rotationPeriodDays, K.rotationPeriodDays),
    deletionWindowDays: r.setting("key.deletionWindowDays", o.deletionWindowDays, K.deletionWindowDays),
    preventDestroy: r.setting("key.preventDestroy", o.preventDestroy, K.preventDestroy),
  };
}

/**
 * Tags as AWS accepts them (key and value rules); the provider applies them
 * as `default_tags` to every resource.
 */
function readTags(r: Reader, at: string, raw: Json): Record<string, string> {
  const tags = r.stringMap(at, raw);
  for (const [key, value] of Object.entries(tags)) {
    const keyProblem = tagKeyProblem(key);
    if (keyProblem) r.fail(`${at}.${key}`, `tag key ${keyProblem}`, "TAG_KEY");
    r.setting(`${at}.${key}`, value, TAG_VALUE);
  }
  return tags;
}

/**
 * An account lives in one partition: its regions, and every ARN in its
 * entry (principals, roles, providers), must be in the partition of its
 * first region; AWS refuses ARNs of another partition in its policies.
 */
function checkOnePartition(r: Reader, at: string, raw: JsonObject, regions: readonly string[]): void {
  const partition = regions[0] && REGION_PATTERN.test(regions[0]) ? partitionForRegion(regions[0]) : undefined;
  if (!partition) return;
  regions.forEach((region, i) => {
    if (REGION_PATTERN.test(region) && partitionForRegion(region) !== partition) {
      r.fail(
        `${at}.regions[${i}]`,
        `${show(region)} is in partition "${partitionForRegion(region)}", but ${show(regions[0])} is in "${partition}"; an account lives in one partition, so give this region its own account entry`,
      );
    }
  });
  const visit = (value: Json, where: string): void => {
    if (typeof value === "string") {
      const arnPartition = /^arn:([^:]*):/.exec(value)?.[1];
      if (arnPartition !== undefined && arnPartition !== partition) {
        r.fail(where, `${show(value)} is in partition "${arnPartition}", but the account's regions are in "${partition}"; use arn:${partition}:…`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${where}[${i}]`));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, `${where}.${key}`);
    }
  };
  for (const [key, value] of Object.entries(raw)) if (key !== "regions") visit(value, `${at}.${key}`);
}

function readAccount(r: Reader, at: string, raw: Json, project: string, additionalRegions: readonly string[]): AccountConfig {
  const A = SPEC.ACCOUNT.fields;
  const o = r.object(at, raw, SPEC.ACCOUNT);
  let assumeRole: AccountConfig["assumeRole"];
  if (o.assumeRole !== undefined) {
    const R = SPEC.ASSUME_ROLE.fields;
    const a = r.object(`${at}.assumeRole`, o.assumeRole, SPEC.ASSUME_ROLE);
    assumeRole = {
      roleArn: r.setting(`${at}.assumeRole.roleArn`, a.roleArn, R.roleArn),
      sessionName: r.optional(`${at}.assumeRole.sessionName`, a.sessionName, R.sessionName),
      externalId: r.optional(`${at}.assumeRole.externalId`, a.externalId, R.externalId),
    };
  }
  const regions = r.list(`${at}.regions`, o.regions, A.regions);
  if (regions.length === 0) r.fail(`${at}.regions`, 'list is empty; give at least one region, e.g. ["eu-west-1"]');
  regions.forEach((region, i) => {
    const problem = REGION_PATTERN.test(region) ? regionProblem(region, additionalRegions) : undefined;
    if (problem) r.fail(`${at}.regions[${i}]`, problem, A.regions.items.code);
  });
  checkOnePartition(r, at, o, regions);
  const accountId = r.setting(`${at}.accountId`, o.accountId, A.accountId);
  const name = r.setting(`${at}.name`, o.name, A.name);
  const tags = readTags(r, `${at}.tags`, o.tags);
  const keyAdministratorArns = r.list(`${at}.keyAdministratorArns`, o.keyAdministratorArns, A.keyAdministratorArns);
  const keyUserArns = r.list(`${at}.keyUserArns`, o.keyUserArns, A.keyUserArns);
  const deployerArns = r.list(`${at}.deployerArns`, o.deployerArns, A.deployerArns);
  const helperEncrypterArns = r.list(`${at}.helperEncrypterArns`, o.helperEncrypterArns, A.helperEncrypterArns);
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
    allowIamToGrantKeyUse: r.setting(`${at}.allowIamToGrantKeyUse`, o.allowIamToGrantKeyUse, A.allowIamToGrantKeyUse),
    ...readKeyGenerations(r, at, o),
    audit: readAudit(r, `${at}.audit`, o.audit, {
      project,
      accountId,
      defaultRegion: regions[0] ?? "",
      // Defaults derived from an invalid project name or account ID are not checked again: that
      // problem is already reported once, at its own path.
      projectValid: settingProblem(PROJECT_NAME, project) === undefined,
      accountIdValid: ACCOUNT_ID_PATTERN.test(accountId),
    }),
  };
}

/**
 * `keyGeneration`, `retiringKeyGenerations` and `encryptedEnvironmentKeyGeneration`:
 * retiring generations below the current one, each once; the ciphertexts'
 * generation not above the current one. Whether a retired generation is still
 * used is checked with the functions ({@link checkRetiredGenerations}).
 */
function readKeyGenerations(
  r: Reader,
  at: string,
  o: Record<string, Json>,
): Pick<AccountConfig, "keyGeneration" | "retiringKeyGenerations" | "encryptedEnvironmentKeyGeneration" | "multiRegionKeysFromGeneration"> {
  const A = SPEC.ACCOUNT.fields;
  const keyGeneration = r.setting(`${at}.keyGeneration`, o.keyGeneration, A.keyGeneration);
  const retiring = r.list(`${at}.retiringKeyGenerations`, o.retiringKeyGenerations, A.retiringKeyGenerations);
  retiring.forEach((generation, i) => {
    if (generation >= keyGeneration) {
      r.fail(`${at}.retiringKeyGenerations[${i}]`, `${generation} is not below keyGeneration ${keyGeneration}; list only earlier generations, the current one is never retiring`);
    } else if (retiring.indexOf(generation) !== i) {
      r.fail(`${at}.retiringKeyGenerations[${i}]`, `${generation} is listed twice; list each generation once`);
    }
  });
  const encryptedEnvironmentKeyGeneration = r.setting(`${at}.encryptedEnvironmentKeyGeneration`, o.encryptedEnvironmentKeyGeneration, A.encryptedEnvironmentKeyGeneration);
  if (encryptedEnvironmentKeyGeneration > keyGeneration) {
    r.fail(
      `${at}.encryptedEnvironmentKeyGeneration`,
      `${encryptedEnvironmentKeyGeneration} is above keyGeneration ${keyGeneration}; no key of that generation exists yet — give the generation the ciphertexts were made with`,
    );
  }
  const multiRegionKeysFromGeneration = r.optional(`${at}.multiRegionKeysFromGeneration`, o.multiRegionKeysFromGeneration, A.multiRegionKeysFromGeneration);
  if (multiRegionKeysFromGeneration !== undefined && multiRegionKeysFromGeneration > keyGeneration) {
    r.fail(
      `${at}.multiRegionKeysFromGeneration`,
      `${multiRegionKeysFromGeneration} is above keyGeneration ${keyGeneration}; raise keyGeneration to it in the same change, so that the new generation's keys are created multi-Region`,
    );
  }
  return { keyGeneration, retiringKeyGenerations: [...new Set(retiring)].sort((a, b) => a - b), encryptedEnvironmentKeyGeneration, multiRegionKeysFromGeneration };
}

/**
 * A key generation that ciphertexts may still use is not retired: every
 * generation from `encryptedEnvironmentKeyGeneration` up to `keyGeneration`
 * must stay in `retiringKeyGenerations` while a function of the account has
 * `encryptedEnvironment` values. A retired key is scheduled for deletion at
 * the next deploy, and what it encrypted could never be decrypted again.
 */
function checkRetiredGenerations(r: Reader, at: string, account: AccountConfig, functions: readonly FunctionConfig[]): void {
  const users = functions.filter((fn) => fn.accounts.includes(account.name) && Object.keys(fn.encryptedEnvironment).length > 0).map((fn) => fn.name);
  if (users.length === 0) return;
  for (let generation = account.encryptedEnvironmentKeyGeneration; generation < account.keyGeneration; generation++) {
    if (account.retiringKeyGenerations.includes(generation)) continue;
    const who = users.length > 3 ? `${users.slice(0, 3).join(", ")} and ${users.length - 3} more` : users.join(", ");
    r.fail(
      `${at}.retiringKeyGenerations`,
      `does not list generation ${generation}, so its keys would be scheduled for deletion, but encryptedEnvironmentKeyGeneration is ${account.encryptedEnvironmentKeyGeneration}: ` +
        `encryptedEnvironment ciphertexts of function(s) ${who} may still be encrypted under generation ${generation} and could never be decrypted again. ` +
        `Keep ${generation} in retiringKeyGenerations, deploy, and run npm run reencrypt -- --config <file> --account ${account.name} --write (it re-encrypts them under generation ${account.keyGeneration} and sets encryptedEnvironmentKeyGeneration); then retire it`,
    );
  }
}

/** `accounts[].deployer`: the bootstrap stack's deploy role; see `DeployerConfig`. */
function readDeployer(r: Reader, at: string, raw: Json, project: string, accountId: string, region: string): DeployerConfig | undefined {
  if (raw === undefined) return undefined;
  const D = SPEC.DEPLOYER.fields;
  const o = r.object(at, raw, SPEC.DEPLOYER);
  const roleName = r.optional(`${at}.roleName`, o.roleName, D.roleName) ?? DERIVED_DEFAULTS.deployerRoleName(project);
  const trustedPrincipalArns = r.list(`${at}.trustedPrincipalArns`, o.trustedPrincipalArns, D.trustedPrincipalArns);
  let oidc: DeployerConfig["oidc"];
  if (o.oidc !== undefined) {
    const X = D.oidc.fields;
    const x = r.object(`${at}.oidc`, o.oidc, D.oidc);
    const subjects = r.list(`${at}.oidc.subjects`, x.subjects, X.subjects);
    if (subjects.length === 0) r.fail(`${at}.oidc.subjects`, 'list is empty; name the CI subjects that may deploy, e.g. ["repo:my-org/my-repo:ref:refs/heads/main"]');
    oidc = {
      providerArn: r.setting(`${at}.oidc.providerArn`, x.providerArn, X.providerArn),
      subjects,
      audience: r.setting(`${at}.oidc.audience`, x.audience, X.audience),
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
  const A = SPEC.AUDIT.fields;
  const o = raw === undefined ? {} : r.object(at, raw, SPEC.AUDIT);
  const homeRegion = r.optional(`${at}.homeRegion`, o.homeRegion, A.homeRegion) ?? defaults.defaultRegion;
  // An account lives in one partition; the workload stacks build the alarm topic's ARN in their own partition.
  if (o.homeRegion !== undefined && REGION_PATTERN.test(homeRegion) && REGION_PATTERN.test(defaults.defaultRegion)) {
    const expected = partitionForRegion(defaults.defaultRegion);
    if (partitionForRegion(homeRegion) !== expected) {
      r.fail(
        `${at}.homeRegion`,
        `${show(homeRegion)} is in partition "${partitionForRegion(homeRegion)}", but the account's regions are in "${expected}"; use a region of the account's partition, e.g. ${show(defaults.defaultRegion)}`,
      );
    }
  }
  // Defaults derived from an invalid project name or account ID are not checked: that problem is reported at its own path.
  const trailName =
    r.optional(`${at}.trailName`, o.trailName, A.trailName) ?? derived(r, `${at}.trailName`, DERIVED_DEFAULTS.trailName(defaults.project), A.trailName, defaults.projectValid);
  const bucketName =
    r.optional(`${at}.bucketName`, o.bucketName, A.bucketName) ??
    derived(r, `${at}.bucketName`, DERIVED_DEFAULTS.bucketName(defaults.project, defaults.accountId), A.bucketName, defaults.projectValid && defaults.accountIdValid);
  const bucketNameKnown = (o.bucketName === undefined ? defaults.projectValid && defaults.accountIdValid : typeof o.bucketName === "string") && !s3BucketNameProblem(bucketName);
  const accessLogBucketName = r.optional(`${at}.accessLogBucketName`, o.accessLogBucketName, A.accessLogBucketName);
  if (accessLogBucketName !== undefined && !s3BucketNameProblem(accessLogBucketName) && accessLogBucketName === bucketName) {
    r.fail(
      `${at}.accessLogBucketName`,
      `${show(accessLogBucketName)} is the log bucket itself; a bucket that logs into itself writes a log for every log delivery — name a separate bucket or leave accessLogBucketName out`,
    );
  }
  const accessLogging = r.setting(`${at}.accessLogging`, o.accessLogging, A.accessLogging);
  if (accessLogging && accessLogBucketName === undefined && bucketNameKnown) {
    // The audit stack creates "<bucketName>-access" for the access logs.
    const createdProblem = s3BucketNameProblem(`${bucketName}-access`);
    if (createdProblem) {
      r.fail(
        `${at}.bucketName`,
        `the access-log bucket the audit stack creates for it, ${createdProblem.split(";")[0]}; shorten bucketName, name an existing bucket in accessLogBucketName, or set accessLogging to false`,
      );
    }
  }
  const bucketRetentionDays = r.setting(`${at}.bucketRetentionDays`, o.bucketRetentionDays, A.bucketRetentionDays);
  let objectLock: AuditConfig["objectLock"];
  if (o.objectLock !== undefined) {
    const L = A.objectLock.fields;
    const lock = r.object(`${at}.objectLock`, o.objectLock, A.objectLock);
    if (lock.mode === undefined) r.fail(`${at}.objectLock.mode`, 'missing; use "GOVERNANCE" (privileged principals may still delete) or "COMPLIANCE" (nobody may)');
    if (lock.retentionDays === undefined) r.fail(`${at}.objectLock.retentionDays`, "missing; give the days each log file stays locked, e.g. 365");
    const mode = lock.mode === undefined ? "GOVERNANCE" : r.setting(`${at}.objectLock.mode`, lock.mode, L.mode);
    const retentionDays = lock.retentionDays === undefined ? L.retentionDays.min : r.setting(`${at}.objectLock.retentionDays`, lock.retentionDays, L.retentionDays);
    if (retentionDays > bucketRetentionDays) {
      r.fail(
        `${at}.objectLock.retentionDays`,
        `${retentionDays} is above bucketRetentionDays (${bucketRetentionDays}): the lifecycle rule could not expire locked log files; lower it or raise bucketRetentionDays`,
      );
    }
    objectLock = { mode, retentionDays };
  }
  const replication = readReplication(r, `${at}.replication`, o.replication, { homeRegion, accessLogging, bucketName, bucketNameKnown, accessLogBucketName });
  const keyAliases =
    o.keyAliases === undefined
      ? [derived(r, `${at}.keyAliases[0]`, DERIVED_DEFAULTS.auditKeyAlias(defaults.project), A.keyAliases.items, defaults.projectValid)]
      : r.list(`${at}.keyAliases`, o.keyAliases, A.keyAliases);
  checkAliasesDistinct(r, `${at}.keyAliases`, keyAliases);
  if (keyAliases.length === 0) r.fail(`${at}.keyAliases`, "list is empty; give the audit key at least one alias");
  const allowShortLogRetention = r.setting(`${at}.allowShortLogRetention`, o.allowShortLogRetention, A.allowShortLogRetention);
  const logRetentionDays = readLogRetention(r, `${at}.logRetentionDays`, o.logRetentionDays, allowShortLogRetention);
  const readWriteProblem = typeof o.readWriteType === "string" ? readWriteTypeProblem(o.readWriteType) : undefined;
  if (readWriteProblem) r.fail(`${at}.readWriteType`, `${readWriteProblem} (the default)`);
  else r.setting(`${at}.readWriteType`, o.readWriteType, A.readWriteType);
  const excluded = r.list(`${at}.excludeManagementEventSources`, o.excludeManagementEventSources, A.excludeManagementEventSources);
  const alarmEmails = r.list(`${at}.alarmEmails`, o.alarmEmails, A.alarmEmails);
  checkSubscriptionsDistinct(r, `${at}.alarmEmails`, alarmEmails);
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
    bucketEventNotifications: r.setting(`${at}.bucketEventNotifications`, o.bucketEventNotifications, A.bucketEventNotifications),
    logFileNotifications: r.setting(`${at}.logFileNotifications`, o.logFileNotifications, A.logFileNotifications),
    alarmEmails,
    readerArns: r.list(`${at}.readerArns`, o.readerArns, A.readerArns),
    readWriteType: "All",
    excludeManagementEventSources: excluded,
    breakGlassRoleArns: r.list(`${at}.breakGlassRoleArns`, o.breakGlassRoleArns, A.breakGlassRoleArns),
    objectLock,
    replication,
    cisAlarms: r.setting(`${at}.cisAlarms`, o.cisAlarms, A.cisAlarms),
  };
}

/**
 * `audit.replication`: the replica region (another region than the home
 * region, in its partition; whether the region is known is checked with
 * `additionalRegions` in validateConfig) and the replica bucket's name
 * (`<bucketName>-replica` by default), which must be neither audit bucket
 * and, with the access-log bucket the stack creates, leave room for
 * `<replica>-access`.
 */
function readReplication(
  r: Reader,
  at: string,
  raw: Json,
  audit: { readonly homeRegion: string; readonly accessLogging: boolean; readonly bucketName: string; readonly bucketNameKnown: boolean; readonly accessLogBucketName?: string },
): AuditConfig["replication"] {
  if (raw === undefined) return undefined;
  const P = SPEC.AUDIT.fields.replication.fields;
  const o = r.object(at, raw, SPEC.AUDIT.fields.replication);
  const example = audit.homeRegion === "eu-central-1" ? "eu-west-1" : "eu-central-1";
  if (o.region === undefined)
    r.fail(`${at}.region`, `missing; give the region of the replica bucket, another region than homeRegion ${show(audit.homeRegion)}, e.g. ${show(example)}`);
  const region = o.region === undefined ? "" : r.setting(`${at}.region`, o.region, P.region);
  if (region !== "" && region === audit.homeRegion) {
    r.fail(`${at}.region`, `${show(region)} is homeRegion, where the log bucket already is; cross-region replication needs another region, e.g. ${show(example)}`, P.region.code);
  } else if (REGION_PATTERN.test(region) && REGION_PATTERN.test(audit.homeRegion) && partitionForRegion(region) !== partitionForRegion(audit.homeRegion)) {
    r.fail(
      `${at}.region`,
      `${show(region)} is in partition "${partitionForRegion(region)}", but homeRegion ${show(audit.homeRegion)} is in "${partitionForRegion(audit.homeRegion)}"; S3 replicates only within a partition, so use a region of "${partitionForRegion(audit.homeRegion)}"`,
      P.region.code,
    );
  }
  let bucketName = r.optional(`${at}.bucketName`, o.bucketName, P.bucketName);
  if (bucketName === undefined) {
    bucketName = DERIVED_DEFAULTS.replicaBucketName(audit.bucketName);
    // A default derived from a refused bucketName is not checked: that problem is reported at bucketName.
    const problem = audit.bucketNameKnown ? s3BucketNameProblem(bucketName) : undefined;
    if (problem) {
      r.fail(
        `${at}.bucketName`,
        `the default replica bucket name, ${problem.split(";")[0]}; shorten bucketName or name the replica bucket in replication.bucketName`,
        P.bucketName.code,
      );
    }
  }
  for (const [other, name] of [
    ["the log bucket (bucketName)", audit.bucketName],
    ["the access-log bucket (accessLogBucketName)", audit.accessLogBucketName],
    ["the access-log bucket the audit stack creates", `${audit.bucketName}-access`],
  ] as const) {
    if (name !== undefined && bucketName === name) {
      r.fail(`${at}.bucketName`, `${show(bucketName)} is ${other}; the replica needs a bucket of its own, e.g. ${show(DERIVED_DEFAULTS.replicaBucketName(audit.bucketName))}`);
    }
  }
  if (audit.accessLogging && audit.accessLogBucketName === undefined && !s3BucketNameProblem(bucketName)) {
    // The replica bucket logs into "<replica bucketName>-access", which the audit stack creates in the replica region.
    const createdProblem = s3BucketNameProblem(`${bucketName}-access`);
    if (createdProblem) {
      r.fail(
        `${at}.bucketName`,
        `the access-log bucket the audit stack creates for the replica, ${createdProblem.split(";")[0]}; shorten the replica bucket's name (bucketName, or replication.bucketName), or set accessLogging to false`,
        P.bucketName.code,
      );
    }
  }
  return { region, bucketName };
}

/** A log group's retention: a CloudWatch Logs value, and below the default only with allowShortLogRetention. */
function readLogRetention(r: Reader, at: string, raw: Json, allowShortLogRetention: boolean): number {
  const fallback = LOG_RETENTION.default ?? 0;
  const days = raw === undefined ? fallback : raw;
  const problem = logRetentionProblem(days, allowShortLogRetention);
  if (problem) r.fail(at, problem);
  return problem || typeof days !== "number" ? fallback : days;
}

/** A default built from other fields, checked only when those fields are valid (else their own problem is reported). */
function derived(r: Reader, at: string, value: string, setting: Setting, sourcesValid: boolean): string {
  const problem = sourcesValid ? settingProblem(setting, value) : undefined;
  if (problem) r.fail(at, problem);
  return value;
}

/** Aliases of one key: distinct names (with or without `alias/`) and distinct Terraform addresses. */
function checkAliasesDistinct(r: Reader, at: string, aliases: readonly string[]): void {
  const normalized = aliases.map(normalizeAliasName);
  const ids = aliases.map(aliasConstructId);
  aliases.forEach((alias, i) => {
    // An exact repeat is reported as listed twice already.
    if (aliases.indexOf(alias) !== i) return;
    const same = normalized.indexOf(normalized[i]);
    const clash = ids.indexOf(ids[i]);
    if (same !== i) r.fail(`${at}[${i}]`, `${show(alias)} is the same alias as ${show(aliases[same])}; list each alias once`);
    else if (clash !== i) r.fail(`${at}[${i}]`, `${show(alias)} and ${show(aliases[clash])} would share the Terraform address "${ids[i]}"; rename one of them`);
  });
}

/** Alarm e-mails: each subscription's Terraform address derives from the address, so two may not share one. */
function checkSubscriptionsDistinct(r: Reader, at: string, emails: readonly string[]): void {
  const ids = emails.map(emailSubscriptionId);
  emails.forEach((email, i) => {
    const clash = ids.indexOf(ids[i]);
    if (emails.indexOf(email) === i && clash !== i) {
      r.fail(`${at}[${i}]`, `${show(email)} and ${show(emails[clash])} would share the Terraform address "${ids[i]}"; subscribe one of them through a distribution list instead`);
    }
  });
}

/** Checks the variable names of `secrets` / `encryptedEnvironment` at load, as `environment` is checked. */
function checkVariableNames<T>(r: Reader, at: string, variables: Record<string, T>): Record<string, T> {
  for (const variable of Object.keys(variables)) {
    const problem = environmentVariableNameProblem(variable);
    if (problem) r.fail(`${at}.${variable}`, `environment variable "${variable}" ${problem}`);
  }
  return variables;
}

/**
 * The folder every code folder must be inside, symbolic links resolved:
 * `codeRoot`, else the Git repository of the configuration file, else its folder.
 */
function readCodeRoot(r: Reader, raw: Json, baseDir: string): string {
  if (raw === undefined) return fs.realpathSync(gitRepositoryOf(baseDir) ?? baseDir);
  const folder = path.resolve(baseDir, r.setting("codeRoot", raw, CONFIG_SPEC.fields.codeRoot));
  if (isDirectory(folder)) return fs.realpathSync(folder);
  if (typeof raw === "string") r.fail("codeRoot", `${show(raw)} resolves to ${folder}, which is not a folder; paths are relative to the configuration file`);
  return folder;
}

/** The nearest folder from `folder` upwards that holds `.git` (a folder, or a file in a worktree), if any. */
function gitRepositoryOf(folder: string): string | undefined {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Whether `inner` is `outer` or inside it (both absolute). */
export function isInside(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** File extensions a handler's module may have, per runtime family; other runtimes name classes or binaries, not files. */
const HANDLER_FILE_EXTENSIONS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["nodejs", [".js", ".mjs", ".cjs"]],
  ["python", [".py"]],
  ["ruby", [".rb"]],
];

/**
 * Checks that the code folder is inside the code root and that the handler
 * names a file in it: a configuration cannot package files from elsewhere on
 * the machine, and a typo in the handler fails here rather than at the first
 * invocation.
 */
function checkCode(r: Reader, at: string, codeDirectory: string, codeRoot: string, handler: string, runtime: string): void {
  if (!isDirectory(codeDirectory)) return;
  const real = fs.realpathSync(codeDirectory);
  if (!isInside(real, codeRoot)) {
    r.fail(
      `${at}.codeDirectory`,
      `${real} is outside ${codeRoot}, the folder code may come from (codeRoot; by default the configuration file's Git repository); move the code into it, or set codeRoot to a folder that holds it`,
    );
    return;
  }
  const extensions = HANDLER_FILE_EXTENSIONS.find(([family]) => runtime.startsWith(family))?.[1];
  const lastDot = handler.lastIndexOf(".");
  if (!extensions || lastDot <= 0) return;
  const module = handler.slice(0, lastDot);
  // Python names modules with dots (package.module.handler); Node.js and Ruby use paths.
  const modulePath = runtime.startsWith("python") ? module.replace(/\./g, "/") : module;
  const files = extensions.map((extension) => `${modulePath}${extension}`);
  const found = files.find((file) => fs.existsSync(path.join(real, file)));
  if (!found) {
    const named = files.length === 1 ? files[0] : `${files.slice(0, -1).join(", ")} or ${files[files.length - 1]}`;
    r.fail(`${at}.handler`, `${show(handler)} names ${named}, which is not in ${real}; give the file and export of the handler, e.g. "index.handler"`);
  } else if (!isInside(fs.realpathSync(path.join(real, found)), real)) {
    r.fail(`${at}.handler`, `${show(handler)} names ${found}, a link to a file outside the code folder; put the handler's file itself into ${real}`);
  }
}

function readFunction(r: Reader, at: string, raw: Json, baseDir: string, codeRoot: string, accountNames: readonly string[]): FunctionConfig {
  const F = SPEC.FUNCTION.fields;
  const o = r.object(at, raw, SPEC.FUNCTION);
  const name = r.setting(`${at}.name`, o.name, F.name);
  if (isWorkloadStackReservedId(functionConstructId(name))) {
    r.fail(
      `${at}.name`,
      `${show(name)} is used by the stack itself (${WORKLOAD_STACK_RESERVED_IDS.join(", ")}, and the keys and alarms of later key generations); choose another function name`,
    );
  }
  const codeDirectory = path.resolve(baseDir, r.setting(`${at}.codeDirectory`, o.codeDirectory, F.codeDirectory));
  if (typeof o.codeDirectory === "string" && !isDirectory(codeDirectory)) {
    r.fail(`${at}.codeDirectory`, `${show(o.codeDirectory)} resolves to ${codeDirectory}, which is not a folder; paths are relative to the configuration file`);
  }
  const runtime = r.setting(`${at}.runtime`, o.runtime, F.runtime);
  const handler = r.setting(`${at}.handler`, o.handler, F.handler);
  if (!settingProblem(F.handler, handler)) checkCode(r, at, codeDirectory, codeRoot, handler, runtime);
  const architecture = r.setting(`${at}.architecture`, o.architecture, F.architecture);
  const allowShortLogRetention = r.setting(`${at}.allowShortLogRetention`, o.allowShortLogRetention, F.allowShortLogRetention);
  const logRetentionDays = readLogRetention(r, `${at}.logRetentionDays`, o.logRetentionDays, allowShortLogRetention);
  const environment = r.stringMap(`${at}.environment`, o.environment);
  for (const problem of environmentProblems(environment)) {
    r.fail(problem.variable ? `${at}.environment.${problem.variable}` : `${at}.environment`, problem.message);
  }
  const accounts = readAccountNames(r, `${at}.accounts`, o.accounts, accountNames);
  return {
    name,
    codeDirectory,
    handler,
    runtime,
    memorySize: r.setting(`${at}.memorySize`, o.memorySize, F.memorySize),
    timeout: r.setting(`${at}.timeout`, o.timeout, F.timeout),
    architecture,
    environment,
    environmentOverrides: readEnvironmentOverrides(r, `${at}.environmentOverrides`, o.environmentOverrides),
    logRetentionDays,
    allowShortLogRetention,
    reservedConcurrentExecutions: r.optional(`${at}.reservedConcurrentExecutions`, o.reservedConcurrentExecutions, F.reservedConcurrentExecutions),
    tracing: r.setting(`${at}.tracing`, o.tracing, F.tracing),
    deadLetterQueue: r.setting(`${at}.deadLetterQueue`, o.deadLetterQueue, F.deadLetterQueue),
    codeSigning: r.setting(`${at}.codeSigning`, o.codeSigning, F.codeSigning),
    vpc: readVpc(r, `${at}.vpc`, o.vpc),
    permissionsBoundaryPolicyName: r.optional(`${at}.permissionsBoundaryPolicyName`, o.permissionsBoundaryPolicyName, F.permissionsBoundaryPolicyName),
    secrets: checkVariableNames(r, `${at}.secrets`, r.stringMap(`${at}.secrets`, o.secrets)),
    encryptedEnvironment: checkVariableNames(r, `${at}.encryptedEnvironment`, readEncryptedEnvironment(r, `${at}.encryptedEnvironment`, o.encryptedEnvironment)),
    accounts,
  };
}

/** A secret's `rotation`: all three fields, and only for a Secrets Manager secret. */
function readRotation(r: Reader, at: string, raw: Json, type: SecretConfig["type"]): SecretConfig["rotation"] {
  if (raw === undefined) return undefined;
  if (type === "ssm") {
    r.fail(at, "SSM parameters have no rotation; remove rotation, or make the secret a Secrets Manager secret");
    return undefined;
  }
  const R = SPEC.SECRET.fields.rotation.fields;
  const o = r.object(at, raw, SPEC.SECRET.fields.rotation);
  if (!isJsonObject(raw)) return undefined;
  for (const field of ["functionName", "roleName", "days"] as const) {
    if (o[field] === undefined) r.fail(`${at}.${field}`, "is missing; give the rotation function's name, its execution role's name and the days between rotations");
  }
  if (o.functionName === undefined || o.roleName === undefined || o.days === undefined) return undefined;
  return {
    functionName: r.setting(`${at}.functionName`, o.functionName, R.functionName),
    roleName: r.setting(`${at}.roleName`, o.roleName, R.roleName),
    days: r.setting(`${at}.days`, o.days, R.days),
  };
}

/** A function's `vpc`: stack name → subnets and security groups (which stacks it names is checked with the accounts). */
function readVpc(r: Reader, at: string, raw: Json): Record<string, FunctionVpcProps> {
  if (raw === undefined) return {};
  if (!isJsonObject(raw)) {
    r.fail(at, `expected an object, got ${show(raw)}; write {"<account>-<region>": {"subnetIds": ["subnet-…"], "securityGroupIds": ["sg-…"]}}`);
    return {};
  }
  const V = SPEC.FUNCTION_VPC.fields;
  const entries: [string, FunctionVpcProps][] = [];
  for (const [stack, value] of Object.entries(raw)) {
    const o = r.object(`${at}.${stack}`, value, SPEC.FUNCTION_VPC);
    const ids = (field: "subnetIds" | "securityGroupIds", what: string): string[] => {
      const fieldAt = `${at}.${stack}.${field}`;
      const { max } = FUNCTION_VPC_LIMITS[field];
      if (o[field] === undefined) {
        if (isJsonObject(value)) r.fail(fieldAt, `is missing; list the ${what} IDs of this stack`);
        return [];
      }
      const list = r.list(fieldAt, o[field], V[field]);
      if (Array.isArray(o[field]) && (list.length === 0 || list.length > max)) r.fail(fieldAt, `lists ${list.length} ${what}s; Lambda takes 1 to ${max}`);
      return list;
    };
    entries.push([stack, { subnetIds: ids("subnetIds", "subnet"), securityGroupIds: ids("securityGroupIds", "security group") }]);
  }
  return Object.fromEntries(entries);
}

/**
 * A function's `vpc` names exactly the stacks it runs in: subnet and
 * security group IDs belong to one account and region, so a stack without
 * an entry would run outside the VPC.
 */
function checkVpcStacks(r: Reader, at: string, fn: FunctionConfig, accounts: readonly AccountConfig[], stacksKnown: boolean): void {
  const named = Object.keys(fn.vpc);
  if (named.length === 0 || !stacksKnown || !fn.accounts.every((account) => accounts.some((a) => a.name === account))) return;
  const stacks = targetStacks(accounts, fn).map((stack) => stack.name);
  for (const key of named) {
    if (!stacks.includes(key)) r.fail(`${at}.vpc.${key}`, `is not a stack of this function; use one of ${stacks.join(", ")}`);
  }
  const missing = stacks.filter((stack) => !named.includes(stack));
  if (missing.length > 0) {
    r.fail(`${at}.vpc`, `has no entry for ${missing.join(", ")}; give the subnets and security groups of every stack the function runs in, or limit the function's accounts`);
  }
}

/**
 * The code signing bucket of each stack a `codeSigning` function runs in
 * must be a valid S3 name: it is built from the project, account ID and
 * region, and long projects or regions can pass S3's 63 characters.
 */
function checkCodeSigningBuckets(r: Reader, at: string, fn: FunctionConfig, accounts: readonly AccountConfig[], project: string): void {
  if (!fn.codeSigning) return;
  for (const { account, region, name } of targetStacks(accounts, fn)) {
    const bucketName = DERIVED_DEFAULTS.codeSigningBucketName(project, account.accountId, region);
    const problem = s3BucketNameProblem(bucketName);
    if (problem) r.fail(`${at}.codeSigning`, `the code signing bucket of ${name}, ${problem.split(";")[0]}; shorten project, or set codeSigning to false`);
  }
}

/** A function's or secret's `accounts`: names from accounts[].name; every account when left out. */
function readAccountNames(r: Reader, at: string, raw: Json, accountNames: readonly string[]): string[] {
  if (raw === undefined) return [...accountNames];
  const accounts = r.list(at, raw, SPEC.FUNCTION.fields.accounts);
  accounts.forEach((account, i) => {
    if (!accountNames.includes(account)) r.fail(`${at}[${i}]`, `${show(account)} is not an account in this file; use one of ${accountNames.join(", ")}`);
  });
  return accounts;
}

function readSecret(r: Reader, at: string, raw: Json, accountNames: readonly string[]): SecretConfig {
  const S = SPEC.SECRET.fields;
  const o = r.object(at, raw, SPEC.SECRET);
  if (o.type === undefined) r.fail(`${at}.type`, 'is missing; use "secretsmanager" or "ssm"');
  const type = o.type === undefined ? "secretsmanager" : r.setting(`${at}.type`, o.type, S.type);
  const name = r.setting(`${at}.name`, o.name, type === "ssm" ? SECURE_STRING_PARAMETER_SETTINGS.parameterName : SECRETS_MANAGER_SECRET_SETTINGS.secretName);
  const accounts = readAccountNames(r, `${at}.accounts`, o.accounts, accountNames);
  return {
    name,
    type,
    description: r.optional(`${at}.description`, o.description, S.description),
    recoveryWindowDays: r.setting(`${at}.recoveryWindowDays`, o.recoveryWindowDays, S.recoveryWindowDays),
    tier: r.setting(`${at}.tier`, o.tier, S.tier),
    seedFromVariable: r.setting(`${at}.seedFromVariable`, o.seedFromVariable, S.seedFromVariable),
    rotation: readRotation(r, `${at}.rotation`, o.rotation, type),
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
    accounts.every(
      (a) =>
        settingProblem(ACCOUNT_NAME, a.name) === undefined &&
        a.regions.length > 0 &&
        new Set(a.regions).size === a.regions.length &&
        a.regions.every((region) => REGION_PATTERN.test(region)),
    )
  );
}

/** Secrets a function references must exist in every account it runs in; encrypted values must cover every stack it runs in. */
function checkFunctionSecrets(r: Reader, at: string, fn: FunctionConfig, secrets: readonly SecretConfig[], accounts: readonly AccountConfig[], stacksKnown: boolean): void {
  const accountNames = accounts.map((a) => a.name);
  for (const [variable, secretName] of Object.entries(fn.secrets)) {
    const secret = secrets.find((s) => s.name === secretName);
    if (!secret) {
      r.fail(
        `${at}.secrets.${variable}`,
        `${show(secretName)} is not defined in "secrets"; add it there (name, type) or fix the name${secrets.length ? `: defined are ${secrets.map((s) => s.name).join(", ")}` : ""}`,
      );
      continue;
    }
    // Accounts not in this file are reported at the function's accounts already.
    const missing = fn.accounts.filter((account) => accountNames.includes(account) && !secret.accounts.includes(account));
    if (missing.length > 0)
      r.fail(
        `${at}.secrets.${variable}`,
        `secret ${show(secretName)} is not created in account(s) ${missing.join(", ")}, where the function runs; add them to the secret's accounts`,
      );
  }
  const targets = targetStacks(accounts, fn);
  const stacks = targets.map((s) => s.name);
  const checkStacks = stacksKnown && fn.accounts.every((account) => accountNames.includes(account));
  for (const [variable, perStack] of Object.entries(fn.encryptedEnvironment)) {
    const alsoIn = [Object.hasOwn(fn.environment, variable) ? "environment" : "", Object.hasOwn(fn.secrets, variable) ? "secrets" : ""].filter(Boolean);
    if (alsoIn.length > 0) {
      r.fail(
        `${at}.encryptedEnvironment.${variable}`,
        `"${variable}" is also set in ${alsoIn.join(" and ")}; give each variable one source: remove it from ${alsoIn.join(" and ")} or from encryptedEnvironment`,
      );
    }
    if (!checkStacks) continue;
    // An account whose ciphertexts are made under multi-Region keys may give one for all its stacks.
    const accountWide = accounts.filter((a) => fn.accounts.includes(a.name) && isMultiRegionGeneration(a, a.encryptedEnvironmentKeyGeneration)).map((a) => a.name);
    const missing = targets.filter((stack) => !Object.hasOwn(perStack, stack.name) && !(accountWide.includes(stack.account.name) && Object.hasOwn(perStack, stack.account.name)));
    if (missing.length > 0) {
      const perAccount = [...new Set(missing.map((stack) => stack.account.name))].filter((name) => accountWide.includes(name));
      r.fail(
        `${at}.encryptedEnvironment.${variable}`,
        `has no ciphertext for ${missing.map((stack) => stack.name).join(", ")}; encrypt the value once per stack, with that stack's key${perAccount.length > 0 ? `, or once for account ${perAccount.join(", ")} (key "<account>"), with the multi-Region primary key` : ""}`,
      );
    }
    for (const stack of Object.keys(perStack).filter((s) => !stacks.includes(s) && !accountWide.includes(s))) {
      const singleRegion = fn.accounts.includes(stack)
        ? `account ${stack}'s ciphertexts are made under single-Region keys (generation ${accounts.find((a) => a.name === stack)!.encryptedEnvironmentKeyGeneration}; see multiRegionKeysFromGeneration), so `
        : "";
      r.fail(
        `${at}.encryptedEnvironment.${variable}.${stack}`,
        stacks.length > 0
          ? `${singleRegion}is not a stack of this function; use one of ${stacks.join(", ")}`
          : "is not a stack of this function, which runs in no account; remove the value",
      );
    }
    for (const account of accountWide.filter((name) => Object.hasOwn(perStack, name))) {
      const alsoPerStack = targets.filter((stack) => stack.account.name === account && Object.hasOwn(perStack, stack.name)).map((stack) => stack.name);
      if (alsoPerStack.length > 0) {
        r.fail(
          `${at}.encryptedEnvironment.${variable}.${account}`,
          `is given for the whole account and also for ${alsoPerStack.join(", ")}; give one ciphertext for the account, or one per stack`,
        );
      }
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
        r.fail(
          `${at}.environmentOverrides.${key}.${variable}`,
          `"${variable}" is also set in ${alsoIn.join(" and ")}; give each variable one source: remove it from ${alsoIn.join(" and ")} or from environmentOverrides`,
        );
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
      r.fail(
        `${at}.environmentOverrides.${key}`,
        `names both account "${key}" and the stack "${key}" of account "${stack.account.name}"; rename one of the accounts so that no account name is also a stack name`,
      );
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

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
