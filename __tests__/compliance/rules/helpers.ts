import type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "../../../modules/compliance/compliance-rule";

type Config = Record<string, unknown>;
export type StackJson = { resource?: Record<string, Record<string, Config>>; data?: Record<string, Record<string, Config>>; [key: string]: unknown };

/**
 * A StackView over a cdk.tf.json-shaped object, independent of the engine's
 * stack-view.ts. Resources without "//" metadata get the path "<stack>/<name>".
 */
export function stackView(json: StackJson, stackName = "test"): StackView {
  const resources: SynthesizedResource[] = Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, block]) => {
      const { "//": meta, ...config } = block as Config & { "//"?: { metadata?: { path?: string } } };
      return { type, name, address: `${type}.${name}`, path: meta?.metadata?.path ?? `${stackName}/${name}`, config };
    }),
  );
  return { stackName, resources, ofType: (type) => resources.filter((resource) => resource.type === type), json };
}

/** A stack with the given resources, each `{ type: { name: config } }`. */
export function stackOf(resource: Record<string, Record<string, Config>>, extra: Omit<StackJson, "resource"> = {}): StackView {
  return stackView({ ...extra, resource });
}

/** The violations of `rule`, as { path, message } for compact assertions. */
export function findings(rule: ComplianceRule, stack: StackView): { path: string; message: string }[] {
  return rule.check(stack).map((violation: RuleViolation) => ({ path: violation.resource.path, message: violation.message }));
}

export const policy = (...statements: Config[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

export const ROOT = "arn:aws:iam::111111111111:root";
export const ROOT_STATEMENT = { Sid: "EnableIamPoliciesForAccount", Effect: "Allow", Principal: { AWS: [ROOT] }, Action: ["kms:*"], Resource: ["*"] };
