/**
 * The generated sections of the documentation.
 *
 * Some parts of docs/ restate what the code already says: the compliance
 * rule table (from the rule objects) and the construct reference (from the
 * TypeScript API and its JSDoc). Written by hand, they drift. Here they are
 * build output: each lives between two markers in a markdown file,
 *
 *   <!-- generated:<name> start -->
 *   …
 *   <!-- generated:<name> end -->
 *
 * and `npm run docs` rewrites the text between them. `--check` writes
 * nothing and exits 1, listing the stale files; `__tests__/project/generated-docs.test.ts`
 * fails the same way. A marker name this file does not generate is left alone
 * (docs/configuration.md has one, still written by hand).
 *
 * Only the rule objects are imported; the construct reference is read from
 * the source files with the TypeScript compiler API, never by loading the
 * constructs.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import type { ComplianceRule } from "../modules/compliance/compliance-rule";
import { DEFAULT_RULES } from "../modules/compliance/rules";
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "../config/config-schema";
import { configurationReference } from "./config-reference";
import { cell, code } from "./markdown";

export { cell };

/** One generated section: the text between its markers in `file` (relative to the repository root), or the whole file. */
export interface GeneratedSection {
  readonly file: string;
  readonly name: string;
  readonly content: string;
  /** The content is the whole file (the JSON Schema), not the text between markers. */
  readonly wholeFile?: boolean;
}

/** The repository root: the nearest folder up from here with package.json and modules/index.ts (works from tooling/ and dist/tooling/). */
export function repositoryRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "modules", "index.ts"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`generate-docs: no repository root (package.json with modules/index.ts) above ${start}`);
  }
}

/** Every section this tool generates, in a fixed order. */
export function generatedSections(root: string = repositoryRoot()): GeneratedSection[] {
  return [
    { file: "docs/compliance-rules.md", name: "rules", content: rulesTable(DEFAULT_RULES) },
    { file: "docs/constructs.md", name: "constructs", content: constructReference(root) },
    { file: "docs/configuration.md", name: "configuration", content: configurationReference() },
    { file: CONFIG_SCHEMA_FILE, name: "config-schema", content: configJsonSchemaText(), wholeFile: true },
  ];
}

// ---------------------------------------------------------------------------
// Markers

export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- generated:${name} start -->`, end: `<!-- generated:${name} end -->` };
}

/** Names of every marker pair in a markdown text, in order of appearance (known to this tool or not). */
export function markerNames(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- generated:([A-Za-z0-9_-]+) start -->/g)].map((m) => m[1]);
}

function markerPositions(markdown: string, name: string, where: string): { from: number; to: number } {
  const { start, end } = sectionMarkers(name);
  const from = markdown.indexOf(start);
  const to = markdown.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${where}: the markers "${start}" and "${end}" are missing; add them where the generated "${name}" section belongs`);
  if (to < from) throw new Error(`${where}: "${end}" comes before "${start}"`);
  if (markdown.indexOf(start, from + 1) >= 0 || markdown.indexOf(end, to + 1) >= 0) throw new Error(`${where}: the markers of "${name}" appear more than once`);
  return { from: from + start.length, to };
}

/** The text between a section's markers, without the blank lines around it; undefined when the markers are missing. */
export function readGeneratedSection(markdown: string, name: string): string | undefined {
  try {
    const { from, to } = markerPositions(markdown, name, "markdown");
    return markdown.slice(from, to).trim();
  } catch {
    return undefined;
  }
}

/** `markdown` with the text between the markers of `name` replaced by `content`; throws when the markers are missing or repeated. */
export function replaceGeneratedSection(markdown: string, name: string, content: string, where = "markdown"): string {
  const { from, to } = markerPositions(markdown, name, where);
  return `${markdown.slice(0, from)}\n\n${content.trim()}\n\n${markdown.slice(to)}`;
}

/**
 * Rewrites (or, with `write: false`, only compares) every section in its file.
 * Returns the files that were, or would be, changed.
 */
export function updateGeneratedSections(root: string, sections: readonly GeneratedSection[], options: { write: boolean }): string[] {
  const texts = new Map<string, string>();
  for (const section of sections) {
    const file = path.join(root, section.file);
    if (section.wholeFile) {
      texts.set(section.file, section.content);
      continue;
    }
    const before = texts.get(section.file) ?? fs.readFileSync(file, "utf8");
    texts.set(section.file, replaceGeneratedSection(before, section.name, section.content, section.file));
  }
  const changed: string[] = [];
  for (const [relative, text] of texts) {
    const file = path.join(root, relative);
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) continue;
    changed.push(relative);
    if (options.write) fs.writeFileSync(file, text);
  }
  return changed;
}

// ---------------------------------------------------------------------------
// Markdown helpers

