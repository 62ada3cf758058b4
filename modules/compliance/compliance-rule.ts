/**
 * The contract between the compliance engine (`ComplianceChecker`) and the rules in `rules/`.
 *
 * Rules read the *synthesized* Terraform JSON of a stack, not the constructs that produced it, so
 * they see raw provider resources a user added next to our constructs just as well as ours
 * (cdk-nag cannot do this for cdktf: its rules test aws-cdk-lib L1 classes).
 */

export type Severity = "error" | "warning";

/** A resource as synthesized: attributes with Terraform references as "${...}" strings; JSON policies still strings. */
export interface SynthesizedResource {
  /** Terraform resource type, e.g. "aws_kms_key". */
  readonly type: string;
  /** Logical id in the stack (the Terraform resource name). */
  readonly name: string;
  /** `${type}.${name}`. */
  readonly address: string;
  /** Construct path from the `"//".metadata.path` of the resource. */
  readonly path: string;
  /** The resource block without `"//"`. */
  readonly config: Readonly<Record<string, unknown>>;
}

export interface StackView {
  readonly stackName: string;
  readonly resources: readonly SynthesizedResource[];
  ofType(type: string): readonly SynthesizedResource[];
  /** The whole synthesized stack JSON (providers, variables, ...). */
  readonly json: Readonly<Record<string, unknown>>;
}

export interface RuleViolation {
  readonly resource: SynthesizedResource;
  readonly message: string;
}

export interface ComplianceRule {
  /** Stable, e.g. "KMS-001". Suppressions and reports refer to it: never rename. */
  readonly id: string;
  readonly severity: Severity;
  /** One line. */
  readonly description: string;
  readonly rationale: string;
  readonly remediation: string;
  /** External controls, e.g. ["CIS AWS 3.8", "Security Hub KMS.4", "checkov CKV_AWS_7"]. */
  readonly controls: readonly string[];
  check(stack: StackView): readonly RuleViolation[];
}
