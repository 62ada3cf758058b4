/**
 * Reuses the output of accounts whose inputs did not change since the last
 * synth into the same output folder, instead of synthesizing them again.
 *
 * An account's stacks, findings, deployer policy and access report entries
 * are a function of the configuration as its group sees it (the shared
 * settings and that account's entry: accounts share nothing else), of what
 * stacks/synth-inputs.ts lists (the code folders, the compiled app, the
 * installed packages, the Node.js version, the environment switches), of the
 * output folder's path and of `failOnWarnings`. {@link AccountReuse} hashes
 * all of them into the account's key.
 *
 * After a successful synth, each account's record is kept in the project's
 * `node_modules/.cache/cdktf-lambda-kms/synth-reuse/<hash of the output
 * folder's path>/` (see {@link reuseFolder}): its key, its group result,
 * the SHA-256 of every file of its stack folders, and its part of the access
 * reports. The next synth reuses an account only when the key is
 * the same and every file in the output folder still has the recorded bytes;
 * the files are then hard-linked (or copied) into the new output. Anything
 * else (a changed input, an edited or missing file, an unreadable record)
 * synthesizes the account as usual. The output is the same bytes either way.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { AccessReportPart } from "../access";
import type { AccountConfig, AppConfig } from "../config/app-config";
import { codeIdentity, fileHash, fileHashes, serializedConfig } from "./synth-inputs";
import type { GroupResult } from "./synthesize-app";

/** The environment switch: `off` synthesizes every account (`on`, or unset, reuses unchanged ones). */
export const SYNTH_REUSE_ENV = "LAMBDA_KMS_SYNTH_REUSE";

/** Changes when a record's format or meaning changes, so that older records are not read. */
const RECORD_FORMAT = "account-reuse 1";

/** The file of a reuse folder that names its output folder (an account name cannot hold capitals). */
const OUTDIR_FILE = "OUTDIR";

/**
 * Where the records of the synths into `finalOutdir` are kept: a folder per
 * output folder in the `node_modules/.cache/` of the project the synth runs
 * in (beside the access check's kept decisions), so that nothing is written
 * beside the output folder; `undefined` when `cwd` has no `node_modules`
 * (nothing is created outside a project, and nothing is reused).
 */
export function reuseFolder(finalOutdir: string, cwd: string = process.cwd()): string | undefined {
  const modules = path.join(cwd, "node_modules");
  if (!fs.existsSync(modules)) return undefined;
  return path.join(modules, ".cache", "cdktf-lambda-kms", "synth-reuse", sha256(finalOutdir).slice(0, 32));
}

/** Whether the main job reuses unchanged accounts; throws on a value other than `on` or `off`. */
export function reuseFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env[SYNTH_REUSE_ENV];
  if (value === undefined || value === "" || value === "on") return true;
  if (value === "off") return false;
  throw new Error(`${SYNTH_REUSE_ENV} must be "on" or "off" ("off" synthesizes every account again), got ${JSON.stringify(value)}`);
}

