/**
 * A test-only evaluator of CloudWatch Logs *JSON* filter patterns
 * (`{ $.eventName = Decrypt && … }`), so that tests can prove that the metric
 * filter patterns we emit match the CloudTrail records they are meant to
 * catch. No npm package evaluates filter patterns, and the moto emulator
 * implements only plain terms.
 *
 * The syntax and meaning follow AWS's documentation:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 * ("Using filter patterns to match terms in JSON log events", also published as
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html)
 * and its earlier revisions, which spelled out rules since dropped from the
 * page (the `*` wildcard positions, selectors on arrays), kept in
 * https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/5ae5c9aeccbdc909d7549b9260291ce7ed2a92f3/doc_source/FilterAndPatternSyntax.md
 *
 * Supported: the outer `{ … }`; selectors `$.a.b`, `$.a[0].b`, `$.['a.b']`
 * and the wildcard selectors `$.a[*]`, `$.*`; quoted and unquoted strings with
 * `*` at the start and/or end; numbers; regular expressions `%…%`; `=`, `!=`,
 * `<`, `>`, `<=`, `>=`; `IS TRUE`, `IS FALSE`, `IS NULL`, `NOT EXISTS`; `&&`,
 * `||` and parentheses (precedence () > && > ||). Anything else throws, as do
 * the documented refusals (`IS NOT`, `EXISTS`, regex with `(`, the quotas).
 *
 * Where the documentation does not say what a comparison yields (a `!=` on a
 * missing field, a number compared with a string, …), the comparison is
 * *undetermined*, and {@link matchesFilterPattern} throws if, and only if, the
 * result of the whole pattern depends on it: a test can then never pass or
 * fail on a guess. `($.f NOT EXISTS) || ($.f != "x")` is the documented way
 * to count events that lack the field.
 */
import { readFileSync } from "fs";
import * as path from "path";

/** One step of a property selector. */
type Step = { kind: "name"; name: string } | { kind: "index"; index: number } | { kind: "wildcard" };

export interface Selector {
  /** The selector as written, for messages. */
  text: string;
  steps: Step[];
  /** Whether a step is `[*]` or `.*` (then the selector picks several values). */
  wildcard: boolean;
}

/** The right-hand side of a comparison. */
export type Value =
  | { kind: "number"; value: number; text: string }
  /** A string, quoted or not; a `*` at its start or end is a wildcard. */
  | { kind: "string"; text: string }
  | { kind: "regex"; text: string; regex: RegExp };

export type Operator = "=" | "!=" | "<" | ">" | "<=" | ">=";

export type Expression =
  | { kind: "and" | "or"; left: Expression; right: Expression }
  | { kind: "compare"; selector: Selector; operator: Operator; value: Value }
  | { kind: "is"; selector: Selector; value: true | false | null }
  | { kind: "notExists"; selector: Selector };

export interface FilterPattern {
  pattern: string;
  expression: Expression;
}

/**
 * The longest filter pattern CloudWatch Logs accepts (`filterPattern`,
 * "Maximum length of 1024", https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
 */
const MAX_PATTERN_LENGTH = 1024;
/** "You can only use up to one wildcard selector in a property selector, and up to three wildcard selectors in a filter pattern with compound expressions." */
const MAX_WILDCARDS_PER_SELECTOR = 1;
const MAX_WILDCARDS_PER_PATTERN = 3;
/** "There is a limit of 2 regex for each filter pattern when creating a delimited or JSON filter pattern" (regex-expressions). */
const MAX_REGEX_PER_PATTERN = 2;

/**
 * Unquoted values: the doc asks to quote "strings that contain types other
 * than alphanumeric characters and the underscore symbol", yet its own
 * unquoted examples also use `.`, `*`, `+` and `-` (`123.123.*`, `1e+3`,
 * `kms.amazonaws.com` in the CloudTrail and Security Hub guides). Anything
 * else (`:`, `/`, `@`, …) must be quoted here.
 */
