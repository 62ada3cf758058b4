/**
 * The all-or-nothing swap of the output folder when the set of stacks
 * changes: what happens to the folders of removed stacks (with and without
 * the cdktf CLI), and to state kept in stack folders.
 */
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { TerraformStack } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../../config/app-config";
import { loadConfig } from "../../config/load-config";
import { ConfigError } from "../../config/validate-config";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { Json, StackTestFolder, defaultConfigDocument, makeStackTestFolder, restrictToAccounts } from "../support/stack-config";

const BOTH_ACCOUNTS = { staging: ["eu-west-1"], production: ["eu-west-1"] };
const STAGING_ONLY = { staging: ["eu-west-1"] };
/** The stack folders of STAGING_ONLY, sorted. */
const STAGING_STACKS = ["staging-audit", "staging-deployer", "staging-eu-west-1"];
/** The same stacks in deployment order, as synthesizeApp lists them. */
const STAGING_IN_ORDER = ["staging-deployer", "staging-audit", "staging-eu-west-1"];

let folder: StackTestFolder;
let configs = 0;

beforeAll(() => {
  folder = makeStackTestFolder("synthesize-app-test-");
});

afterAll(() => {
  fs.rmSync(folder.tmp, { recursive: true, force: true });
});

/** Writes and loads a configuration with just these accounts and regions (state in <tmp>/state unless changed). */
function config(keep: Record<string, readonly string[]>, modify: (document: Json) => void = () => undefined): AppConfig {
  const document = restrictToAccounts(defaultConfigDocument(), keep);
  modify(document);
  const file = path.join(folder.tmp, `config-${++configs}.json`);
  fs.writeFileSync(file, JSON.stringify(document));
  return loadConfig(file);
}

function stateInStackFolder(document: Json): void {
  document.backend = { type: "local", stateInStackFolder: true };
}

/** A fresh output folder for one test. */
function outdir(name: string): string {
  return path.join(folder.tmp, name, "cdktf.out");
}

function stackFolders(out: string): string[] {
  return fs.readdirSync(path.join(out, "stacks")).sort();
}

/** A Terraform state file with `resources` managed resources (one instance each). */
function writeState(file: string, resources: number): void {
  const state = {
    version: 4,
    resources: Array.from({ length: resources }, (_, i) => ({ mode: "managed", type: "aws_kms_key", name: `key${i}`, instances: [{ attributes: { id: `k${i}` } }] })),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(state));
}