/** What is kept of an account's synth. */
interface AccountRecord {
  readonly format: string;
  readonly key: string;
  /** The statements of its policies as their fields (PolicyStatementProps), as a worker sends them. */
  readonly result: Omit<GroupResult, "index" | "accessPart" | "access" | "files" | "policies"> & { readonly policies: readonly (readonly [string, unknown])[] };
  readonly accessPart: Pick<AccessReportPart, "counts" | "stacks"> & { readonly jsonBytes: number; readonly markdownBytes: number };
  /** SHA-256 of every file of the account's stack folders, by path under `stacks/`. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * SHA-256 of every file of `stacks`' folders under `stacksFolder`, by path
 * under it (POSIX separators), for the account's record.
 */
export function stackFileHashes(stacksFolder: string, stacks: readonly string[]): Record<string, string> {
  return Object.fromEntries(stacks.flatMap((stack) => Object.entries(fileHashes(path.join(stacksFolder, stack))).map(([file, hash]) => [`${stack}/${file}`, hash])));
}

export class AccountReuse {
  /**
   * The reuse for a synth of `config` into `finalOutdir`; `undefined` when
   * the configuration does not serialize faithfully, or when the app runs
   * from its TypeScript sources (the compiled app in `dist/` is one of the
   * inputs, and the sources are not it).
   */
  public static open(config: AppConfig, finalOutdir: string, failOnWarnings: boolean): AccountReuse | undefined {
    const folder = reuseFolder(finalOutdir);
    if (!__filename.endsWith(".js") || folder === undefined) return undefined;
    // What every account's synth reads, then the account's entry: together, the configuration its group sees.
    const shared = serializedConfig({ ...config, accounts: [] });
    if (shared === undefined) return undefined;
    const sharedInputs = sha256(JSON.stringify([RECORD_FORMAT, codeIdentity(config, path.resolve(__dirname, "..", "..")), finalOutdir, failOnWarnings, shared]));
    const keys = new Map<string, string>();
    for (const account of config.accounts) {
      const entry = serializedConfig(account);
      if (entry === undefined) return undefined;
      keys.set(account.name, sha256(JSON.stringify([sharedInputs, entry])));
    }
    forgetRemovedOutdirs(path.dirname(folder));
    return new AccountReuse(folder, finalOutdir, keys);
  }

  private constructor(
    /** Where the records are kept. */
    private readonly folder: string,
    private readonly finalOutdir: string,
    private readonly keys: ReadonlyMap<string, string>,
  ) {}

  /**
   * The account's result, its stack folders linked into `staging`, when its
   * record has the account's key and every recorded file is unchanged in the
   * output folder; `undefined` otherwise (synthesize it).
   */
  public reuse(account: AccountConfig, index: number, staging: string): GroupResult | undefined {
    const record = this.readRecord(account.name);
    if (record === undefined) return undefined;
    const accessPart = { ...this.partFiles(account.name), counts: record.accessPart.counts, stacks: record.accessPart.stacks };
    const partsIntact = fileSize(accessPart.json) === record.accessPart.jsonBytes && fileSize(accessPart.markdown) === record.accessPart.markdownBytes;
    if (!partsIntact || !Object.entries(record.files).every(([file, hash]) => this.hasBytes(file, hash))) return undefined;
    try {
      fs.mkdirSync(path.join(staging, "stacks"), { recursive: true });
      for (const folder of foldersOf(Object.keys(record.files))) fs.mkdirSync(path.join(staging, "stacks", folder));
      for (const file of Object.keys(record.files)) linkOrCopy(path.join(this.finalOutdir, "stacks", file), path.join(staging, "stacks", file));
    } catch {
      // A file changed or vanished since it was checked: synthesize the account after all.
      for (const stack of record.result.stacks) fs.rmSync(path.join(staging, "stacks", stack), { recursive: true, force: true });
      return undefined;
    }
    // The synth turns the statements' fields back into PolicyStatements, as it does with a worker's results.
    return { ...record.result, policies: record.result.policies as GroupResult["policies"], index, accessPart, access: [] };
  }

  /**
   * Before the new output replaces the old one: moves the access report
   * parts of the accounts synthesized this time into the folder, and
   * forgets those accounts' earlier records (their old output is going).
   * Returns a warning when the folder cannot be written: the synth goes on,
   * removes the parts, and records nothing.
   */
  public keepParts(accounts: readonly (readonly [string, GroupResult])[]): string | undefined {
    return this.unlessFailed(
      () => {
        fs.mkdirSync(this.folder, { recursive: true });
        fs.writeFileSync(path.join(this.folder, OUTDIR_FILE), this.finalOutdir);
        for (const [account, result] of accounts) {
          fs.rmSync(this.recordFile(account), { force: true });
          const kept = this.partFiles(account);
          moveFile(result.accessPart.json, kept.json);
          moveFile(result.accessPart.markdown, kept.markdown);
        }
      },
      () => {
        for (const [, result] of accounts) for (const part of [result.accessPart.json, result.accessPart.markdown]) fs.rmSync(part, { force: true });
      },
    );
  }