const UNQUOTED_VALUE = /^[A-Za-z0-9_.*+-]+$/;
/** "integers that contain plus or minus symbols and follow scientific notation"; the 2020 revision adds decimals (`55.5`). */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/**
 * Regex content: "Alphanumeric characters", the symbols `: _ # = @ / ; , -`
 * and the operators `^ $ ? [ ] { } | \ * + .`; "The ( and ) operators are not
 * supported"; "Multi-byte characters are not supported". The doc's own
 * `%^starting|^initializing|^shutting down%` contains a space.
 */
const REGEX_CONTENT = /^[A-Za-z0-9:_#=@/;, \-^$?[\]{}|\\*+.]*$/;

/** Parses a JSON filter pattern; throws an Error naming the problem on anything unsupported or invalid. */
export function parseFilterPattern(pattern: string): FilterPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`filter pattern is ${pattern.length} characters, over CloudWatch Logs' limit of ${MAX_PATTERN_LENGTH}`);
  }
  const parser = new Parser(pattern);
  const expression = parser.parse();
  if (parser.wildcards > MAX_WILDCARDS_PER_PATTERN) {
    throw new Error(`filter pattern ${pattern}: ${parser.wildcards} wildcard selectors, over the documented quota of ${MAX_WILDCARDS_PER_PATTERN} per pattern`);
  }
  if (parser.regexes > MAX_REGEX_PER_PATTERN) {
    throw new Error(`filter pattern ${pattern}: ${parser.regexes} regular expressions, over the documented limit of ${MAX_REGEX_PER_PATTERN} per JSON pattern`);
  }
  return { pattern, expression };
}

/**
 * Whether the JSON filter pattern matches one log event, given as parsed JSON
 * (for CloudTrail, one record as CloudTrail delivers it to CloudWatch Logs).
 * Throws on an invalid pattern, and when the result depends on behaviour the
 * documentation does not state (see the module comment).
 */
export function matchesFilterPattern(pattern: string, event: unknown): boolean {
  const parsed = parseFilterPattern(pattern);
  const result = evaluate(parsed.expression, event);
  if (typeof result !== "boolean") {
    throw new Error(
      `filter pattern ${pattern}: the result on this event depends on behaviour the CloudWatch Logs documentation does not state (${result.undetermined}); ` +
        'rewrite the pattern so that it does not, e.g. "($.field NOT EXISTS) || ($.field != …)" for a field that may be absent',
    );
  }
  return result;
}

/**
 * A CloudTrail record from `__tests__/fixtures/cloudtrail/<name>.json` (see
 * SOURCES.md there); `name` may start with one subfolder (`cis/<name>`).
 */
export function loadCloudTrailFixture(name: string): Record<string, unknown> {
  if (!/^([A-Za-z0-9-]+\/)?[A-Za-z0-9-]+$/.test(name)) throw new Error(`fixture name "${name}": expected [<folder>/]<service>-<eventName>[-<variant>], without ".json"`);
  const record: unknown = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "cloudtrail", `${name}.json`), "utf8"));
  if (typeof record !== "object" || record === null || Array.isArray(record)) throw new Error(`fixture ${name}: not a JSON object`);
  return record as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Parsing: recursive descent over the pattern text; spaces between tokens are
// optional ("{$.eventName=DisableKey}" is the same as "{ $.eventName = DisableKey }").

class Parser {
  private pos = 0;
  wildcards = 0;
  regexes = 0;

  constructor(private readonly text: string) {}

  parse(): Expression {
    this.skipSpaces();
    if (this.text[this.pos] !== "{") {
      throw new Error(`filter pattern ${JSON.stringify(this.text)}: only JSON filter patterns ("{ … }") are supported by this evaluator, not term or space-delimited patterns`);
    }
    this.pos++;
    const expression = this.or();
    this.expect("}");
    this.skipSpaces();
    if (this.pos < this.text.length) this.fail("unexpected text after the closing '}'");
    return expression;
  }

  // Precedence () > && > || (doc: "the following standard order of operations: () > && > ||").
  private or(): Expression {
    let left = this.and();
    while (this.accept("||")) left = { kind: "or", left, right: this.and() };
    return left;
  }

  private and(): Expression {
    let left = this.primary();
    while (this.accept("&&")) left = { kind: "and", left, right: this.primary() };
    return left;
  }

