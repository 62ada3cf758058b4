/**
 * A corpus of bad input, run through the compiled app (`node dist/main.js`)
 * the way a user and CI run it. Every case must: exit 1, print the field
 * path, print no stack trace, no planted secret and no raw control
 * character, stay within the report's bounds, leave the previous output
 * folder byte-identical and leave no staging folder behind.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MAX_REPORT_BYTES } from "../../modules/private/safe-output";
import { snapshot, stagingLeftovers } from "../support/output-folder";

const REPO = path.resolve(__dirname, "..", "..");
const MAIN = path.join(REPO, "dist", "main.js");
const DEFAULT_DOCUMENT = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));
/** Planted in the bad values; must never appear in the output. */
const SECRET = "hunter2-Xq9vT4";
/** Characters a terminal acts on, or that reorder or hide text; none may reach the output raw (newlines separate report lines). */
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/;

let tmp: string;
/** Holds the output folder of one successful synth of the default configuration, which every case runs against. */
let project: string;
let outdir: string;
let before: Record<string, string>;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
  project = path.join(tmp, "project");
  fs.mkdirSync(project);
  outdir = path.join(project, "cdktf.out");
  const first = run({ config: writeConfig("good.json", () => undefined) });
  expect(first.stderr).toBe("");
  expect(first.status).toBe(0);
  before = snapshot(outdir);
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** The default configuration with absolute code paths and its state outside the output folder, changed by `modify`. */
function document(modify: (d: Doc) => void): Doc {
  const d = structuredClone(DEFAULT_DOCUMENT);
  for (const fn of d.functions) fn.codeDirectory = path.resolve(REPO, "config", fn.codeDirectory);
  d.codeRoot = REPO;
  d.backend.directory = path.join(tmp, "state");
  modify(d);
  return d;
}

function writeConfig(name: string, modify: (d: Doc) => void): string {
  const file = path.join(project, name);
  fs.writeFileSync(file, JSON.stringify(document(modify), null, 2));
  return file;
}

function writeText(name: string, text: string | Buffer): string {
  const file = path.join(project, name);
  fs.writeFileSync(file, text);
  return file;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(options: { config?: string; env?: NodeJS.ProcessEnv }): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: outdir };
  delete env.LAMBDA_KMS_CONFIG;
  delete env.CDKTF_CONTEXT_JSON;
  if (options.config !== undefined) env.LAMBDA_KMS_CONFIG = options.config;
  Object.assign(env, options.env);
  const result = spawnSync(process.execPath, [MAIN], { cwd: project, env, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

/** [what, the configuration file (or env), the path or text the error must name]. */
const CORPUS: ReadonlyArray<readonly [string, () => { config?: string; env?: NodeJS.ProcessEnv }, string]> = [
  // Secrets in the output.
  ["a secret written as a list", () => ({ config: writeConfig("list.json", (d) => (d.functions[0].environment.DB_URL = [SECRET])) }), "functions[0].environment.DB_URL"],
  ["a secret written as a number", () => ({ config: writeConfig("number.json", (d) => (d.functions[0].environment.PIN = 987654321987)) }), "functions[0].environment.PIN"],
  [
    "a password inside a URL",
    () => ({ config: writeConfig("url.json", (d) => (d.functions[0].environment.DATABASE_URL = `postgres://app:${SECRET}@db.internal/orders`)) }),
    "functions[0].environment.DATABASE_URL",
  ],
  [
    "a password inside the emulator URL",
    () => ({ config: writeConfig("emulator-url.json", (d) => (d.emulator = { endpoint: `http://admin:${SECRET}@10.0.0.5:5000` })) }),
    "emulator.endpoint",
  ],
  [
    "a syntax error next to a secret",
    () => ({ config: writeText("syntax.json", `{\n  "project": "payments",\n  "token": "${SECRET}" "accounts": []\n}\n`) }),
    "(file): is not valid JSON",
  ],
  [
    "a secret pasted as a variable name",
    () => ({ config: writeConfig("key.json", (d) => (d.functions[0].environment = { [`AKIA${"ABCDEFGHIJKLMNOP"}-${SECRET}`]: "x" })) }),
    "functions[0].environment.<",
  ],
  // Terminal safety and bounds.
  ["an escape sequence in an account name", () => ({ config: writeConfig("escape.json", (d) => (d.accounts[0].name = "prod\u001b]0;owned\u0007\u001b[2J")) }), "accounts[0].name"],
  ["a C1 control and a bidi override in an alias", () => ({ config: writeConfig("c1.json", (d) => (d.key.aliases = ["team\u009b31m\u202eevil"])) }), "key.aliases[0]"],
  ["a binary file", () => ({ config: writeText("binary.json", Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff, 0x9b, 0x07, 0x7b])) }), "(file): is not valid JSON"],
  ["a 10 MB value", () => ({ config: writeConfig("huge.json", (d) => (d.project = "p".repeat(10 * 1024 * 1024))) }), "project"],
  [
    "a thousand bad regions",
    () => ({ config: writeConfig("many.json", (d) => (d.accounts[0].regions = Array.from({ length: 1000 }, (_, i) => `region-${i}`))) }),
    "accounts[0].regions[0]",
  ],
  ["nesting 100,000 levels deep", () => ({ config: writeText("deep.json", `{"project": "payments", "$comment": ${deep(100_000)}}`) }), "nesting deeper than 32 levels"],
  // Refused at load although JSON and the types are right.
  ["a region that does not exist", () => ({ config: writeConfig("region.json", (d) => (d.accounts[1].regions = ["eu-west-1", "eu-wset-1"])) }), "accounts[1].regions[1]"],
  ["two partitions in one account", () => ({ config: writeConfig("partitions.json", (d) => (d.accounts[0].regions = ["eu-west-1", "cn-north-1"])) }), "accounts[0].regions[1]"],
  [
    "a China account with commercial principals",
    () => ({
      config: writeConfig("china.json", (d) => {
        d.accounts[0].regions = ["cn-north-1"];
        for (const fn of d.functions) delete fn.encryptedEnvironment;
      }),
    }),
    "accounts[0].keyAdministratorArns[0]",
  ],
  ["a tag key AWS reserves", () => ({ config: writeConfig("tag.json", (d) => (d.defaultTags = { "aws:owner": "x" })) }), "defaultTags.aws:owner"],
  ["a tag value that is too long", () => ({ config: writeConfig("tag-value.json", (d) => (d.accounts[0].tags = { Team: "t".repeat(300) })) }), "accounts[0].tags.Team"],
  ["__proto__ as a variable name", () => ({ config: writeText("proto.json", JSON.stringify(document(() => undefined)).replace('"LOG_LEVEL"', '"__proto__"')) }), "__proto__"],
  [
    "a key given twice",
    () => ({ config: writeText("twice.json", JSON.stringify(document(() => undefined)).replace('"project":"payments"', '"project":"payments","project":"other"')) }),
    "project: is given twice",
  ],
  ["two entries for one account ID", () => ({ config: writeConfig("same-id.json", (d) => (d.accounts[1].accountId = d.accounts[0].accountId)) }), "accounts[1].accountId"],
  ["a code folder outside the repository", () => ({ config: writeConfig("outside.json", (d) => (d.functions[1].codeDirectory = os.homedir())) }), "functions[1].codeDirectory"],
  [
    "a handler that leaves the code folder",
    () => ({ config: writeConfig("handler-up.json", (d) => (d.functions[1].handler = "../../etc/passwd.handler")) }),
    "functions[1].handler",
  ],
  ["a handler whose file does not exist", () => ({ config: writeConfig("handler-missing.json", (d) => (d.functions[1].handler = "main.handler")) }), "functions[1].handler"],
  ["plain HTTP to a remote emulator", () => ({ config: writeConfig("http.json", (d) => (d.emulator = { endpoint: "http://moto.example.com:5000" })) }), "emulator.endpoint"],
  ["an empty LAMBDA_KMS_CONFIG", () => ({ env: { LAMBDA_KMS_CONFIG: "" } }), "LAMBDA_KMS_CONFIG: is set but empty"],
  ["a state folder inside the output folder", () => ({ config: writeConfig("state-in-out.json", (d) => (d.backend.directory = path.join(outdir, "state"))) }), "backend.directory"],
  [
    "a state folder linked into the output folder",
    () => {
      const link = path.join(tmp, "state-link");
      if (!fs.existsSync(link)) fs.symlinkSync(path.join(outdir, "stacks"), link, "dir");
      return { config: writeConfig("state-link.json", (d) => (d.backend.directory = link)) };
    },
    "backend.directory",
  ],
  [
    "5,000 functions",
    () => ({
      config: writeConfig("five-thousand.json", (d) => {
        const template = d.functions[1];
        d.functions = Array.from({ length: 5000 }, (_, i) => ({ ...structuredClone(template), name: `fn-${i}` }));
      }),
    }),
    "functions: at most",
  ],
];

