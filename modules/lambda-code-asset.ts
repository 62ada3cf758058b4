import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AssetType, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
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

/** Shared cache folder for the built zips, keyed by content hash. */
const CACHE_FOLDER = "cdktf-lambda-kms-assets";

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
 * The zip is built once, at construction, into
 * `<os.tmpdir()>/cdktf-lambda-kms-assets/<sha256 hex>.zip`; synthesis copies it
 * to `cdktf.out/stacks/<stack>/assets/<logical id>/<sha256 hex>/<sha256 hex>.zip`.
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
      throw new Error(
        `lambda code asset "${this.node.path}": directory must be a plain path known at synth time, got the token ${props.directory}. pass a literal folder path.`,
      );
    }
    const directory = path.resolve(process.cwd(), props.directory);
    const zip = createDeterministicZip(directory, { exclude: props.exclude ?? [] });

    const digest = crypto.createHash("sha256").update(zip).digest();
    const hex = digest.toString("hex");
    this.sourceCodeHash = digest.toString("base64");

    const zipPath = writeZipOnce(zip, hex);
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

/**
 * Writes the zip to the shared cache folder under its content hash, unless a
 * complete copy is already there. Writes to a unique temporary name, then
 * renames: a rename is atomic on one file system, so a concurrent process
 * (parallel synth, jest workers) sees either no file or the whole file.
 */
function writeZipOnce(zip: Buffer, hex: string): string {
  const folder = path.join(os.tmpdir(), CACHE_FOLDER);
  const target = path.join(folder, `${hex}.zip`);
  if (fs.existsSync(target) && fs.statSync(target).size === zip.length) {
    return target;
  }
  fs.mkdirSync(folder, { recursive: true });
  const temporary = path.join(folder, `${hex}.zip.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temporary, zip);
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return target;
}
