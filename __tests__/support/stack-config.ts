/**
 * Configuration fixtures shared by the stack tests in __tests__/stacks: the
 * repository's config/default.json, a deep copy of it that the tests may
 * change, and the temporary folder each test file writes its configuration
 * and synthesized stacks to (the test file removes it in afterAll).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, validateConfig } from "../../config/validate-config";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const REPO = path.resolve(__dirname, "..", "..");
export const CODE = path.join(REPO, "functions", "config-reader");
export const DEFAULT_DOCUMENT: Json = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));

/** The stacks of config/default.json, in the order synthesizeApp lists them: account by account, bootstrap, audit, workloads. */
export const DEFAULT_STACKS = [
  "staging-deployer",
  "staging-audit",
  "staging-eu-west-1",
  "staging-us-east-1",
  "production-deployer",
  "production-audit",
  "production-eu-west-1",
  "production-us-east-1",
];
/** The workload stacks of config/default.json. */
export const DEFAULT_WORKLOAD_STACKS = DEFAULT_STACKS.filter((stack) => !stack.endsWith("-audit") && !stack.endsWith("-deployer"));

/** A deep copy of config/default.json, with its state in <tmp>/state and absolute code paths. */
export function defaultConfigDocument(): Json {
  const copy = structuredClone(DEFAULT_DOCUMENT);
  copy.backend.directory = "state";
  for (const fn of copy.functions) fn.codeDirectory = CODE;
  // The configuration is written outside the repository that holds the code.
  copy.codeRoot = REPO;
  return copy;
}

export interface StackTestFolder {
  /** A fresh temporary folder; the caller removes it. */
  readonly tmp: string;
  /** <tmp>/config.json, not yet written. */
  readonly configFile: string;
  /** <tmp>/cdktf.out, the synthesized stacks' folder. */
  readonly outdir: string;
}

/** Creates a fresh temporary folder named after `prefix` for a stack test file. */
export function makeStackTestFolder(prefix: string): StackTestFolder {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { tmp, configFile: path.join(tmp, "config.json"), outdir: path.join(tmp, "cdktf.out") };
}

export { restrictToAccounts } from "../../e2e/local-run-config";

/** The message with which config validation refuses `document` (read as if from `configFile`); fails the test when it is accepted. */
export function configRefusal(document: Json, configFile: string): string {
  try {
    validateConfig(document, configFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}
