import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

/**
 * Deterministic ZIP packaging for Lambda code.
 *
 * Why not `archiver`, `adm-zip` or cdktf's `AssetType.ARCHIVE`? They store the
 * files' modification times (and sometimes owner, uid/gid or directory order)
 * in the archive. A fresh checkout, a `touch` or a CI runner then produces a
 * zip with different bytes for the very same code, so `source_code_hash`
 * changes and every `terraform plan` shows a Lambda update nobody made.
 *
 * This writer stores only what matters to Lambda: the relative path, the
 * content and whether the file is executable. Same content in, same bytes out,
 * same `source_code_hash`: a second `terraform plan` shows no change.
 *
 * What makes it deterministic:
 * - entries sorted by their POSIX relative path, compared as UTF-8 bytes (not
 *   in `readdir` order, which depends on the file system);
 * - one fixed timestamp for every entry: 1980-01-01 00:00:00, the DOS epoch;
 * - fixed permissions: 0644, or 0755 when the file has any execute bit (Lambda
 *   needs the bit on custom runtime `bootstrap` files and bundled binaries);
 * - no extra fields (those carry Unix mtimes/uids), no comments, no directory
 *   entries (directories are implied by the file paths);
 * - DEFLATE with fixed parameters (level 9, window 15, memLevel 8, default
 *   strategy) and one `deflateRawSync` call per file.
 *
 * Caveat: the compressed bytes are only as stable as the zlib build. Node
 * bundles its own zlib (Chromium's fork), so the same Node release gives the
 * same bytes on every machine; a Node upgrade that changes
 * `process.versions.zlib` may change the bytes (and the hash) once.
 *
 * Only Node built-ins are used: no npm dependency whose own defaults
 * (timestamps, ordering, compression) could change under us.
 *
 * Format reference: PKWARE APPNOTE.TXT, sections 4.3.7 (local file header),
 * 4.3.12 (central directory header) and 4.3.16 (end of central directory).
 */

/** Options for {@link createDeterministicZip}. */
export interface DeterministicZipOptions {
  /**
   * Paths to leave out of the archive. Globs are not supported; each entry is
   * either:
   * - a name without "/" (e.g. `.git`, `node_modules`, `.DS_Store`): skips every
   *   file or directory with that name, at any depth;
   * - a relative POSIX path with "/" (e.g. `src/test`, `dist/app.js.map`): skips
   *   that file or directory (and everything under it), relative to the
   *   source directory.
   *
   * Excluded paths are never read, so an excluded symlink is not an error.
   *
   * @default [] (nothing is excluded: what is in the folder is what gets deployed)
   */
  readonly exclude?: readonly string[];
}

/** DOS date for 1980-01-01: ((1980 - 1980) << 9) | (1 << 5) | 1. */
const DOS_DATE_1980_01_01 = 0x0021;
/** DOS time for 00:00:00. */
const DOS_TIME_MIDNIGHT = 0x0000;
/** Version needed to extract: 2.0 (DEFLATE). */
const VERSION_NEEDED = 20;
/** Version made by: upper byte 3 = Unix (so external attributes hold a mode), lower byte 2.0. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
/** General purpose flag bit 11: file names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** Compression method 8: DEFLATE. */
const METHOD_DEFLATE = 8;
/** Unix file type bits for a regular file (S_IFREG). */
const S_IFREG = 0o100000;
/** Largest value of a 32-bit field; 0xFFFFFFFF itself means "see ZIP64", so it is excluded too. */
const MAX_U32 = 0xfffffffe;
/** Largest entry count; 0xFFFF itself means "see ZIP64", so it is excluded too. */
const MAX_ENTRIES = 0xfffe;

const DEFLATE_OPTIONS: zlib.ZlibOptions = {
  level: 9,
  windowBits: 15,
  memLevel: 8,
  strategy: zlib.constants.Z_DEFAULT_STRATEGY,
};

interface SourceFile {
  /** POSIX path relative to the source directory: the entry name. */
  readonly name: string;
  /** Absolute path on disk. */
  readonly absolutePath: string;
}

/**
 * Builds a byte-for-byte reproducible ZIP archive of every regular file under
 * `sourceDirectory` (recursively). Two calls on folders with the same relative
 * paths, contents and execute bits return identical buffers, whatever the
 * files' modification times, owners or creation order.
 *
 * @param sourceDirectory folder to package; relative paths resolve against `process.cwd()`.
 * @param options see {@link DeterministicZipOptions}.
 * @throws when the folder is missing, is not a directory, holds no file (after
 *   exclusions), contains a symlink or another non-regular file, or when the
 *   archive would need ZIP64 (an entry or the archive ≥ 4 GiB, or ≥ 65535 files).
 */
