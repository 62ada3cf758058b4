/**
 * Tests of the offline Terraform checker (tooling/stack-check.ts)
 * against small hand-written cdk.tf.json fixtures. Every terraform command
 * costs ~0.5–2.5 s, so the fixtures are tiny and each test runs as few
 * commands as it can.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  OVERRIDE_FILE_NAME,
  TerraformCheckError,
  buildOfflineOverride,
  checkStack,
  checkStacks,
  requireTerraform,
  resolveProviderMirror,
  writeOfflineCliConfig,
} from "../../tooling/stack-check";

const TERRAFORM_TIMEOUT = 120_000;

type Json = Record<string, unknown>;

const requiredProviders = { aws: { source: "aws", version: "5.100.0" } };

const keyAndLogGroup = {
  aws_kms_key: { key: { description: "harness fixture", enable_key_rotation: true, deletion_window_in_days: 30 } },
  aws_cloudwatch_log_group: {
    logs: { name: "/aws/lambda/harness", retention_in_days: 365, kms_key_id: "${aws_kms_key.key.arn}" },
  },
};

/** Local backend, one aws provider with allowed_account_ids + default_tags, a KMS key and a log group. */
function localFixture(statePath: string): Json {
  return {
    terraform: { required_providers: requiredProviders, backend: { local: { path: statePath } } },
    provider: {
      aws: [
        {
          region: "eu-west-1",
          allowed_account_ids: ["111111111111"],
          default_tags: [{ tags: { project: "harness" } }],
        },
      ],
    },
    resource: structuredClone(keyAndLogGroup),
  };
}

/** S3 backend and two aws providers: the default one assumes a role, the aliased one carries a key. */
function s3AliasedFixture(): Json {
  return {
    terraform: {
      required_providers: requiredProviders,
      backend: { s3: { bucket: "harness-state", key: "harness.tfstate", region: "eu-west-1" } },
    },
    provider: {
      aws: [
        {
          region: "eu-west-1",
          allowed_account_ids: ["111111111111"],
          profile: "prod",
          assume_role: [{ role_arn: "arn:aws:iam::111111111111:role/deploy", session_name: "harness" }],
        },
        { alias: "us_east_1", region: "us-east-1", allowed_account_ids: ["111111111111"] },
      ],
    },
    resource: {
      aws_kms_key: {
        key: { description: "default provider" },
        key_us: { description: "aliased provider", provider: "aws.us_east_1" },
      },
    },
  };
}

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tf-harness-"));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function writeStack(outdir: string, name: string, config: Json): string {
  const dir = path.join(outdir, "stacks", name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(config, null, 2));
  return dir;
}

