import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createDeterministicZip } from "../../modules/deterministic-zip";

/** What Python's zipfile (a real, independent ZIP reader) sees in an archive. */
interface PythonZipView {
  /** null when every CRC matches (ZipFile.testzip()). */
  readonly badFile: string | null;
  readonly entries: {
    readonly name: string;
    readonly content: string;
    readonly mode: number;
    readonly createSystem: number;
    readonly dateTime: number[];
    readonly flagBits: number;
    readonly compressType: number;
    readonly extraLength: number;
  }[];
}

const PYTHON_READER = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    entries = [{
        "name": i.filename,
        "content": z.read(i).decode("utf-8"),
        "mode": i.external_attr >> 16,
        "createSystem": i.create_system,
        "dateTime": list(i.date_time),
        "flagBits": i.flag_bits,
        "compressType": i.compress_type,
        "extraLength": len(i.extra),
    } for i in z.infolist()]
print(json.dumps({"badFile": bad, "entries": entries}))
`;

const temporaryFolders: string[] = [];

function tempDir(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "deterministic-zip-test-"));
  temporaryFolders.push(folder);
  return folder;
}

/** Writes files (relative POSIX path → content) in the given order. */
function writeTree(root: string, files: Record<string, string>, order = Object.keys(files)): void {
  for (const name of order) {
    const target = path.join(root, ...name.split("/"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, files[name]);
  }
}

function readWithPython(zip: Buffer): PythonZipView {
  const file = path.join(tempDir(), "archive.zip");
  fs.writeFileSync(file, zip);
  return JSON.parse(execFileSync("python3", ["-c", PYTHON_READER, file], { encoding: "utf8" })) as PythonZipView;
}

afterAll(() => {
  for (const folder of temporaryFolders) fs.rmSync(folder, { recursive: true, force: true });
});

const SAMPLE = {
  "index.js": "exports.handler = async () => ({ statusCode: 200 });\n",
  "lib/util.js": "module.exports = { answer: 42 };\n",
  "lib/deep/data.json": '{"k":"v"}\n',
  "README.md": "# function\n",
};

describe("createDeterministicZip", () => {
  test("returns the same bytes for two calls on the same folder", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const first = createDeterministicZip(root);
    const second = createDeterministicZip(root);
    expect(first.length).toBeGreaterThan(0);
    expect(first.equals(second)).toBe(true);
  });

  test("returns the same bytes after file modification times change", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const before = createDeterministicZip(root);
    const later = new Date("2031-05-06T07:08:09Z");
    for (const name of Object.keys(SAMPLE)) fs.utimesSync(path.join(root, name), later, later);
    fs.utimesSync(path.join(root, "lib"), later, later);
    const after = createDeterministicZip(root);
    expect(fs.statSync(path.join(root, "index.js")).mtime.getTime()).toBe(later.getTime());
    expect(after.equals(before)).toBe(true);
  });

  test("returns different bytes when a file's content changes", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const before = createDeterministicZip(root);
    fs.writeFileSync(path.join(root, "lib/util.js"), "module.exports = { answer: 43 };\n");
    expect(createDeterministicZip(root).equals(before)).toBe(false);
  });

  test("returns different bytes when a file gains an execute bit", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const before = createDeterministicZip(root);
    fs.chmodSync(path.join(root, "index.js"), 0o755);
    expect(createDeterministicZip(root).equals(before)).toBe(false);
  });

  test("does not depend on the order in which files were created", () => {
    const a = tempDir();
    const b = tempDir();
    const names = Object.keys(SAMPLE);
    writeTree(a, SAMPLE, names);
    writeTree(b, SAMPLE, [...names].reverse());
    const zip = createDeterministicZip(a);
    expect(zip.equals(createDeterministicZip(b))).toBe(true);
    // Sorted by UTF-8 bytes of the POSIX path: uppercase before lowercase, "/" before letters.
    expect(readWithPython(zip).entries.map((e) => e.name)).toEqual(["README.md", "index.js", "lib/deep/data.json", "lib/util.js"]);
  });

  test("sorts by UTF-8 bytes, not by JavaScript string order", () => {
    const root = tempDir();
    // U+FF21 (fullwidth A) is EF BC A1 in UTF-8; U+1F600 is F0 9F 98 80. UTF-8 byte
    // order puts U+FF21 first; JavaScript's UTF-16 order (D83D... < FF21) would not.
    writeTree(root, { "\u{1F600}.txt": "emoji", "\uFF21.txt": "fullwidth" });
    expect(readWithPython(createDeterministicZip(root)).entries.map((e) => e.name)).toEqual(["\uFF21.txt", "\u{1F600}.txt"]);
  });

  test("writes a zip that a real unzip tool reads back, with valid CRCs and fixed metadata", () => {
    const root = tempDir();
    writeTree(root, { ...SAMPLE, bootstrap: "#!/bin/sh\nexec node index.js\n", "empty.txt": "" });
    fs.chmodSync(path.join(root, "bootstrap"), 0o700); // any execute bit → 0755
    fs.chmodSync(path.join(root, "README.md"), 0o600); // no execute bit → 0644
    const view = readWithPython(createDeterministicZip(root));

    expect(view.badFile).toBeNull();
    const byName = Object.fromEntries(view.entries.map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(["README.md", "bootstrap", "empty.txt", "index.js", "lib/deep/data.json", "lib/util.js"].sort());
    for (const [name, content] of Object.entries(SAMPLE)) expect(byName[name].content).toBe(content);
    expect(byName["empty.txt"].content).toBe("");

    expect(byName.bootstrap.mode).toBe(0o100755);
    expect(byName["README.md"].mode).toBe(0o100644);
    expect(byName["index.js"].mode).toBe(0o100644);
    for (const entry of view.entries) {
      expect(entry.createSystem).toBe(3); // Unix
      expect(entry.dateTime).toEqual([1980, 1, 1, 0, 0, 0]);
      expect(entry.flagBits & 0x0800).toBe(0x0800); // UTF-8 names
      expect(entry.compressType).toBe(8); // DEFLATE
      expect(entry.extraLength).toBe(0);
    }
  });

  test("is readable by the unzip command line tool", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const file = path.join(tempDir(), "code.zip");
    fs.writeFileSync(file, createDeterministicZip(root));
    const output = execFileSync("unzip", ["-t", file], { encoding: "utf8" });
    expect(output).toContain("No errors detected");
  });

  test("stores no directory entries", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    fs.mkdirSync(path.join(root, "empty-folder"));
    const names = readWithPython(createDeterministicZip(root)).entries.map((e) => e.name);
    expect(names.filter((n) => n.endsWith("/"))).toEqual([]);
    expect(names).toHaveLength(Object.keys(SAMPLE).length);
  });

  test("leaves out excluded names at any depth and excluded relative paths", () => {
    const root = tempDir();
    writeTree(root, {
      ...SAMPLE,
      ".git/HEAD": "ref: refs/heads/main\n",
      "lib/.git/config": "x",
      "lib/deep/skip.txt": "x",
      "libx/keep.txt": "kept",
    });
    const names = readWithPython(createDeterministicZip(root, { exclude: [".git", "./lib/deep/"] })).entries.map((e) => e.name);
    expect(names).toEqual(["README.md", "index.js", "lib/util.js", "libx/keep.txt"]);
  });

  test("does not read excluded symlinks", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    fs.mkdirSync(path.join(root, "node_modules/.bin"), { recursive: true });
    fs.symlinkSync("../x/cli.js", path.join(root, "node_modules/.bin/cli"));
    expect(() => createDeterministicZip(root, { exclude: ["node_modules"] })).not.toThrow();
  });

  test("fails when the folder does not exist", () => {
    const missing = path.join(tempDir(), "nope");
    expect(() => createDeterministicZip(missing)).toThrow(`lambda code directory does not exist: ${missing}`);
  });

  test("fails when the path is a file", () => {
    const file = path.join(tempDir(), "index.js");
    fs.writeFileSync(file, "x");
    expect(() => createDeterministicZip(file)).toThrow(`lambda code path is not a directory: ${file}`);
  });

  test("fails when the folder is empty", () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, "only-a-folder"));
    expect(() => createDeterministicZip(root)).toThrow(`lambda code directory is empty: ${root}`);
  });

  test("fails when every file is excluded", () => {
    const root = tempDir();
    writeTree(root, { "node_modules/a.js": "x" });
    expect(() => createDeterministicZip(root, { exclude: ["node_modules"] })).toThrow(`lambda code directory is empty: ${root} holds no file after exclusions`);
  });

  test("fails when the folder contains a symlink, naming it", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    const link = path.join(root, "lib", "link.js");
    fs.symlinkSync("util.js", link);
    expect(() => createDeterministicZip(root)).toThrow(`lambda code directory contains a symlink: ${link}`);
    expect(() => createDeterministicZip(root)).toThrow('exclude: ["lib/link.js"]');
  });

  test("fails when an exclude entry is a glob, absolute or escapes the folder", () => {
    const root = tempDir();
    writeTree(root, SAMPLE);
    for (const bad of ["*.map", "/etc", "../x", "", "a//b"]) {
      expect(() => createDeterministicZip(root, { exclude: [bad] })).toThrow(`invalid exclude entry ${JSON.stringify(bad)}`);
    }
  });
});