export function createDeterministicZip(sourceDirectory: string, options: DeterministicZipOptions = {}): Buffer {
  const root = path.resolve(sourceDirectory);
  const exclude = normalizeExclude(options.exclude ?? []);

  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new Error(`lambda code directory does not exist: ${root}. create it or fix the path (relative paths resolve against ${process.cwd()}).`);
    }
    throw new Error(`lambda code directory cannot be read: ${root} (${code ?? String(error)}). check its permissions.`);
  }
  if (!rootStat.isDirectory()) {
    throw new Error(`lambda code path is not a directory: ${root}. pass the folder that holds the handler files, not a file or an existing zip.`);
  }

  const files = listFiles(root, exclude);
  if (files.length === 0) {
    throw new Error(
      `lambda code directory is empty: ${root} holds no file${exclude.size > 0 ? " after exclusions" : ""}. build the function code into it first, or point to the right folder.`,
    );
  }
  if (files.length > MAX_ENTRIES) {
    throw new Error(
      `lambda code directory has too many files for a zip without ZIP64: ${root} holds ${files.length} files (at most ${MAX_ENTRIES}). bundle the code or exclude files.`,
    );
  }

  const chunks: Buffer[] = [];
  const centralHeaders: Buffer[] = [];
  let offset = 0;

  for (const file of files) {
    const stat = fs.statSync(file.absolutePath);
    if (stat.size > MAX_U32) {
      throw new Error(
        `lambda code file is too large for a zip without ZIP64: ${file.absolutePath} is ${stat.size} bytes (at most ${MAX_U32}). exclude it or ship it another way (a layer or s3).`,
      );
    }
    const content = fs.readFileSync(file.absolutePath);
    const compressed = zlib.deflateRawSync(content, DEFLATE_OPTIONS);
    const crc = zlib.crc32(content);
    const name = Buffer.from(file.name, "utf8");
    // Any execute bit (owner, group or other) → 0755, otherwise 0644. Nothing else
    // of the on-disk mode (umask, setuid, sticky) leaks into the archive.
    const permissions = (stat.mode & 0o111) !== 0 ? 0o755 : 0o644;

    const entry = { name, crc, compressedSize: compressed.length, size: content.length };
    const local = localFileHeader(entry);
    chunks.push(local, compressed);
    centralHeaders.push(centralDirectoryHeader(entry, permissions, offset));

    offset += local.length + compressed.length;
    if (offset > MAX_U32) {
      throw new Error(`lambda code archive would exceed 4 GiB, which needs ZIP64: ${root}. bundle the code or exclude files.`);
    }
  }

  const centralDirectory = Buffer.concat(centralHeaders);
  if (offset + centralDirectory.length > MAX_U32) {
    throw new Error(`lambda code archive would exceed 4 GiB, which needs ZIP64: ${root}. bundle the code or exclude files.`);
  }
  chunks.push(centralDirectory, endOfCentralDirectory(files.length, centralDirectory.length, offset));
  return Buffer.concat(chunks);
}

interface EntryInfo {
  readonly name: Buffer;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
}

/** APPNOTE 4.3.7: local file header, followed by the name and the compressed data. */
function localFileHeader(entry: EntryInfo): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0); // signature
  header.writeUInt16LE(VERSION_NEEDED, 4);
  header.writeUInt16LE(FLAG_UTF8, 6);
  header.writeUInt16LE(METHOD_DEFLATE, 8);
  header.writeUInt16LE(DOS_TIME_MIDNIGHT, 10);
  header.writeUInt16LE(DOS_DATE_1980_01_01, 12);
  header.writeUInt32LE(entry.crc, 14);
  header.writeUInt32LE(entry.compressedSize, 18);
  header.writeUInt32LE(entry.size, 22);
  header.writeUInt16LE(entry.name.length, 26);
  header.writeUInt16LE(0, 28); // extra field length: none
  return Buffer.concat([header, entry.name]);
}

