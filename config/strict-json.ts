/**
 * A strict JSON reader for the configuration file (RFC 8259).
 *
 * `JSON.parse` is not used because:
 * - its syntax error messages quote the text around the error, and in a
 *   configuration file that text can be a secret which then lands in CI logs;
 * - it silently keeps the last of two duplicate keys, so a typo'd copy of a
 *   field wins without a word;
 * - `__proto__` keys get a special meaning as soon as the value is copied or
 *   merged into other objects;
 * - it accepts any nesting depth, and the validator recurses over the value,
 *   so an absurdly deep document ends in "Maximum call stack size exceeded".
 *
 * Values come out exactly as `JSON.parse` would produce them (same numbers,
 * same strings, plain objects and arrays), minus the refused keys.
 */

/** A problem found while parsing that does not stop parsing: reported with the config path. */
export interface JsonKeyProblem {
  /** Path in the validator's format: `accounts`, `accounts[1].regions[0]`, `functions[0].environment.DB_URL`; `(root)` for the document itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * A syntax error: where it is, never the text around it. `reason` is built
 * from fixed words only and never contains characters of the input (not even
 * the offending one), so a secret next to the error is never echoed.
 */
export class JsonSyntaxError extends Error {
  /**
   * @param line 1-based line; a line ends at LF, CR LF or a lone CR.
   * @param column 1-based column counted in UTF-16 code units (as JavaScript string indexes and most editors count); a leading BOM is not counted.
   * @param reason what was expected or found, in words.
   */
  constructor(
    public readonly line: number,
    public readonly column: number,
    public readonly reason: string,
  ) {
    super(`is not valid JSON: ${reason} at line ${line}, column ${column}`);
    this.name = "JsonSyntaxError";
  }
}

/**
 * Deepest nesting of arrays and objects accepted; the document itself is level 1.
 * The configuration is at most about 6 levels deep (root > functions > function >
 * environment overrides > ...), so 32 leaves plenty of room for any real file while
 * keeping this parser's recursion, and the validator's walk over the result, far
 * from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** Keys JavaScript gives a special meaning to: refused so that no copy or merge of the value can reach an object's prototype. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

const ROOT_PATH = "(root)";
const COMMENT = "a comment; JSON does not allow comments";

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BOM = 0xfeff;

/** The character each single-letter escape stands for, by the letter's code. */
const SIMPLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [QUOTE, '"'],
  [BACKSLASH, "\\"],
  [SLASH, "/"],
  [0x62, "\b"],
  [0x66, "\f"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [0x74, "\t"],
]);

/**
 * Parses `text` as JSON, strictly.
 *
 * Syntax errors, and nesting deeper than {@link MAX_JSON_DEPTH}, throw a
 * {@link JsonSyntaxError}. A leading UTF-8 byte order mark (U+FEFF) is skipped.
 *
 * With `spans`, also where each value is in `text`, for editing a file in
 * place (only the values changed, every other byte kept), keyed by
 * {@link jsonSpanKey} of the value's keys and indexes from the root.
 *
 * Key problems do not stop parsing; they are returned in `problems`, in document order:
 * - a key given twice in one object: the FIRST value is kept, later ones are parsed and dropped;
 * - the keys `__proto__`, `constructor` and `prototype`: left out of the value.
 *
 * Objects in the value are plain objects (prototype `Object.prototype`) whose own
 * enumerable keys are exactly the accepted JSON keys.
 */
export function parseStrictJson(
  text: string,
  options: { readonly spans?: boolean } = {},
): { readonly value: unknown; readonly problems: readonly JsonKeyProblem[]; readonly spans?: ReadonlyMap<string, JsonSpan> } {
  const parser = new Parser(text, options.spans === true);
  const value = parser.document();
  return { value, problems: parser.problems, spans: parser.spans };
}

/** Where a value is in the text: `text.slice(start, end)` is the value's JSON. */
export interface JsonSpan {
  readonly start: number;
  readonly end: number;
}

/** The key of a value's span: its keys and array indexes from the root, e.g. `["accounts", 0, "name"]`. */
export function jsonSpanKey(segments: readonly (string | number)[]): string {
  return JSON.stringify(segments);
}

class Parser {
  public readonly problems: JsonKeyProblem[] = [];
  private pos: number;
  /** Line of `pos`, kept up to date by `skipWhitespace` (the only place line breaks can be). */
  private line = 1;
  /** Keys and array indexes from the root to the value being parsed; turned into a path only when a problem is recorded. */
  private readonly segments: (string | number)[] = [];

