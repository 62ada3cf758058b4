import * as fs from "fs";
import * as path from "path";
import { AccessResult, StackAccess } from "./access-checker";
import { KEY_ADMIN_ACTIONS } from "../modules/private/perms";
import { PolicyStatement, actionMatches, asArray, policyStatements } from "../modules/compliance/rules/support";
import { ModelKey, StackModel } from "./stack-model";

export const ACCESS_REPORT_TOOL = "cdktf-lambda-kms access check (@cloud-copilot/iam-simulate)";

/** Who a key policy or a role's identity policy lets use a key, and on which conditions. */
export interface KeyAccessEntry {
  readonly who: readonly string[];
  /** "administer", "encrypt", "decrypt", "grant" or "deny". */
  readonly kind: string;
  readonly actions: readonly string[];
  /** Where the statement lives: `key policy <Sid>` or `<role policy address> <Sid>`. */
  readonly source: string;
  readonly conditions?: Readonly<Record<string, unknown>>;
}

export interface AccessCounts {
  readonly requests: number;
  readonly allowed: number;
  readonly denied: number;
  readonly explicitlyDenied: number;
  readonly unexpected: number;
}

export function accessCounts(results: readonly AccessResult[]): AccessCounts {
  return {
    requests: results.length,
    allowed: results.filter((r) => r.decision === "Allowed").length,
    denied: results.filter((r) => r.decision !== "Allowed").length,
    explicitlyDenied: results.filter((r) => r.decision === "ExplicitlyDenied").length,
    unexpected: results.filter((r) => !r.ok).length,
  };
}

/** The entries of some accounts' stacks, written by an {@link AccessReportWriter}. */
export interface AccessReportPart {
  readonly json: string;
  readonly markdown: string;
  readonly counts: AccessCounts;
  readonly stacks: number;
}

/**
 * Writes the access reports in parts, so a synth of many accounts never
 * holds every result at once: each `add` appends the stacks' entries to the
 * part files `<prefix>.json.part` and `<prefix>.md.part`, and `combine`
 * writes access.json and access.md from the parts of every writer, in order,
 * with the totals; deterministic (no timestamps). Give each account's
 * stacks in one `add`: the markdown has one section per account.
 */
export class AccessReportWriter {
  /** Writes access.json and access.md into `outdir` from `parts`, in order; the parts stay. */
  public static combine(outdir: string, parts: readonly AccessReportPart[]): { json: string; markdown: string; counts: AccessCounts } {
    const files = { json: path.join(outdir, "access.json"), markdown: path.join(outdir, "access.md") };
    const counts = parts.reduce((sum, part) => addCounts(sum, part.counts), NO_REQUESTS);
    const [head, tail] = JSON.stringify({ tool: ACCESS_REPORT_TOOL, counts, stacks: [] }, null, 2).split('"stacks": []');
    fs.writeFileSync(files.json, `${head}"stacks": [`);
    // One buffer for every part (a part per account): allocating and zeroing 4 MB for each took ten times as long as the copying.
    const buffer = Buffer.allocUnsafe(1 << 22);
    const withStacks = parts.filter((part) => part.stacks > 0);
    withStacks.forEach((part, i) => {
      fs.appendFileSync(files.json, i === 0 ? "\n" : ",\n");
      appendFile(files.json, part.json, buffer);
    });
    fs.appendFileSync(files.json, `${withStacks.length > 0 ? "\n  ]" : "]"}${tail}\n`);
    fs.writeFileSync(files.markdown, markdownHeader(counts).join("\n"));
    for (const part of parts) appendFile(files.markdown, part.markdown, buffer);
    fs.appendFileSync(files.markdown, "\n");
    return { ...files, counts };
  }

  private readonly part: { readonly json: string; readonly markdown: string };
  private counts: AccessCounts = NO_REQUESTS;
  private stacks = 0;

  constructor(prefix: string) {
    this.part = { json: `${prefix}.json.part`, markdown: `${prefix}.md.part` };
    fs.writeFileSync(this.part.json, "");
    fs.writeFileSync(this.part.markdown, "");
  }

  public add(stacks: readonly StackAccess[]): void {
    if (stacks.length === 0) return;
    // Stringified inside a wrapper as deep as the top-level "stacks" array, so the engine indents the entries as they are in access.json.
    const wrapped = JSON.stringify({ stacks: stacks.map(stackEntry) }, null, 2);
    const entries = wrapped.slice(STACKS_WRAPPER_START.length, -STACKS_WRAPPER_END.length);
    fs.appendFileSync(this.part.json, `${this.stacks === 0 ? "" : ",\n"}${entries}`);
    for (const stack of stacks) this.counts = addCounts(this.counts, accessCounts(stack.results));
    this.stacks += stacks.length;
    const accounts = [...new Set(stacks.map((s) => s.model.accountId))];
    fs.appendFileSync(this.part.markdown, accounts.map((account) => `\n${accountSection(stacks.filter((s) => s.model.accountId === account)).join("\n")}`).join(""));
  }