/** APPNOTE 4.3.12: central directory file header, followed by the name. */
function centralDirectoryHeader(entry: EntryInfo, permissions: number, localHeaderOffset: number): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0); // signature
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(VERSION_NEEDED, 6);
  header.writeUInt16LE(FLAG_UTF8, 8);
  header.writeUInt16LE(METHOD_DEFLATE, 10);
  header.writeUInt16LE(DOS_TIME_MIDNIGHT, 12);
  header.writeUInt16LE(DOS_DATE_1980_01_01, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(entry.compressedSize, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(0, 30); // extra field length: none
  header.writeUInt16LE(0, 32); // comment length: none
  header.writeUInt16LE(0, 34); // disk number start
  header.writeUInt16LE(0, 36); // internal attributes
  // External attributes: with "made by Unix", the high 16 bits hold st_mode.
  // Multiply instead of `<< 16`, which would overflow a signed 32-bit int.
  header.writeUInt32LE((S_IFREG | permissions) * 0x10000, 38);
  header.writeUInt32LE(localHeaderOffset, 42);
  return Buffer.concat([header, entry.name]);
}

/** APPNOTE 4.3.16: end of central directory record (single disk, no comment). */
function endOfCentralDirectory(entries: number, centralDirectorySize: number, centralDirectoryOffset: number): Buffer {
  const record = Buffer.alloc(22);
  record.writeUInt32LE(0x06054b50, 0); // signature
  record.writeUInt16LE(0, 4); // number of this disk
  record.writeUInt16LE(0, 6); // disk where the central directory starts
  record.writeUInt16LE(entries, 8); // entries on this disk
  record.writeUInt16LE(entries, 10); // entries in total
  record.writeUInt32LE(centralDirectorySize, 12);
  record.writeUInt32LE(centralDirectoryOffset, 16);
  record.writeUInt16LE(0, 20); // comment length
  return record;
}

/** Checks and normalizes the exclude list (strips "./" and trailing "/"). */
function normalizeExclude(exclude: readonly string[]): Set<string> {
  const result = new Set<string>();
  for (const raw of exclude) {
    const entry = raw.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    if (
      entry === "" ||
      entry === "." ||
      entry.includes("\\") ||
      /[*?[\]{}]/.test(entry) ||
      path.posix.isAbsolute(entry) ||
      entry.split("/").some((segment) => segment === ".." || segment === "." || segment === "")
    ) {
      throw new Error(
        `invalid exclude entry ${JSON.stringify(raw)}: use a file or folder name (e.g. "node_modules") or a relative POSIX path inside the source directory (e.g. "src/test"); globs, absolute paths, ".." and backslashes are not supported.`,
      );
    }
    result.add(entry);
  }
  return result;
}

function isExcluded(relativePath: string, exclude: ReadonlySet<string>): boolean {
  if (exclude.size === 0) return false;
  // Relative paths with "/" match exactly (a folder match also skips its content,
  // since the walk never descends into it); bare names match at any depth.
  return exclude.has(relativePath) || exclude.has(path.posix.basename(relativePath));
}

/** Walks `root` and returns its regular files sorted by UTF-8 bytes of their relative POSIX path. */
function listFiles(root: string, exclude: ReadonlySet<string>): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (directory: string, relativeDirectory: string): void => {
    for (const dirent of fs.readdirSync(directory, { withFileTypes: true })) {
      const relativePath = relativeDirectory === "" ? dirent.name : `${relativeDirectory}/${dirent.name}`;
      if (isExcluded(relativePath, exclude)) continue;
      const absolutePath = path.join(directory, dirent.name);
      if (dirent.isSymbolicLink()) {
        // Following links could pull files from outside the folder into the
        // deployment package, or loop forever; storing them as links is not
        // portable. Refuse and let the user decide.
        throw new Error(
          `lambda code directory contains a symlink: ${absolutePath}. replace it with a copy of its target, or exclude it (exclude: [${JSON.stringify(relativePath)}]).`,
        );
      }
      if (dirent.isDirectory()) {
        walk(absolutePath, relativePath);
      } else if (dirent.isFile()) {
        files.push({ name: relativePath, absolutePath });
      } else {
        throw new Error(
          `lambda code directory contains something that is neither a file nor a folder (socket, fifo or device): ${absolutePath}. remove it or exclude it (exclude: [${JSON.stringify(relativePath)}]).`,
        );
      }
    }
  };
  walk(root, "");
  // Byte order of the UTF-8 names, not JavaScript's UTF-16 order: the two differ
  // for characters outside the Basic Multilingual Plane.
  return files
    .map((file) => ({ file, key: Buffer.from(file.name, "utf8") }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ file }) => file);
}