describe("when the configuration loses stacks", () => {
  test("run by the cdktf CLI, the removed stacks' folders stay behind empty, for the CLI's own clean-up to remove", async () => {
    // The CLI lists the stack folders before it runs the app and then calls fs.rmSync (without force)
    // on every folder whose stack is gone: a missing folder crashed it with ENOENT.
    const out = outdir("cli");
    await synthesizeApp(config(BOTH_ACCOUNTS), out, { runByCdktfCli: true });
    expect(stackFolders(out)).toEqual(["production-audit", "production-deployer", "production-eu-west-1", ...STAGING_STACKS]);

    const result = await synthesizeApp(config(STAGING_ONLY), out, { runByCdktfCli: true });
    expect(result.stacks).toEqual(STAGING_IN_ORDER);
    expect(stackFolders(out)).toEqual(["production-audit", "production-deployer", "production-eu-west-1", ...STAGING_STACKS]);
    expect(fs.readdirSync(path.join(out, "stacks", "production-audit"))).toEqual([]);
    expect(fs.readdirSync(path.join(out, "stacks", "production-eu-west-1"))).toEqual([]);
    for (const stack of STAGING_STACKS) expect(fs.existsSync(path.join(out, "stacks", stack, "cdk.tf.json"))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(STAGING_STACKS);
  });

  test("run without the cdktf CLI (npm run synth), the removed stacks' folders are gone", async () => {
    const out = outdir("plain");
    await synthesizeApp(config(BOTH_ACCOUNTS), out);
    await synthesizeApp(config(STAGING_ONLY), out);
    expect(stackFolders(out)).toEqual(STAGING_STACKS);
  });

  test("warns about state files of stacks the configuration no longer has, and names how many resources they hold", async () => {
    const out = outdir("orphaned-state");
    const staging = config(STAGING_ONLY);
    if (staging.backend.type !== "local") throw new Error("the default configuration has a local backend");
    writeState(path.join(staging.backend.directory, "production-eu-west-1.tfstate"), 2);
    writeState(path.join(staging.backend.directory, "production-audit.tfstate"), 0);
    writeState(path.join(staging.backend.directory, "staging-audit.tfstate"), 5);

    const result = await synthesizeApp(staging, out);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(`${path.join(staging.backend.directory, "production-eu-west-1.tfstate")} holds 2 resources of the stack production-eu-west-1`);
    expect(result.warnings[0]).toContain("npm run destroy -- <stack>");
  });
});

describe("stateInStackFolder", () => {
  test("points each stack's local backend at terraform.tfstate in its own folder", async () => {
    const out = outdir("state-path");
    await synthesizeApp(config(STAGING_ONLY, stateInStackFolder), out);
    for (const stack of STAGING_STACKS) {
      const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", stack, "cdk.tf.json"), "utf8"));
      expect(json.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
    }
  });

  test("carries the state, its backup and Terraform's working files across a new synth", async () => {
    const out = outdir("carry");
    const staging = config(STAGING_ONLY, stateInStackFolder);
    await synthesizeApp(staging, out);
    const stackDir = path.join(out, "stacks", "staging-eu-west-1");
    writeState(path.join(stackDir, "terraform.tfstate"), 3);
    fs.writeFileSync(path.join(stackDir, "terraform.tfstate.backup"), "backup");
    fs.mkdirSync(path.join(stackDir, ".terraform"));
    fs.writeFileSync(path.join(stackDir, ".terraform", "marker"), "init");
    const state = fs.readFileSync(path.join(stackDir, "terraform.tfstate"), "utf8");

    await synthesizeApp(staging, out);
    expect(fs.readFileSync(path.join(stackDir, "terraform.tfstate"), "utf8")).toBe(state);
    expect(fs.readFileSync(path.join(stackDir, "terraform.tfstate.backup"), "utf8")).toBe("backup");
    expect(fs.readFileSync(path.join(stackDir, ".terraform", "marker"), "utf8")).toBe("init");
  });

  test("fails when a stack that is no longer configured still has resources in its folder's state, and changes nothing", async () => {
    const out = outdir("held");
    await synthesizeApp(config(BOTH_ACCOUNTS, stateInStackFolder), out);
    const removed = path.join(out, "stacks", "production-eu-west-1");
    writeState(path.join(removed, "terraform.tfstate"), 1);
    const before = fs.readFileSync(path.join(removed, "cdk.tf.json"), "utf8");

    await expect(synthesizeApp(config(STAGING_ONLY, stateInStackFolder), out)).rejects.toThrow(
      /the configuration no longer has the stacks production-eu-west-1 \(1 resource\), but their folders .* hold their Terraform state.*destroy the stacks/,
    );
    expect(fs.readFileSync(path.join(removed, "cdk.tf.json"), "utf8")).toBe(before);
    expect(fs.existsSync(path.join(removed, "terraform.tfstate"))).toBe(true);
    expect(stackFolders(out)).toEqual(["production-audit", "production-deployer", "production-eu-west-1", ...STAGING_STACKS]);
  });

  test("carries the states of non-default workspaces (terraform.tfstate.d) too, and refuses to drop a removed stack that has one", async () => {
    const out = outdir("workspaces");
    await synthesizeApp(config(BOTH_ACCOUNTS, stateInStackFolder), out);
    const workspace = path.join(out, "stacks", "production-eu-west-1", "terraform.tfstate.d", "blue", "terraform.tfstate");
    writeState(workspace, 2);
    await synthesizeApp(config(BOTH_ACCOUNTS, stateInStackFolder), out);
    expect(JSON.parse(fs.readFileSync(workspace, "utf8")).resources).toHaveLength(2);
    await expect(synthesizeApp(config(STAGING_ONLY, stateInStackFolder), out)).rejects.toThrow(/no longer has the stacks production-eu-west-1 \(2 resources\)/);
    expect(fs.existsSync(workspace)).toBe(true);
  });

  test("fails while a Terraform command holds a stack's state lock, and changes nothing", async () => {
    const out = outdir("terraform-running");
    const staging = config(STAGING_ONLY, stateInStackFolder);
    await synthesizeApp(staging, out);
    const lock = path.join(out, "stacks", "staging-eu-west-1", ".terraform.tfstate.lock.info");
    fs.writeFileSync(lock, "{}");
    const manifest = fs.readFileSync(path.join(out, "manifest.json"), "utf8");
    await expect(synthesizeApp(staging, out)).rejects.toThrow(/a Terraform command holds the state lock in .*staging-eu-west-1 .*Wait for it to finish/);
    expect(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).toBe(manifest);
    expect(fs.existsSync(lock)).toBe(true);
  });

  test("fails when an interrupted synth left state in a staging folder, saying where it is and how to put it back", async () => {
    const out = outdir("stranded");
    const staging = config(STAGING_ONLY, stateInStackFolder);
    await synthesizeApp(staging, out);
    const stranded = path.join(path.dirname(out), ".cdktf.out.staging-abc123.old", "stacks", "staging-eu-west-1");
    writeState(path.join(stranded, "terraform.tfstate"), 1);
    await expect(synthesizeApp(staging, out)).rejects.toThrow(
      new RegExp(`an interrupted synth left Terraform state in ${stranded.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\. Move each folder's terraform\\.tfstate\\*`),
    );
    expect(fs.existsSync(path.join(stranded, "terraform.tfstate"))).toBe(true);
  });

  test("lets a removed stack's folder go once its state is empty (the stack was destroyed)", async () => {
    const out = outdir("destroyed");
    await synthesizeApp(config(BOTH_ACCOUNTS, stateInStackFolder), out);
    writeState(path.join(out, "stacks", "production-eu-west-1", "terraform.tfstate"), 0);
    await synthesizeApp(config(STAGING_ONLY, stateInStackFolder), out);
    expect(stackFolders(out)).toEqual(STAGING_STACKS);
  });
});

test("fails when the local state folder is inside the output folder, which every synth replaces", async () => {
  const out = outdir("state-inside");
  const inside = config(STAGING_ONLY, (document) => {
    document.backend = { type: "local", directory: path.join(out, "state") };
  });
  let error: unknown;
  try {
    await synthesizeApp(inside, out);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).issues).toEqual([
    {
      path: "backend.directory",
      message: expect.stringMatching(/^".*state-inside\/cdktf\.out\/state" is inside the output folder .*; choose a folder outside it, or set "stateInStackFolder": true/),
    },
  ]);
  expect(fs.existsSync(out)).toBe(false);
});

describe("one synth at a time", () => {
  const lockOf = (out: string) => path.join(path.dirname(out), ".cdktf.out.synth.lock");

  test("fails while another running process holds the synth lock, and takes over a lock whose process is gone", async () => {
    const out = outdir("locked");
    const staging = config(STAGING_ONLY);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // The parent of this test process is alive for as long as the test runs.
    fs.writeFileSync(lockOf(out), `${process.ppid}\n`);
    await expect(synthesizeApp(staging, out)).rejects.toThrow(`another synth (process ${process.ppid}) is writing ${out}; wait for it to finish`);
    expect(fs.existsSync(out)).toBe(false);

    fs.writeFileSync(lockOf(out), "999999999\n");
    expect((await synthesizeApp(staging, out)).stacks).toEqual(STAGING_IN_ORDER);
    expect(fs.existsSync(lockOf(out))).toBe(false);
  });

  test("releases the lock when the synth fails", async () => {
    const out = outdir("lock-released");
    writeState(path.join(path.dirname(out), ".cdktf.out.staging-left", "stacks", "staging-audit", "terraform.tfstate"), 1);
    await expect(synthesizeApp(config(STAGING_ONLY), out)).rejects.toThrow(/an interrupted synth left Terraform state/);
    expect(fs.existsSync(lockOf(out))).toBe(false);
  });
});

test("links terraform.d/plugins of every stack folder to the provider mirror, where terraform init looks for providers", async () => {
  const out = outdir("mirror");
  const mirror = path.join(folder.tmp, "mirror");
  fs.mkdirSync(mirror);
  await synthesizeApp(config(STAGING_ONLY), out, { providerMirror: mirror });
  for (const stack of STAGING_STACKS) {
    const link = path.join(out, "stacks", stack, "terraform.d", "plugins");
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(mirror);
  }
});

test("a realistic account with 20 key users, 5 deployers and 40 functions (the most its unexpected-key-use alarm holds) synthesizes, with every principal listed exactly in the unexpected-key-use filters", async () => {
  const out = outdir("many-principals");
  const keyUsers = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::222222222222:role/people/key-user-${String(i).padStart(2, "0")}`);
  const deployers = Array.from({ length: 5 }, (_, i) => `arn:aws:iam::222222222222:role/pipelines/deploy-${i}`);
  // With orders-api and nightly-report: 40 functions.
  const functions = Array.from({ length: 38 }, (_, i) => `report-${String(i).padStart(2, "0")}`);
  const production = config({ production: ["eu-west-1"] }, (document) => {
    const account = document.accounts.find((a: Json) => a.name === "production");
    account.keyUserArns = keyUsers;
    account.deployerArns = [...account.deployerArns, ...deployers];
    const template = document.functions.find((f: Json) => f.name === "nightly-report");
    document.functions.push(...functions.map((name) => ({ ...template, name })));
  });
  await synthesizeApp(production, out);

  const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", "production-eu-west-1", "cdk.tf.json"), "utf8"));
  const filters = Object.values(json.resource.aws_cloudwatch_log_metric_filter as Record<string, Json>).filter((f) => String(f.name).includes("unexpected-key-use"));
  expect(filters.length).toBeGreaterThan(2);
  const listed = filters.flatMap((f) => [...String(f.pattern).matchAll(/\$\.userIdentity\.arn != "([^"]+)"/g)].map((m) => m[1]));
  const session = (role: string) => `arn:aws:sts::222222222222:assumed-role/${role}/*`;
  const roleNames = ["orders-api", "nightly-report", ...functions].map((name) => `${name}-eu-west-1`);
  const roleName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
  // Each once: the execution roles, the key users (replacing the default's), the configured deploy role and the 5 deployers.
  expect(listed.sort()).toEqual([...roleNames, ...keyUsers.map(roleName), "terraform-deploy", ...deployers.map(roleName)].map(session).sort());
  for (const filter of filters)
    expect(String(filter.pattern).replace(/\$\{aws_kms_key\.[^}]+\}/, "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-000000000000").length).toBeLessThanOrEqual(
      1024,
    );
}, 60_000);

test("refuses an account whose stacks would have more than CloudWatch Logs' 100 metric filters, counting those added with extendStacks", async () => {
  const out = outdir("filter-quota");
  const production = config({ production: ["eu-west-1"] });
  const addFilters = (stacks: readonly TerraformStack[]) => {
    const stack = stacks.find((s) => s.node.id === "production-eu-west-1")!;
    for (let i = 0; i < 90; i++) {
      new CloudwatchLogMetricFilter(stack, `extra-filter-${i}`, {
        name: `extra-${i}`,
        logGroupName: "trail",
        pattern: "{ $.eventName = x }",
        metricTransformation: { name: "m", namespace: "n", value: "1" },
      });
    }
  };
  await expect(synthesizeApp(production, out, { extendStacks: addFilters })).rejects.toThrow(
    /^account "production": its stacks have \d{3} metric filters \(those added with extendStacks included\), over CloudWatch Logs' quota of 100 per log group .* set audit\.cisAlarms to false/,
  );
  expect(fs.existsSync(path.join(out, "stacks"))).toBe(false);
});
