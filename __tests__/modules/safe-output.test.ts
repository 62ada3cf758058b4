import {
  MAX_LINE_CHARS,
  MAX_REPORT_BYTES,
  MAX_REPORTED_PROBLEMS,
  errorText,
  escapeControlCharacters,
  excerpt,
  formatReport,
  secretValueKind,
} from "../../modules/private/safe-output";

/** Every character a terminal acts on or that reorders or hides text; none may reach the output raw. */

const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/;

describe("escapeControlCharacters", () => {
  test.each([
    ["an ANSI colour sequence", "a\u001b[31mred", "a\\u001b[31mred"],
    ["an OSC 8 hyperlink", "\u001b]8;;http://x\u0007link", "\\u001b]8;;http://x\\u0007link"],
    ["a C1 control sequence introducer", "x\u009b2Jy", "x\\u009b2Jy"],
    ["DEL", "x\u007fy", "x\\u007fy"],
    ["a right-to-left override", "abc\u202edcb", "abc\\u202edcb"],
    ["a zero-width space", "ad\u200bmin", "ad\\u200bmin"],
    ["a line separator", "a\u2028b", "a\\u2028b"],
    ["a carriage return", "ok\rFAKE", "ok\\u000dFAKE"],
  ])("writes %s as an escape", (_what, input, expected) => {
    expect(escapeControlCharacters(input)).toBe(expected);
  });

  test("keeps newlines only when asked, and leaves letters of any script alone", () => {
    expect(escapeControlCharacters("a\nb")).toBe("a\\u000ab");
    expect(escapeControlCharacters("a\nb", true)).toBe("a\nb");
    expect(escapeControlCharacters("Zürich 東京 😀")).toBe("Zürich 東京 😀");
  });
});

describe("secretValueKind", () => {
  test.each([
    ["AKIAIOSFODNN7EXAMPLE", "an AWS access key ID"],
    ["postgres://app:s3cr3t@db.internal:5432/orders", "a URL with an embedded password"],
    ["-----BEGIN RSA PRIVATE KEY-----", "a private key"],
    [`ghp_${"a1B2".repeat(9)}`, "a GitHub token"],
    ["Bearer abcdefgh12345678", "an HTTP Authorization header value"],
    ["kJ8s2Lq9Zx7Vb4Nm1Pw3Rt6Y", "a generated key or password"],
  ])("recognises %s", (value, kind) => {
    expect(secretValueKind(value)).toBe(kind);
  });

  test.each([
    "arn:aws:iam::111111111111:role/platform-key-admin",
    "/tmp/load-config-test-gQi2Fj/config.json",
    "payments/orders-api/db-password",
    "eu-west-1",
    "security-alerts@example.com",
    "https://api.example.com/v1",
    "index.handler",
  ])("does not hide %s", (value) => {
    expect(secretValueKind(value)).toBeUndefined();
  });
});

describe("excerpt", () => {
  test("shows short scalars, and only describes lists and objects", () => {
    expect(excerpt("eu-west-1")).toBe('"eu-west-1"');
    expect(excerpt(400)).toBe("400");
    expect(excerpt(false)).toBe("false");
    expect(excerpt(null)).toBe("null");
    expect(excerpt(undefined)).toBe("nothing");
    expect(excerpt(["hunter2"])).toBe("a list of 1 item");
    expect(excerpt({ password: "hunter2" })).toBe("an object");
    expect(excerpt(1234567890123456)).toBe("a number of 16 characters");
  });

  test("never shows a value that looks like a secret", () => {
    expect(excerpt("postgres://app:s3cr3t@db/orders")).toBe("a string of 31 characters that looks like a URL with an embedded password (not shown)");
    expect(excerpt("AKIAIOSFODNN7EXAMPLE")).not.toContain("AKIA");
  });

  test("cuts long strings at 95 characters, between characters, and escapes what it shows", () => {
    const shown = excerpt("😀".repeat(500));
    expect(shown).toBe(`"${"😀".repeat(95)}"... (500 characters)`);
    expect(excerpt(`x\u001b]0;owned\u0007${"y".repeat(200)}`)).not.toMatch(RAW_UNSAFE);
  });

  test("a name in a field path is escaped, cut and hidden by the report that prints it", () => {
    expect(formatReport("h", ["  - environment.DB\u001b[2J: bad"])).toBe("h\n  - environment.DB\\u001b[2J: bad");
    expect(formatReport("h", [`  - ${"n".repeat(1500)}`]).split("\n")[1]).toMatch(/^ {2}-? ?n+… \(line cut at 1000 characters\)$/);
    expect(formatReport("h", ["  - environment.AKIAIOSFODNN7EXAMPLE: bad"])).toBe("h\n  - environment.<20 characters, not shown>: bad");
  });
});

describe("formatReport", () => {
  test("lists at most 200 problems, then says how many more there are", () => {
    const problems = Array.from({ length: 450 }, (_, i) => `  - field${i}: wrong`);
    const report = formatReport("invalid configuration x.json:", problems);
    const lines = report.split("\n");
    expect(MAX_REPORTED_PROBLEMS).toBe(200);
    expect(lines).toHaveLength(1 + 200 + 1);
    expect(lines[200]).toBe("  - field199: wrong");
    expect(lines[201]).toBe("  … and 250 more (fix these first, then run again)");
  });

  test("stays under 64 KB however long the lines are, and cuts each line", () => {
    const problems = Array.from({ length: 150 }, (_, i) => `  - field${i}: ${"v".repeat(1_000_000)}`);
    const report = formatReport("header", problems);
    expect(Buffer.byteLength(report)).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    const lines = report.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(lines[1]).toMatch(/… \(line cut at 1000 characters\)$/);
    expect(lines[lines.length - 1]).toMatch(/^ {2}… and \d+ more/);
  });

  test("escapes control characters and hides secret-shaped words in every line", () => {
    const report = formatReport("bad \u001b[2J header", ["  - a: x\u009by", "  - b: token AKIAIOSFODNN7EXAMPLE leaked"]);
    expect(report).not.toMatch(RAW_UNSAFE);
    expect(report).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(report).toContain("token <20 characters, not shown> leaked");
  });
});

describe("errorText", () => {
  test("prints a library error's message without its stack, escaped and bounded", () => {
    const error = new Error(`boom \u001b[31m${"z".repeat(5000)}\n${"line\n".repeat(1000)}`);
    const text = errorText(error, "synthesis failed: ");
    expect(text.startsWith("synthesis failed: boom \\u001b[31m")).toBe(true);
    expect(text).not.toContain("    at ");
    expect(text.split("\n")).toHaveLength(1 + 200 + 1);
    expect(text).not.toMatch(RAW_UNSAFE);
  });

  test("accepts thrown values that are not errors", () => {
    expect(errorText("plain string")).toBe("plain string");
  });
});
