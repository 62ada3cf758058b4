/**
 * The configuration one end-to-end run deploys: config/local.json with the
 * emulator endpoint of this run, a fresh state folder, absolute code paths
 * (the file is written outside the repository), a non-default key rotation
 * period, and, once the keys exist, the ciphertexts made with them.
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
}

/** Writes the run's configuration, validates it with the app's own loader, and returns it. */
export function writeRunConfig(options: RunConfigOptions): AppConfig {
  const source = options.source ?? LOCAL_CONFIG_FILE;
  const document = JSON.parse(fs.readFileSync(source, "utf8"));
  if (!document.emulator) throw new Error(`${source} has no "emulator" section: the end-to-end run deploys only to an emulator, never to AWS`);
  document.emulator.endpoint = options.endpoint;
  document.backend = { type: "local", directory: path.join(options.runDir, "state") };
  document.key = { ...document.key, rotationPeriodDays: RUN_ROTATION_PERIOD_DAYS };
  for (const fn of document.functions ?? []) {
    fn.codeDirectory = path.resolve(path.dirname(source), fn.codeDirectory);
    for (const [variable, perStack] of Object.entries(options.ciphertexts?.[fn.name] ?? {})) {
      fn.encryptedEnvironment = { ...fn.encryptedEnvironment, [variable]: { ...fn.encryptedEnvironment?.[variable], ...perStack } };
    }
  }
  const file = path.join(options.runDir, "config.json");
  fs.writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return loadConfig(file);
}
