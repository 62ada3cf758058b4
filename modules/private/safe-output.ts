/**
 * The one way user-facing errors (config, synth, the encrypt command) turn
 * input into text. Input may hold secrets, terminal escape sequences or
 * megabytes of data; error output lands in terminals and CI logs. So values
 * are shown only as short, escaped excerpts, never when they look like a
 * secret or are lists and objects, and a whole report is bounded.
 */

/** At most this many problems are listed; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 200;
/** A report is cut at this many bytes (UTF-8), at a line boundary. */
export const MAX_REPORT_BYTES = 64 * 1024;
/** One line of a report is cut at this many characters. */
export const MAX_LINE_CHARS = 1000;
/** A value quoted in a message is cut at this many characters. */
const MAX_EXCERPT_CHARS = 100;

/** Values that are secrets whatever field holds them; the label says what they look like. */
const SECRET_VALUE_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ["an AWS access key ID", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["a GitHub token", /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}/],
  ["a Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ["a Stripe secret key", /\b(sk|rk)_live_[A-Za-z0-9]{16,}/],
  ["a JSON Web Token", /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ["a URL with an embedded password", /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
  ["an HTTP Authorization header value", /^(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}$/],
];

/**
 * What a value that is a secret whatever its field looks like ("a GitHub
 * token", ...), or undefined. Besides known formats, a long run of mixed
 * upper- and lowercase letters and digits (20 characters or more, without
 * spaces, `/`, `.`, `_`, `:` or `-`) counts as a generated secret (an API
 * key, a password manager's output); ARNs do not, and names such as
 * `load-test-gQi2Fj` (a temporary folder) are judged part by part.
 */
export function secretValueKind(value: string): string | undefined {
  // Bounded: the patterns backtrack, and nothing longer is ever shown anyway.
  const head = value.slice(0, MAX_SCANNED_CHARS);
  return knownSecretFormat(head) ?? (isRandomLooking(head) ? "a generated key or password" : undefined);
}

/** The known secret format `value` has ("a GitHub token", ...), or undefined; environment variables are refused on these. */
export function knownSecretFormat(value: string): string | undefined {
  return SECRET_VALUE_PATTERNS.find(([, pattern]) => pattern.test(value))?.[0];
}

/** How much of a value {@link secretValueKind} looks at. */
const MAX_SCANNED_CHARS = 4096;

function isRandomLooking(value: string): boolean {
  if (/\s/.test(value) || /^arn:/.test(value)) return false;
  return value.split(/[/._:-]/).some(isRandomWord);
}

function isRandomWord(value: string): boolean {
  if (value.length < 20 || !/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/\d/.test(value)) return false;
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  const entropy = [...counts.values()].reduce((sum, n) => sum - (n / value.length) * Math.log2(n / value.length), 0);
  return entropy >= 3.5;
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, the
 * Unicode bidirectional controls and invisible characters (soft hyphen,
 * zero-width spaces and joiners): a terminal acts on them (colours, cursor
 * moves, titles, hyperlinks), or they reorder or hide what is shown.
 */

const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** `text` with every unsafe character written as `\uXXXX`, as JSON writes the others; with `keepNewlines`, `\n` stays. */
export function escapeControlCharacters(text: string, keepNewlines = false): string {
  return text.replace(UNSAFE_CHARACTERS, (char) => (keepNewlines && char === "\n" ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/**
 * A value for a message. Strings are quoted, escaped and cut to 100
 * characters, unless they look like a secret; numbers, booleans and null are
 * shown when short; lists and objects are only described, because their
 * contents may be anything.
 */
export function excerpt(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") return String(value).length <= 12 ? String(value) : `a number of ${String(value).length} characters`;
  if (typeof value === "string") {
    const secret = secretValueKind(value);
    if (secret) return `a string of ${value.length} characters that looks like ${secret} (not shown)`;
    // Cut by code points, so an emoji is never split in two.
    const characters = Array.from(value);
    if (characters.length <= MAX_EXCERPT_CHARS) return escapeControlCharacters(JSON.stringify(value));
    return `${escapeControlCharacters(JSON.stringify(characters.slice(0, MAX_EXCERPT_CHARS - 5).join("")))}... (${characters.length} characters)`;
  }
  return describeType(value);
}

/** The kind of a value, for messages that must not show it. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/**
 * A report: the header, then one line per problem, bounded to
 * {@link MAX_REPORTED_PROBLEMS} lines and {@link MAX_REPORT_BYTES} bytes
 * ("… and N more"). In every line, words that look like a secret are
 * hidden, unsafe characters escaped, and the line cut to {@link MAX_LINE_CHARS}.
 */
export function formatReport(header: string, problems: readonly string[]): string {
  const lines = [safeLine(header)];
  let bytes = Buffer.byteLength(lines[0]);
  let shown = 0;
  for (const problem of problems.slice(0, MAX_REPORTED_PROBLEMS)) {
    const line = safeLine(problem);
    const size = Buffer.byteLength(line) + 1;
    // Room is kept for the closing "… and N more" line.
    if (bytes + size > MAX_REPORT_BYTES - 100) break;
    lines.push(line);
    bytes += size;
    shown++;
  }
  if (shown < problems.length) lines.push(`  … and ${problems.length - shown} more (fix these first, then run again)`);
  return lines.join("\n");
}

/** A line of output: cut to {@link MAX_LINE_CHARS}, secret-shaped words hidden, unsafe characters escaped. */
function safeLine(line: string): string {
  // Cut first, so a line of megabytes costs nothing more; cut again after escaping, which lengthens it.
  const cut = (text: string) =>
    text.length > MAX_LINE_CHARS
      ? `${Array.from(text.slice(0, MAX_LINE_CHARS - 40))
          .slice(0, -1)
          .join("")}… (line cut at ${MAX_LINE_CHARS} characters)`
      : text;
  return cut(escapeControlCharacters(hideSecretWords(cut(line))));
}

/**
 * What a command prints for an error: its message only (never a stack
 * trace), bounded and escaped like a report. Messages of this project's own
 * errors show values only through {@link excerpt}; this also covers errors
 * thrown by libraries.
 */
export function errorText(error: unknown, prefix = ""): string {
  const message = error instanceof Error ? error.message : String(error);
  const [first, ...rest] = message.split("\n");
  return formatReport(`${prefix}${first}`, rest);
}

/** `line` with every word (split at spaces, quotes, brackets and dots, so a field path keeps its parts) that looks like a secret replaced by its length. */
function hideSecretWords(line: string): string {
  return line.replace(/[^\s"'`,;()[\]{}<>.]+/g, (word) => {
    // A field path ends in ":" before its message; the colon stays.
    const bare = word.endsWith(":") ? word.slice(0, -1) : word;
    return secretValueKind(bare) ? `<${bare.length} characters, not shown>${word.slice(bare.length)}` : word;
  });
}
