export { ComplianceChecker, type ComplianceCheckerProps, type ComplianceFinding } from "./compliance-checker";
export type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "./compliance-rule";
export { DEFAULT_RULES } from "./rules";
export { suppressRule } from "./suppress";