  /** The part written, for {@link AccessReportWriter.combine}. */
  public close(): AccessReportPart {
    return { ...this.part, counts: this.counts, stacks: this.stacks };
  }
}

/** What `JSON.stringify({ stacks: [...] }, null, 2)` puts around the entries. */
const STACKS_WRAPPER_START = '{\n  "stacks": [\n';
const STACKS_WRAPPER_END = "\n  ]\n}";

const NO_REQUESTS: AccessCounts = { requests: 0, allowed: 0, denied: 0, explicitlyDenied: 0, unexpected: 0 };

/** Appends the bytes of `from` to `to`, a piece at a time, through `buffer`. */
function appendFile(to: string, from: string, buffer: Buffer): void {
  const input = fs.openSync(from, "r");
  const output = fs.openSync(to, "a");
  try {
    for (let read = fs.readSync(input, buffer); read > 0; read = fs.readSync(input, buffer)) fs.writeSync(output, buffer, 0, read);
  } finally {
    fs.closeSync(input);
    fs.closeSync(output);
  }
}

function addCounts(a: AccessCounts, b: AccessCounts): AccessCounts {
  return {
    requests: a.requests + b.requests,
    allowed: a.allowed + b.allowed,
    denied: a.denied + b.denied,
    explicitlyDenied: a.explicitlyDenied + b.explicitlyDenied,
    unexpected: a.unexpected + b.unexpected,
  };
}

/** One stack of access.json. */
function stackEntry(s: StackAccess): Record<string, unknown> {
  return {
    stack: s.model.stackName,
    accountId: s.model.accountId,
    region: s.model.region,
    counts: accessCounts(s.results),
    keys: s.model.keys.map((key) => ({ address: key.address, arn: key.arn, access: keyAccess(s.model, key) })),
    results: s.results.map((r) => ({
      description: r.description,
      principal: r.request.principal,
      action: r.request.action,
      resource: r.request.resource,
      context: r.request.context,
      identityPolicies: typeof r.request.identityPolicies === "string" ? r.request.identityPolicies : r.request.identityPolicies ? "given" : "stack",
      expect: r.expect,
      decision: r.decision,
      ok: r.ok,
      decisive: r.decisive,
    })),
  };
}

/** Every statement that names the key: its key policy, and identity policies of the stack's roles with the key's ARN. */
export function keyAccess(model: StackModel, key: ModelKey): KeyAccessEntry[] {
  const entries: KeyAccessEntry[] = [];
  for (const statement of policyStatements(key.policy)) {
    // Normalised principals are "<type>:<id>" (or "*"); the report shows the ID.
    const who = statement.principals.map((p) => p.replace(/^(AWS|Service):/, ""));
    entries.push(...entriesFor(who, statement, `key policy ${statement.sid ?? ""}`));
  }
  for (const role of model.roles) {
    for (const policy of role.identityPolicies) {
      for (const statement of policyStatements(policy.policy).filter((s) => s.resources.includes(key.arn))) {
        entries.push(...entriesFor([role.arn], statement, `${policy.name} ${statement.sid ?? ""}`));
      }
    }
  }
  return entries;
}

function entriesFor(who: string[], statement: PolicyStatement, source: string): KeyAccessEntry[] {
  const conditions = statement.condition ? { conditions: statement.condition } : {};
  if (statement.effect === "Deny") return [{ who, kind: "deny", actions: statement.actions, source, ...conditions }];
  const groups: Record<string, string[]> = {};
  for (const action of statement.actions) (groups[actionKind(action)] ??= []).push(action);
  return Object.entries(groups).map(([kind, actions]) => ({ who, kind, actions, source, ...conditions }));
}

function actionKind(action: string): string {
  if (action === "kms:*") return "all (through IAM policies)";
  if (action.startsWith("kms:Decrypt") || action === "kms:ReEncryptFrom") return "decrypt";
  if (action.startsWith("kms:Encrypt") || action.startsWith("kms:GenerateDataKey") || action.startsWith("kms:ReEncrypt")) return "encrypt";
  if (action === "kms:CreateGrant") return "grant";
  return KEY_ADMIN_ACTIONS.some((admin) => actionMatches(action, admin)) ? "administer" : "other";
}

