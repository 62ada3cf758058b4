import { currentConfigFile, loadConfig } from "./config/load-config";
import { readProviderMirror } from "./config/provider-mirror";
import { ConfigError } from "./config/validate-config";
import { formatFindings } from "./modules/compliance/report";
import { errorText } from "./modules/private/safe-output";
import { SYNTH_REUSE_ENV, reuseFromEnv } from "./stacks/account-reuse";
import { synthesizeApp } from "./stacks/synthesize-app";

/**
 * The cdktf CLI sets SYNTH_HCL_OUTPUT for every app it runs ("true" or "1"
 * with `--hcl`); `npm run synth` does not.
 */
const hclFlag = process.env.SYNTH_HCL_OUTPUT;

// Loads and validates the configuration, then synthesizes one stack per
// account × region into cdktf.out (or the folder the cdktf CLI asks for).
async function main(): Promise<void> {
  if (hclFlag === "true" || hclFlag === "1") {
    throw new Error(
      "cdktf synth --hcl is not supported: cdktf 0.21 turns these stacks into HCL that Terraform rejects " +
        '(a `0 = "required_version"` line in the terraform block, and ${…} references inside strings split into invalid characters), ' +
        "and still exits 0. Run it without --hcl: cdk.tf.json is Terraform's own JSON syntax, which every terraform command reads as it is.",
    );
  }
  const config = loadConfig(currentConfigFile(process.env));
  const result = await synthesizeApp(config, process.env.CDKTF_OUTDIR ?? "cdktf.out", {
    failOnWarnings: process.env.LAMBDA_KMS_FAIL_ON_WARNINGS === "1",
    runByCdktfCli: hclFlag !== undefined,
    providerMirror: readProviderMirror(process.env),
    // The reports list every result; the counts are all this prints.
    keepAccessResults: false,
    reuseUnchangedAccounts: reuseFromEnv(process.env),
    progress: process.stderr,
  });
  console.log(`synthesized ${result.stacks.length} stacks from ${config.sourceFile} into ${result.outdir}: ${result.stacks.join(", ")}`);
  if (result.reusedAccounts.length > 0) {
    const synthesized = config.accounts.map((account) => account.name).filter((name) => !result.reusedAccounts.includes(name));
    console.log(
      `reused the output of ${result.reusedAccounts.length} of ${config.accounts.length} accounts, unchanged since the last synth` +
        `${synthesized.length > 0 ? `; synthesized ${synthesized.join(", ")}` : ""} (${SYNTH_REUSE_ENV}=off synthesizes every account)`,
    );
  }
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
  if (result.compliance.findings.length > 0) console.log(formatFindings(result.compliance));
  console.log(`access check: ${result.accessCounts.requests} requests evaluated, as expected; who can use which key: ${result.outdir}/access.md`);
  const policies = [...result.deployerPolicies.keys()].map((account) => `${result.outdir}/deployer-policy-${account}.json`);
  console.log(`deploy pipeline policies: ${policies.join(", ")}`);
}

main().catch((error: unknown) => {
  console.error(errorText(error, error instanceof ConfigError ? "" : "synthesis failed: "));
  process.exitCode = 1;
});
