import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";

/** LAMBDA-004: a code signing configuration refuses untrusted code (`Enforce`), not only logs it. */
export const lambdaCodeSigningEnforced: ComplianceRule = {
  id: "LAMBDA-004",
  severity: "error",
  description: "Lambda code signing configurations refuse code that is unsigned or signed by another profile (untrusted_artifact_on_deployment = Enforce).",
  rationale:
    "With the default policy, Warn, Lambda deploys an unsigned package or one signed by a profile the configuration does not allow, and only writes a CloudWatch metric and a CloudTrail record (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html): the function would look signed to a scanner while running any code.",
  remediation:
    'Set policies { untrusted_artifact_on_deployment = "Enforce" } on aws_lambda_code_signing_config; LambdaCodeSigning, and functions[].codeSigning in the configuration, do this.',
  controls: ["checkov CKV_AWS_272 (checks that a function names a configuration; this rule checks what the configuration does)"],
  check(stack: StackView): readonly RuleViolation[] {
    return stack.ofType("aws_lambda_code_signing_config").flatMap((resource): RuleViolation[] => {
      const policies = [resource.config.policies].flat()[0] as { untrusted_artifact_on_deployment?: unknown } | undefined;
      const policy = policies?.untrusted_artifact_on_deployment ?? "Warn";
      return policy === "Enforce"
        ? []
        : [{ resource, message: `Code signing configuration ${resource.address} has untrusted_artifact_on_deployment ${JSON.stringify(policy)}: Lambda deploys untrusted code` }];
    });
  },
};