/** The first sentence: up to the first `.`, `!` or `?` followed by a space or the end, outside code spans, not in "e.g." or "i.e.". */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  let inCode = false;
  for (let i = 0; i < flat.length; i++) {
    const c = flat[i];
    if (c === "`") inCode = !inCode;
    else if (!inCode && (c === "." || c === "!" || c === "?") && (i + 1 === flat.length || flat[i + 1] === " ")) {
      const sentence = flat.slice(0, i + 1);
      if (!/\b(e\.g|i\.e|etc|vs)\.$/i.test(sentence)) return sentence;
    }
  }
  return flat;
}

/** The first paragraph of a doc comment, before a blank line or a list: the summary. */
function summary(text: string): string {
  const paragraph = text.split(/\n\s*\n|\n\s*[-*] /)[0];
  return firstSentence(paragraph).replace(/:$/, ".");
}

/** `{@link X}` and `{@link X text}` as code spans. */
function withoutLinkTags(text: string): string {
  return text.replace(/\{@link(?:code|plain)?\s+([^}\s|]+)(?:[\s|]+([^}]*))?\}/g, (_m, target: string, label?: string) => `\`${(label ?? "").trim() || target}\``);
}

// ---------------------------------------------------------------------------
// Section "rules": docs/compliance-rules.md

const GENERATED_NOTE = (from: string) => `<!-- Generated by tooling/generate-docs.ts from ${from}. Do not edit by hand: change the source, then run npm run docs. -->`;

/** The compliance rule table: one row per rule, in report order. */
export function rulesTable(rules: readonly ComplianceRule[]): string {
  const rows = rules.map((rule) => `| ${cell(rule.id)} | ${cell(rule.severity)} | ${cell(rule.description)} | ${cell(rule.controls.join(", "))} |`);
  return [GENERATED_NOTE("DEFAULT_RULES in modules/compliance/rules/index.ts"), "", "| Rule | Severity | Checks | Controls |", "|---|---|---|---|", ...rows].join("\n");
}

// ---------------------------------------------------------------------------
// Section "constructs": docs/constructs.md

/** One property of a construct's props interface. */
export interface PropDoc {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly defaultValue?: string;
  readonly description: string;
}

/** One exported construct class. */
export interface ConstructDoc {
  readonly name: string;
  readonly file: string;
  readonly summary: string;
  readonly signature: string;
  readonly propsType?: string;
  readonly props: readonly PropDoc[];
}

function docText(node: ts.Node): { text: string; tags: Map<string, string> } {
  const jsDocs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const jsDoc = jsDocs[jsDocs.length - 1];
  const tags = new Map<string, string>();
  for (const tag of jsDoc?.tags ?? []) tags.set(tag.tagName.text, withoutLinkTags(ts.getTextOfJSDocComment(tag.comment) ?? "").trim());
  return { text: withoutLinkTags(ts.getTextOfJSDocComment(jsDoc?.comment) ?? "").trim(), tags };
}

function isConstruct(type: ts.Type, checker: ts.TypeChecker): boolean {
  if (!type.isClassOrInterface()) return false;
  for (const base of checker.getBaseTypes(type)) {
    const symbol = base.getSymbol();
    const fromConstructs = symbol?.declarations?.some((d) => /[\\/]node_modules[\\/]constructs[\\/]/.test(d.getSourceFile().fileName)) ?? false;
    if (symbol?.getName() === "Construct" && fromConstructs) return true;
    if (isConstruct(base, checker)) return true;
  }
  return false;
}

/** Exported class declarations reachable from a module, in the order its export statements list them. */
function exportedClasses(file: ts.SourceFile, checker: ts.TypeChecker, seen = new Set<string>()): ts.ClassDeclaration[] {
  if (seen.has(file.fileName)) return [];
  seen.add(file.fileName);
  const classes: ts.ClassDeclaration[] = [];
  for (const statement of file.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const target = checker.getSymbolAtLocation(statement.moduleSpecifier)?.declarations?.find(ts.isSourceFile);
      if (!target) continue;
      const named =
        statement.exportClause && ts.isNamedExports(statement.exportClause) ? new Set(statement.exportClause.elements.map((e) => (e.propertyName ?? e.name).text)) : undefined;
      classes.push(...exportedClasses(target, checker, seen).filter((c) => !named || named.has(c.name?.text ?? "")));
    } else if (ts.isClassDeclaration(statement) && statement.name && ts.getCombinedModifierFlags(statement) & ts.ModifierFlags.Export) {
      classes.push(statement);
    }
  }
  return classes;
}

function typeText(node: ts.TypeNode | undefined, type: ts.Type, checker: ts.TypeChecker): string {
  return (node ? node.getText() : checker.typeToString(type)).replace(/\s+/g, " ");
}

