/**
 * The access check: a real IAM policy engine evaluates, on every synth, who
 * can use each key and what each role can reach. Not part of the published
 * package (the engine, @cloud-copilot/iam-simulate, is AGPL-3.0 and a
 * development dependency).
 */
export * from "./access-checker";
export * from "./access-report";
export * from "./expected-access";
export * from "./stack-model";
