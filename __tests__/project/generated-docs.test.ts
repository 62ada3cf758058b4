/**
 * The documentation as build output: README.md stays a short entry point,
 * docs/ holds the rest, the generated sections of docs/ match the code
 * (tooling/generate-docs.ts), and every relative link and `#anchor` resolves.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  firstSentence,
  generatedSections,
  markerNames,
  readGeneratedSection,
  replaceGeneratedSection,
  rulesTable,
  sectionMarkers,
  updateGeneratedSections,
  type GeneratedSection,
} from "../../tooling/generate-docs";
import { DEFAULT_RULES } from "../../modules/compliance/rules";

const root = path.resolve(__dirname, "..", "..");
const read = (relative: string) => fs.readFileSync(path.join(root, relative), "utf8");
const docsFiles = fs
  .readdirSync(path.join(root, "docs"))
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => `docs/${name}`);
const markdownFiles = ["README.md", ...docsFiles];

describe("generated sections", () => {
  let sections: GeneratedSection[] = [];
  beforeAll(() => {
    sections = generatedSections(root);
  });

  test("the generator writes the rules table, the construct and configuration references, and the config schema", () => {
    expect(sections.map(({ file, name }) => `${file}#${name}`)).toEqual([
      "docs/compliance-rules.md#rules",
      "docs/constructs.md#constructs",
      "docs/configuration.md#configuration",
      "config/config.schema.json#config-schema",
    ]);
  });

  test("every generated section in the repository is what the generator produces now", () => {
    const stale: string[] = [];
    for (const section of sections) {
      const text = read(section.file);
      if (section.wholeFile) {
        if (text !== section.content) stale.push(`${section.file} is stale`);
      } else if (readGeneratedSection(text, section.name) === undefined) stale.push(`${section.file}: the markers of "${section.name}" are missing`);
      else if (replaceGeneratedSection(text, section.name, section.content, section.file) !== text) stale.push(`${section.file}: "${section.name}" is stale`);
    }
    if (stale.length > 0) throw new Error(`${stale.join("\n")}\nrun npm run docs`);
  });

  test("every marker pair in the documentation belongs to a generated section, in the file that section names", () => {
    const known = new Map(sections.map((s) => [s.name, s.file]));
    const found = markdownFiles.flatMap((file) => markerNames(read(file)).map((name) => ({ file, name })));
    expect(found.length).toBeGreaterThan(0);
    for (const { file, name } of found) expect(`${file}#${name}`).toBe(`${known.get(name)}#${name}`);
  });

  test("the configuration reference has a row for every field of the file, with the setting's default and limits", () => {
    const reference = sections.find((s) => s.name === "configuration")?.content ?? "";
    expect(reference).toContain("| `rotationPeriodDays` | integer | `365` | 90–2560 days.");
    expect(reference).toContain("| `memorySize` | integer | `256` | 128–10240 MB.");
    expect(reference).toContain("| `accounts` | list of objects (see [Accounts](#accounts)) | required, at least 1 |");
    expect(reference).toMatch(/\| `logRetentionDays` \| integer \| `365` \| One of 0, 1, 3, .*, 3653 days\./);
    for (const field of ["homeRegion", "objectLock", "cisAlarms", "environmentOverrides", "seedFromVariable", "stateInStackFolder", "credentials"]) {
      expect(reference).toContain(`| \`${field}\` |`);
    }
  });

  test("a generator run rewrites its own sections and leaves a marker name it does not know alone", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "generate-docs-"));
    try {
      const hand = sectionMarkers("by-hand");
      const own = sectionMarkers("rules");
      fs.mkdirSync(path.join(dir, "docs"));
      const file = path.join(dir, "docs", "page.md");
      fs.writeFileSync(file, `# Page\n\n${hand.start}\nwritten by hand\n${hand.end}\n\n${own.start}\nold\n${own.end}\n`);
      const section = { file: "docs/page.md", name: "rules", content: "| new |" };
      expect(updateGeneratedSections(dir, [section], { write: false })).toEqual(["docs/page.md"]);
      expect(fs.readFileSync(file, "utf8")).toContain("\nold\n");
      expect(updateGeneratedSections(dir, [section], { write: true })).toEqual(["docs/page.md"]);
      expect(fs.readFileSync(file, "utf8")).toBe(`# Page\n\n${hand.start}\nwritten by hand\n${hand.end}\n\n${own.start}\n\n| new |\n\n${own.end}\n`);
      expect(updateGeneratedSections(dir, [section], { write: false })).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the rules table has one row per default rule, with its id, severity and description", () => {
    const table = rulesTable(DEFAULT_RULES);
    for (const rule of DEFAULT_RULES) expect(table).toContain(`| ${rule.id} | ${rule.severity} |`);
    expect(table.split("\n").filter((line) => /^\| [A-Z0-9]+-\d{3} \|/.test(line))).toHaveLength(DEFAULT_RULES.length);
  });

  test("the construct reference covers every exported construct, with its props table", () => {
    const constructs = sections.find((s) => s.name === "constructs")?.content ?? "";
    for (const name of [
      "EncryptionKey",
      "EncryptedFunction",
      "LambdaExecutionRole",
      "SecretsManagerSecret",
      "SecureStringParameter",
      "AuditTrail",
      "KeyUseAlarms",
      "LogMetricAlarm",
      "DeployerPolicy",
    ]) {
      expect(constructs).toContain(`### ${name}\n`);
    }
    // Not constructs: plain classes and an aspect.
    for (const name of ["PolicyDocument", "PolicyStatement", "ComplianceChecker"]) expect(constructs).not.toContain(`### ${name}\n`);
    expect(constructs).toContain("| `functionName` | `string` | yes | — |");
    expect(constructs).toContain("| `memorySize` | `number` | no | `256` |");
    // Inherited props (AwsEnvironment) are listed too.
    expect(constructs.split("### EncryptionKey\n")[1]?.split("### ")[0]).toContain("| `accountId` | `string` | yes |");
    expect(generatedSections(root).find((s) => s.name === "constructs")?.content).toBe(constructs);
  });

  test("replaceGeneratedSection rewrites only between its own markers, and refuses missing ones", () => {
    const { start, end } = sectionMarkers("rules");
    const other = sectionMarkers("configuration");
    const text = `# Title\n\n${other.start}\nhand-written\n${other.end}\n\n${start}\nold\n${end}\n\ntail\n`;
    const replaced = replaceGeneratedSection(text, "rules", "new table\n");
    expect(replaced).toBe(`# Title\n\n${other.start}\nhand-written\n${other.end}\n\n${start}\n\nnew table\n\n${end}\n\ntail\n`);
    expect(replaceGeneratedSection(replaced, "rules", "new table")).toBe(replaced);
    expect(() => replaceGeneratedSection("# no markers\n", "rules", "x", "docs/x.md")).toThrow(/docs\/x\.md: the markers "<!-- generated:rules start -->"/);
  });

  test("firstSentence stops at the first full stop outside code and abbreviations", () => {
    expect(firstSentence("Region code, e.g. `eu-west-1`. More.")).toBe("Region code, e.g. `eu-west-1`.");
    expect(firstSentence("Runs `a. b` here.\n Next.")).toBe("Runs `a. b` here.");
    expect(firstSentence("No full stop")).toBe("No full stop");
  });
});

describe("README.md", () => {
  const readme = read("README.md");

  test("is at most 8,000 bytes", () => {
    expect(Buffer.byteLength(readme, "utf8")).toBeLessThanOrEqual(8000);
  });

  test("keeps the two set-up commands of a fresh machine, and CI's end-to-end run", () => {
    expect(readme).toMatch(/^npm ci && npm run synth {3}# /m);
    expect(readme).toMatch(/^npm ci && npm test {8}# /m);
    expect(readme).toContain("npm run test:e2e");
    expect(readme).toContain("`cat help`");
  });

  test("links to every file in docs/", () => {
    for (const file of docsFiles) expect(readme).toContain(`](${file})`);
  });
});

// ---------------------------------------------------------------------------
// Links

/** GitHub's heading anchor: lowercase, punctuation dropped (`-` and `_` kept), each space a `-`. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Markdown with the lines of fenced code blocks blanked out. */
function withoutFences(markdown: string): string {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (opening && opening[0] === fence[0] && opening.length >= fence.length) fence = undefined;
      lines.push("");
    } else {
      if (opening) fence = opening;
      lines.push(opening ? "" : line);
    }
  }
  return lines.join("\n");
}

