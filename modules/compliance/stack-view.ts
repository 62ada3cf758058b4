import { TerraformStack } from "cdktf";
import { StackView, SynthesizedResource } from "./compliance-rule";

/**
 * A read-only view of what `stack` synthesizes to.
 *
 * `stack.toTerraform()` resolves every token, including `Lazy` values such as the JSON of a
 * `PolicyDocument`, so rules see the final strings; references to other resources stay
 * `"${aws_kms_key.key.arn}"` expressions. Each resource's construct path comes from the
 * `"//".metadata.path` that cdktf writes next to it.
 */
export function stackView(stack: TerraformStack): StackView {
  const json = stack.toTerraform() as Record<string, unknown>;
  const resources: SynthesizedResource[] = [];
  const byType = asRecord(json.resource);
  for (const type of Object.keys(byType).sort()) {
    const blocks = asRecord(byType[type]);
    for (const name of Object.keys(blocks).sort()) {
      const { "//": meta, ...config } = asRecord(blocks[name]);
      const metaPath = asRecord(asRecord(meta).metadata).path;
      resources.push({
        type,
        name,
        address: `${type}.${name}`,
        path: typeof metaPath === "string" ? metaPath : `${stack.node.path}/${name}`,
        config,
      });
    }
  }
  return {
    stackName: stack.node.id,
    resources,
    ofType: (type: string) => resources.filter((r) => r.type === type),
    json,
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
