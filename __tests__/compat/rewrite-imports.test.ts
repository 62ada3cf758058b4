/**
 * The import rewrite behind `npm run check:cdktn`: module specifiers only,
 * exactly, and a loud report for any cdktf reference it does not cover.
 */
import * as fs from "fs";
import * as path from "path";
import { rewriteImports } from "../../compat/rewrite-imports";

const root = path.resolve(__dirname, "..", "..");
// Built, not written out: a literal root import would trip the repository's own grep for root imports.
const providerRoot = ["@cdktf", "provider-aws"].join("/");

test("rewrites every kind of module specifier and nothing else", () => {
  const source = [
    'import { App, TerraformStack } from "cdktf";',
    "import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';",
    'import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";',
    'export { Fn } from "cdktf";',
    'import cdktf = require("cdktf");',
    'const lazy = () => import("cdktf");',
    'const required = require("@cdktf/provider-aws/lib/s3-bucket");',
    'type T = import("cdktf").TerraformStack;',
    'const bindings = require.resolve("@cdktf/provider-aws/package.json");',
    '// a comment that says "cdktf" stays',
    'const managedBy = "Managed by cdktf-lambda-kms";',
    "export const x = [App, TerraformStack, KmsKey, cdktf, lazy, required, bindings, managedBy] as unknown as IamRole | T;",
  ].join("\n");
  const result = rewriteImports("probe.ts", source);
  expect(result.problems).toEqual([]);
  expect(result.text).toBe(
    [
      'import { App, TerraformStack } from "cdktn";',
      "import { KmsKey } from '@cdktn/provider-aws/lib/kms-key';",
      'import type { IamRole } from "@cdktn/provider-aws/lib/iam-role";',
      'export { Fn } from "cdktn";',
      'import cdktf = require("cdktn");',
      'const lazy = () => import("cdktn");',
      'const required = require("@cdktn/provider-aws/lib/s3-bucket");',
      'type T = import("cdktn").TerraformStack;',
      'const bindings = require.resolve("@cdktn/provider-aws/package.json");',
      '// a comment that says "cdktf" stays',
      'const managedBy = "Managed by cdktf-lambda-kms";',
      "export const x = [App, TerraformStack, KmsKey, cdktf, lazy, required, bindings, managedBy] as unknown as IamRole | T;",
    ].join("\n"),
  );
  expect(result.rewritten.map((r) => [r.line, r.to])).toEqual([
    [1, "cdktn"],
    [2, "@cdktn/provider-aws/lib/kms-key"],
    [3, "@cdktn/provider-aws/lib/iam-role"],
    [4, "cdktn"],
    [5, "cdktn"],
    [6, "cdktn"],
    [7, "@cdktn/provider-aws/lib/s3-bucket"],
    [8, "cdktn"],
    [9, "@cdktn/provider-aws/package.json"],
  ]);
});

test.each([
  [`import { KmsKey } from "${providerRoot}";`, providerRoot],
  [`import * as aws from "${providerRoot}/lib";`, `${providerRoot}/lib`],
  [`import { kmsKey } from "${providerRoot}/lib/index";`, `${providerRoot}/lib/index`],
  ['import { Manifest } from "cdktf/lib/manifest";', "cdktf/lib/manifest"],
  ['import { Foo } from "@cdktf/provider-random/lib/id";', "@cdktf/provider-random/lib/id"],
  ['import * as cli from "cdktf-cli";', "cdktf-cli"],
  ['const name = "cdktf"; export const m = require(name);', "cdktf"],
  ['const p = require.resolve("@cdktf/provider-aws/lib/kms-key/index.js"); export { p };', "@cdktf/provider-aws/lib/kms-key/index.js"],
])("reports what the rules do not cover: %s", (code, specifier) => {
  const result = rewriteImports("probe.ts", code);
  expect(result.problems).toEqual([expect.objectContaining({ line: 1, specifier })]);
});

test("the library and the app import nothing from cdktf that the rewrite does not cover", () => {
  const walk = (entry: string): string[] =>
    fs.statSync(path.join(root, entry)).isDirectory()
      ? fs.readdirSync(path.join(root, entry)).flatMap((name) => walk(path.join(entry, name)))
      : entry.endsWith(".ts")
        ? [entry]
        : [];
  const files = ["main.ts", "modules", "stacks", "config"].flatMap(walk);
  const results = files.map((file) => ({ file, ...rewriteImports(file, fs.readFileSync(path.join(root, file), "utf8")) }));
  expect(results.flatMap((r) => r.problems.map((p) => `${r.file}:${p.line} ${p.specifier}`))).toEqual([]);
  expect(results.filter((r) => r.rewritten.length > 0).length).toBeGreaterThan(0);
  // What is left after the rewrite names CDK Terrain only.
  for (const r of results) expect(r.text).not.toMatch(/from "(?:cdktf|@cdktf\/[^"]*)"/);
});