/** Markdown without fenced code blocks and code spans, where `[x](y)` is not a link. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[^`]*?\1/g, "");
}

/** The anchors a markdown file defines: its headings' slugs (duplicates numbered as GitHub does) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const plain = withoutFences(markdown);
  for (const match of plain.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const slug = githubSlug(match[1]);
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  for (const match of withoutCode(markdown).matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  return anchors;
}

function linksOf(markdown: string): string[] {
  const plain = withoutCode(markdown);
  const inline = [...plain.matchAll(/\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const references = [...plain.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...references];
}

/** The relative links of `markdown` (as if it were the file `file`) whose file or `#anchor` does not exist. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  const self = path.join(root, file);
  for (const link of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
    const [target, anchor] = link.split("#", 2) as [string, string | undefined];
    const resolved = target === "" ? self : path.resolve(path.dirname(self), decodeURIComponent(target));
    if (resolved !== self && (!resolved.startsWith(root + path.sep) || !fs.existsSync(resolved))) {
      broken.push(`${link}: ${path.relative(root, resolved)} does not exist`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith(".md")) continue;
    const text = resolved === self ? markdown : fs.readFileSync(resolved, "utf8");
    if (!anchorsOf(text).has(decodeURIComponent(anchor))) broken.push(`${link}: no heading "#${anchor}" in ${path.relative(root, resolved)}`);
  }
  return broken;
}

describe("links in README.md and docs/", () => {
  test("githubSlug follows GitHub's rules", () => {
    expect(githubSlug("End-to-end test against a local AWS emulator")).toBe("end-to-end-test-against-a-local-aws-emulator");
    expect(githubSlug("A provider mirror (`TF_PROVIDER_MIRROR`)")).toBe("a-provider-mirror-tf_provider_mirror");
    expect(githubSlug("Validate and plan without AWS credentials (`npm run preview`)")).toBe("validate-and-plan-without-aws-credentials-npm-run-preview");
    expect(githubSlug("Configuration vs. secrets: who?")).toBe("configuration-vs-secrets-who");
  });

  test("the link check finds a missing file and a missing heading, and ignores code", () => {
    const markdown = "[a](usage.md#no-such-heading) [b](missing.md) [c](../README.md#quick-start) [d](#here) `[e](nope.md)`\n\n## Here\n\n```\n[f](nope.md)\n```\n";
    expect(brokenLinks("docs/page.md", markdown)).toEqual([
      'usage.md#no-such-heading: no heading "#no-such-heading" in docs/usage.md',
      "missing.md: docs/missing.md does not exist",
    ]);
  });

  test.each(markdownFiles)("every relative link and #anchor in %s resolves", (file) => {
    expect(brokenLinks(file, read(file))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Internal notes stay out of the repository

describe("the repository", () => {
  // Built from parts, so that this file does not match its own search.
  const forbidden = [["DESIGN", "md"].join("."), ["research", "aws-facts"].join("/")];
  const skipped = new Set(["node_modules", "dist", "cdktf.out", ".git"]);

  function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return skipped.has(entry.name) ? [] : filesUnder(full);
      return entry.isFile() && full !== path.join(root, "CHANGELOG.md") ? [full] : [];
    });
  }

  test("no file mentions the internal design notes or research facts", () => {
    const mentions: string[] = [];
    for (const file of filesUnder(root)) {
      if (fs.statSync(file).size > 5_000_000) continue;
      const text = fs.readFileSync(file);
      if (text.includes(0)) continue; // binary
      const content = text.toString("utf8");
      for (const word of forbidden) if (content.includes(word)) mentions.push(`${path.relative(root, file)}: ${word}`);
    }
    expect(mentions).toEqual([]);
  });
});
