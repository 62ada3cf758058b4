/**
 * The configuration one end-to-end run deploys: config/local.json with the
 * emulator endpoint of this run, credentials from each command's
 * environment, the run's CI user as the one principal each deploy role
 * trusts, a fresh state folder, absolute code paths (the file is written
 * outside the repository), a non-default key rotation period, and, once the
 * keys exist, the ciphertexts made with them.
 */
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../config/app-config";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/load-config";

/** config/local.json, beside the default configuration (found from source and compiled runs alike). */
export const LOCAL_CONFIG_FILE = path.join(path.dirname(DEFAULT_CONFIG_FILE), "local.json");

/**
 * The run's key rotation period. Not 365, which is both AWS's default and
 * what an emulator returns when no period was sent: only a period that
 * differs from the default proves the configured value reached the key.
 */
export const RUN_ROTATION_PERIOD_DAYS = 180;

/**
 * The CI identity of the run: an IAM user of this name in each account, the
 * one principal the deploy roles trust (the run creates it, with nothing but
 * sts:AssumeRole on its account's deploy role).
 */
export const PIPELINE_USER = "e2e-pipeline";

/** Function name → variable name → stack name → base64 ciphertext. */
export type Ciphertexts = Record<string, Record<string, Record<string, string>>>;

/** Options of {@link writeRunConfig}. */
export interface RunConfigOptions {
  /** Emulator base URL of this run. */
  readonly endpoint: string;
  /** Folder of this run: the config is written to `<runDir>/config.json`, state to `<runDir>/state`. */
  readonly runDir: string;
  /** Replace these `encryptedEnvironment` values. @default the placeholders of config/local.json */
  readonly ciphertexts?: Ciphertexts;
  /** @default LOCAL_CONFIG_FILE */
  readonly source?: string;
  /** Keep only these accounts, each with these regions (see {@link restrictToAccounts}). @default every account of the source */
  readonly accounts?: Record<string, readonly string[]>;
  /** Account name → its key generation fields (a manual rotation). @default those of the source */
  readonly keyGenerations?: Record<string, KeyGenerations>;
}

/** An account's key generation fields (docs/key-rotation.md). */
export interface KeyGenerations {
  readonly keyGeneration: number;
  readonly retiringKeyGenerations: readonly number[];
  readonly encryptedEnvironmentKeyGeneration?: number;
}

/** Writes the run's configuration, validates it with the app's own loader, and returns it. */
export function writeRunConfig(options: RunConfigOptions): AppConfig {
  const source = options.source ?? LOCAL_CONFIG_FILE;
  const document = JSON.parse(fs.readFileSync(source, "utf8"));
  if (!document.emulator) throw new Error(`${source} has no "emulator" section: the end-to-end run deploys only to an emulator, never to AWS`);
  document.emulator.endpoint = options.endpoint;
  // Each command gets the credentials of its caller: an administrator, or a session of a deploy role.
  document.emulator.credentials = "environment";
  for (const account of document.accounts) {
    if (account.deployer) account.deployer.trustedPrincipalArns = [`arn:aws:iam::${account.accountId}:user/${PIPELINE_USER}`];
    Object.assign(account, options.keyGenerations?.[account.name] ?? {});
  }
  document.backend = { type: "local", directory: path.join(options.runDir, "state") };
  document.key = { ...document.key, rotationPeriodDays: RUN_ROTATION_PERIOD_DAYS };
  // The run's configuration lives outside the repository; its code stays where the source configuration's repository has it.
  document.codeRoot = path.resolve(path.dirname(source), document.codeRoot ?? "..");
  for (const fn of document.functions ?? []) {
    fn.codeDirectory = path.resolve(path.dirname(source), fn.codeDirectory);
    for (const [variable, perStack] of Object.entries(options.ciphertexts?.[fn.name] ?? {})) {
      fn.encryptedEnvironment = { ...fn.encryptedEnvironment, [variable]: { ...fn.encryptedEnvironment?.[variable], ...perStack } };
    }
  }
  // After the ciphertexts: those of the stacks that are gone go too.
  if (options.accounts) restrictToAccounts(document, options.accounts);
  const file = path.join(options.runDir, "config.json");
  fs.writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return loadConfig(file);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * Narrows a configuration document to some accounts and, per account, some of
 * its regions (`{ staging: ["eu-west-1"] }`), and prunes what config
 * validation would refuse afterwards: per-stack ciphertexts and per-account
 * or per-stack environment overrides of stacks that are gone, and `accounts`
 * lists naming removed accounts. A function or secret left without accounts
 * is removed.
 */
export function restrictToAccounts(document: Json, keep: Record<string, readonly string[]>): Json {
  document.accounts = document.accounts
    .filter((account: Json) => Object.hasOwn(keep, account.name))
    .map((account: Json) => ({ ...account, regions: account.regions.filter((region: string) => keep[account.name].includes(region)) }));
  const stacks = new Set(document.accounts.flatMap((account: Json) => account.regions.map((region: string) => `${account.name}-${region}`)));
  const keepTargets = (target: Json) => {
    if (target.accounts) target.accounts = target.accounts.filter((name: string) => Object.hasOwn(keep, name));
    return !target.accounts || target.accounts.length > 0;
  };
  document.secrets = (document.secrets ?? []).filter(keepTargets);
  document.functions = (document.functions ?? []).filter(keepTargets);
  for (const fn of document.functions) {
    for (const perStack of Object.values(fn.encryptedEnvironment ?? {}) as Record<string, string>[]) {
      // A ciphertext for a whole account (multi-Region keys) stays with its account.
      for (const stack of Object.keys(perStack)) if (!stacks.has(stack) && !Object.hasOwn(keep, stack)) delete perStack[stack];
    }
    for (const key of Object.keys(fn.environmentOverrides ?? {})) if (!Object.hasOwn(keep, key) && !stacks.has(key)) delete fn.environmentOverrides[key];
  }
  return document;
}
