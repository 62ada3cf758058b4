import { ENCRYPTED_VARIABLES_ENV, ENCRYPTED_VARIABLES_SEPARATOR } from "../../../runtime/contract";
import { ciphertextProblem, secretLikeReason } from "../../environment-variables";
import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { lambdaEnvironmentVariables } from "./lambda-environment-kms-key";

/** LAMBDA-002: no secret-looking plaintext values in Lambda environments. */
export const lambdaNoPlaintextSecrets: ComplianceRule = {
  id: "LAMBDA-002",
  severity: "error",
  description: "Lambda environment variables hold no secret-looking plaintext values (passwords, tokens, keys).",
  rationale:
    "Environment values are visible in clear to anyone who can read the function configuration and are stored in Terraform state and plan output. Secrets belong in Secrets Manager or SSM SecureString, or are encrypted client-side.",
  remediation:
    "Move the value to Secrets Manager or an SSM SecureString parameter and pass only its ARN or name, or encrypt it with `npx lambda-kms-encrypt` (`npm run encrypt` in the cdktf-lambda-kms repository) and list it under encryptedEnvironment (client-side KMS ciphertext).",
  controls: ["checkov CKV_AWS_45"],
  check(stack: StackView): readonly RuleViolation[] {
    return stack.ofType("aws_lambda_function").flatMap((resource): RuleViolation[] => {
      const variables = lambdaEnvironmentVariables(resource.config);
      const listed = variables[ENCRYPTED_VARIABLES_ENV];
      // Client-side encrypted values are KMS ciphertexts, not plaintext.
      const encrypted = new Set(typeof listed === "string" ? listed.split(ENCRYPTED_VARIABLES_SEPARATOR).map((name) => name.trim()) : []);
      return Object.entries(variables).flatMap(([name, value]): RuleViolation[] => {
        if (name === ENCRYPTED_VARIABLES_ENV || typeof value !== "string") return [];
        // A listed variable is exempt from the name rule only if its value has the shape of a KMS ciphertext;
        // the value patterns (access keys, private keys, ...) still apply to it.
        const exemptName = encrypted.has(name) && ciphertextProblem(value) === undefined;
        const reason = exemptName ? secretLikeReason("", value) : secretLikeReason(name, value);
        // The value is never echoed: it may be a real secret.
        return reason ? [{ resource, message: `Lambda function ${resource.address}: environment variable "${name}" looks like a plaintext secret (${reason})` }] : [];
      });
    });
  },
};
