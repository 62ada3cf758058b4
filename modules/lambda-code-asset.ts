import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AssetType, TerraformAsset, Token } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { createDeterministicZip } from "./deterministic-zip";

/** Props of {@link LambdaCodeAsset}. */
export interface LambdaCodeAssetProps {
  /**
   * Folder that holds the Lambda code (the handler and everything it needs at
   * runtime). Every regular file under it is packaged; symlinks are refused.
   * A relative path is resolved against `process.cwd()` (not against
   * `cdktf.json`), so run synthesis from the project root or pass an absolute
   * path (e.g. `path.join(__dirname, "../functions/app")`).
   */
  readonly directory: string;

  /**
   * Names (any depth, e.g. `node_modules`) or relative POSIX paths (e.g.
   * `src/test`) to leave out of the zip. Globs are not supported. See
   * `DeterministicZipOptions.exclude`.
   *
   * @default [] (nothing is excluded)
   */
  readonly exclude?: readonly string[];
}

/**
 * Prefix of the per-user cache folder for the built zips (the user id, or the
 * user name where there is no uid, is appended).
 */
const CACHE_FOLDER_PREFIX = "cdktf-lambda-kms-assets";

/**
 * Largest zip Lambda accepts when it is uploaded directly (the `filename`
 * argument of `aws_lambda_function` sends it through the Lambda API): 50 MB,
 * i.e. 52,428,800 bytes. See "Deployment package (.zip file archive) size" in
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html.
 */
const MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;

/**
 * Packages a folder into a deterministic zip and adds it to the stack as a
 * cdktf `TerraformAsset`, ready for `aws_lambda_function`:
 *
 * ```ts
 * const code = new LambdaCodeAsset(this, "code", { directory: path.join(__dirname, "../functions/app") });
 * new LambdaFunction(this, "fn", { filename: code.path, sourceCodeHash: code.sourceCodeHash, ... });
 * ```
 *
 * Why: the zip bytes depend only on file paths, contents and execute bits
 * (see `createDeterministicZip`), so unchanged code gives the same
 * `source_code_hash` and the same asset path on every machine running the
 * same Node release, and a second `terraform plan` shows no change. cdktf's
 * own `AssetType.ARCHIVE` stores modification times, which changes the hash
 * on every fresh checkout.
 *
 * The zip is built at construction, once per app and folder (every stack of
 * an app that deploys the same folder shares it), into a private per-user cache,
 * `<os.tmpdir()>/cdktf-lambda-kms-assets-<uid>/<sha256 hex>.zip` (mode 0700;
 * the user name replaces the uid on Windows); synthesis copies it to
 * `cdktf.out/stacks/<stack>/assets/<logical id>/<sha256 hex>/<sha256 hex>.zip`.
 * A cached file is reused only when its SHA-256 matches, so the copied bytes
 * are always the ones `sourceCodeHash` names.
 *
 * @throws when the zip is larger than 50 MB (Lambda's limit for a direct
 *   upload), or when the cache folder is unsafe (a symlink, not a directory,
 *   owned by another user, or open to group/other).
 */
export class LambdaCodeAsset extends Construct {
  /**
   * Base64-encoded SHA-256 of the zip bytes: the value
   * `aws_lambda_function.source_code_hash` expects, equal to Terraform's
   * `filebase64sha256(path)`.
   */
  public readonly sourceCodeHash: string;

  /** The underlying cdktf asset (escape hatch). Its id is `asset`. */
  public readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: LambdaCodeAssetProps) {
    super(scope, id);

    if (Token.isUnresolved(props.directory)) {
      throw new Error(`lambda code asset "${this.node.path}": directory must be a plain path known at synth time, got the token ${props.directory}. pass a literal folder path.`);
    }
    const directory = path.resolve(process.cwd(), props.directory);
    const packaged = packageOnce(this.node.root, directory, props.exclude ?? []);
    if (packaged.zipPath === undefined) {
      throw new Error(
        `lambda code asset "${this.node.path}": the zip of ${directory} is ${(packaged.bytes / (1024 * 1024)).toFixed(2)} MB (${packaged.bytes} bytes), above the 50 MB (${MAX_DIRECT_UPLOAD_BYTES} bytes) Lambda accepts for a direct upload. upload the package through S3 instead (aws_lambda_function s3_bucket/s3_key), trim the folder (bundle/minify, drop dev dependencies), or leave files out with exclude.`,
      );
    }
    this.sourceCodeHash = packaged.sourceCodeHash;
    const hex = packaged.hex;
    const zipPath = packaged.zipPath;
    this.asset = new TerraformAsset(this, "asset", {
      path: zipPath,
      type: AssetType.FILE,
      assetHash: hex,
    });
  }

  /**
   * Path of the zip relative to the synthesized stack folder, in POSIX form
   * (`assets/<logical id>/<sha256 hex>/<sha256 hex>.zip`). Use it as
   * `aws_lambda_function.filename`; Terraform resolves it from the stack
   * folder it runs in.
   */
  public get path(): string {
    return this.asset.path;
  }
}

