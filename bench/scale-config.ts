/**
 * The configurations the synthesis benchmark measures beyond the default:
 * `accounts` copies of config/default.json's production account, each with
 * four regions and no bootstrap deploy stack, so N accounts make 5 × N
 * stacks (an audit stack and four workload stacks each). Functions and
 * secrets are the default configuration's, deployed to every account.
 */
import * as fs from "fs";
import * as path from "path";

/** The four regions of every generated account. */
export const SCALE_REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2"] as const;

/** Stacks per generated account: its audit stack and one per region. */
export const STACKS_PER_SCALE_ACCOUNT = 1 + SCALE_REGIONS.length;

/**
 * Writes the configuration of `accounts` generated accounts to `file` and
 * returns its path. Paths in it are absolute (the file lives outside the
 * repository), and state goes to `stateDirectory`.
 */
export function writeScaleConfig(root: string, accounts: number, file: string, stateDirectory: string): string {
  const base = JSON.parse(fs.readFileSync(path.join(root, "config", "default.json"), "utf8")) as {
    accounts: { name: string; accountId: string }[];
    functions: Record<string, unknown>[];
  };
  const template = base.accounts.find((account) => account.name === "production")!;
  const templateId = template.accountId;
  const names = Array.from({ length: accounts }, (_, i) => `account-${String(i + 1).padStart(4, "0")}`);
  const stacks = names.flatMap((name) => SCALE_REGIONS.map((region) => `${name}-${region}`));
  const document = {
    ...base,
    $schema: undefined,
    backend: { type: "local", directory: stateDirectory },
    // The code folders stay in the repository.
    codeRoot: root,
    accounts: Array.from({ length: accounts }, (_, i) => {
      const accountId = String(100000000000 + i + 1);
      const account = JSON.parse(JSON.stringify(template).split(templateId).join(accountId));
      delete account.deployer;
      return { ...account, name: names[i], accountId, regions: [...SCALE_REGIONS] };
    }),
    functions: base.functions.map((fn) => {
      // Deployed to every account: no per-account overrides or account list.
      const copy: Record<string, unknown> = { ...fn, codeDirectory: path.resolve(root, "config", String(fn.codeDirectory)) };
      delete copy.environmentOverrides;
      delete copy.accounts;
      // Every stack gets the template's placeholder ciphertext: synthesis does not decrypt it.
      const encrypted = (fn.encryptedEnvironment ?? {}) as Record<string, Record<string, string>>;
      copy.encryptedEnvironment = Object.fromEntries(
        Object.entries(encrypted).map(([name, byStack]) => [name, Object.fromEntries(stacks.map((stack) => [stack, byStack["production-eu-west-1"]]))]),
      );
      return copy;
    }),
  };
  fs.writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
