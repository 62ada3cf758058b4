/**
 * Synthesis helpers shared by the construct tests in __tests__/modules:
 * a stack with the AWS provider (and, where the construct needs one, a
 * customer-managed key), the synthesized Terraform JSON, the one resource of
 * a type, and a policy statement by Sid.
 *
 * Each test file keeps its own output folder (and removes it in afterAll):
 * Testing.app() would otherwise create a fresh temporary folder per app.
 */
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { EncryptionKey } from "../../modules/encryption-key";

export type Json = Record<string, unknown>;

/** Synthesized resources: type → Terraform logical ID → attributes. */
export type Resources = Record<string, Record<string, Json>>;

/** The synthesized Terraform JSON of a stack; blocks other than `resource` (variable, output, …) are left untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SynthesizedJson = { resource: Resources } & Record<string, any>;

/** A statement of an IAM, KMS key, S3 bucket or SNS topic policy as it is synthesized. */
export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: string[]; Service?: string[] };
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyJson {
  Version: string;
  Statement: PolicyStatementJson[];
}

/** A stack named "stack" in an app writing to `outdir`, with the default AWS provider in `region`. */
export function newStack(outdir: string, region: string): TerraformStack {
  const stack = new TerraformStack(Testing.app({ outdir }), "stack");
  new AwsProvider(stack, "aws", { region });
  return stack;
}

export interface StackWithKeyOptions {
  readonly accountId: string;
  readonly region: string;
  /** The key's one alias (without "alias/"). */
  readonly alias: string;
}

/** newStack() with an EncryptionKey "key" in it. */
export function newStackWithKey(outdir: string, { accountId, region, alias }: StackWithKeyOptions): { stack: TerraformStack; key: EncryptionKey } {
  const stack = newStack(outdir, region);
  const key = new EncryptionKey(stack, "key", { accountId, region, aliases: [alias] });
  return { stack, key };
}

/** The stack synthesized with validations run, parsed. */
export function synthJson(stack: TerraformStack): SynthesizedJson {
  return JSON.parse(Testing.synth(stack, true)) as SynthesizedJson;
}

/** The one resource of `type` as [logical ID, attributes]; expects there to be exactly one. */
export function onlyResource(resources: Resources, type: string): [string, Json] {
  const entries = Object.entries(resources[type] ?? {});
  expect(entries).toHaveLength(1);
  return entries[0];
}

/** The one statement of `policy` with this Sid; expects there to be exactly one. */
export function statementBySid(policy: { Statement: PolicyStatementJson[] }, sid: string): PolicyStatementJson {
  const matches = policy.Statement.filter((s) => s.Sid === sid);
  expect(matches).toHaveLength(1);
  return matches[0];
}

/**
 * Synthesizes the stack's own app into its output folder (a stack of
 * `newStack`/`newStackWithKey` writes where the test chose) and returns the
 * stack folder, for Terraform validate / plan.
 */
export function appStackDir(stack: TerraformStack): string {
  const app = stack.node.root as unknown as { synth(): void; outdir: string };
  app.synth();
  return path.join(app.outdir, "stacks", stack.node.id);
}

/**
 * Fully synthesizes the stack (for Terraform validate / plan) and returns its
 * stack folder; the app's output folder is pushed onto `outdirs` for the test
 * file's afterAll to remove.
 */
export function fullSynthStackDir(stack: TerraformStack, outdirs: string[]): string {
  const outdir = Testing.fullSynth(stack);
  outdirs.push(outdir);
  return path.join(outdir, "stacks", stack.node.id);
}