  /** Where each value is, when asked for (see `parseStrictJson`). */
  public readonly spans?: Map<string, JsonSpan>;

  constructor(
    private readonly text: string,
    recordSpans = false,
  ) {
    this.pos = text.charCodeAt(0) === BOM ? 1 : 0;
    if (recordSpans) this.spans = new Map();
  }

  public document(): unknown {
    this.skipWhitespace();
    const value = this.value(0);
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === SLASH) this.fail(this.pos, COMMENT);
    if (this.pos < this.text.length) this.fail(this.pos, "unexpected text after the value; a file holds one JSON value");
    return value;
  }

  /** A value at `pos` (whitespace already skipped), inside `depth` arrays and objects. */
  private value(depth: number): unknown {
    if (this.spans === undefined) return this.valueAt(depth);
    const start = this.pos;
    const value = this.valueAt(depth);
    this.spans.set(jsonSpanKey(this.segments), { start, end: this.pos });
    return value;
  }

  private valueAt(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.string();
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // Checked before recursing, so the call stack stays bounded however deep the input nests.
      if (depth + 1 > MAX_JSON_DEPTH) this.fail(this.pos, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
      return c === OPEN_BRACE ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    if (isWordCharacter(c)) return this.literal();
    if (c === APOSTROPHE) this.fail(this.pos, "a string in single quotes; JSON strings use double quotes");
    if (c === PLUS || c === DOT) this.fail(this.pos, "invalid number: a number starts with a digit or a minus sign");
    return this.expected("a value (an object, array, string in double quotes, number, true, false or null)");
  }

  private object(depth: number): Record<string, unknown> {
    // A plain object, as JSON.parse makes; safe to assign to because `__proto__`, the only key with a setter on Object.prototype, never gets here.
    const result: Record<string, unknown> = {};
    const firstLines = new Map<string, number>();
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return result;
    }
    let comma = -1;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== QUOTE) {
        if (c === CLOSE_BRACE && comma >= 0) this.fail(comma, "a comma after the last member; JSON allows none before '}'");
        if (c === APOSTROPHE) this.fail(this.pos, "a key in single quotes; JSON keys use double quotes");
        this.expected("a key in double quotes");
      }
      const keyLine = this.line;
      const key = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== COLON) this.expected("':' after a key");
      this.pos++;
      this.skipWhitespace();

      this.segments.push(key);
      // Key problems are recorded before the value is parsed, so problems come out in document order.
      let keep = false;
      if (FORBIDDEN_KEYS.has(key)) {
        this.problem("is not allowed as a key: JavaScript gives it a special meaning; rename it");
      } else {
        const firstLine = firstLines.get(key);
        if (firstLine === undefined) {
          firstLines.set(key, keyLine);
          keep = true;
        } else {
          const lines = firstLine === keyLine ? `both on line ${keyLine}` : `lines ${firstLine} and ${keyLine}`;
          this.problem(`is given twice in the same object (${lines}); a JSON reader keeps only one of them, so remove one`);
        }
      }
      const value = this.value(depth);
      this.segments.pop();
      if (keep) result[key] = value;

      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === CLOSE_BRACE) {
        this.pos++;
        return result;
      }
      if (next !== COMMA) this.expected("',' or '}' after a value");
      comma = this.pos;
      this.pos++;
      this.skipWhitespace();
    }
  }

  private array(depth: number): unknown[] {
    const result: unknown[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return result;
    }
    let comma = -1;
    for (;;) {
      if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET && comma >= 0) this.fail(comma, "a comma after the last item; JSON allows none before ']'");
      this.segments.push(result.length);
      result.push(this.value(depth));
      this.segments.pop();

      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === CLOSE_BRACKET) {
        this.pos++;
        return result;
      }
      if (next !== COMMA) this.expected("',' or ']' after a value");
      comma = this.pos;
      this.pos++;
      this.skipWhitespace();
    }
  }

  /** A string at `pos` (its opening quote). Runs of plain characters are sliced, not copied one by one. */
  private string(): string {
    const text = this.text;
    const open = this.pos;
    let pos = open + 1;
    let runStart = pos;
    let decoded = "";
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return decoded + text.slice(runStart, pos);
      }
      if (c === BACKSLASH) {
        decoded += text.slice(runStart, pos);
        decoded += this.escape(pos);
        pos += text.charCodeAt(pos + 1) === 0x75 ? 6 : 2;
        runStart = pos;
      } else if (c < SPACE) {
        this.fail(pos, "a raw control character inside a string; write it as an escape such as \\n");
      } else if (Number.isNaN(c)) {
        this.fail(open, "unterminated string: the file ends before its closing quote");
      } else {
        pos++;
      }
    }
  }

  /** The character(s) an escape at `at` (its backslash) stands for. */
  private escape(at: number): string {
    const letter = this.text.charCodeAt(at + 1);
    if (Number.isNaN(letter)) this.fail(at, "unterminated string: the file ends inside an escape");
    const simple = SIMPLE_ESCAPES.get(letter);
    if (simple !== undefined) return simple;
    if (letter !== 0x75) this.fail(at, 'invalid escape; use \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u followed by four hex digits');
    let code = 0;
    for (let i = at + 2; i < at + 6; i++) {
      const digit = hexValue(this.text.charCodeAt(i));
      if (digit < 0) this.fail(at, "invalid escape; \\u must be followed by four hex digits");
      code = code * 16 + digit;
    }
    // Lone surrogates pass through as single code units, as JSON.parse lets them; a pair written as two escapes joins up in the result.
    return String.fromCharCode(code);
  }

  /** A number at `pos`, checked against the JSON grammar, then converted as JSON.parse converts it. */
  private number(): number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === MINUS) pos++;
    const first = text.charCodeAt(pos);
    if (first === ZERO) {
      pos++;
      if (isDigit(text.charCodeAt(pos))) this.fail(start, "invalid number: a number cannot start with 0 followed by digits");
    } else if (isDigit(first)) {
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      this.fail(start, "invalid number: expected a digit after the minus sign");
    }
    if (text.charCodeAt(pos) === DOT) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) this.fail(start, "invalid number: expected a digit after the decimal point");
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === PLUS || sign === MINUS) pos++;
      if (!isDigit(text.charCodeAt(pos))) this.fail(start, "invalid number: expected a digit in the exponent");
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    this.pos = pos;
    // The grammar above is a subset of what Number() reads, with the same rounding (1e400 is Infinity, -0 stays -0), as in JSON.parse.
    return Number(text.slice(start, pos));
  }

  /** `true`, `false` or `null`; the whole word is read, so `nullx` or `True` is refused as one unknown word. */
  private literal(): boolean | null {
    const start = this.pos;
    let pos = start;
    while (isWordCharacter(this.text.charCodeAt(pos))) pos++;
    const word = this.text.slice(start, pos);
    this.pos = pos;
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    return this.fail(start, "unknown word; a value is an object, array, string in double quotes, number, true, false or null");
  }

  /** Skips JSON whitespace (space, tab, CR, LF only) and counts lines as it goes. */
  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB) {
        pos++;
      } else if (c === LF || c === CR) {
        pos++;
        // CR LF is one line break, counted at its LF.
        if (c === CR && text.charCodeAt(pos) === LF) continue;
        this.line++;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  /** Throws at `pos`, where `what` was expected; the end of the file and comments get words of their own. */
  private expected(what: string): never {
    const c = this.text.charCodeAt(this.pos);
    if (Number.isNaN(c)) this.fail(this.pos, `unexpected end of the file; expected ${what}`);
    if (c === SLASH) this.fail(this.pos, COMMENT);
    return this.fail(this.pos, `expected ${what}`);
  }

  /** Records a key problem at the current path. */
  private problem(message: string): void {
    this.problems.push({ path: renderPath(this.segments), message });
  }

  /** Throws the syntax error at index `at`. Line and column are counted afresh: errors are rare, and `at` may lie before the tracked line. */
  private fail(at: number, reason: string): never {
    const text = this.text;
    let line = 1;
    let lineStart = text.charCodeAt(0) === BOM ? 1 : 0;
    for (let i = lineStart; i < at; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(line, at - lineStart + 1, reason);
  }
}

/** `accounts[1].regions[0]`: root fields bare, then `.key` and `[index]`, as the validator writes paths. */
function renderPath(segments: readonly (string | number)[]): string {
  if (segments.length === 0) return ROOT_PATH;
  let path = "";
  segments.forEach((segment, i) => {
    if (typeof segment === "number") path += `[${segment}]`;
    else path += i === 0 ? segment : `.${segment}`;
  });
  return path;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Characters read as one word where a value is expected, so that a misspelt literal is reported once, at its start. */
function isWordCharacter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= ZERO && c <= NINE) || c === 0x5f || c === 0x24;
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