  private primary(): Expression {
    this.skipSpaces();
    if (this.accept("(")) {
      const inner = this.or();
      this.expect(")");
      return inner;
    }
    if (this.text[this.pos] !== "$") this.fail("expected a property selector ($.…) or '('");
    return this.condition(this.selector());
  }

  private condition(selector: Selector): Expression {
    this.skipSpaces();
    const word = /^[A-Za-z]+/.exec(this.text.slice(this.pos))?.[0];
    if (word === "IS") {
      this.pos += 2;
      this.skipSpaces();
      const operand = /^[A-Za-z]+/.exec(this.text.slice(this.pos))?.[0];
      if (operand === "NOT") this.fail('"IS NOT" is not supported (doc: "The variables IS NOT and EXISTS currently aren\'t supported")');
      const values = { TRUE: true, FALSE: false, NULL: null } as const;
      if (operand !== "TRUE" && operand !== "FALSE" && operand !== "NULL") this.fail("expected TRUE, FALSE or NULL after IS");
      this.pos += operand.length;
      this.noWildcard(selector, "IS");
      return { kind: "is", selector, value: values[operand] };
    }
    if (word === "NOT") {
      this.pos += 3;
      this.skipSpaces();
      if (!this.accept("EXISTS")) this.fail("expected EXISTS after NOT");
      this.noWildcard(selector, "NOT EXISTS");
      return { kind: "notExists", selector };
    }
    if (word === "EXISTS") this.fail('"EXISTS" is not supported (doc: "The variables IS NOT and EXISTS currently aren\'t supported"); "= \\"*\\"" matches any string or number');
    if (word !== undefined) this.fail(`unknown keyword "${word}"`);
    const operator = (["!=", "<=", ">=", "=", "<", ">"] as const).find((op) => this.text.startsWith(op, this.pos));
    if (operator === undefined) this.fail("expected an operator (=, !=, <, >, <=, >=), IS or NOT EXISTS");
    this.pos += operator.length;
    if (this.text[this.pos] === "=") this.fail(`"${operator}=" is not an operator`);
    const value = this.value();
    if (operator !== "=" && operator !== "!=" && value.kind !== "number") {
      this.fail(`${operator} compares numbers only (doc: "{ PropertySelector NumericOperator Number }"), not ${value.text}`);
    }
    if (operator === "!=") this.noWildcard(selector, "!=");
    return { kind: "compare", selector, operator, value };
  }

