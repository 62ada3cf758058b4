/**
 * Project hygiene that a reviewer would otherwise check by hand: the `help`
 * file lists every npm script, and the lint rule really refuses a root import
 * of @cdktf/provider-aws.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_RUNTIMES } from "../../modules/encrypted-function";
import { LOG_RETENTION_DAYS } from "../../modules/private/aws-limits";

const root = path.resolve(__dirname, "..", "..");

test("help names every npm script", () => {
  const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<string, string>);
  const help = fs.readFileSync(path.join(root, "help"), "utf8");
  const missing = scripts.filter((name) => !new RegExp(`npm (run )?${name.replace(":", "\\:")}\\b`).test(help));
  expect(missing).toEqual([]);
});

test("help names no npm script that does not exist", () => {
  const scripts = new Set(Object.keys(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<string, string>));
  const help = fs.readFileSync(path.join(root, "help"), "utf8");
  const named = [...help.matchAll(/npm run ([\w:]+)/g)].map((m) => m[1]);
  expect(named.filter((name) => !scripts.has(name))).toEqual([]);
});

test("the configuration reference's function table lists exactly the supported runtimes and retention values", () => {
  const reference = fs.readFileSync(path.join(root, "docs", "configuration.md"), "utf8");
  // The "Functions" section only: other tables (e.g. "Audit") have a logRetentionDays row too.
  const functions = reference.split(/^#{2,3} Functions$/m)[1]?.split(/^#{1,3} /m)[0] ?? "";
  expect(functions).not.toBe("");
  const row = (field: string) => functions.split("\n").find((line) => line.startsWith(`| \`${field}\` |`)) ?? "";
  const runtimes = [...row("runtime").matchAll(/`([a-z0-9.]+)`/g)].map((m) => m[1]).filter((name) => name !== "runtime");
  expect([...new Set(runtimes)].sort()).toEqual([...SUPPORTED_RUNTIMES].sort());
  const retention = /One of ([\d, ]+) days\./.exec(row("logRetentionDays"))?.[1].split(", ").map(Number);
  expect(retention).toEqual([...LOG_RETENTION_DAYS]);
});

describe("lint rule against the provider package root", () => {
  // The ESLint CLI, not its Node API: the flat config is an ES module, which jest's CommonJS sandbox cannot import.
  const lint = (code: string): Array<{ ruleId: string | null; message: string }> => {
    const run = spawnSync(path.join(root, "node_modules", ".bin", "eslint"), ["--stdin", "--stdin-filename", "modules/lint-probe.ts", "--format", "json"], {
      cwd: root,
      input: code,
      encoding: "utf8",
    });
    return JSON.parse(run.stdout)[0].messages;
  };

  // Built, not written out: these are probes for ESLint, and a literal root import would trip the
  // repository's own grep for root imports.
  const providerRoot = ["@cdktf", "provider-aws"].join("/");
  test.each([`import { KmsKey } from "${providerRoot}";`, `import * as aws from "${providerRoot}/lib";`, `import { kmsKey } from "${providerRoot}/lib/index";`])(
    "fails when a file imports %s",
    (code) => {
      const messages = lint(`${code}\nexport const x = 1;\n`);
      expect(messages.map((m) => m.ruleId)).toContain("no-restricted-imports");
      expect(messages.find((m) => m.ruleId === "no-restricted-imports")?.message).toMatch(/deep path/);
    },
  );

  test("accepts a deep import", () => {
    const messages = lint('import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";\nexport const k = KmsKey;\n');
    expect(messages).toEqual([]);
  });
});
