/**
 * The package root's public API, as API Extractor reads it from the built
 * declarations (dist/modules/index.d.ts, built by jest's global setup):
 * it must match the committed report etc/cdktf-lambda-kms.api.md, stay small
 * (at most 47 exported symbols) and be documented (every exported symbol and
 * member has a doc comment). `npm run api` rebuilds and updates the report.
 */
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage, type ExtractorResult } from "@microsoft/api-extractor";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");
const CONFIG_FILE = path.join(REPO, "api-extractor.json");
const REPORT_NAME = "cdktf-lambda-kms.api.md";
const COMMITTED_REPORT = path.join(REPO, "etc", REPORT_NAME);
const MAX_EXPORTED_SYMBOLS = 47;
const RUN_API = "run npm run api and review the change";

let tmp: string;
let result: ExtractorResult;
let messages: ExtractorMessage[];
/** The report API Extractor wrote for the built declarations. */
let report: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "api-report-test-"));
  const configObject = ExtractorConfig.loadFile(CONFIG_FILE);
  // The fresh report goes to a temporary folder; etc/ is only compared with, never written (localBuild: false).
  configObject.apiReport = { ...configObject.apiReport, enabled: true, reportTempFolder: tmp };
  const config = ExtractorConfig.prepare({ configObject, configObjectFullPath: CONFIG_FILE, packageJsonFullPath: path.join(REPO, "package.json") });
  messages = [];
  result = Extractor.invoke(config, {
    localBuild: false,
    messageCallback: (message) => {
      messages.push(message);
      message.handled = true;
    },
  });
  report = fs.readFileSync(path.join(tmp, REPORT_NAME), "utf8");
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The lines of `actual` that differ from `expected`, as a short `-`/`+` listing. */
function changedLines(expected: string, actual: string): string {
  const before = expected.split("\n");
  const after = actual.split("\n");
  const removed = before.filter((line) => !after.includes(line)).map((line) => `- ${line}`);
  const added = after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`);
  return [...removed, ...added].slice(0, 40).join("\n");
}

test("the built API is the one in etc/cdktf-lambda-kms.api.md", () => {
  const committed = fs.existsSync(COMMITTED_REPORT) ? fs.readFileSync(COMMITTED_REPORT, "utf8") : "";
  if (result.apiReportChanged || committed !== report) {
    throw new Error(`the package's public API differs from etc/${REPORT_NAME}: ${RUN_API}\n${changedLines(committed, report)}`);
  }
});

test("API Extractor reports no problem with the declarations or their doc comments", () => {
  const problems = messages
    .filter((m) => m.category !== "console" && (m.logLevel === ExtractorLogLevel.Warning || m.logLevel === ExtractorLogLevel.Error))
    .map((m) => `${m.messageId}: ${m.text} (${path.relative(REPO, m.sourceFilePath ?? "")}:${m.sourceFileLine ?? ""})`);
  expect(problems).toEqual([]);
  expect(report).not.toMatch(/^\s*\/\/ Warning:/m);
});

test(`the package root exports at most ${MAX_EXPORTED_SYMBOLS} symbols`, () => {
  const exported = [...report.matchAll(/^export (?:declare )?(?:abstract )?(?:class|interface|type|const|let|function|enum|namespace) (\w+)/gm)].map((m) => m[1]);
  // The report is not empty: the constructs are there.
  expect(exported).toEqual(expect.arrayContaining(["EncryptionKey", "EncryptedFunction", "ComplianceChecker"]));
  if (exported.length > MAX_EXPORTED_SYMBOLS) {
    throw new Error(
      `the package root exports ${exported.length} symbols, more than ${MAX_EXPORTED_SYMBOLS}: keep helpers out of modules/index.ts (import them by deep path inside the repository)\n${exported.join(", ")}`,
    );
  }
});

test("every exported symbol and each of its members has a doc comment", () => {
  const undocumented = messages.filter((m) => m.messageId === "ae-undocumented").map((m) => `${m.text} (${path.relative(REPO, m.sourceFilePath ?? "")}:${m.sourceFileLine ?? ""})`);
  expect(undocumented).toEqual([]);
  expect(report).not.toContain("(undocumented)");
});