function propDocs(type: ts.Type, checker: ts.TypeChecker): PropDoc[] {
  const props: PropDoc[] = [];
  for (const symbol of checker.getPropertiesOfType(type)) {
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (!declaration) continue;
    const { text, tags } = docText(declaration);
    if (tags.has("internal")) continue;
    const node = ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration) ? declaration.type : undefined;
    const deprecated = tags.has("deprecated") ? `Deprecated${tags.get("deprecated") ? `: ${firstSentence(tags.get("deprecated") ?? "")}` : "."} ` : "";
    props.push({
      name: symbol.getName(),
      type: typeText(node, checker.getTypeOfSymbolAtLocation(symbol, declaration), checker),
      optional: (symbol.flags & ts.SymbolFlags.Optional) !== 0,
      defaultValue: tags.get("default"),
      description: deprecated + firstSentence(text.split(/\n\s*\n/)[0]),
    });
  }
  return props;
}

/** The construct classes `modules/index.ts` exports, with their summary and props, read from the source. */
export function constructDocs(root: string = repositoryRoot()): ConstructDoc[] {
  const configFile = path.join(root, "tsconfig.json");
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, (f) => ts.sys.readFile(f)).config, ts.sys, root);
  const index = path.join(root, "modules", "index.ts");
  const program = ts.createProgram({ rootNames: [index], options: { ...parsed.options, noEmit: true, incremental: false, types: [] } });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(index);
  if (!source) throw new Error(`generate-docs: cannot read ${index}`);
  const docs: ConstructDoc[] = [];
  for (const declaration of exportedClasses(source, checker)) {
    const symbol = checker.getSymbolAtLocation(declaration.name ?? declaration);
    if (!symbol || !isConstruct(checker.getDeclaredTypeOfSymbol(symbol), checker)) continue;
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    const parameters = constructor?.parameters ?? [];
    const propsParameter = parameters.find((p) => p.name.getText() === "props") ?? parameters[2];
    const signature = `new ${symbol.getName()}(${parameters.map((p) => `${p.name.getText()}${p.questionToken || p.initializer ? "?" : ""}: ${typeText(p.type, checker.getTypeAtLocation(p), checker)}`).join(", ")})`;
    docs.push({
      name: symbol.getName(),
      file: path.relative(root, declaration.getSourceFile().fileName).split(path.sep).join("/"),
      summary: summary(docText(declaration).text),
      signature,
      propsType: propsParameter ? typeText(propsParameter.type, checker.getTypeAtLocation(propsParameter), checker) : undefined,
      props: propsParameter ? propDocs(checker.getTypeAtLocation(propsParameter), checker) : [],
    });
  }
  return docs;
}

function defaultCell(value: string | undefined): string {
  if (value === undefined || value === "") return "—";
  // Literals as code; prose ("the region in the key ARN") as it is.
  return /^("[^"]*"|'[^']*'|-?\d[\d_.]*|true|false|null|\[.*\]|\{.*\})$/.test(value) ? code(value) : cell(value);
}

/** The construct reference: per construct its summary, constructor and props table. */
export function constructReference(root: string = repositoryRoot()): string {
  const lines = [GENERATED_NOTE("the JSDoc of the classes modules/index.ts exports that extend Construct")];
  for (const doc of constructDocs(root)) {
    lines.push("", `### ${doc.name}`, "", cell(doc.summary), "", `${code(doc.signature)} ([source](../${doc.file}))`);
    if (doc.props.length === 0) continue;
    lines.push("", `${code(doc.propsType ?? "props")}:`, "", "| Property | Type | Required | Default | Description |", "|---|---|---|---|---|");
    for (const prop of doc.props) {
      lines.push(`| ${code(prop.name)} | ${code(prop.type)} | ${prop.optional ? "no" : "yes"} | ${defaultCell(prop.defaultValue)} | ${cell(prop.description)} |`);
    }
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// Command line: node dist/tooling/generate-docs.js [--check]

export function main(argv: readonly string[], root: string = repositoryRoot()): number {
  const unknown = argv.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    console.error(`generate-docs: unknown argument ${unknown.join(" ")}; usage: npm run docs [-- --check]`);
    return 2;
  }
  const check = argv.includes("--check");
  const changed = updateGeneratedSections(root, generatedSections(root), { write: !check });
  if (check) {
    if (changed.length === 0) {
      console.log("generated documentation is up to date");
      return 0;
    }
    console.error(`generated documentation is stale in:\n${changed.map((file) => `  ${file}`).join("\n")}\nrun npm run docs`);
    return 1;
  }
  console.log(changed.length === 0 ? "generated documentation was already up to date" : `rewrote the generated sections of:\n${changed.map((file) => `  ${file}`).join("\n")}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
