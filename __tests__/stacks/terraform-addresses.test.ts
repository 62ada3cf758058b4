/**
 * The Terraform addresses of every stack of config/default.json, against the
 * golden files in __tests__/fixtures/terraform-addresses/<stack>.txt: a
 * resource whose address changes is destroyed and re-created in every
 * deployment that already has it, unless Terraform is told it moved. Also
 * the construct-ID rules of stacks/construct-ids.ts those addresses come from.
 */
import * as fs from "fs";
import * as path from "path";
import { TerraformStack } from "cdktf";
import * as appConfig from "../../config/app-config";
import { AppConfig } from "../../config/app-config";
import { loadConfig } from "../../config/load-config";
import {
  WORKLOAD_STACK_IDS,
  WORKLOAD_STACK_RESERVED_IDS,
  auditStackName,
  deployerStackName,
  functionConstructId,
  functionOutputIds,
  secretConstructId,
  stackName,
} from "../../stacks/construct-ids";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { WorkloadStack } from "../../stacks/workload-stack";
import { StackTestFolder, defaultConfigDocument, makeStackTestFolder } from "../support/stack-config";

const GOLDEN_FOLDER = path.join(__dirname, "..", "fixtures", "terraform-addresses");
const UPDATE = process.env.UPDATE_TERRAFORM_ADDRESSES === "1";
const UPDATE_COMMAND = "UPDATE_TERRAFORM_ADDRESSES=1 npx jest __tests__/stacks/terraform-addresses.test.ts";

type Block = Record<string, unknown>;

/**
 * The addresses a synthesized stack (cdk.tf.json) gives Terraform, sorted:
 * managed resources as in state (`<type>.<name>`), data sources
 * (`data.<type>.<name>`), outputs (`output.<name>`), input variables
 * (`var.<name>`) and provider configurations (`provider.<name>[.<alias>]`,
 * which every resource in state records). No resource uses count or
 * for_each, so there are no instance keys.
 */
function terraformAddresses(json: Record<string, unknown>): string[] {
  const names = (block: unknown) => Object.keys((block ?? {}) as Block);
  const addresses = [
    ...Object.entries((json.resource ?? {}) as Block).flatMap(([type, resources]) => names(resources).map((name) => `${type}.${name}`)),
    ...Object.entries((json.data ?? {}) as Block).flatMap(([type, sources]) => names(sources).map((name) => `data.${type}.${name}`)),
    ...names(json.output).map((name) => `output.${name}`),
    ...names(json.variable).map((name) => `var.${name}`),
    ...Object.entries((json.provider ?? {}) as Block).flatMap(([name, configs]) =>
      (configs as { alias?: string }[]).map((config) => (config.alias ? `provider.${name}.${config.alias}` : `provider.${name}`)),
    ),
  ];
  return addresses.sort();
}

/** What changed between the golden addresses and the synthesized ones: `- removed`, `+ added`. */
function differences(golden: readonly string[], actual: readonly string[]): string[] {
  return [...golden.filter((a) => !actual.includes(a)).map((a) => `- ${a}`), ...actual.filter((a) => !golden.includes(a)).map((a) => `+ ${a}`)];
}

const count = (n: number) => `${n} ${n === 1 ? "address" : "addresses"}`;

const goldenFile = (stack: string) => path.join(GOLDEN_FOLDER, `${stack}.txt`);

function readGolden(stack: string): string[] | undefined {
  if (!fs.existsSync(goldenFile(stack))) return undefined;
  return fs
    .readFileSync(goldenFile(stack), "utf8")
    .split("\n")
    .filter((line) => line !== "");
}

let folder: StackTestFolder;
let config: AppConfig;
let stacks: readonly string[];
let accountStacks: readonly TerraformStack[] = [];

