import { Aspects, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";

/**
 * Makes each stack resolve its Terraform JSON once per synth.
 *
 * Without it, `app.synth()` resolves every token of a stack twice after
 * preparing it (the compliance rules read `toTerraform()` in the stack's
 * validation, then the synthesizer resolves again to write cdk.tf.json), and
 * the deployer policy of an account without a deploy stack a third time.
 * Resolving is most of a synth's work.
 *
 * A stack's JSON can still change until every stack is prepared (a
 * cross-stack reference adds an output to the other stack) and its aspects
 * have run, so the first result is kept only from then on: an aspect, which
 * cdktf runs on each stack after preparing all of them, switches it on. The
 * rules, the writer and the deployer policy then share one object, and
 * cdk.tf.json is written from it, as before.
 */
export function resolveOnceAfterPrepare(stacks: readonly TerraformStack[]): void {
  for (const stack of stacks) {
    const resolve = stack.toTerraform.bind(stack);
    let prepared = false;
    let resolved: unknown;
    stack.toTerraform = () => (prepared ? (resolved ??= resolve()) : resolve());
    Aspects.of(stack).add({
      visit: (node: IConstruct) => {
        if (node === stack) prepared = true;
      },
    });
  }
}
