/**
 * One deployed stack as the end-to-end checks see it: what we synthesized
 * (cdk.tf.json, the intent) and what Terraform recorded after the apply
 * (`terraform show -json`, the ids and ARNs the emulator assigned). The
 * checks compare the emulator's answers with the intent, with references
 * such as `${aws_kms_key.x.arn}` filled in from the state.
 */
import * as fs from "fs";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A managed resource of the stack: its synthesized block and its values in state. */
export interface DeployedResource {
  /** `<type>.<name>`, e.g. `aws_kms_key.workload-key_7A142891`. */
  readonly address: string;
  readonly type: string;
  /** The block in cdk.tf.json, references resolved. */
  readonly intended: Json;
  /** Attribute values in Terraform state. */
  readonly state: Json;
  /** Region of the resource's provider. */
  readonly region: string;
}

export class DeployedStack {
  public readonly resources: readonly DeployedResource[];
  public readonly outputs: Readonly<Record<string, Json>>;
  /** The region of the stack's default provider. */
  public readonly region: string;

  /**
   * @param name stack name, e.g. `production-eu-west-1`
   * @param accountId the account the stack's providers are pinned to
   * @param stackDir folder holding the stack's cdk.tf.json
   * @param show parsed `terraform show -json` of the stack
   */
  constructor(
    public readonly name: string,
    public readonly accountId: string,
    stackDir: string,
    show: Json,
  ) {
    const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    const stateByAddress = new Map<string, Json>();
    for (const resource of show.values?.root_module?.resources ?? []) {
      if (resource.mode === "managed") stateByAddress.set(resource.address, resource.values);
    }
    const regions = providerRegions(synthesized);
    this.region = regions.get("aws") ?? "";
    const resolve = (value: Json): Json => resolveReferences(value, stateByAddress);
    const resources: DeployedResource[] = [];
    for (const [type, blocks] of Object.entries<Record<string, Json>>(synthesized.resource ?? {})) {
      for (const [name, block] of Object.entries(blocks)) {
        const address = `${type}.${name}`;
        const state = stateByAddress.get(address);
        if (!state) throw new Error(`${this.name}: ${address} is in cdk.tf.json but not in the Terraform state after the deploy`);
        resources.push({ address, type, intended: resolve(block), state, region: regions.get(block.provider ?? "aws") ?? "" });
      }
    }
    this.resources = resources;
    this.outputs = Object.fromEntries(Object.entries<Json>(show.values?.outputs ?? {}).map(([key, output]) => [key, output.value]));
  }

  /**
   * ARN of the stack's own KMS key in `region` (each stack of the app has
   * exactly one in its region: the workload key, a replica of a
   * multi-Region one, or the audit key; an audit stack with replication
   * has the replica key in the replica region too), taken from state.
   * Everything the stack encrypts there must use it.
   */
  public keyArn(region: string = this.region): string {
    const keys = [...this.ofType("aws_kms_key"), ...this.ofType("aws_kms_replica_key")].filter((key) => key.region === region);
    const arn = keys[0]?.state.arn;
    if (keys.length !== 1 || typeof arn !== "string" || !/^arn:aws[a-z-]*:kms:/.test(arn)) {
      throw new Error(
        `${this.name}: expected exactly one aws_kms_key or aws_kms_replica_key in ${region} with an ARN in state, found ${keys.map((k) => k.address).join(", ") || "none"}`,
      );
    }
    return arn;
  }

  /** The stack's resources of one type. */
  public ofType(type: string): DeployedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }
}

/** Provider reference (`aws`, `aws.audit`) → region, from the stack's provider blocks. */
function providerRegions(synthesized: Json): Map<string, string> {
  const regions = new Map<string, string>();
  for (const provider of synthesized.provider?.aws ?? []) {
    regions.set(provider.alias ? `aws.${provider.alias}` : "aws", provider.region);
  }
  return regions;
}

const REFERENCE = /\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;

/**
 * Replaces every `${<type>.<name>.<attribute>}` in the strings of `value`
 * with the attribute's value in state. Other expressions (the seed
 * variable `${var.…}`) stay as they are; no check compares them.
 */
export function resolveReferences(value: Json, state: ReadonlyMap<string, Json>): Json {
  if (typeof value === "string") {
    return value.replace(REFERENCE, (whole, address: string, attribute: string) => {
      const attributes = state.get(address);
      const found = attributes?.[attribute];
      if (typeof found !== "string" && typeof found !== "number") throw new Error(`cannot resolve ${whole}: ${address}.${attribute} is not a string in the state`);
      return String(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, state));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === "//" ? item : resolveReferences(item, state)]));
  }
  return value;
}
