import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE, appContext, currentConfigFile, loadConfig, resolveConfigFile } from "../../config/load-config";
import { ConfigError } from "../../config/validate-config";

const REPO = path.resolve(__dirname, "..", "..");
const DEFAULT_TEXT = fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8");

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "load-config-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function loadError(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError, but ${file} was accepted`);
}

describe("resolveConfigFile", () => {
  test("uses the LAMBDA_KMS_CONFIG environment variable", () => {
    expect(CONFIG_ENV_VAR).toBe("LAMBDA_KMS_CONFIG");
    expect(resolveConfigFile({ LAMBDA_KMS_CONFIG: "/etc/lambda-kms/prod.json" }, undefined)).toBe("/etc/lambda-kms/prod.json");
  });

  test("prefers the environment variable over the context value", () => {
    expect(resolveConfigFile({ LAMBDA_KMS_CONFIG: "/from/env.json" }, "/from/context.json")).toBe("/from/env.json");
  });

  test("uses the context value when the environment variable is unset", () => {
    expect(resolveConfigFile({}, "/from/context.json")).toBe("/from/context.json");
  });

  test("refuses an empty LAMBDA_KMS_CONFIG instead of falling back to the example configuration", () => {
    for (const empty of ["", "  "]) {
      expect(() => resolveConfigFile({ LAMBDA_KMS_CONFIG: empty }, "/from/context.json")).toThrow(
        /invalid configuration \(environment\):\n {2}- LAMBDA_KMS_CONFIG: is set but empty; set it to your configuration file, or unset it/,
      );
    }
  });

  test("refuses a context value that is not a file name", () => {
    for (const [value, shown] of [
      ["", '""'],
      [42, "42"],
      [{ file: "x.json" }, "an object"],
    ] as const) {
      expect(() => resolveConfigFile({}, value)).toThrow(`invalid configuration cdktf.json:\n  - context.config: expected the path of a configuration file, got ${shown}; set it`);
    }
  });

  test("falls back to the embedded default without a context value", () => {
    expect(resolveConfigFile({}, undefined)).toBe(DEFAULT_CONFIG_FILE);
    expect(DEFAULT_CONFIG_FILE).toBe(path.join(REPO, "config", "default.json"));
  });

  test("makes relative paths absolute against the working directory", () => {
    expect(resolveConfigFile({ LAMBDA_KMS_CONFIG: "configs/prod.json" }, undefined)).toBe(path.join(process.cwd(), "configs", "prod.json"));
    expect(resolveConfigFile({}, "configs/dev.json")).toBe(path.join(process.cwd(), "configs", "dev.json"));
  });
});

