/**
 * Skips cdktf's preparing resolve where it would find nothing.
 *
 * Before writing anything, `app.synth()` resolves every element of every
 * stack once only to find cross-stack references: a reference to another
 * stack's resource becomes an output of that stack and a remote-state
 * lookup in this one. Then it resolves every element again to write the
 * stack. The app's own stacks never refer to one another (a workload stack
 * gets the trail's names as plain strings), so that first pass finds
 * nothing, and costs about a tenth of a synth.
 *
 * {@link skipPreparingResolve} leaves it out for the given stacks (the
 * backend is still ensured, as cdktf's preparation does). Should a
 * cross-stack reference be resolved in one of them after all, the resolve
 * throws {@link CrossStackReferenceWithoutPreparation} instead of writing a
 * reference to a resource the stack does not have; the caller then
 * synthesizes those stacks again without skipping (`synthesizeGroup` does).
 */
import { TerraformStack } from "cdktf";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const expressions = require("cdktf/lib/tfExpression") as { ref: (identifier: string, stack?: TerraformStack) => object };

/** Thrown by a resolve that meets a cross-stack reference in a stack whose preparation was skipped. */
export class CrossStackReferenceWithoutPreparation extends Error {
  constructor(stack: string, identifier: string) {
    super(`stack ${stack} refers to ${identifier} of another stack, which needs cdktf's preparing resolve: synthesize it without skipping the preparation`);
    this.name = "CrossStackReferenceWithoutPreparation";
  }
}

/** What a cdktf Reference token holds (tfExpression.js). */
interface ReferenceToken {
  readonly identifier: string;
  readonly originStack?: TerraformStack;
  readonly crossStackIdentifier: Record<string, string>;
  resolve(context: { readonly scope: unknown; readonly preparing: boolean }): unknown;
}

const unprepared = new WeakSet<TerraformStack>();
let guarded = false;

/** Makes `app.synth()` skip the preparing resolve of `stacks` (see the module's comment). */
export function skipPreparingResolve(stacks: readonly TerraformStack[]): void {
  guardReferences();
  for (const stack of stacks) {
    unprepared.add(stack);
    stack.prepareStack = () => {
      stack.ensureBackendExists();
    };
  }
}

/**
 * Wraps the resolve of cdktf's Reference tokens, once per process: a
 * reference to another stack's resource, resolved for writing in a stack
 * that was not prepared, throws. References are the only tokens the
 * preparing resolve acts on.
 */
function guardReferences(): void {
  if (guarded) return;
  guarded = true;
  const reference = Object.getPrototypeOf(expressions.ref("guard")) as ReferenceToken;
  const resolve = reference.resolve;
  reference.resolve = function (this: ReferenceToken, context) {
    if (!context.preparing && this.originStack) {
      const stack = TerraformStack.of(context.scope as never);
      if (this.originStack !== stack && unprepared.has(stack) && !this.crossStackIdentifier[stack.toString()]) {
        throw new CrossStackReferenceWithoutPreparation(stack.node.id, this.identifier);
      }
    }
    return resolve.call(this, context);
  };
}

/**
 * Runs `synthesize` with the preparing resolve skipped and, when a
 * cross-stack reference needed it after all, `discard` (to remove what that
 * attempt left) and `synthesize` again with the preparation.
 */
export function synthesizeSkippingPreparation<T>(synthesize: (skipPreparation: boolean) => T, discard: () => void): T {
  try {
    return synthesize(true);
  } catch (error) {
    if (!(error instanceof CrossStackReferenceWithoutPreparation)) throw error;
    discard();
    return synthesize(false);
  }
}