function markdownHeader(total: AccessCounts): string[] {
  return [
    "# Who can use which key",
    "",
    `Evaluated by ${ACCESS_REPORT_TOOL} from the synthesized Terraform JSON: ${total.requests} requests, ${total.allowed} allowed, ${total.denied} denied (${total.explicitlyDenied} by an explicit Deny, which no IAM policy can override), ${total.unexpected} unexpected.`,
    "",
    "Requests marked *whatever IAM allows* were evaluated with an identity policy that allows every action: they prove the key, bucket or trust policy alone keeps the principal out. Other denials hold as long as no IAM policy adds the access.",
    "",
  ];
}

/** The markdown lines of one account's stacks. */
function accountSection(inAccount: readonly StackAccess[]): string[] {
  const lines: string[] = [];
  lines.push(`## Account ${inAccount[0].model.accountId}`, "", "```mermaid", ...mermaid(inAccount), "```", "");
  for (const stack of inAccount) {
    const c = accessCounts(stack.results);
    lines.push(
      `### Stack ${stack.model.stackName}`,
      "",
      `${c.requests} requests: ${c.allowed} allowed, ${c.denied} denied (${c.explicitlyDenied} explicitly), ${c.unexpected} unexpected.`,
      "",
    );
    for (const key of stack.model.keys) {
      lines.push(`#### Key ${key.address} (${key.region})`, "", "| Kind | Who | Actions | Conditions | Statement |", "|---|---|---|---|---|");
      for (const e of keyAccess(stack.model, key)) {
        lines.push(`| ${e.kind} | ${e.who.map(code).join("<br>")} | ${e.actions.map(code).join(" ")} | ${conditionText(e.conditions)} | ${e.source} |`);
      }
      lines.push("");
    }
    lines.push("| Expected | Decision | Request |", "|---|---|---|");
    for (const r of stack.results) lines.push(`| ${r.expect} | ${r.ok ? "" : "**UNEXPECTED** "}${r.decision} | ${escapeCell(r.description)} |`);
    lines.push("");
  }
  return lines;
}

/** Principals → keys → what the keys protect, from the allowed key requests. */
function mermaid(stacks: readonly StackAccess[]): string[] {
  const ids = new Map<string, string>();
  const id = (label: string) => {
    if (!ids.has(label)) ids.set(label, `n${ids.size}`);
    return ids.get(label)!;
  };
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const node = (label: string, shape: "round" | "box" | "db") => {
    const text = label.replace(/"/g, "'");
    nodes.add(shape === "round" ? `  ${id(label)}(["${text}"])` : shape === "db" ? `  ${id(label)}[("${text}")]` : `  ${id(label)}["${text}"]`);
    return id(label);
  };
  for (const stack of stacks) {
    for (const key of stack.model.keys) {
      const keyNode = node(`${stack.model.stackName} ${key.address.split(".")[1]}`, "db");
      const verbs = new Map<string, Set<string>>();
      for (const r of stack.results.filter((x) => x.decision === "Allowed" && x.request.resource === key.arn)) {
        const who = shortPrincipal(r.request.principal);
        if (!verbs.has(who)) verbs.set(who, new Set());
        verbs.get(who)!.add(r.request.action.replace(/^kms:/, ""));
      }
      for (const [who, actions] of verbs) edges.add(`  ${node(who, "round")} -->|${[...actions].sort().join(", ")}| ${keyNode}`);
      for (const fn of stack.model.functions.filter((f) => f.keyArn === key.arn)) edges.add(`  ${keyNode} --> ${node(`function ${fn.name} (${stack.model.region})`, "box")}`);
      for (const secret of stack.model.secrets.filter((s) => s.keyArn === key.arn))
        edges.add(`  ${keyNode} --> ${node(`${secret.kind} ${secret.name} (${stack.model.region})`, "box")}`);
      for (const trail of stack.model.trails.filter((t) => t.keyArn === key.arn)) edges.add(`  ${keyNode} --> ${node(`trail ${trail.name}`, "box")}`);
      for (const topic of stack.model.topics.filter((t) => t.keyArn === key.arn)) edges.add(`  ${keyNode} --> ${node(`topic ${topic.name}`, "box")}`);
    }
  }
  return ["flowchart LR", ...nodes, ...edges];
}

function shortPrincipal(principal: string): string {
  const match = /^arn:[^:]+:iam::\d{12}:(.*)$/.exec(principal);
  return match ? match[1] : principal;
}

function conditionText(conditions: Readonly<Record<string, unknown>> | undefined): string {
  if (!conditions) return "";
  return Object.entries(conditions)
    .flatMap(([operator, keys]) =>
      Object.entries(keys as Record<string, unknown>).map(
        ([k, v]) =>
          `${operator} ${code(k)} ${asArray(v)
            .map((x) => code(String(x)))
            .join(", ")}`,
      ),
    )
    .join("<br>");
}

function code(text: string): string {
  return `\`${escapeCell(String(text))}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
