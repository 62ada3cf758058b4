import { Token } from "cdktf";
import { MAX_TAGS_PER_RESOURCE, TAG_KEY_MAX_LENGTH, TAG_VALUE_MAX_LENGTH, tagKeyProblem, tagValueProblem } from "../../modules/private/aws-tags";

/** "語" is one Unicode character (a letter), one UTF-16 unit and three UTF-8 bytes; "𝔸" (U+1D538, a letter) is one character but two UTF-16 units and four UTF-8 bytes. */
const CJK_LETTER = "語";
const WIDE_LETTER = "\u{1D538}";

describe("limits", () => {
  it("are the documented ones", () => {
    expect([TAG_KEY_MAX_LENGTH, TAG_VALUE_MAX_LENGTH, MAX_TAGS_PER_RESOURCE]).toEqual([128, 256, 50]);
  });
});

describe("tagKeyProblem", () => {
  it.each([
    "Project",
    "CostCenter",
    "cost-center",
    "acme:team/owner",
    "a_b.c:d/e=f+g-h@i",
    "Team Name",
    "Kostenstelle-Straße",
    "プロジェクト",
    "环境",
    "Ωmega",
    "٣",
    "aws",
    "awsome",
    "my-aws:key",
    "aws-key",
    "a",
    "k".repeat(128),
    CJK_LETTER.repeat(128),
    WIDE_LETTER.repeat(128),
  ])("accepts %j", (key) => {
    expect(tagKeyProblem(key)).toBeUndefined();
  });

  it("refuses an empty key", () => {
    expect(tagKeyProblem("")).toBe('"" is empty; a tag key needs 1–128 characters, e.g. "CostCenter"');
  });

  it("counts Unicode characters: 129 is one too many, whatever their UTF-16 or UTF-8 size", () => {
    expect(tagKeyProblem("k".repeat(129))).toContain("has 129 characters; a tag key has at most 128, shorten it");
    expect(tagKeyProblem(CJK_LETTER.repeat(129))).toContain("has 129 characters");
    expect(tagKeyProblem(WIDE_LETTER.repeat(129))).toContain("has 129 characters");
    // 64 wide letters are 128 UTF-16 units but only 64 characters.
    expect(tagKeyProblem(WIDE_LETTER.repeat(65))).toBeUndefined();
  });

  it.each(["aws:createdBy", "AWS:createdBy", "Aws:x", "aWs:x", "AWs:", "aws:"])("refuses the reserved prefix in %j", (key) => {
    const problem = tagKeyProblem(key);
    expect(problem).toContain(`starts with "${key.slice(0, 4)}"; AWS reserves that prefix (in any case) for its own tags`);
    expect(problem).toContain('drop it or use your own, e.g. "acme:"');
  });

  it.each([
    ["Cost#Center", '"#" (U+0023)'],
    ["team!", '"!" (U+0021)'],
    ["a,b", '"," (U+002C)'],
    ["owner*", '"*" (U+002A)'],
    ["path\\x", '"\\\\" (U+005C)'],
    ['say"hi"', '"\\"" (U+0022)'],
    ["env\n", '"\\n" (U+000A)'],
    ["tab\there", '"\\t" (U+0009)'],
    ["bell\u0007", '"\\u0007" (U+0007)'],
    ["del\u007f", '"\\u007f" (U+007F)'],
    ["rocket\u{1F680}", '"\u{1F680}" (U+1F680)'],
    ["smile😀", '"😀" (U+1F600)'],
    ["lone\ud800", '"\\ud800" (U+D800)'],
  ])("refuses %j, naming %s and the allowed characters", (key, shown) => {
    const problem = tagKeyProblem(key);
    expect(problem).toContain(`contains ${shown}, which AWS does not allow in tag keys`);
    expect(problem).toContain("use only letters, digits, spaces and _ . : / = + - @ (no emoji or other symbols)");
  });

  it("lets unresolved tokens pass", () => {
    expect(tagKeyProblem(Token.asString({ Ref: "x" }))).toBeUndefined();
  });
});

describe("tagValueProblem", () => {
  it.each([
    "",
    "payments",
    "Team Payments",
    "111122223333",
    "arn/aws:service",
    "user@example.com",
    "a_b.c:d/e=f+g-h@i",
    "Zürich",
    "München Straße",
    "東京",
    "\u00a0non-breaking space",
    "v".repeat(256),
    CJK_LETTER.repeat(256),
    WIDE_LETTER.repeat(256),
    "my-aws:thing",
  ])("accepts %j", (value) => {
    expect(tagValueProblem(value)).toBeUndefined();
  });

  it("counts Unicode characters: 257 is one too many, whatever their UTF-16 or UTF-8 size", () => {
    expect(tagValueProblem("v".repeat(257))).toContain("has 257 characters; a tag value has at most 256, shorten it");
    expect(tagValueProblem(CJK_LETTER.repeat(257))).toContain("has 257 characters");
    expect(tagValueProblem(WIDE_LETTER.repeat(257))).toContain("has 257 characters");
    expect(tagValueProblem(WIDE_LETTER.repeat(129))).toBeUndefined();
  });

  it.each(["aws:cloudformation", "AWS:x", "Aws:", "awS:y"])("refuses the reserved prefix in %j", (value) => {
    expect(tagValueProblem(value)).toContain(`starts with "${value.slice(0, 4)}"; AWS reserves that prefix (in any case) in tag values as well as keys, so reword the value`);
  });

  it.each([
    ["#1", '"#" (U+0023)'],
    ["50%", '"%" (U+0025)'],
    ["line\r\nbreak", '"\\r" (U+000D)'],
    ["nul\u0000", '"\\u0000" (U+0000)'],
    ["esc\u001b[31m", '"\\u001b" (U+001B)'],
    ["ok 👍", '"👍" (U+1F44D)'],
    // A currency sign is a symbol, not a letter.
    ["€100", '"€" (U+20AC)'],
  ])("refuses %j, naming %s", (value, shown) => {
    expect(tagValueProblem(value)).toContain(`contains ${shown}, which AWS does not allow in tag values`);
  });

  it("lets unresolved tokens pass", () => {
    expect(tagValueProblem(Token.asString({ Ref: "x" }))).toBeUndefined();
  });
});

describe("messages", () => {
  it("never quote more than 95 characters of a value", () => {
    const problem = tagValueProblem("x".repeat(300)) ?? "";
    expect(problem).toBe(`"${"x".repeat(95)}"... (300 characters) has 300 characters; a tag value has at most 256, shorten it`);
    expect(problem).not.toContain("x".repeat(96));
    expect(tagKeyProblem(`aws:${"k".repeat(100)}`)).toMatch(/^"aws:k{91}"\.\.\. \(104 characters\) starts with/);
  });

  it("cut between characters, never inside one", () => {
    expect(tagKeyProblem(WIDE_LETTER.repeat(200))).toBe(`"${WIDE_LETTER.repeat(95)}"... (200 characters) has 200 characters; a tag key has at most 128, shorten it`);
  });

  it("escape characters that would disturb a terminal", () => {
    // A line separator is a Unicode separator, so AWS accepts it in a tag; it is still escaped when shown.
    expect(tagValueProblem("a\u2028b#")).toBe(
      '"a\\u2028b#" contains "#" (U+0023), which AWS does not allow in tag values; use only letters, digits, spaces and _ . : / = + - @ (no emoji or other symbols)',
    );
    expect(tagKeyProblem("a\u001b[2Jb")).toMatch(/^"a\\u001b\[2Jb" contains "\\u001b" \(U\+001B\)/);
  });
});