  /**
   * After the new output is in place: records the accounts synthesized this
   * time (their parts kept by {@link keepParts}), and removes what is kept
   * of accounts no longer in the configuration. Returns a warning when the
   * folder cannot be written.
   */
  public record(accounts: readonly (readonly [string, GroupResult])[]): string | undefined {
    return this.unlessFailed(() => {
      fs.mkdirSync(this.folder, { recursive: true });
      fs.writeFileSync(path.join(this.folder, OUTDIR_FILE), this.finalOutdir);
      for (const [account, result] of accounts) {
        // Without its files' hashes a record could not be checked against the output.
        if (result.files === undefined) continue;
        const parts = this.partFiles(account);
        const record: AccountRecord = {
          format: RECORD_FORMAT,
          key: this.keys.get(account)!,
          result: {
            accounts: result.accounts,
            stacks: result.stacks,
            manifest: result.manifest,
            compliance: result.compliance,
            // A statement's fields: its toJSON writes IAM's format.
            policies: result.policies.map(([name, policy]) => [name, { ...policy, statements: policy.statements.map((statement) => ({ ...statement })) }]),
          },
          accessPart: { counts: result.accessPart.counts, stacks: result.accessPart.stacks, jsonBytes: fileSize(parts.json), markdownBytes: fileSize(parts.markdown) },
          files: result.files,
        };
        const partial = `${this.recordFile(account)}.${process.pid}.partial`;
        fs.writeFileSync(partial, JSON.stringify(record));
        fs.renameSync(partial, this.recordFile(account));
      }
      for (const file of fs.readdirSync(this.folder)) {
        if (file !== OUTDIR_FILE && !this.keys.has(file.split(".")[0])) fs.rmSync(path.join(this.folder, file), { force: true });
      }
    });
  }

  /** Runs `step`; on an error, runs `cleanUp` and returns the warning. */
  private unlessFailed(step: () => void, cleanUp: () => void = () => undefined): string | undefined {
    try {
      step();
      return undefined;
    } catch (error) {
      cleanUp();
      return `the output could not be kept for reuse in ${this.folder} (${(error as Error).message}); the next synth synthesizes every account (${SYNTH_REUSE_ENV}=off keeps nothing)`;
    }
  }

  private readRecord(account: string): AccountRecord | undefined {
    try {
      const record = JSON.parse(fs.readFileSync(this.recordFile(account), "utf8")) as AccountRecord;
      return record.format === RECORD_FORMAT && record.key === this.keys.get(account) ? record : undefined;
    } catch {
      return undefined;
    }
  }

  private hasBytes(file: string, hash: string): boolean {
    try {
      return fileHash(path.join(this.finalOutdir, "stacks", file)) === hash;
    } catch {
      return false;
    }
  }

  private recordFile(account: string): string {
    return path.join(this.folder, `${account}.json`);
  }

  private partFiles(account: string): { json: string; markdown: string } {
    return { json: path.join(this.folder, `${account}.access.json.part`), markdown: path.join(this.folder, `${account}.access.md.part`) };
  }
}

/** Removes the reuse folders whose output folder is gone (deleted, or a test's temporary folder). */
function forgetRemovedOutdirs(parent: string): void {
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) {
    const folder = path.join(parent, name);
    let outdir: string | undefined;
    try {
      outdir = fs.readFileSync(path.join(folder, OUTDIR_FILE), "utf8");
    } catch {
      // A folder being created, or not one of ours: leave it.
      continue;
    }
    if (!fs.existsSync(outdir)) fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** A rename, or a copy where the cache is on another file system than the output. */
function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? -1;
}

/**
 * The folders that hold `files` and their parents, each once, parents first:
 * a recursive mkdir per file took a fifth of a synth that reused 1,250 stacks.
 */
function foldersOf(files: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const file of files) for (let folder = path.posix.dirname(file); folder !== "." && !folders.has(folder); folder = path.posix.dirname(folder)) folders.add(folder);
  return [...folders].sort((a, b) => a.split("/").length - b.split("/").length);
}

/** A hard link (the output folders are side by side, on one file system), else a copy. */
function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}