describe("loadConfig", () => {
  test("loads a file and resolves its relative paths against the file's folder", () => {
    const folder = fs.mkdtempSync(path.join(tmp, "valid-"));
    fs.mkdirSync(path.join(folder, "handlers"));
    fs.writeFileSync(path.join(folder, "handlers", "index.js"), "exports.handler = async () => undefined;\n");
    const document = JSON.parse(DEFAULT_TEXT);
    for (const fn of document.functions) fn.codeDirectory = "handlers";
    document.backend.directory = "state";
    const file = path.join(folder, "config.json");
    fs.writeFileSync(file, JSON.stringify(document));

    // A path relative to the working directory, as a user would type it.
    const config = loadConfig(path.relative(process.cwd(), file));
    expect(config.sourceFile).toBe(file);
    expect(config.backend).toEqual({ type: "local", directory: path.join(folder, "state"), stateInStackFolder: false });
    expect(config.functions.map((fn) => fn.codeDirectory)).toEqual([path.join(folder, "handlers"), path.join(folder, "handlers")]);
  });

  test("fails when the file does not exist, naming the file and the fix", () => {
    const file = path.join(tmp, "missing.json");
    const error = loadError(file);
    expect(error.file).toBe(file);
    expect(error.issues).toEqual([{ path: "(file)", message: "cannot read the file (ENOENT); check the path, or unset LAMBDA_KMS_CONFIG to use the default configuration" }]);
    expect(error.message).toBe(
      `invalid configuration ${file}:\n  - (file): cannot read the file (ENOENT); check the path, or unset LAMBDA_KMS_CONFIG to use the default configuration`,
    );
  });

  test("fails when the path is a folder", () => {
    const error = loadError(tmp);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].message).toContain("cannot read the file (EISDIR)");
  });

  test("fails when the file is not valid JSON, by line and column, without the text around the error", () => {
    const file = path.join(tmp, "trailing-comma.json");
    fs.writeFileSync(file, '{\n  "project": "payments",\n  "token": "hunter2-SECRET",\n}\n');
    const error = loadError(file);
    expect(error.file).toBe(file);
    expect(error.issues).toEqual([{ path: "(file)", message: "is not valid JSON: a comma after the last member; JSON allows none before '}' at line 3, column 28" }]);
    expect(error.message).toContain(file);
    expect(error.message).not.toContain("hunter2");
  });

  test("reports duplicate keys and __proto__ keys with their paths, together with the validation issues", () => {
    const file = path.join(tmp, "duplicates.json");
    const text = DEFAULT_TEXT.replace('"project": "payments",', '"project": "payments",\n  "project": "billing",\n  "__proto__": { "polluted": true },');
    fs.writeFileSync(file, text);
    const error = loadError(file);
    // The JSON reader's problems come first; the validation issues (here: code folders not found from tmp) follow.
    expect(error.issues.slice(0, 2).map((issue) => [issue.path, issue.message.replace(/\(lines \d+ and \d+\)/, "(lines …)")])).toEqual([
      ["project", "is given twice in the same object (lines …); a JSON reader keeps only one of them, so remove one"],
      ["__proto__", "is not allowed as a key: JavaScript gives it a special meaning; rename it"],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("refuses a file over 16 MB before reading it", () => {
    const file = path.join(tmp, "huge.json");
    fs.writeFileSync(file, " ".repeat(16 * 1024 * 1024 + 1));
    expect(loadError(file).issues).toEqual([
      { path: "(file)", message: "is 16777217 bytes, over the 16777216-byte limit of a configuration file; check that LAMBDA_KMS_CONFIG names the configuration" },
    ]);
  });

  test("fails when the file is empty", () => {
    const file = path.join(tmp, "empty.json");
    fs.writeFileSync(file, "");
    expect(loadError(file).issues[0].message).toMatch(/^is not valid JSON: /);
  });

  test("fails with the validation issues of a well-formed but invalid file", () => {
    fs.mkdirSync(path.join(tmp, "sub"));
    const file = path.join(tmp, "sub", "invalid.json");
    const document = JSON.parse(DEFAULT_TEXT);
    document.accounts[0].accountId = "12345";
    fs.writeFileSync(file, JSON.stringify(document));
    const error = loadError(file);
    expect(error.file).toBe(file);
    // default.json's ../functions/config-reader resolves to <tmp>/functions/config-reader, which does not exist.
    expect(error.issues.map((i) => i.path)).toEqual(["accounts[0].accountId", "functions[0].codeDirectory", "functions[1].codeDirectory"]);
    expect(error.message).toContain('accounts[0].accountId: "12345" is invalid');
  });
});

test("currentConfigFile: LAMBDA_KMS_CONFIG, else the cdktf CLI's context value, the way main, preview and the npm scripts pick the file", () => {
  const context = JSON.stringify({ config: "/from/context.json" });
  expect(currentConfigFile({ LAMBDA_KMS_CONFIG: "/from/env.json", CDKTF_CONTEXT_JSON: context })).toBe("/from/env.json");
  expect(currentConfigFile({ CDKTF_CONTEXT_JSON: context })).toBe("/from/context.json");
  expect(currentConfigFile({ CDKTF_CONTEXT_JSON: "{}" })).toBe(DEFAULT_CONFIG_FILE);
});

describe("appContext", () => {
  test("uses the context the cdktf CLI passes in CDKTF_CONTEXT_JSON", () => {
    expect(appContext({ CDKTF_CONTEXT_JSON: '{"config":"other.json"}' })).toEqual({ config: "other.json" });
  });

  test("falls back to the context of the project's cdktf.json, so npm run synth picks the same file as cdktf synth", () => {
    const cdktfJson = path.join(tmp, "cdktf.json");
    fs.writeFileSync(cdktfJson, JSON.stringify({ app: "node dist/main.js", context: { config: "config/team.json" } }));
    expect(appContext({}, cdktfJson)).toEqual({ config: "config/team.json" });
    expect(appContext({ CDKTF_CONTEXT_JSON: '{"config":"cli.json"}' }, cdktfJson)).toEqual({ config: "cli.json" });
    expect(appContext({}, path.join(tmp, "missing-cdktf.json"))).toEqual({});
  });
});
