/**
 * What keeps a synth cheap without changing its output: each stack resolved
 * once, and stack traces only when asked for. The synthesized bytes of the
 * default configuration are checked elsewhere (terraform-addresses, main).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Annotations, Lazy, TerraformStack } from "cdktf";
import { ComplianceChecker } from "../../modules";
import { resolveOnceAfterPrepare } from "../../stacks/resolve-once";
import { STACK_TRACES_ENV, newApp } from "../../stacks/stack-traces";

const folders: string[] = [];
function outdir(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "synth-cost-"));
  folders.push(folder);
  return folder;
}
afterAll(() => folders.forEach((folder) => fs.rmSync(folder, { recursive: true, force: true })));

function parameterStack(app: ReturnType<typeof newApp>, id: string, value: string): { stack: TerraformStack; parameter: SsmParameter } {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  return { stack, parameter: new SsmParameter(stack, "parameter", { name: `/${id}`, type: "String", value }) };
}

function written(app: ReturnType<typeof newApp>, stack: string): Record<string, Record<string, unknown>> {
  return JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
}

describe("resolveOnceAfterPrepare", () => {
  test("the compliance rules and the writer share one resolution per stack", () => {
    const app = newApp(outdir(), {});
    const { stack } = parameterStack(app, "one", "a");
    ComplianceChecker.enable(app, { rules: [] });
    const resolutions = jest.spyOn(TerraformStack.prototype, "toTerraform");
    try {
      resolveOnceAfterPrepare([stack]);
      app.synth();
      // Without it: once in the checker's validation, once more to write cdk.tf.json.
      expect(resolutions.mock.contexts.filter((context) => context === stack)).toHaveLength(1);
    } finally {
      resolutions.mockRestore();
    }
    expect(written(app, "one").resource).toEqual({ aws_ssm_parameter: { parameter: expect.objectContaining({ name: "/one", value: "a" }) } });
  });

  test("what another stack's preparation adds (a cross-stack output) is in the written stack", () => {
    const app = newApp(outdir(), {});
    const first = parameterStack(app, "first", "a");
    const second = parameterStack(app, "second", first.parameter.arn);
    ComplianceChecker.enable(app, { rules: [] });
    resolveOnceAfterPrepare([first.stack, second.stack]);
    app.synth();
    expect(Object.keys(written(app, "first").output ?? {})).toHaveLength(1);
    expect(JSON.stringify(written(app, "second").resource)).toContain("data.terraform_remote_state");
  });

  test("before preparation nothing is kept: a stack changed after an early read is written as changed", () => {
    const app = newApp(outdir(), {});
    const { stack } = parameterStack(app, "early", "a");
    resolveOnceAfterPrepare([stack]);
    expect(JSON.stringify(stack.toTerraform())).not.toContain("/later");
    new SsmParameter(stack, "later", { name: "/later", type: "String", value: "b" });
    app.synth();
    expect(Object.keys(written(app, "early").resource.aws_ssm_parameter as object)).toEqual(["later", "parameter"]);
  });
});

describe("stack traces", () => {
  // newApp switches cdktf's token traces off for the whole process, so the test that keeps them runs first.
  test(`with ${STACK_TRACES_ENV}=1, tokens and annotations keep where they were created`, () => {
    const app = newApp(outdir(), { [STACK_TRACES_ENV]: "1" });
    const stack = new TerraformStack(app, "traced");
    Annotations.of(stack).addWarning("look here");
    expect((Lazy.anyValue({ produce: () => 1 }) as unknown as { creationStack: string[] }).creationStack.length).toBeGreaterThan(0);
    expect(stack.node.metadata[0].trace?.length).toBeGreaterThan(0);
  });

  test("by default a synth records no stack traces", () => {
    const app = newApp(outdir(), {});
    const stack = new TerraformStack(app, "untraced");
    Annotations.of(stack).addWarning("look here");
    expect((Lazy.anyValue({ produce: () => 1 }) as unknown as { creationStack: string[] }).creationStack).toEqual([]);
    expect(stack.node.metadata[0].trace).toBeUndefined();
  });
});