describe("environment", () => {
  test("terraform is on PATH and the provider mirror resolves", () => {
    expect(path.isAbsolute(requireTerraform())).toBe(true);
    expect(fs.existsSync(path.join(resolveProviderMirror(), "registry.terraform.io", "hashicorp", "aws"))).toBe(true);
  });

  test("writeOfflineCliConfig installs hashicorp providers from the mirror only", () => {
    const file = writeOfflineCliConfig(tmp, "/some/mirror");
    const text = fs.readFileSync(file, "utf8");
    expect(path.dirname(file)).toBe(tmp);
    expect(text).toContain('path    = "/some/mirror"');
    expect(text).toMatch(/filesystem_mirror \{[^}]*include = \["registry\.terraform\.io\/hashicorp\/\*"\]/);
    expect(text).toMatch(/direct \{\s*exclude = \["registry\.terraform\.io\/hashicorp\/\*"\]/);
  });
});

describe("buildOfflineOverride", () => {
  test("covers every aws provider block by alias and neutralizes account checks, profile and assume_role", () => {
    const override = buildOfflineOverride(s3AliasedFixture(), ".terraform/x.tfstate");
    const dummy = {
      access_key: "test",
      secret_key: "test",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      allowed_account_ids: null,
    };
    expect(override).toEqual({
      provider: {
        aws: [
          { ...dummy, profile: null, assume_role: [{}] },
          { alias: "us_east_1", ...dummy },
        ],
      },
      terraform: { backend: { local: { path: ".terraform/x.tfstate" } } },
    });
  });

  test("leaves attributes the stack does not set alone", () => {
    const override = buildOfflineOverride({ provider: { aws: [{ region: "eu-west-1" }] } });
    expect(override).toEqual({
      provider: {
        aws: [
          {
            access_key: "test",
            secret_key: "test",
            skip_credentials_validation: true,
            skip_requesting_account_id: true,
            skip_metadata_api_check: true,
          },
        ],
      },
    });
  });
});

describe("checkStack", () => {
  test(
    "plans a local-backend stack offline and counts 2 resources to add",
    async () => {
      // The stack's own state path must never be read: point it at a file that would break the plan.
      const realState = path.join(tmp, "real.tfstate");
      fs.writeFileSync(realState, "not a state file");
      const dir = writeStack(tmp, "local-stack", localFixture(realState));
      const original = fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8");

      const result = await checkStack(dir, { showPlan: true });

      expect(result.stack).toBe("local-stack");
      expect(result.backend).toBe("local");
      expect(result.awsProviders).toEqual([{ region: "eu-west-1", allowedAccountIds: ["111111111111"], assumesRole: false }]);
      expect(result.validate).toEqual({ valid: true, warnings: [] });
      if (!result.plan.ran) throw new Error(`plan skipped: ${result.plan.skippedReason}`);
      expect(result.plan).toMatchObject({ exitCode: 2, resourcesToAdd: 2, resourcesToChange: 0, resourcesToDestroy: 0, warnings: [] });
      expect([...result.plan.changes].sort((a, b) => a.address.localeCompare(b.address))).toEqual([
        { address: "aws_cloudwatch_log_group.logs", action: "create" },
        { address: "aws_kms_key.key", action: "create" },
      ]);
      // show -json agrees, and default_tags reached the planned values.
      const key = result.plan.planJson?.resource_changes?.find((r) => r.address === "aws_kms_key.key");
      expect(key?.change.after).toMatchObject({ tags_all: { project: "harness" }, enable_key_rotation: true });

      // The production JSON is untouched; the override and plan file are gone; nothing left outside the stack folder.
      expect(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).toBe(original);
      expect(fs.existsSync(path.join(dir, OVERRIDE_FILE_NAME))).toBe(false);
      expect(fs.readFileSync(realState, "utf8")).toBe("not a state file");
      expect(fs.readdirSync(tmp).sort()).toEqual(["real.tfstate", "stacks"]);
      expect(result.timings.init).toBeGreaterThan(0);
      expect(result.timings.plan).toBeGreaterThan(0);
    },
    TERRAFORM_TIMEOUT,
  );

  test(
    "fails when validate finds an unknown attribute, naming the stack and the attribute",
    async () => {
      const config = localFixture("terraform.tfstate");
      (config.resource as { aws_kms_key: { key: Json } }).aws_kms_key.key.not_a_kms_argument = true;
      const dir = writeStack(tmp, "broken-stack", config);

      const error = await checkStack(dir).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(TerraformCheckError);
      const message = (error as Error).message;
      expect(message).toContain('stack "broken-stack"');
      expect(message).toContain("terraform validate -json");
      expect(message).toContain("not_a_kms_argument");
      expect((error as TerraformCheckError).diagnostics.some((d) => d.severity === "error")).toBe(true);
    },
    TERRAFORM_TIMEOUT,
  );

  test(
    "validates but skips plan for an s3 backend, and says why",
    async () => {
      const dir = writeStack(tmp, "s3-stack", s3AliasedFixture());

      const result = await checkStack(dir);

      expect(result.backend).toBe("s3");
      expect(result.validate.valid).toBe(true);
      expect(result.plan).toEqual({ ran: false, skippedReason: expect.stringContaining('backend "s3" is not local') });
      expect(result.timings.plan).toBeUndefined();
    },
    TERRAFORM_TIMEOUT,
  );

  test("fails when the provider mirror is missing, saying what was looked for and how to fix it", async () => {
    const empty = fs.mkdtempSync(path.join(tmp, "mirror-"));
    const dir = writeStack(tmp, "any-stack", localFixture("terraform.tfstate"));
    const saved = process.env.TF_PROVIDER_MIRROR;
    process.env.TF_PROVIDER_MIRROR = empty;
    try {
      expect(() => resolveProviderMirror()).toThrow(path.join(empty, "registry.terraform.io", "hashicorp", "aws"));
      await expect(checkStack(dir)).rejects.toThrow(
        /TF_PROVIDER_MIRROR=".*" holds no hashicorp\/aws 5\.100\.0.*Set TF_PROVIDER_MIRROR to the folder that holds registry\.terraform\.io/s,
      );
      expect(fs.existsSync(path.join(dir, OVERRIDE_FILE_NAME))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.TF_PROVIDER_MIRROR;
      else process.env.TF_PROVIDER_MIRROR = saved;
    }
  });

  test("fails when requirePlan is set and the backend is not local", async () => {
    const dir = writeStack(tmp, "s3-stack", s3AliasedFixture());
    await expect(checkStack(dir, { requirePlan: true })).rejects.toThrow(/stack "s3-stack".*plan required, but the backend "s3" is not local/s);
  });
});

describe("checkStacks", () => {
  test(
    "checks every stack of an outdir in parallel, covering aliased providers and assume_role",
    async () => {
      writeStack(tmp, "a-local", localFixture("terraform.tfstate"));
      writeStack(tmp, "b-s3-aliased", s3AliasedFixture());

      const results = await checkStacks(tmp, { concurrency: 2, planNonLocalBackends: true });

      expect(Object.keys(results)).toEqual(["a-local", "b-s3-aliased"]);
      const aliased = results["b-s3-aliased"];
      expect(aliased.awsProviders).toEqual([
        { region: "eu-west-1", allowedAccountIds: ["111111111111"], assumesRole: true },
        { alias: "us_east_1", region: "us-east-1", allowedAccountIds: ["111111111111"], assumesRole: false },
      ]);
      for (const r of Object.values(results)) {
        if (!r.plan.ran) throw new Error(`${r.stack}: plan skipped: ${r.plan.skippedReason}`);
        expect(r.plan.resourcesToAdd).toBe(2);
        // The assume_role neutralizer's "missing role_arn" warning is harness-made and filtered out.
        expect(r.plan.warnings).toEqual([]);
      }
    },
    TERRAFORM_TIMEOUT,
  );
});
