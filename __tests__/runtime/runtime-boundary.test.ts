/**
 * The runtime library's layer rules: code in runtime/
 * runs inside Lambda, so it imports only the AWS SDK v3 and Node built-ins,
 * loads the SDK only when a value is first needed (cold start), and the test
 * harness it is proven with never skips.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import { startMoto } from "../support/moto";

const root = path.resolve(__dirname, "..", "..");

describe("lint rule: runtime/ may not import cdktf", () => {
  // One ESLint run for all probes (each run costs ~0.7 s), through the CLI:
  // the flat config is an ES module, which jest's CommonJS sandbox cannot import.
  const probes = [
    'import { App as a } from "cdktf";',
    'import { Construct as b } from "constructs";',
    'import { KmsKey as c } from "@cdktf/provider-aws/lib/kms-key";',
    'import { EncryptionKey as d } from "../modules/encryption-key";',
    'import * as e from "../modules";',
    // Built, not written out: a literal root import would trip the repository's own grep for root imports.
    `import { KmsKey as f } from "${["@cdktf", "provider-aws"].join("/")}";`,
    'import { KMSClient as g } from "@aws-sdk/client-kms";',
    'import { createHash as h } from "crypto";',
  ];
  let messages: Array<{ ruleId: string | null; message: string; line: number }>;

  beforeAll(() => {
    const run = spawnSync(path.join(root, "node_modules", ".bin", "eslint"), ["--stdin", "--stdin-filename", "runtime/lint-probe.ts", "--format", "json"], {
      cwd: root,
      input: `${probes.join("\n")}\nexport const probe = [a, b, c, d, e, f, g, h];\n`,
      encoding: "utf8",
    });
    messages = JSON.parse(run.stdout)[0].messages;
  });
  const on = (line: number) => messages.filter((m) => m.line === line);

  test.each(probes.slice(0, 5).map((code, i) => [code, i + 1] as const))("fails when a runtime file has %s", (_code, line) => {
    expect(on(line).map((m) => m.ruleId)).toEqual(["no-restricted-imports"]);
    expect(on(line)[0].message).toMatch(/runtime\/ runs inside Lambda/);
  });

  test("the provider-root rule still applies in runtime/", () => {
    expect(
      on(6)
        .map((m) => m.message)
        .join("\n"),
    ).toMatch(/deep path/);
  });

  test("accepts the AWS SDK v3 and Node built-ins", () => {
    expect([...on(7), ...on(8)]).toEqual([]);
  });
});

test("the compiled runtime requires only the AWS SDK v3, Node built-ins and itself", () => {
  const dir = path.join(root, "dist", "runtime");
  const required = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".js"))
    .flatMap((file) => [...fs.readFileSync(path.join(dir, file), "utf8").matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
  const outside = required.filter((id) => !id.startsWith("./") && !id.startsWith("@aws-sdk/client-") && !builtinModules.includes(id));
  expect(required.length).toBeGreaterThan(0);
  expect(outside).toEqual([]);
});

test("importing the runtime loads no AWS SDK package until a value is needed", () => {
  const probe = `
    const t = process.hrtime.bigint();
    require(${JSON.stringify(path.join(root, "dist", "runtime", "index.js"))});
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const sdk = Object.keys(require.cache).filter((f) => f.includes("@aws-sdk") || f.includes("@smithy"));
    process.stdout.write(JSON.stringify({ ms, sdk: sdk.length }));`;
  const run = spawnSync(process.execPath, ["-e", probe], { cwd: root, encoding: "utf8" });
  expect(run.stderr).toBe("");
  const { ms, sdk } = JSON.parse(run.stdout) as { ms: number; sdk: number };
  expect(sdk).toBe(0);
  expect(ms).toBeLessThan(200); // typically a few ms; the SDK clients alone cost ~50-80 ms
});

test("startMoto fails with a clear error when moto_server is missing (never skips)", async () => {
  await expect(startMoto({ command: "moto_server-not-installed" })).rejects.toThrow(
    'moto_server-not-installed not found on PATH: moto\'s server is needed (pip install "moto[server]==5.2.1"); the tests that use it are never skipped',
  );
});

test("startMoto fails with moto's output when the server exits early", async () => {
  await expect(startMoto({ command: "false" })).rejects.toThrow(/false -H 127\.0\.0\.1 -p \d+ exited \(code 1, signal null\) before answering on http:\/\/127\.0\.0\.1:\d+/);
});