// Only these tests synthesize; the rules below them run without a configuration.
describe("the stacks of config/default.json, synthesized", () => {
  beforeAll(async () => {
    folder = makeStackTestFolder("terraform-addresses-test-");
    // config/default.json with its state in the test folder and absolute code paths: neither changes an address.
    fs.writeFileSync(folder.configFile, JSON.stringify(defaultConfigDocument()));
    config = loadConfig(folder.configFile);
    const result = await synthesizeApp(config, folder.outdir, { extendStacks: (s) => (accountStacks = s) });
    stacks = result.stacks;
  }, 120_000);

  afterAll(() => {
    if (folder) fs.rmSync(folder.tmp, { recursive: true, force: true });
  });

  test("their Terraform addresses match the golden files in __tests__/fixtures/terraform-addresses", () => {
    const actual = new Map(stacks.map((stack) => [stack, terraformAddresses(JSON.parse(fs.readFileSync(path.join(folder.outdir, "stacks", stack, "cdk.tf.json"), "utf8")))]));
    const goldenStacks = fs.existsSync(GOLDEN_FOLDER)
      ? fs
          .readdirSync(GOLDEN_FOLDER)
          .filter((file) => file.endsWith(".txt"))
          .map((file) => file.slice(0, -".txt".length))
      : [];

    if (UPDATE) {
      fs.mkdirSync(GOLDEN_FOLDER, { recursive: true });
      for (const stack of goldenStacks.filter((s) => !actual.has(s))) fs.rmSync(goldenFile(stack));
      for (const [stack, addresses] of actual) fs.writeFileSync(goldenFile(stack), `${addresses.join("\n")}\n`);
      return;
    }

    const report: string[] = [];
    for (const stack of goldenStacks.filter((s) => !actual.has(s)).sort()) {
      report.push(`  ${stack}: the stack is gone (its golden file lists ${count(readGolden(stack)?.length ?? 0)})`);
    }
    for (const [stack, addresses] of actual) {
      const golden = readGolden(stack);
      if (golden === undefined) {
        report.push(`  ${stack}: a new stack, with no golden file yet (${count(addresses.length)})`);
        continue;
      }
      const changes = differences(golden, addresses);
      if (changes.length > 0) report.push(`  ${stack}:`, ...changes.map((change) => `    ${change}`));
    }
    if (report.length > 0) {
      throw new Error(
        [
          "The Terraform addresses of the default configuration's stacks changed (- in the golden file only, + synthesized only):",
          ...report,
          "Terraform destroys and re-creates a resource whose address changes, in every deployment that already has it (keys, secrets, log groups included).",
          "A rename must come with a CHANGELOG entry and a `moved` block or a `terraform state mv` note.",
          `To accept deliberate changes, run: ${UPDATE_COMMAND}`,
        ].join("\n"),
      );
    }
  });

  test("each workload stack has only its fixed construct IDs (WORKLOAD_STACK_IDS), its functions, their outputs and its secrets directly under it", () => {
    const workloads = accountStacks.filter((stack): stack is WorkloadStack => stack instanceof WorkloadStack);
    expect(workloads.map((stack) => stack.node.id)).toEqual(stacks.filter((stack) => !stack.endsWith("-audit") && !stack.endsWith("-deployer")));
    for (const stack of workloads) {
      const account = config.accounts.find((a) => a.regions.some((region) => stackName(a, region) === stack.node.id))!;
      const functionIds = config.functions.filter((fn) => fn.accounts.includes(account.name)).map((fn) => functionConstructId(fn.name));
      // The provider of the first region is only in the other regions' stacks of an account with multi-Region keys (none here),
      // and code signing only in stacks with a function that uses it (none here).
      const expected = [
        ...Object.values(WORKLOAD_STACK_IDS).filter((id) => id !== WORKLOAD_STACK_IDS.primaryKeyProvider && id !== WORKLOAD_STACK_IDS.codeSigning),
        ...functionIds.flatMap((id) => [id, ...Object.values(functionOutputIds(id))]),
        ...config.secrets.filter((secret) => secret.accounts.includes(account.name)).map((secret) => secretConstructId(secret.name)),
      ];
      // A construct added under the stack with an ID not in WORKLOAD_STACK_IDS fails here, and so does a constant no longer used.
      expect({ stack: stack.node.id, ids: stack.node.children.map((child) => child.node.id).sort() }).toEqual({ stack: stack.node.id, ids: expected.sort() });
    }
  });
});

describe("construct IDs of a workload stack", () => {
  test("the reserved IDs are exactly the workload stack's fixed construct IDs", () => {
    for (const [name, id] of Object.entries(WORKLOAD_STACK_IDS)) {
      expect({ name, reserved: WORKLOAD_STACK_RESERVED_IDS.includes(id) }).toEqual({ name, reserved: true });
    }
    expect([...WORKLOAD_STACK_RESERVED_IDS].sort()).toEqual(Object.values(WORKLOAD_STACK_IDS).sort());
  });

  test.each([
    ["payments/orders/db-password", "secret-payments-orders-db-password"],
    ["/payments/api-token", "secret-payments-api-token"],
    ["payments/orders-api/db-password", "secret-payments-orders-api-db-password"],
    ["/payments/orders-api/partner-webhook-token", "secret-payments-orders-api-partner-webhook-token"],
    ["db_password", "secret-db-password"],
    ["app//db.password@v2", "secret-app-db-password-v2"],
    ["/trailing/", "secret-trailing"],
    ["Payments/DB", "secret-Payments-DB"],
  ])("secretConstructId(%p) is %p: every run of characters other than letters and digits becomes one '-', none at either end", (name, id) => {
    expect(secretConstructId(name)).toBe(id);
    expect(WORKLOAD_STACK_RESERVED_IDS).not.toContain(id);
  });

  test("names that differ only in punctuation get the same secret construct ID (the configuration refuses them side by side)", () => {
    expect(secretConstructId("payments/db-password")).toBe(secretConstructId("payments-db_password"));
  });

  test("a function's construct ID is its name, and its outputs are <id>_function_arn and <id>_role_arn", () => {
    expect(functionConstructId("orders-api")).toBe("orders-api");
    expect(functionOutputIds("orders-api")).toEqual({ functionArn: "orders-api_function_arn", roleArn: "orders-api_role_arn" });
  });
});

describe("stack names", () => {
  test("<account>-<region>, <account>-audit and <account>-deployer", () => {
    const account = { name: "staging" };
    expect(stackName(account, "eu-west-1")).toBe("staging-eu-west-1");
    expect(auditStackName(account)).toBe("staging-audit");
    expect(deployerStackName(account)).toBe("staging-deployer");
  });

  test("config/app-config.ts re-exports the same rules", () => {
    expect(appConfig.stackName).toBe(stackName);
    expect(appConfig.auditStackName).toBe(auditStackName);
    expect(appConfig.secretConstructId).toBe(secretConstructId);
  });
});
