/**
 * config/strict-json.ts: the configuration file's JSON reader. It must read
 * every valid document exactly as JSON.parse does, and differ only where
 * JSON.parse is unsafe for a configuration file: error messages that quote
 * the input, duplicate keys, prototype keys and unbounded nesting.
 */
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { JsonKeyProblem, JsonSyntaxError, MAX_JSON_DEPTH, jsonSpanKey, parseStrictJson } from "../../config/strict-json";

const REPO = path.resolve(__dirname, "..", "..");
const SECRET = "hunter2-SECRET";

/** The syntax error `text` throws; fails the test if it parses, or throws anything else. */
function syntaxError(text: string): JsonSyntaxError {
  try {
    parseStrictJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a JsonSyntaxError, but ${JSON.stringify(text.slice(0, 80))} was accepted`);
}

/** Every object in `value` is a plain object and every array a real array, as JSON.parse makes them. */
function expectPlainValues(value: unknown): void {
  if (Array.isArray(value)) {
    expect(Object.getPrototypeOf(value)).toBe(Array.prototype);
    value.forEach(expectPlainValues);
  } else if (typeof value === "object" && value !== null) {
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    Object.values(value).forEach(expectPlainValues);
  }
}

/** Nesting depth as MAX_JSON_DEPTH counts it: the document's own array or object is level 1. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random JSON text: nested values, escapes, non-ASCII and surrogates, varied whitespace, no duplicate or prototype keys. */
function randomDocument(next: () => number, depth = 1): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const ws = (): string => pick(["", "", " ", "\n", "\r\n", "\t", "  \n  ", "\r"]);
  const text = (): string => {
    const pieces = [
      "a",
      "Z",
      "9",
      " ",
      "é",
      "中",
      "😀",
      "\\n",
      "\\t",
      '\\"',
      "\\\\",
      "\\/",
      "\\b",
      "\\f",
      "\\r",
      "\\u0000",
      "\\u001f",
      "\\ud83d\\ude00",
      "\\uD800",
      "\\uDFFF",
      "\\u00E9",
    ];
    return `"${Array.from({ length: Math.floor(next() * 8) }, () => pick(pieces)).join("")}"`;
  };
  const kind = depth >= 6 ? Math.floor(next() * 4) : Math.floor(next() * 6);
  if (kind === 0) return text();
  if (kind === 1) return pick(["0", "-0", "1", "-1", "0.5", "1e400", "-1e-400", "123456789012345678901234567890", "3.14159e+10", "2E-5", "9007199254740993"]);
  if (kind === 2) return pick(["true", "false", "null"]);
  if (kind === 3) return `"${Math.floor(next() * 1000)}"`;
  const count = Math.floor(next() * 5);
  if (kind === 4) return `[${ws()}${Array.from({ length: count }, () => randomDocument(next, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  const members = Array.from({ length: count }, (_, i) => `${ws()}"k${i}${pick(["", "é", "\\u00e9", "😀"])}"${ws()}:${ws()}${randomDocument(next, depth + 1)}${ws()}`);
  return `{${ws()}${members.join(",")}${ws()}}`;
}

describe("valid documents read as JSON.parse reads them", () => {
  const corpus: Record<string, string> = {
    "config/default.json": fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"),
    "config/local.json": fs.readFileSync(path.join(REPO, "config", "local.json"), "utf8"),
    "empty object": "{}",
    "empty array": "[]",
    "empty containers with whitespace": '{ "a" : { } , "b" : [ \n ] }',
    "nested arrays": '[[[]], [[1, [2, [3, {"a": [{}, []]}]]]], [[[[[[[["deep"]]]]]]]]]',
    numbers:
      "[-0, 0, 1, -1, 0.1, 1e400, -1e400, 1e-400, 5e-324, 1.7976931348623157e308, 12345678901234567890, 9007199254740993, 1.5e+3, 2.5E-3, -123.456e-10, 0e0, 0.0000001, 100E+00]",
    "unicode escapes": '["\\u00e9", "\\u4E2D\\u6587", "\\u0041\\u0062", "\\uFFFF", "\\uabcd", "\\uABCD"]',
    "surrogate pairs": '["\\ud83d\\ude00", "\\uD83D\\uDE00x", "a\\ud834\\udd1eb"]',
    "lone surrogates": '["\\ud800", "\\udc00", "x\\udbff", "\\udfffy", "\\ude00\\ud83d"]',
    "raw non-ASCII": '{"name": "café 中文 😀 \u2028 \u00a0 \u007f"}',
    "every escape": '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u001F \\u001f \\u007F \\u0022 \\u005C"',
    literals: "[true, false, null]",
    "string root": '"just a string"',
    "number root": "  42  ",
    "null root": "null",
    "all JSON whitespace": ' \t\r\n{ \t"a"\r\n:\n[ 1\t,\r2 ] }\r\n\t ',
    "integer-like keys, whose order JavaScript changes": '{"b": 1, "2": 2, "a": 3, "1": 4, "10": 5}',
    "keys that are Object.prototype members but harmless": '{"toString": 1, "hasOwnProperty": 2, "valueOf": {"x": 1}, "__defineGetter__": 3, "isPrototypeOf": 4}',
    "empty key": '{"": 1, "a": {"": [""]}}',
    "keys with escapes": '{"a\\nb": 1, "\\u00e9": 2, "\\ud83d\\ude00": 3, "a.b[0]": 4}',
  };

  test.each(Object.entries(corpus))("%s", (_name, text) => {
    const { value, problems } = parseStrictJson(text);
    expect(problems).toEqual([]);
    expect(value).toStrictEqual(JSON.parse(text));
    expect(isDeepStrictEqual(value, JSON.parse(text))).toBe(true);
    expectPlainValues(value);
  });

  test("numbers are the exact same JavaScript numbers, -0 and Infinity included", () => {
    const value = parseStrictJson(corpus.numbers).value as number[];
    const expected = JSON.parse(corpus.numbers) as number[];
    expect(value).toHaveLength(expected.length);
    value.forEach((n, i) => expect(Object.is(n, expected[i])).toBe(true));
    expect(Object.is(value[0], -0)).toBe(true);
    expect(value[5]).toBe(Infinity);
    expect(value[6]).toBe(-Infinity);
  });

  test("strings are the exact same code units, surrogates included", () => {
    expect(parseStrictJson('"\\ud83d\\ude00"').value).toBe("😀");
    expect(parseStrictJson('"\\ud800"').value).toBe("\ud800");
    expect(parseStrictJson(corpus["every escape"]).value).toBe('" \\ / \b \f \n \r \t \u0000 \u001f \u001f \u007f " \\');
  });

  test("keys keep JavaScript's own order, as with JSON.parse", () => {
    const text = corpus["integer-like keys, whose order JavaScript changes"];
    expect(Object.keys(parseStrictJson(text).value as object)).toEqual(Object.keys(JSON.parse(text)));
  });

  test("the real configuration files fit well within the depth limit", () => {
    for (const file of ["default.json", "local.json"]) {
      const depth = depthOf(JSON.parse(fs.readFileSync(path.join(REPO, "config", file), "utf8")));
      expect(depth).toBeGreaterThan(2);
      expect(depth * 4).toBeLessThanOrEqual(MAX_JSON_DEPTH);
    }
  });

  test("300 random documents (seeded) read as JSON.parse reads them", () => {
    const next = random(20240601);
    for (let i = 0; i < 300; i++) {
      const text = randomDocument(next);
      const { value, problems } = parseStrictJson(text);
      if (!isDeepStrictEqual(value, JSON.parse(text)) || problems.length > 0) throw new Error(`differs from JSON.parse: ${JSON.stringify(text)}`);
    }
  });

  test("a 2 MB document of 5,000 functions reads as JSON.parse reads it", () => {
    const functions = Array.from({ length: 5000 }, (_, i) => ({
      name: `function-${i}`,
      codeDirectory: `../functions/function-${i}`,
      memorySize: 128 + i,
      timeoutSeconds: i / 7,
      accounts: ["staging", "production"],
      environment: { TABLE: `table-${i}`, GREETING: "grüß dich\n\t😀", EMPTY: "" },
      encryptedEnvironment: { DB_URL: "AQICAHh".repeat(20) },
    }));
    const text = JSON.stringify({ project: "payments", functions }, null, 2);
    expect(text.length).toBeGreaterThan(2_000_000);
    const { value, problems } = parseStrictJson(text);
    expect(problems).toEqual([]);
    expect(isDeepStrictEqual(value, JSON.parse(text))).toBe(true);
  });
});

describe("syntax errors say where, never what", () => {
  test("a missing comma on line 3: line, column and reason, without the secret before it", () => {
    const text = `{\n  "user": "admin",\n  "password": "${SECRET}" "next": 1\n}\n`;
    const error = syntaxError(text);
    // Line 3 is `  "password": "hunter2-SECRET" "next": 1`; `"next"` starts at column 32.
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("JsonSyntaxError");
    expect([error.line, error.column]).toEqual([3, 32]);
    expect(error.reason).toBe("expected ',' or '}' after a value");
    expect(error.message).toBe("is not valid JSON: expected ',' or '}' after a value at line 3, column 32");
  });

  test("an unquoted secret is not echoed, where JSON.parse quotes the text around it", () => {
    const text = `{\n  "password": ${SECRET}\n}`;
    expect(() => JSON.parse(text)).toThrow(/hunter2/);
    const error = syntaxError(text);
    expect(error.message).toBe("is not valid JSON: unknown word; a value is an object, array, string in double quotes, number, true, false or null at line 2, column 15");
  });

  // [name, text, line, column, words the reason contains]
  const cases: [string, string, number, number, string][] = [
    ["missing comma after a secret", `{"a": "${SECRET}" "b": 1}`, 1, 24, "expected ',' or '}' after a value"],
    ["missing comma in an array", `["${SECRET}" "x"]`, 1, 19, "expected ',' or ']' after a value"],
    ["unterminated string", `{"token": "${SECRET}`, 1, 11, "unterminated string"],
    ["file ends inside an escape", `{"token": "${SECRET}\\`, 1, 26, "unterminated string"],
    ["raw line break inside a string", `{"token": "hunter2\n${SECRET}"}`, 1, 19, "a raw control character inside a string; write it as an escape such as \\n"],
    ["raw tab inside a string", `{\n"token": "${SECRET}\thunter2"}`, 2, 25, "raw control character"],
    ["invalid escape", `{"token": "hunter2\\q${SECRET}"}`, 1, 19, "invalid escape"],
    ["invalid \\u escape", `{"token": "hunter2\\u12G4${SECRET}"}`, 1, 19, "invalid escape"],
    ["short \\u escape at the end", `{"token": "hunter2\\u12`, 1, 19, "invalid escape"],
    ["leading zero", `{"pin": 0123, "s": "${SECRET}"}`, 1, 9, "invalid number"],
    ["minus without digits", `{"pin": -hunter2}`, 1, 9, "invalid number"],
    ["dot without digits", `{"pin": 1., "s": "${SECRET}"}`, 1, 9, "invalid number"],
    ["exponent without digits", `{"pin": 1e+, "s": "${SECRET}"}`, 1, 9, "invalid number"],
    ["leading plus", `{"pin": +1}`, 1, 9, "invalid number"],
    ["leading dot", `{"pin": .5}`, 1, 9, "invalid number"],
    ["NaN", `[NaN, "${SECRET}"]`, 1, 2, "unknown word"],
    ["-Infinity", `[-Infinity]`, 1, 2, "invalid number"],
    ["unquoted secret as a value", `{"password": hunter2}`, 1, 14, "unknown word"],
    ["misspelt literal", `{"enabled": True}`, 1, 13, "unknown word"],
    ["literal run into a word", `{"enabled": nullhunter2}`, 1, 13, "unknown word"],
    ["unquoted key", `{hunter2: 1}`, 1, 2, "expected a key in double quotes"],
    ["single-quoted key", `{'hunter2': 1}`, 1, 2, "double quotes"],
    ["single-quoted value", `{"a": 'hunter2'}`, 1, 7, "double quotes"],
    ["missing colon", `{"hunter2" 1}`, 1, 12, "expected ':' after a key"],
    ["comment", `{"a": 1 // hunter2\n}`, 1, 9, "comment"],
    ["trailing comma in an array", `["${SECRET}",\n]`, 1, 18, "a comma after the last item"],
    ["trailing comma in an object", `{"a": "${SECRET}" ,  }`, 1, 24, "a comma after the last member"],
    ["empty file", "", 1, 1, "unexpected end of the file"],
    ["only whitespace", "  \n  ", 2, 3, "unexpected end of the file"],
    ["file ends after a key", `{"hunter2"`, 1, 11, "unexpected end of the file"],
    ["file ends after a colon", `{"a":\n`, 2, 1, "unexpected end of the file"],
    ["file ends in an array", `{"a": ["${SECRET}"`, 1, 24, "unexpected end of the file"],
    ["file ends after a comma", `{"a": 1,`, 1, 9, "unexpected end of the file"],
    ["text after the value", `{"a": 1}\n${SECRET}`, 2, 1, "unexpected text after the value"],
    ["two values", `{} {"a": "${SECRET}"}`, 1, 4, "unexpected text after the value"],
    ["no-break space is not JSON whitespace", `{"a":\u00a0"${SECRET}"}`, 1, 6, "expected a value"],
    ["line separator is not JSON whitespace", `{"a": 1\u2028}`, 1, 8, "expected ',' or '}'"],
    ["form feed is not JSON whitespace", `{"a": 1\f}`, 1, 8, "expected ',' or '}'"],
    ["a byte order mark after the start", `{"a":\ufeff"${SECRET}"}`, 1, 6, "expected a value"],
    ["CR LF line breaks count once", `{\r\n"a": "${SECRET}"\r\n"b": 2}`, 3, 1, "expected ',' or '}'"],
    ["a lone CR is a line break", `{\r"a": "${SECRET}"\r"b": 2}`, 3, 1, "expected ',' or '}'"],
    ["column counts UTF-16 code units", `["😀" "${SECRET}"]`, 1, 7, "expected ',' or ']'"],
    ["column after a byte order mark does not count it", `\ufeff{"a" "${SECRET}"}`, 1, 6, "expected ':' after a key"],
  ];

  test.each(cases)("%s", (_name, text, line, column, words) => {
    const error = syntaxError(text);
    expect({ line: error.line, column: error.column }).toEqual({ line, column });
    expect(error.reason).toContain(words);
    expect(error.message).toBe(`is not valid JSON: ${error.reason} at line ${line}, column ${column}`);
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("SECRET");
  });

  // Characters that appear in no reason: if one shows up in a message, it was copied from the input.
  const offending = ["§", "Ω", "@", "~", "%", "#", "😀", "|", "^", "=", "<", ">", "?", "&", "*", "`", "\u0007", "\u00a0", "\u200b", "\ufeff"];

  test.each(offending.map((c) => [JSON.stringify(c), c]))("the offending character %s is not echoed", (_name, c) => {
    for (const text of [`{"a": 1 ${c}}`, `[${c}]`, `{"a" ${c} 1}`, `{${c}: 1}`, `{"a": 1}${c}`, `[1${c}]`, `"a${c === "\u0007" ? c : "\\" + c}"`]) {
      const error = syntaxError(text);
      expect(error.message).not.toContain(c);
    }
  });

  test("every raw control character inside a string is refused; DEL is allowed, as JSON.parse allows it", () => {
    for (let code = 0; code < 0x20; code++) {
      const error = syntaxError(`{"k": "ab${String.fromCharCode(code)}cd"}`);
      expect([error.line, error.column, error.reason]).toEqual([1, 10, "a raw control character inside a string; write it as an escape such as \\n"]);
    }
    expect(parseStrictJson('"a\u007fb"').value).toBe("a\u007fb");
  });

  test("raw control characters are refused in keys too", () => {
    expect(syntaxError('{"a\tb": 1}').reason).toContain("raw control character");
  });
});

describe("byte order mark", () => {
  test("a leading byte order mark is accepted and skipped", () => {
    const text = fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8");
    expect(() => JSON.parse(`\ufeff${text}`)).toThrow();
    expect(parseStrictJson(`\ufeff${text}`)).toEqual({ value: JSON.parse(text), problems: [] });
    expect(parseStrictJson('\ufeff \n {"a": 1}').value).toEqual({ a: 1 });
    expect(parseStrictJson("\ufeff[]").value).toEqual([]);
  });

  test("a byte order mark alone is an empty file, and a second one is refused", () => {
    expect(syntaxError("\ufeff").reason).toContain("unexpected end of the file");
    expect([syntaxError("\ufeff\ufeff{}").column]).toEqual([1]);
  });
});

describe("duplicate keys", () => {
  const text = [
    "{", // 1
    '  "accounts": [', // 2
    "    {", // 3
    '      "name": "staging",', // 4
    '      "regions": ["eu-west-1"],', // 5
    '      "accountId": "111111111111",', // 6
    '      "regions": ["us-east-1"]', // 7
    "    }", // 8
    "  ],", // 9
    '  "functions": [{ "name": "a", "environment": { "DB_URL": "first", "DB_URL": "second" } }],', // 10
    '  "project": "p",', // 11
    '  "project": "q",', // 12
    '  "tail": true', // 13
    "}", // 14
  ].join("\n");

  test("are reported at their path with both lines, at every level, and parsing goes on", () => {
    const { value, problems } = parseStrictJson(text);
    expect(problems).toEqual<JsonKeyProblem[]>([
      { path: "accounts[0].regions", message: "is given twice in the same object (lines 5 and 7); a JSON reader keeps only one of them, so remove one" },
      { path: "functions[0].environment.DB_URL", message: "is given twice in the same object (both on line 10); a JSON reader keeps only one of them, so remove one" },
      { path: "project", message: "is given twice in the same object (lines 11 and 12); a JSON reader keeps only one of them, so remove one" },
    ]);
    // The first value is kept; members after a duplicate are read as usual.
    expect(value).toEqual({
      accounts: [{ name: "staging", regions: ["eu-west-1"], accountId: "111111111111" }],
      functions: [{ name: "a", environment: { DB_URL: "first" } }],
      project: "p",
      tail: true,
    });
  });

  test("a key given three times is reported twice, each time against the first", () => {
    const { value, problems } = parseStrictJson('{\n"a": 1,\n"a": 2,\n"a": 3\n}');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "a: is given twice in the same object (lines 2 and 3); a JSON reader keeps only one of them, so remove one",
      "a: is given twice in the same object (lines 2 and 4); a JSON reader keeps only one of them, so remove one",
    ]);
    expect(value).toEqual({ a: 1 });
  });

  test("lines are counted the same with CR LF and lone CR line breaks", () => {
    for (const eol of ["\r\n", "\r"]) {
      const { problems } = parseStrictJson(["{", '  "a": 1,', "", '  "a": 2', "}"].join(eol));
      expect(problems.map((p) => p.message)).toEqual(["is given twice in the same object (lines 2 and 4); a JSON reader keeps only one of them, so remove one"]);
    }
  });

  test("keys are compared after escapes are decoded, as JSON.parse compares them", () => {
    const { value, problems } = parseStrictJson('{"a": 1, "\\u0061": 2}');
    expect(problems.map((p) => p.path)).toEqual(["a"]);
    expect(value).toEqual({ a: 1 });
  });

  test("the same key in different objects is no duplicate", () => {
    const text = '{"a": {"name": 1}, "b": {"name": 2}, "c": [{"name": 3}, {"name": 4}]}';
    expect(parseStrictJson(text)).toEqual({ value: JSON.parse(text), problems: [] });
  });

  test("problems inside a dropped duplicate value are still reported", () => {
    const { problems } = parseStrictJson('{"a": {}, "a": {"b": 1, "b": 2}}');
    expect(problems.map((p) => p.path)).toEqual(["a", "a.b"]);
  });

  test("a syntax error inside a dropped duplicate value still throws", () => {
    expect(syntaxError('{"a": 1, "a": [1 2]}').column).toBe(18);
  });

  test("paths inside a document that is an array start at the index", () => {
    expect(parseStrictJson('[{"x": [{"a": 1, "a": 1}]}]').problems.map((p) => p.path)).toEqual(["[0].x[0].a"]);
  });
});

describe("prototype keys", () => {
  const MESSAGE = "is not allowed as a key: JavaScript gives it a special meaning; rename it";

  afterEach(() => {
    // Belt and braces: a pollution in one test must not leak into the others.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  test("__proto__, constructor and prototype are reported and left out of the value", () => {
    const text = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": 1, "ok": 1}';
    const { value, problems } = parseStrictJson(text);
    expect(problems).toEqual([
      { path: "__proto__", message: MESSAGE },
      { path: "constructor", message: MESSAGE },
      { path: "constructor.prototype", message: MESSAGE },
      { path: "prototype", message: MESSAGE },
    ]);
    expect(Object.keys(value as object)).toEqual(["ok"]);
    expect(Object.getOwnPropertyNames(value)).toEqual(["ok"]);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { constructor: unknown }).constructor).toBe(Object);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((value as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("nested and escaped spellings are refused too, and copying the value pollutes nothing", () => {
    const text = '{"functions": [{"environment": {"__proto__": {"polluted": "yes"}, "\\u005f_proto__": {"polluted": "yes"}, "DB_URL": "x"}}]}';
    const { value, problems } = parseStrictJson(text);
    expect(problems).toEqual([
      { path: "functions[0].environment.__proto__", message: MESSAGE },
      { path: "functions[0].environment.__proto__", message: MESSAGE },
    ]);
    const environment = (value as { functions: { environment: Record<string, unknown> }[] }).functions[0].environment;
    expect(Object.getPrototypeOf(environment)).toBe(Object.prototype);
    expect(Object.keys(environment)).toEqual(["DB_URL"]);
    expect(environment.polluted).toBeUndefined();
    // What the validator and the stacks do with such values: copy and merge them.
    const merged = { ...environment, ...Object.assign({}, environment) };
    expect(merged.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectPlainValues(value);
  });

  test("JSON.parse, by contrast, keeps __proto__ as an own key", () => {
    // This is the difference the strict reader removes; if JSON.parse ever changes, this test says so.
    expect(Object.keys(JSON.parse('{"__proto__": {"polluted": true}}'))).toEqual(["__proto__"]);
  });

  test("prototype keys at the root are reported by their bare name", () => {
    expect(parseStrictJson('{"prototype": 1}')).toEqual({ value: {}, problems: [{ path: "prototype", message: MESSAGE }] });
  });
});

describe("nesting depth", () => {
  const arrays = (n: number): string => "[".repeat(n) + "]".repeat(n);
  const objects = (n: number): string => '{"a":'.repeat(n - 1) + "{}" + "}".repeat(n - 1);

  test(`depth ${MAX_JSON_DEPTH} is accepted`, () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    expect(parseStrictJson(arrays(MAX_JSON_DEPTH)).value).toEqual(JSON.parse(arrays(MAX_JSON_DEPTH)));
    expect(parseStrictJson(objects(MAX_JSON_DEPTH)).value).toEqual(JSON.parse(objects(MAX_JSON_DEPTH)));
    expect(depthOf(parseStrictJson(objects(MAX_JSON_DEPTH)).value)).toBe(MAX_JSON_DEPTH);
  });

  test(`depth ${MAX_JSON_DEPTH + 1} is refused where the limit is crossed`, () => {
    const array = syntaxError(arrays(MAX_JSON_DEPTH + 1));
    expect([array.line, array.column, array.reason]).toEqual([1, MAX_JSON_DEPTH + 1, `nesting deeper than ${MAX_JSON_DEPTH} levels`]);
    // `{"a":` is 5 characters; the 33rd object opens after 32 of them.
    const object = syntaxError(objects(MAX_JSON_DEPTH + 1));
    expect([object.line, object.column, object.reason]).toEqual([1, 5 * MAX_JSON_DEPTH + 1, `nesting deeper than ${MAX_JSON_DEPTH} levels`]);
  });

  test("depth is counted through arrays and objects alike, across lines", () => {
    const text = JSON.stringify(
      Array.from({ length: MAX_JSON_DEPTH }).reduce<unknown>((inner, _, i) => (i % 2 ? [inner] : { k: inner }), 1),
      null,
      1,
    );
    expect(parseStrictJson(text).value).toEqual(JSON.parse(text));
    const error = syntaxError(`[\n${text}\n]`);
    expect(error.reason).toBe(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    expect(error.line).toBe(MAX_JSON_DEPTH + 1);
  });

  test("1,000,000 opening brackets or braces end in a JsonSyntaxError, not a stack overflow", () => {
    for (const text of ["[".repeat(1_000_000), '{"a":'.repeat(1_000_000), arrays(1_000_000)]) {
      let thrown: unknown;
      try {
        parseStrictJson(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(JsonSyntaxError);
      expect((thrown as JsonSyntaxError).reason).toBe(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    }
  });
});

describe("spans (where each value is, for editing a file in place)", () => {
  test("give each value's exact text by its keys and indexes, and nothing without the option", () => {
    const text = '{\n  "accounts": [ { "name": "prod", "keyGeneration": 2 } ],\n  "v": { "a.b": "x\\"y" }\n}\n';
    const { spans } = parseStrictJson(text, { spans: true });
    const at = (...segments: (string | number)[]) => {
      const span = spans!.get(jsonSpanKey(segments))!;
      return text.slice(span.start, span.end);
    };
    expect(at("accounts", 0, "keyGeneration")).toBe("2");
    expect(at("accounts", 0)).toBe('{ "name": "prod", "keyGeneration": 2 }');
    expect(at("v", "a.b")).toBe('"x\\"y"');
    expect(at()).toBe(text.trim());
    expect(parseStrictJson(text).spans).toBeUndefined();
  });
});
