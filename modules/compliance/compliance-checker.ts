import { Annotations, Aspects, IAspect, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { ComplianceRule } from "./compliance-rule";
import { writeComplianceReports } from "./report";
import { DEFAULT_RULES } from "./rules";
import { stackView } from "./stack-view";
import { suppressionFor } from "./suppress";

/** Props of {@link ComplianceChecker}. */
export interface ComplianceCheckerProps {
  /**
   * The rules to run.
   * @default DEFAULT_RULES
   */
  readonly rules?: readonly ComplianceRule[];
  /**
   * Make warnings fail the synth as errors do.
   * @default false
   */
  readonly failOnWarnings?: boolean;
}

/** One rule violation found in one stack. */
export interface ComplianceFinding {
  /** The rule's `id`. */
  readonly ruleId: string;
  /** The rule's severity. */
  readonly severity: ComplianceRule["severity"];
  /** Stack name (the stack folder under cdktf.out/stacks/). */
  readonly stack: string;
  /** Terraform address, e.g. "aws_kms_key.key". */
  readonly address: string;
  /** Construct path of the resource. */
  readonly path: string;
  /** What is wrong with the resource. */
  readonly message: string;
  /** The rule's remediation. */
  readonly remediation: string;
  /** The rule's external controls. */
  readonly controls: readonly string[];
  /** Set when a `suppressRule` on the construct or an ancestor covers this finding. */
  readonly suppressed?: { readonly reason: string; readonly path: string };
}

/**
 * Runs compliance rules against every stack it visits, at synth time.
 *
 * Each unsuppressed error becomes a construct validation on the stack, so `app.synth()` and
 * `Testing.synth(stack, true)` fail with `[<ruleId>] <path> (<address>): <message> — fix: <remediation>`.
 * Warnings are added as annotations and do not fail unless `failOnWarnings` is set.
 *
 * Rules are evaluated when the stack's validations run, after every aspect has changed the tree,
 * and at most once per stack; `findings` also evaluates stacks whose validations did not run.
 *
 * cdktf 0.21 invokes aspects per stack, starting at the stack: an aspect added to the App is never
 * visited. Use `ComplianceChecker.enable(app)` (after creating the stacks) or add the checker to each stack.
 */
export class ComplianceChecker implements IAspect {
  /**
   * Adds a checker to every stack under `scope` (the app, or one stack) and returns it: the one-line opt-in.
   * Call it after the stacks are created; `app.synth()` fails if a stack created later was not checked.
   */
  public static enable(scope: IConstruct, props: ComplianceCheckerProps = {}): ComplianceChecker {
    const checker = new ComplianceChecker(props);
    checker.enableOn(scope);
    return checker;
  }

  /** The rules this checker runs. */
  public readonly rules: readonly ComplianceRule[];
  /** Whether warnings fail the synth as errors do. */
  public readonly failOnWarnings: boolean;
  private readonly stacks: TerraformStack[] = [];
  private readonly results = new Map<TerraformStack, ComplianceFinding[]>();

  constructor(props: ComplianceCheckerProps = {}) {
    this.rules = props.rules ?? DEFAULT_RULES;
    this.failOnWarnings = props.failOnWarnings ?? false;
    const ids = new Set<string>();
    for (const rule of this.rules) {
      if (ids.has(rule.id)) throw new Error(`compliance rule id ${rule.id} is used twice; rule ids must be unique`);
      ids.add(rule.id);
    }
  }

  /** Adds this checker as an aspect to every stack under `scope`; see `ComplianceChecker.enable`. */
  public enableOn(scope: IConstruct): void {
    for (const stack of stacksUnder(scope)) {
      Aspects.of(stack).add(this);
      // Register now so `findings` covers every stack even when synth stops at the first failing one.
      this.visit(stack);
    }
    if (!TerraformStack.isStack(scope)) {
      scope.node.addValidation({
        validate: () =>
          stacksUnder(scope)
            .filter((s) => !this.stacks.includes(s))
            .map((s) => `stack ${s.node.id} was not checked for compliance: it was created after ComplianceChecker.enable(); enable the checker after creating all stacks`),
      });
    }
  }

  /** Registers a stack it visits (`IAspect`): its rules run when the stack's validations run. */
  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.stacks.includes(node)) return;
    const stack = node;
    this.stacks.push(stack);
    stack.node.addValidation({ validate: () => this.failures(stack) });
  }

  /** Every finding so far, suppressed ones included, in stack order then rule order. */
  public get findings(): readonly ComplianceFinding[] {
    return this.stacks.flatMap((stack) => this.evaluate(stack));
  }

  /** Findings that fail the synth: unsuppressed errors, and unsuppressed warnings when `failOnWarnings`. */
  public get failing(): readonly ComplianceFinding[] {
    return this.findings.filter((f) => this.fails(f));
  }

  /** Names of the stacks this checker visited. */
  public get stackNames(): readonly string[] {
    return this.stacks.map((s) => s.node.id);
  }

  /**
   * Writes compliance.json, compliance.sarif (SARIF 2.1.0, what GitHub code
   * scanning reads) and compliance.md into `outdir` (usually cdktf.out/), and
   * returns their paths. Call it after `app.synth()`, also when the synth
   * failed: the reports list every finding, suppressed ones with their reason.
   * The content is deterministic: no timestamps.
   */
  public writeReports(outdir: string): { readonly json: string; readonly sarif: string; readonly markdown: string } {
    return writeComplianceReports(outdir, this);
  }

  private fails(f: ComplianceFinding): boolean {
    return !f.suppressed && (f.severity === "error" || this.failOnWarnings);
  }

  private failures(stack: TerraformStack): string[] {
    return this.evaluate(stack)
      .filter((f) => this.fails(f))
      .map((f) => `[${f.ruleId}] ${f.path} (${f.address}): ${f.message} — fix: ${f.remediation}`);
  }

  private evaluate(stack: TerraformStack): ComplianceFinding[] {
    const cached = this.results.get(stack);
    if (cached) return cached;
    const view = stackView(stack);
    const root = stack.node.root;
    const findings: ComplianceFinding[] = [];
    for (const rule of this.rules) {
      let violations;
      try {
        violations = rule.check(view);
      } catch (e) {
        throw new Error(`compliance rule ${rule.id} failed on stack ${view.stackName}: ${(e as Error).message}`);
      }
      for (const v of violations) {
        const suppression = suppressionFor(root, v.resource.path, rule.id);
        const finding: ComplianceFinding = {
          ruleId: rule.id,
          severity: rule.severity,
          stack: view.stackName,
          address: v.resource.address,
          path: v.resource.path,
          message: v.message,
          remediation: rule.remediation,
          controls: [...rule.controls],
          ...(suppression ? { suppressed: { reason: suppression.reason, path: suppression.path } } : {}),
        };
        findings.push(finding);
        if (!suppression && rule.severity === "warning") {
          Annotations.of(constructAt(root, v.resource.path) ?? stack).addWarning(`[${rule.id}] ${v.resource.address}: ${v.message} — fix: ${rule.remediation}`);
        }
      }
    }
    this.results.set(stack, findings);
    return findings;
  }
}

function stacksUnder(scope: IConstruct): TerraformStack[] {
  return scope.node.findAll().filter((c): c is TerraformStack => TerraformStack.isStack(c));
}

function constructAt(root: IConstruct, path: string): IConstruct | undefined {
  return root.node.findAll().find((c) => c.node.path === path);
}