describe("every bad input exits 1 with the field, safely, and changes nothing", () => {
  test.each(CORPUS)("%s", (_what, input, expected) => {
    const result = run(input());

    expect(result.stdout).toBe("");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).toMatch(/^(invalid configuration |synthesis failed: )/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain("AKIAABCDEFGHIJKLMNOP");
    expect(result.stderr).not.toMatch(RAW_UNSAFE);
    expect(Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(MAX_REPORT_BYTES + 1);
    expect(snapshot(outdir)).toEqual(before);
    expect(stagingLeftovers(project)).toEqual([]);
  });

  test("a report of more than 200 problems lists 200 and counts the rest", () => {
    const result = run({ config: writeConfig("many-again.json", (d) => (d.accounts[0].regions = Array.from({ length: 1000 }, (_, i) => `region-${i}`))) });
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1 + 200 + 1);
    expect(lines[lines.length - 1]).toMatch(/^ {2}… and \d+ more \(fix these first, then run again\)$/);
  });
});

test("a synth killed half-way leaves a staging folder, and the next synth removes it and writes the output", async () => {
  const killedOut = path.join(tmp, "killed", "cdktf.out");
  fs.mkdirSync(path.dirname(killedOut));
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: killedOut, LAMBDA_KMS_CONFIG: writeConfig("killed.json", () => undefined) };
  const child = spawn(process.execPath, [MAIN], { cwd: project, env, stdio: "ignore" });
  const staged = () => fs.readdirSync(path.dirname(killedOut)).filter((name) => name.includes(".staging-"));
  // Killed once the staging folder holds a stack, i.e. in the middle of writing it.
  const deadline = Date.now() + 60_000;
  while (!staged().some((name) => fs.existsSync(path.join(path.dirname(killedOut), name, "stacks"))) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill("SIGKILL");
  await new Promise((resolve) => child.on("exit", resolve));
  expect(staged()).not.toEqual([]);
  expect(fs.existsSync(killedOut)).toBe(false);

  const again = spawnSync(process.execPath, [MAIN], { cwd: project, env, encoding: "utf8", timeout: 120_000 });
  expect(again.stderr).toBe("");
  expect(again.status).toBe(0);
  expect(staged()).toEqual([]);
  expect(fs.readdirSync(path.join(killedOut, "stacks")).sort()).toEqual(fs.readdirSync(path.join(outdir, "stacks")).sort());
}, 180_000);
