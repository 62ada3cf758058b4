/*
 * The contract between the compliance engine (`ComplianceChecker`) and the rules in `rules/`.
 *
 * Rules read the *synthesized* Terraform JSON of a stack, not the constructs that produced it, so
 * they see raw provider resources a user added next to our constructs just as well as ours
 * (cdk-nag cannot do this for cdktf: its rules test aws-cdk-lib L1 classes).
 */

/** A resource as synthesized: attributes with Terraform references as `"${...}"` strings; JSON policies still strings. */
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

/** What a rule sees of one stack: its synthesized resources, tokens resolved. */
export interface StackView {
  /** The stack's name (its folder under `cdktf.out/stacks/`). */
  readonly stackName: string;
  /** Every resource of the stack, by type, then name. */
  readonly resources: readonly SynthesizedResource[];
  /** The resources of one Terraform type, e.g. `aws_kms_key`. */
  ofType(type: string): readonly SynthesizedResource[];
  /** The whole synthesized stack JSON (providers, variables, ...). */
  readonly json: Readonly<Record<string, unknown>>;
}

/** One resource that breaks a rule, and why. */
export interface RuleViolation {
  /** The resource that breaks the rule. */
  readonly resource: SynthesizedResource;
  /** What is wrong with this resource. */
  readonly message: string;
}

/**
 * A compliance rule: a check of a stack's synthesized Terraform JSON, run by
 * `ComplianceChecker` (`DEFAULT_RULES` are the built-in ones). Rules see raw
 * provider resources a user added next to the constructs just as well as the
 * constructs' own.
 */
export interface ComplianceRule {
  /** Stable, e.g. "KMS-001". Suppressions and reports refer to it: never rename. */
  readonly id: string;
  /** `"error"` fails the synth; `"warning"` is an annotation (unless `failOnWarnings`). */
  readonly severity: "error" | "warning";
  /** One line. */
  readonly description: string;
  /** Why the rule exists. */
  readonly rationale: string;
  /** How to fix a violation; reports and synth errors print it. */
  readonly remediation: string;
  /** External controls, e.g. ["CIS AWS 3.8", "Security Hub KMS.4", "checkov CKV_AWS_7"]. */
  readonly controls: readonly string[];
  /** The violations in one stack; none when the stack complies. */
  check(stack: StackView): readonly RuleViolation[];
}
