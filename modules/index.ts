/**
 * CDK for Terraform constructs for Lambda functions whose configuration and
 * logs are encrypted with a customer-managed KMS key, with least-privilege
 * IAM, an audit trail with alarms on key use, the deploy pipeline's policy,
 * and a compliance rule pack that checks the synthesized stacks.
 *
 * The package root exports only what an app needs to build stacks; the
 * runtime helpers for handlers are in `cdktf-lambda-kms/runtime`.
 *
 * @packageDocumentation
 */

// Keys, and who may use them
export { EncryptionKey, type EncryptionKeyProps } from "./encryption-key";
export type { GrantDecryptOptions, IEncryptionKey } from "./encryption-key-interface";
export type { AwsEnvironment } from "./aws-environment";
export type { IGrantable } from "./grantable";
export type { Grant } from "./grant";
export { KeyGrant, type KeyGrantProps } from "./key-grant";
export { PolicyDocument, PolicyStatement, type PolicyConditions, type PolicyPrincipals, type PolicyStatementProps } from "./policy-document";

// Functions and their secrets
export { EncryptedFunction, type EncryptedFunctionProps, type FunctionVpcProps } from "./encrypted-function";
export { DeadLetterQueue, type DeadLetterQueueProps } from "./dead-letter-queue";
export { LambdaCodeSigning, type LambdaCodeSigningProps } from "./lambda-code-signing";
export { LambdaExecutionRole, type LambdaExecutionRoleProps } from "./lambda-execution-role";
export type { ISecret } from "./secret-interface";
export { SecretsManagerSecret, type SecretsManagerSecretProps } from "./secrets-manager-secret";
export { SecureStringParameter, type SecureStringParameterProps } from "./secure-string-parameter";

// Audit: the trail, and alarms on key use
export { AuditTrail, type AuditTrailProps } from "./audit-trail";
export type { ObjectLockOptions } from "./trail-log-bucket";
export { KeyUseAlarms, type KeyUseAlarmsProps } from "./key-use-alarms";
export { LogMetricAlarm, type LogMetricAlarmProps } from "./log-metric-alarm";

// The deploy pipeline's policy
export { DeployerPolicy, type DeployerPolicyProps } from "./deployer-policy";
export type { DeployerPolicyDocument } from "./deployer-policy-document";

// Compliance rules, checked at synth
export {
  ComplianceChecker,
  DEFAULT_RULES,
  suppressRule,
  type ComplianceCheckerProps,
  type ComplianceFinding,
  type ComplianceRule,
  type RuleViolation,
  type StackView,
  type SynthesizedResource,
} from "./compliance";
