/**
 * What keeps a synth cheap without changing its output: each stack resolved
 * once and not prepared where nothing needs it, stack traces only when asked
 * for, the tokens of an app that is done released. The synthesized bytes of
 * the default configuration are checked elsewhere (terraform-addresses, main).
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
import { synthesizeApp } from "../../stacks/synthesize-app";
import { CrossStackReferenceWithoutPreparation, skipPreparingResolve, synthesizeSkippingPreparation } from "../../stacks/skip-preparing-resolve";
import { releaseTokensSince, tokenMark } from "../../stacks/token-release";
import { loadConfig } from "../../config/load-config";
import { defaultConfigDocument, makeStackTestFolder, restrictToAccounts } from "../support/stack-config";

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

describe("skipPreparingResolve", () => {
  function twoStacks(crossStack: boolean) {
    const app = newApp(outdir(), {});
    const first = parameterStack(app, "first", "a");
    const second = parameterStack(app, "second", crossStack ? first.parameter.arn : "b");
    return { app, stacks: [first.stack, second.stack] };
  }

  test("each element is resolved once to write it, not once more to prepare, and the bytes are the same", () => {
    const unskipped = twoStacks(false);
    unskipped.app.synth();
    const skipped = twoStacks(false);
    resolveOnceAfterPrepare(skipped.stacks);
    skipPreparingResolve(skipped.stacks);
    const resolutions = jest.spyOn(SsmParameter.prototype, "toTerraform");
    try {
      skipped.app.synth();
      // Without the skip: once to prepare, once to write, per parameter.
      expect(resolutions).toHaveBeenCalledTimes(2);
    } finally {
      resolutions.mockRestore();
    }
    for (const stack of ["first", "second"]) {
      expect(fs.readFileSync(path.join(skipped.app.outdir, "stacks", stack, "cdk.tf.json"), "utf8")).toBe(
        fs.readFileSync(path.join(unskipped.app.outdir, "stacks", stack, "cdk.tf.json"), "utf8"),
      );
    }
  });

  test("a cross-stack reference in a stack that was not prepared throws instead of being written unprepared", () => {
    const synthesizeUnprepared = () => {
      const { app, stacks } = twoStacks(true);
      skipPreparingResolve(stacks);
      app.synth();
    };
    expect(synthesizeUnprepared).toThrow(CrossStackReferenceWithoutPreparation);
    expect(synthesizeUnprepared).toThrow(/stack second refers to aws_ssm_parameter\.parameter\.arn of another stack/);
  });

  test("synthesizeSkippingPreparation synthesizes again with the preparation when a cross-stack reference needs it", () => {
    const attempts: boolean[] = [];
    let discarded = 0;
    const app = synthesizeSkippingPreparation(
      (skip) => {
        attempts.push(skip);
        const built = twoStacks(true);
        if (skip) skipPreparingResolve(built.stacks);
        built.app.synth();
        return built.app;
      },
      () => discarded++,
    );
    expect(attempts).toEqual([true, false]);
    expect(discarded).toBe(1);
    expect(Object.keys(written(app, "first").output ?? {})).toHaveLength(1);
    expect(JSON.stringify(written(app, "second").resource)).toContain("data.terraform_remote_state");
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

describe("token release", () => {
  test("the tokens registered after a mark are removed, those before it still resolve, a released one fails loudly", () => {
    const before = Lazy.stringValue({ produce: () => "kept" });
    const mark = tokenMark();
    const released = Lazy.stringValue({ produce: () => "released" });
    Lazy.numberValue({ produce: () => 1 });
    expect(tokenMark()).toEqual({ strings: mark.strings + 1, numbers: mark.numbers + 1 });
    expect(releaseTokensSince(mark)).toBe(2);
    expect(tokenMark()).toEqual(mark);
    const kept = newApp(outdir(), {});
    parameterStack(kept, "kept", before);
    kept.synth();
    expect(written(kept, "kept").resource).toEqual({ aws_ssm_parameter: { parameter: expect.objectContaining({ value: "kept" }) } });
    const stale = newApp(outdir(), {});
    parameterStack(stale, "stale", released);
    expect(() => stale.synth()).toThrow(/Unrecognized Token Key/);
  });

  test("a synth leaves none of its apps' tokens registered", async () => {
    const folder = makeStackTestFolder("token-release-");
    folders.push(folder.tmp);
    fs.writeFileSync(folder.configFile, JSON.stringify(restrictToAccounts(defaultConfigDocument(), { staging: ["eu-west-1"], production: ["eu-west-1"] })));
    const config = loadConfig(folder.configFile);
    const mark = tokenMark();
    const result = await synthesizeApp(config, folder.outdir);
    // Two accounts, each an app of its own: without the release their tokens stay registered (about a hundred each), and through them their construct trees.
    expect(result.stacks.length).toBeGreaterThan(2);
    expect(tokenMark()).toEqual(mark);
  });
});