  /**
   * `$.` then steps. Names are "alphanumeric strings that support hyphen and
   * underscore characters"; "If the JSON property contains a period, then the
   * bracket notation may be used" (`$.['cluster.name']`); array elements are
   * `[n]`; "You can use the JSON wildcard to select any array element or any
   * JSON object field" (`[*]`, `.*`).
   */
  private selector(): Selector {
    const start = this.pos;
    this.pos++; // "$"
    if (this.text[this.pos] !== ".") this.fail('a property selector starts with "$."');
    const steps: Step[] = [];
    while (this.text[this.pos] === "." || this.text[this.pos] === "[") {
      if (this.text[this.pos] === ".") {
        this.pos++;
        if (this.text[this.pos] === "[") continue; // "$.['a.b']": the bracket is the step
        if (this.accept("*")) {
          steps.push({ kind: "wildcard" });
          continue;
        }
        const name = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos))?.[0];
        if (name === undefined) this.fail("expected a property name after '.' (letters, digits, '_', '-'; use ['…'] for other characters)");
        this.pos += name.length;
        steps.push({ kind: "name", name });
        continue;
      }
      this.pos++; // "["
      const bracket = /^(\*|\d+|'([^']+)')\]/.exec(this.text.slice(this.pos));
      if (bracket === null) this.fail("expected [n], [*] or ['name']");
      this.pos += bracket[0].length;
      if (bracket[1] === "*") steps.push({ kind: "wildcard" });
      else if (bracket[2] !== undefined) steps.push({ kind: "name", name: bracket[2] });
      else steps.push({ kind: "index", index: Number(bracket[1]) });
    }
    if (steps.length === 0) this.fail("empty property selector");
    const text = this.text.slice(start, this.pos);
    const wildcards = steps.filter((s) => s.kind === "wildcard").length;
    if (wildcards > MAX_WILDCARDS_PER_SELECTOR)
      this.fail(`${text} has ${wildcards} wildcard selectors; the documented quota is ${MAX_WILDCARDS_PER_SELECTOR} per property selector`);
    this.wildcards += wildcards;
    return { text, steps, wildcard: wildcards > 0 };
  }

  private value(): Value {
    this.skipSpaces();
    const c = this.text[this.pos];
    if (c === '"') {
      const end = this.text.indexOf('"', this.pos + 1);
      if (end < 0) this.fail("unterminated quoted string");
      const text = this.text.slice(this.pos + 1, end);
      // The doc describes no escape sequence inside quotes; refuse rather than guess.
      if (text.includes("\\")) this.fail("a backslash in a quoted string: escape sequences are not documented");
      this.pos = end + 1;
      return { kind: "string", text };
    }
    if (c === "%") {
      const end = this.text.indexOf("%", this.pos + 1);
      if (end < 0) this.fail("unterminated regular expression (%…%)");
      const text = this.text.slice(this.pos + 1, end);
      if (/[()]/.test(text)) this.fail(`regular expression %${text}%: "The ( and ) operators are not supported"`);
      if (!REGEX_CONTENT.test(text)) this.fail(`regular expression %${text}% contains a character the documented regex syntax does not allow`);
      this.pos = end + 1;
      this.regexes++;
      // The documented operators are a subset of JavaScript's; only "{,n}" (m omitted) needs spelling out.
      let regex: RegExp;
      try {
        regex = new RegExp(text.replace(/\{,(\d+)\}/g, "{0,$1}"));
      } catch (error) {
        this.fail(`invalid regular expression %${text}%: ${(error as Error).message}`);
      }
      return { kind: "regex", text, regex };
    }
    const text = /^[^\s()&|{}]*/.exec(this.text.slice(this.pos))?.[0] ?? "";
    if (text === "") this.fail('expected a value (a number, a string, "…" or %…%)');
    if (!UNQUOTED_VALUE.test(text)) this.fail(`unquoted value ${text} contains characters other than letters, digits, '_', '.', '-', '+' and '*'; quote it`);
    this.pos += text.length;
    return NUMBER.test(text) ? { kind: "number", value: Number(text), text } : { kind: "string", text };
  }

  /** The doc shows wildcard selectors only with `=`; what `!=`, IS or NOT EXISTS would mean over several values is not stated. */
  private noWildcard(selector: Selector, what: string): void {
    if (selector.wildcard) this.fail(`${what} with the wildcard selector ${selector.text}: the documentation shows wildcard selectors only with =`);
  }

  private skipSpaces(): void {
    while (/\s/.test(this.text[this.pos] ?? "")) this.pos++;
  }

  private accept(token: string): boolean {
    this.skipSpaces();
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.accept(token)) this.fail(`expected '${token}'`);
  }

  private fail(message: string): never {
    throw new Error(`filter pattern ${JSON.stringify(this.text)}, at character ${this.pos + 1}: ${message}`);
  }
}

// ---------------------------------------------------------------------------
// Evaluation, in three-valued logic: a comparison the documentation leaves
// open yields { undetermined: reason }; && and || combine as Kleene's logic
// does (false && ? = false, true || ? = true), so a pattern throws only when
// its result really depends on the open point.

type Truth = boolean | { undetermined: string };

const MISSING = Symbol("missing");