interface PackagedCode {
  readonly bytes: number;
  readonly hex: string;
  readonly sourceCodeHash: string;
  /** Where the zip is cached; undefined when it is over Lambda's limit (and so never written). */
  readonly zipPath: string | undefined;
}

/** The code folders an app has packaged: one zip per folder and exclusions, however many stacks deploy it. */
const packagedPerApp = new WeakMap<IConstruct, Map<string, PackagedCode>>();

/**
 * Zips `directory` once per app (`root`, the construct tree's root): every
 * account and region deploys the same folder, and zipping is the costly part
 * of a code asset. A new app (the next synth) zips again, so changed code is
 * always picked up.
 */
function packageOnce(root: IConstruct, directory: string, exclude: readonly string[]): PackagedCode {
  let packaged = packagedPerApp.get(root);
  if (!packaged) packagedPerApp.set(root, (packaged = new Map()));
  const key = JSON.stringify([directory, exclude]);
  let code = packaged.get(key);
  // A cached zip removed meanwhile (someone cleaned the cache folder) is built again.
  if (!code || (code.zipPath !== undefined && !fs.existsSync(code.zipPath))) {
    const zip = createDeterministicZip(directory, { exclude });
    const digest = crypto.createHash("sha256").update(zip).digest();
    const hex = digest.toString("hex");
    code = { bytes: zip.length, hex, sourceCodeHash: digest.toString("base64"), zipPath: zip.length > MAX_DIRECT_UPLOAD_BYTES ? undefined : writeZipOnce(zip, hex) };
    packaged.set(key, code);
  }
  return code;
}

/**
 * Returns the private per-user cache folder, creating it with mode 0700 when
 * missing. `os.tmpdir()` is usually shared and world-writable: another local
 * user could create the folder first (or a symlink in its place) and plant a
 * zip under the expected name. So an existing folder is used only when it is a
 * real directory (not a symlink), owned by the current user, with no group or
 * other permission bits. The ownership and mode checks need POSIX uids and
 * modes; on platforms without `process.getuid` (Windows) only the symlink and
 * directory checks apply.
 */
function privateCacheFolder(): string {
  const uid = process.getuid?.();
  const folder = path.join(os.tmpdir(), `${CACHE_FOLDER_PREFIX}-${uid ?? os.userInfo().username}`);
  try {
    fs.mkdirSync(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new Error(
        `lambda code asset cache folder cannot be created: ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)}). check that ${os.tmpdir()} exists and is writable, or point TMPDIR at a folder that is.`,
      );
    }
  }

  const stat = fs.lstatSync(folder);
  const refuse = (reason: string): never => {
    throw new Error(
      `lambda code asset cache folder ${folder} ${reason}; refusing to use it, since another user could swap the deployed code through it. remove it (rm -rf ${JSON.stringify(folder)}) and synthesize again: it is recreated private (mode 0700).`,
    );
  };
  if (stat.isSymbolicLink()) refuse("is a symlink");
  if (!stat.isDirectory()) refuse("is not a directory");
  if (uid !== undefined) {
    if (stat.uid !== uid) refuse(`is owned by uid ${stat.uid}, not by the current user (uid ${uid})`);
    if ((stat.mode & 0o077) !== 0) {
      refuse(`has mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")}, open to group or other (expected 0700)`);
    }
  }
  return folder;
}

/**
 * Writes the zip to the private cache folder under its content hash, unless a
 * regular file with the same SHA-256 is already there. Never follows a symlink
 * at the cache path (it is removed and replaced). Writes to a new, unique
 * temporary name (`wx`: fails rather than reuse an existing file), then
 * renames: a rename is atomic on one file system, so a concurrent process
 * (parallel synth, jest workers) sees either the old file or the whole new one.
 */
function writeZipOnce(zip: Buffer, hex: string): string {
  const folder = privateCacheFolder();
  const target = path.join(folder, `${hex}.zip`);

  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (existing !== undefined) {
    if (existing.isFile()) {
      if (existing.size === zip.length && cachedFileHash(target) === hex) return target;
    } else {
      // A symlink, folder or anything else: never read through it.
      fs.rmSync(target, { recursive: true, force: true });
    }
  }

  const temporary = path.join(folder, `${hex}.zip.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temporary, zip, { flag: "wx" });
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return target;
}

/**
 * SHA-256 (hex) of a cached file, opened without following a symlink
 * (`O_NOFOLLOW`, where the platform has it). Returns undefined when the file
 * vanished, turned into a symlink or is no longer a regular file.
 */
function cachedFileHash(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP") return undefined;
    throw error;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    return crypto.createHash("sha256").update(fs.readFileSync(fd)).digest("hex");
  } finally {
    fs.closeSync(fd);
  }
}