function evaluate(expression: Expression, event: unknown): Truth {
  switch (expression.kind) {
    case "and":
    case "or": {
      const decisive = expression.kind === "or"; // the value that settles the result
      const left = evaluate(expression.left, event);
      if (left === decisive) return decisive;
      const right = evaluate(expression.right, event);
      if (right === decisive) return decisive;
      return typeof left !== "boolean" ? left : right;
    }
    case "is": {
      // 2020 revision: "This will only be true is the specified object is set to null"; likewise TRUE and FALSE.
      return resolve(expression.selector, event)[0] === expression.value;
    }
    case "notExists":
      // "return JSON logs that don't contain specific fields": a field set to null exists.
      return resolve(expression.selector, event)[0] === MISSING;
    case "compare": {
      const found = resolve(expression.selector, event);
      if (!expression.selector.wildcard) return compare(found[0], expression.operator, expression.value);
      // A wildcard selector matches when any selected value does ("to match values of any element in the array").
      let result: Truth = false;
      for (const candidate of found) {
        const truth: Truth = isContainer(candidate)
          ? { undetermined: `whether the wildcard in ${expression.selector.text} also reaches into nested objects and arrays` }
          : compare(candidate, expression.operator, expression.value);
        if (truth === true) return true;
        if (typeof truth !== "boolean") result = truth;
      }
      return result;
    }
  }
}

/** The values a selector points to: one (possibly MISSING) without a wildcard, every child at the wildcard otherwise. */
function resolve(selector: Selector, event: unknown): unknown[] {
  let nodes: unknown[] = [event];
  for (const step of selector.steps) {
    nodes = nodes.flatMap((node): unknown[] => {
      if (step.kind === "wildcard") return Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
      if (step.kind === "index") return [Array.isArray(node) && step.index < node.length ? node[step.index] : MISSING];
      return [isObject(node) && Object.prototype.hasOwnProperty.call(node, step.name) ? node[step.name] : MISSING];
    });
  }
  return selector.wildcard ? nodes.filter((node) => node !== MISSING) : nodes;
}

function compare(actual: unknown, operator: Operator, value: Value): Truth {
  if (actual === MISSING) {
    // "=" on an absent field is false (2020 revision: "If arrayKey is not an array this will be false",
    // "… do not have an id property, this will be false"); "!=" on one is not described anywhere.
    return operator === "!=" ? { undetermined: `"!=" on a field the event does not have` } : false;
  }
  // "If a property selector points to an array or object, the filter pattern won't match the log format";
  // the 2020 revision: "both {$.users = 1} and {$.users != 1} will fail to match" when users is an array.
  if (isContainer(actual)) return false;
  // "Value nodes can be strings or numbers": comparisons with true, false or null are not described (IS is).
  if (typeof actual !== "string" && typeof actual !== "number")
    return { undetermined: `${operator} on the value ${JSON.stringify(actual)}, which is neither a string nor a number` };

  if (value.kind === "number") {
    if (typeof actual !== "number") return { undetermined: `the number ${value.text} compared with the string ${JSON.stringify(actual)}` };
    const n = value.value;
    const results: Record<Operator, boolean> = { "=": actual === n, "!=": actual !== n, "<": actual < n, ">": actual > n, "<=": actual <= n, ">=": actual >= n };
    return results[operator];
  }
  if (typeof actual === "number") {
    // "Use the asterisk ("*") as a wild card to match numbers": `{ $.latency = * }` matches "latency": 50.
    if (value.kind === "string" && value.text === "*") return operator === "=";
    return { undetermined: `the number ${actual} compared with the ${value.kind} ${value.text}` };
  }
  const matched = value.kind === "regex" ? value.regex.test(actual) : wildcardMatch(value.text, actual);
  return operator === "=" ? matched : !matched;
}

/**
 * `*` is a wildcard at the start and/or end of a string only (2020 revision:
 * "*Event will match PutEvent and GetEvent. Event* will match EventId and
 * EventName. Ev*ent will only match the actual string Ev*ent"). It matches
 * any text, including none: the CIS/Security Hub pattern `AccessDenied*` is
 * meant to count the error code `AccessDenied` itself.
 */
function wildcardMatch(pattern: string, actual: string): boolean {
  const leading = pattern.startsWith("*");
  const trailing = pattern.length > 1 && pattern.endsWith("*");
  const core = pattern.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (leading && trailing) return actual.includes(core);
  if (leading) return actual.endsWith(core);
  if (trailing) return actual.startsWith(core);
  return actual === core;
}

function isObject(node: unknown): node is Record<string, unknown> {
  return typeof node === "object" && node !== null && !Array.isArray(node);
}

function isContainer(node: unknown): boolean {
  return typeof node === "object" && node !== null;
}
