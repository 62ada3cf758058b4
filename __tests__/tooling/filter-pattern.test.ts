/**
 * The test-only filter-pattern evaluator (__tests__/support/filter-pattern.ts)
 * against the examples of AWS's documentation of JSON filter patterns:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 *
 * Each case names its example. "current page" is the page as published now
 * ("Using filter patterns to match terms in JSON log events", regex syntax
 * section); "metric filters page" is FilterAndPatternSyntaxForMetricFilters.html;
 * "2020 revision" / "2022 revision" are earlier revisions of the same page, whose
 * examples and rules were since dropped, in github.com/awsdocs/amazon-cloudwatch-logs-user-guide
 * (doc_source/FilterAndPatternSyntax.md at commits 5ae5c9aeccbdc909d7549b9260291ce7ed2a92f3
 * and 5bd7d2470d67c936128b739e8a4aaa85c3eb8b7b).
 */
import { matchesFilterPattern, parseFilterPattern } from "../support/filter-pattern";

/** Current page, "JSON log event". */
const JSON_EVENT = {
  eventType: "UpdateTrail",
  sourceIPAddress: "111.111.111.111",
  arrayKey: ["value", "another value"],
  objectList: [
    { name: "a", id: 1 },
    { name: "b", id: 2 },
  ],
  SomeObject: null,
  "cluster.name": "c",
};

/** 2020 revision, "JSON Metric Filter Examples". */
const JSON_EVENT_2020 = {
  eventType: "UpdateTrail",
  sourceIPAddress: "111.111.111.111",
  arrayKey: ["value", "another value"],
  objectList: [
    { name: "a", id: 1 },
    { name: "b", id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
};

/** Current page, "JSON object" of the compound expressions. */
const COMPOUND_EVENT = {
  user: { id: 1, email: "John.Stiles@example.com" },
  users: [
    { id: 2, email: "John.Doe@example.com" },
    { id: 3, email: "Jane.Doe@example.com" },
  ],
  actions: ["GET", "PUT", "DELETE"],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
};

/** Metric filters page, "Publishing dimensions … from JSON log events": the JSON log event. */
const DIMENSION_EVENT = {
  eventType: "UpdateTrail",
  sourceIPAddress: "111.111.111.111",
  arrayKey: ["value", "another value"],
  objectList: [
    { name: "a", id: 1 },
    { name: "b", id: 2 },
  ],
};

interface Case {
  example: string;
  pattern: string;
  event: unknown;
  matches: boolean;
}

const documentedResults: Case[] = [
  // Current page, examples on JSON_EVENT.
  { example: "current page: matches string values", pattern: '{ $.eventType = "UpdateTrail" }', event: JSON_EVENT, matches: true },
  { example: "current page: matches string values (IP address)", pattern: "{ $.sourceIPAddress != 123.123.* }", event: JSON_EVENT, matches: true },
  { example: "current page: matches a specific array element", pattern: '{ $.arrayKey[0] = "value" }', event: JSON_EVENT, matches: true },
  { example: "current page: matches a string using regex", pattern: "{ $.eventType = %Trail% }", event: JSON_EVENT, matches: true },
  { example: "current page: wildcard over any element of the array, with regex", pattern: "{ $.arrayKey[*] = %val.{2}% }", event: JSON_EVENT, matches: true },
  { example: "current page: wildcard over any field, regex for an IP prefix", pattern: "{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }", event: JSON_EVENT, matches: true },
  { example: "current page: property with a period in the key", pattern: "{ $.['cluster.name'] = \"c\" }", event: JSON_EVENT, matches: true },
  { example: "current page: IS NULL", pattern: "{ $.SomeObject IS NULL }", event: JSON_EVENT, matches: true },
  { example: "current page: NOT EXISTS", pattern: "{ $.SomeOtherObject NOT EXISTS }", event: JSON_EVENT, matches: true },

  // Current page, compound expressions on COMPOUND_EVENT.
  {
    example: "current page: expression that matches using AND",
    pattern: '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
    event: COMPOUND_EVENT,
    matches: true,
  },
  {
    example: "current page: expression that matches using OR",
    pattern: '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
    event: COMPOUND_EVENT,
    matches: true,
  },
  {
    example: "current page: expression that doesn't match using AND",
    pattern: '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
    event: COMPOUND_EVENT,
    matches: false,
  },
  {
    example: "current page: expression that doesn't match using OR",
    pattern: '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }',
    event: COMPOUND_EVENT,
    matches: false,
  },
  // The 2020 revision wrote the same four with unquoted "nonmatch"/"nomatch".
  {
    example: "2020 revision: OR example, unquoted",
    pattern: '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
    event: COMPOUND_EVENT,
    matches: true,
  },
  {
    example: "2020 revision: AND example, unquoted",
    pattern: '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
    event: COMPOUND_EVENT,
    matches: false,
  },

  // Metric filters page.
  { example: "metric filters page: dimensions example", pattern: '{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', event: DIMENSION_EVENT, matches: true },
  { example: "metric filters page: metric value from the event", pattern: "{ $.latency = * }", event: { latency: 50, requestType: "GET" }, matches: true },

  // 2020 revision, "The following filters would match" on JSON_EVENT_2020.
  { example: "2020 revision: event type is UpdateTrail", pattern: '{ $.eventType = "UpdateTrail" }', event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: IP outside the 123.123 prefix", pattern: "{ $.sourceIPAddress != 123.123.* }", event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: first entry of arrayKey", pattern: '{ $.arrayKey[0] = "value" }', event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: id of the second entry of objectList", pattern: "{ $.objectList[1].id = 2 }", event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: SomeObject IS NULL", pattern: "{ $.SomeObject IS NULL }", event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: SomeOtherObject NOT EXISTS", pattern: "{ $.SomeOtherObject NOT EXISTS }", event: JSON_EVENT_2020, matches: true },
  { example: "2020 revision: ThisFlag IS TRUE", pattern: "{ $.ThisFlag IS TRUE }", event: JSON_EVENT_2020, matches: true },

  // 2020 revision, the rules stated next to those examples.
  { example: '2020 revision: "If arrayKey is not an array this will be false"', pattern: '{ $.arrayKey[0] = "value" }', event: { arrayKey: "value" }, matches: false },
  {
    example: '2020 revision: "If objectList is not an array this will be false"',
    pattern: "{ $.objectList[1].id = 2 }",
    event: { objectList: { "1": { id: 2 } } },
    matches: false,
  },
  {
    example: '2020 revision: "If the items in objectList are not objects … this will be false"',
    pattern: "{ $.objectList[1].id = 2 }",
    event: { objectList: [{ id: 1 }, 2] },
    matches: false,
  },
  {
    example: '2020 revision: "… or do not have an id property, this will be false"',
    pattern: "{ $.objectList[1].id = 2 }",
    event: { objectList: [{ name: "a" }, { name: "b" }] },
    matches: false,
  },
  {
    example: '2020 revision: IS NULL "will only be true is the specified object is set to null" (a string)',
    pattern: "{ $.eventType IS NULL }",
    event: JSON_EVENT_2020,
    matches: false,
  },
  { example: "2020 revision: IS NULL … (an absent field)", pattern: "{ $.SomeOtherObject IS NULL }", event: JSON_EVENT_2020, matches: false },
  {
    example: '2020 revision: NOT EXISTS "will only be true if specified object does not exist" (null exists)',
    pattern: "{ $.SomeObject NOT EXISTS }",
    event: JSON_EVENT_2020,
    matches: false,
  },
  { example: "2020 revision: NOT EXISTS … (a present string)", pattern: "{ $.eventType NOT EXISTS }", event: JSON_EVENT_2020, matches: false },
  { example: '2020 revision: IS TRUE "also works … for FALSE" (flag is true)', pattern: "{ $.ThisFlag IS FALSE }", event: JSON_EVENT_2020, matches: false },
  { example: '2020 revision: IS TRUE "also works … for FALSE" (flag is false)', pattern: "{ $.ThisFlag IS FALSE }", event: { ThisFlag: false }, matches: true },
  { example: "2020 revision: IS TRUE on a false flag", pattern: "{ $.ThisFlag IS TRUE }", event: { ThisFlag: false }, matches: false },
  { example: '2020 revision: "both {$.users = 1} and {$.users != 1} will fail to match" an array', pattern: "{$.users = 1}", event: { users: [1, 2, 3] }, matches: false },
  { example: "2020 revision: … and {$.users != 1}", pattern: "{$.users != 1}", event: { users: [1, 2, 3] }, matches: false },

  // 2020 revision, "OR Pattern Matching" in JSON filters: patterns 1 {"foo": "bar"} and 2 {"foo": "baz"}.
  { example: "2020 revision: {$.foo = bar} matches pattern 1", pattern: "{$.foo = bar}", event: { foo: "bar" }, matches: true },
  { example: "2020 revision: {$.foo = bar} (not pattern 2)", pattern: "{$.foo = bar}", event: { foo: "baz" }, matches: false },
  { example: "2020 revision: {$.foo = baz } matches pattern 2", pattern: "{$.foo = baz }", event: { foo: "baz" }, matches: true },
  { example: "2020 revision: {$.foo = baz } (not pattern 1)", pattern: "{$.foo = baz }", event: { foo: "bar" }, matches: false },
  { example: "2020 revision: {$.foo = bar || $.foo = baz } matches pattern 1", pattern: "{$.foo = bar || $.foo = baz }", event: { foo: "bar" }, matches: true },
  { example: "2020 revision: {$.foo = bar || $.foo = baz } matches pattern 2", pattern: "{$.foo = bar || $.foo = baz }", event: { foo: "baz" }, matches: true },

  // 2020 revision, STRING: "*Event will match PutEvent and GetEvent. Event* will match EventId and
  // EventName. Ev*ent will only match the actual string Ev*ent." (each string in a one-field event).
  { example: "2020 revision: *Event matches PutEvent", pattern: "{ $.name = *Event }", event: { name: "PutEvent" }, matches: true },
  { example: "2020 revision: *Event matches GetEvent", pattern: "{ $.name = *Event }", event: { name: "GetEvent" }, matches: true },
  { example: "2020 revision: Event* matches EventId", pattern: "{ $.name = Event* }", event: { name: "EventId" }, matches: true },
  { example: "2020 revision: Event* matches EventName", pattern: "{ $.name = Event* }", event: { name: "EventName" }, matches: true },
  { example: "2020 revision: Ev*ent matches the string Ev*ent", pattern: "{ $.name = Ev*ent }", event: { name: "Ev*ent" }, matches: true },
  { example: "2020 revision: Ev*ent matches only that string (not Event)", pattern: "{ $.name = Ev*ent }", event: { name: "Event" }, matches: false },
  { example: "2020 revision: Ev*ent matches only that string (not EvXent)", pattern: "{ $.name = Ev*ent }", event: { name: "EvXent" }, matches: false },
  { example: "2020 revision: *Event (not EventId)", pattern: "{ $.name = *Event }", event: { name: "EventId" }, matches: false },
  { example: "2020 revision: Event* (not PutEvent)", pattern: "{ $.name = Event* }", event: { name: "PutEvent" }, matches: false },
];

/**
 * Current page, "Supported regular expressions (regex) syntax": each operator's
 * documented example, used inside a JSON pattern ("You can use any conditional
 * regular expression when creating filter patterns to match terms in JSON log
 * events"), on a one-field event holding the documented string.
 */
const regexResults: Array<[example: string, regex: string, text: string, matches: boolean]> = [
  ['^: %^[hc]at% matches "hat" at the beginning', "%^[hc]at%", "hat trick", true],
  ["^: … but only at the beginning", "%^[hc]at%", "that", false],
  ['$: %[hc]at$% matches "cat" at the end', "%[hc]at$%", "bobcat", true],
  ["$: … but only at the end", "%[hc]at$%", "cats", false],
  ['?: %colou?r% matches "color"', "%colou?r%", "color", true],
  ['?: %colou?r% matches "colour"', "%colou?r%", "colour", true],
  ['[]: %[abcx-z]% matches "y"', "%[abcx-z]%", "y", true],
  ["[]: %[abcx-z]% (not d)", "%[abcx-z]%", "d", false],
  ['{m,n}: %a{3,5}% matches "aaa"', "%a{3,5}%", "aaa", true],
  ["{m,n}: %a{3,5}% (not aa)", "%a{3,5}%", "aa", false],
  ['|: %gra|ey% matches "gray"', "%gra|ey%", "gray", true],
  ['|: %gra|ey% matches "grey"', "%gra|ey%", "grey", true],
  ['|: %^starting|^initializing|^shutting down% matches "shutting down"', "%^starting|^initializing|^shutting down%", "shutting down now", true],
  ['|: … "won\'t match skipping initializing ..."', "%^starting|^initializing|^shutting down%", "skipping initializing ...", false],
  ['\\: %\\[.\\]% matches "[a]"', "%\\[.\\]%", "[a]", true],
  ['*: %ab*c% matches "ac"', "%ab*c%", "ac", true],
  ['+: %ab+c% … "but not ac"', "%ab+c%", "ac", false],
  ['+: %ab+c% matches "abbc"', "%ab+c%", "abbc", true],
  ['.: %.at% matches "#at"', "%.at%", "#at", true],
  ['note: %10.10.0.1% "can match 10010,051"', "%10.10.0.1%", "10010,051", true],
  ["note: %10\\.10\\.0\\.1% is the correct way (not 10010,051)", "%10\\.10\\.0\\.1%", "10010,051", false],
  ["\\d: %\\d% matches a digit", "%\\d%", "a1", true],
  ["\\D: %\\D% (not all digits)", "%\\D%", "123", false],
  ['\\w: %\\w% … (not "-")', "%\\w%", "-", false],
  ['\\xhh: %\\x3A% matches ":"', "%\\x3A%", "a:b", true],
  ['%AUTHORIZED% matches "[ERROR 401] UNAUTHORIZED REQUEST"', "%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", true],
];

/** Example patterns the documentation shows without a log event: they must parse, to the operator and number shown. */
const numericExamples: Array<[example: string, pattern: string, operator: string, value: number]> = [
  ["current page: greater than", "{ $.bandwidth > 75 }", ">", 75],
  ["current page: less than", "{ $.latency < 50 }", "<", 50],
  ["current page: greater than or equal to", "{ $.refreshRate >= 60 }", ">=", 60],
  ["current page: less than or equal to", "{ $.responseTime <= 5 }", "<=", 5],
  ["current page: equal sign", "{ $.errorCode = 400}", "=", 400],
  ["current page: not equal sign", "{ $.errorCode != 500 }", "!=", 500],
  ["current page: scientific notation and plus symbol", "{ $.number[0] = 1e+3 }", "=", 1000],
  ["current page: scientific notation and minus symbol", "{ $.number[0] != 1e-3 }", "!=", 0.001],
  ["2022 revision: scientific notation and plus symbol", "{ $.number[0] = 1e-3 }", "=", 0.001],
  ["2022 revision: scientific notation and minus symbol", "{ $.number[0] != 1e+3 }", "!=", 1000],
  ["2020 revision: latency >= 500", "{ $.latency >= 500 }", ">=", 500],
  ["2020 revision: 10e3", "{ $.numbers[0] < 10e3 }", "<", 10000],
  ["2020 revision: 10e-3", "{ $.numbers[0] < 10e-3 }", "<", 0.01],
  ["2020 revision: decimal", "{ $.processes[4].averageRuntime <= 55.5 }", "<=", 55.5],
  ["2020 revision: plus sign", "{ $.latency > +1000 }", ">", 1000],
];

describe("documented examples: pattern, log event and documented result", () => {
  test.each(documentedResults)("$example", ({ pattern, event, matches }) => {
    expect(matchesFilterPattern(pattern, event)).toBe(matches);
  });

  test.each(regexResults)("regex %s", (_example, regex, text, matches) => {
    expect(matchesFilterPattern(`{ $.message = ${regex} }`, { message: text })).toBe(matches);
  });
});

describe("documented example patterns without an event", () => {
  test.each(numericExamples)("%s: %s", (_example, pattern, operator, value) => {
    const { expression } = parseFilterPattern(pattern);
    expect(expression).toMatchObject({ kind: "compare", operator, value: { kind: "number", value } });
  });

  // The doc defines the operators; the events here are built for the test, one on each side of the bound.
  test.each([
    ["{ $.bandwidth > 75 }", 76, 75],
    ["{ $.latency < 50 }", 49, 50],
    ["{ $.refreshRate >= 60 }", 60, 59],
    ["{ $.responseTime <= 5 }", 5, 6],
    ["{ $.errorCode = 400}", 400, 401],
    ["{ $.errorCode != 500 }", 404, 500],
    ["{ $.number[0] = 1e+3 }", 1000, 100],
    ["{ $.latency > +1000 }", 1001, 1000],
    ["{ $.numbers[0] < 10e-3 }", 0.001, 0.01],
  ])("%s holds for %p, not for %p", (pattern, holds, fails) => {
    const event = (n: number) => ({ bandwidth: n, latency: n, refreshRate: n, responseTime: n, errorCode: n, number: [n], numbers: [n] });
    expect(matchesFilterPattern(pattern, event(holds))).toBe(true);
    expect(matchesFilterPattern(pattern, event(fails))).toBe(false);
  });

  test.each([
    // CloudTrail user guide and Security Hub (CloudWatch controls) patterns: written without spaces, unquoted dotted strings.
    "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    "{ ($.eventName = RunInstances) && (($.requestParameters.instanceType = *.8xlarge) || ($.requestParameters.instanceType = *.4xlarge)) }",
  ])("parses %s", (pattern) => {
    expect(() => parseFilterPattern(pattern)).not.toThrow();
  });
});

describe("spaces between tokens are optional", () => {
  test.each(['{$.eventType="UpdateTrail"}', "{$.eventType=UpdateTrail}", '{($.eventType=UpdateTrail)&&($.arrayKey[1]="another value")}', "{ ( $.objectList[1].id=2 ) }"])(
    "%s",
    (pattern) => {
      expect(matchesFilterPattern(pattern, JSON_EVENT)).toBe(true);
    },
  );
});

describe("syntax the documentation refuses", () => {
  test.each([
    ['"The variables IS NOT and EXISTS currently aren\'t supported" (IS NOT)', "{ $.SomeObject IS NOT NULL }", /IS NOT/],
    ["… (EXISTS)", "{ $.SomeOtherObject EXISTS }", /EXISTS/],
    ['regex: "%something!% would be rejected since ! is not supported"', "{ $.eventType = %something!% }", /regular expression/],
    ['regex: "The ( and ) operators are not supported"', "{ $.eventType = %(Update)Trail% }", /\( and \)/],
    ['quota: "up to one wildcard selector in a property selector"', "{ $.objectList[*].ids[*] = 1 }", /wildcard/],
    ['quota: "up to three wildcard selectors in a filter pattern"', "{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d[*] = 1 }", /wildcard/],
    ['quota: "a limit of 2 regex for each filter pattern"', "{ $.a = %x% || $.b = %y% || $.c = %z% }", /regular expressions/],
    ['numeric operators take a Number: "{ PropertySelector NumericOperator Number }"', "{ $.eventType > UpdateTrail }", /numbers only/],
  ])("%s", (_rule, pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});

describe("syntax errors and syntax this evaluator does not support", () => {
  test.each([
    ["no braces", '$.eventType = "UpdateTrail"', /only JSON filter patterns/],
    ["a term pattern", "ERROR", /only JSON filter patterns/],
    ["a space-delimited pattern", "[w1=ERROR, w2]", /only JSON filter patterns/],
    ["empty braces", "{ }", /property selector/],
    ["missing value", "{ $.eventType = }", /expected a value/],
    ["missing closing brace", '{ $.eventType = "UpdateTrail" ', /expected '\}'/],
    ["unbalanced parenthesis", '{ ($.eventType = "UpdateTrail" }', /expected '\)'/],
    ["==", '{ $.eventType == "UpdateTrail" }', /not an operator/],
    ["selector without $.", '{ eventType = "UpdateTrail" }', /property selector/],
    ["selector $x", "{ $eventType = UpdateTrail }", /starts with "\$\."/],
    ["single &", '{ $.eventType = "a" & $.b = c }', /expected '\}'/],
    ["dangling &&", '{ $.eventType = "a" && }', /property selector/],
    ["unquoted value with ':'", "{ $.userIdentity.arn = arn:aws:iam::111122223333:root }", /quote it/],
    ["unterminated string", '{ $.eventType = "UpdateTrail }', /unterminated/],
    ["escape in a string", '{ $.eventType = "a\\"b" }', /escape/],
    ["text after the closing brace", "{ $.a = 1 } x", /after the closing/],
    ["lower-case keyword", "{ $.ThisFlag IS true }", /TRUE, FALSE or NULL/],
    ["unknown keyword", "{ $.a LIKE b }", /unknown keyword/],
    ["IS with a wildcard selector (undocumented)", "{ $.arrayKey[*] IS NULL }", /wildcard/],
    ["!= with a wildcard selector (undocumented)", '{ $.arrayKey[*] != "value" }', /wildcard/],
    ["longer than CloudWatch's 1,024 characters", `{ ${Array.from({ length: 100 }, (_, i) => `$.f${i} = "x"`).join(" || ")} }`, /1024/],
  ])("%s", (_what, pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});

describe("results the documentation does not determine throw, unless the pattern does not depend on them", () => {
  test.each([
    ["!= on an absent field", '{ $.SomeOtherObject != "x" }', JSON_EVENT],
    ["a number compared with a quoted string", '{ $.objectList[0].id = "1" }', JSON_EVENT],
    ["a string compared with a number", "{ $.eventType = 1 }", JSON_EVENT],
    ["a numeric comparison on a string", "{ $.sourceIPAddress > 100 }", JSON_EVENT],
    ["= on null", '{ $.SomeObject = "*" }', JSON_EVENT],
    ["= on a boolean", "{ $.ThisFlag = true }", JSON_EVENT_2020],
    ["a wildcard over nested objects", "{ $.objectList[*] = a }", JSON_EVENT],
  ])("%s", (_what, pattern, event) => {
    expect(() => matchesFilterPattern(pattern, event)).toThrow(/does not state/);
  });

  test("NOT EXISTS guards a != on a field that may be absent", () => {
    const pattern = '{ ($.SomeOtherObject NOT EXISTS) || ($.SomeOtherObject != "x") }';
    expect(matchesFilterPattern(pattern, JSON_EVENT)).toBe(true);
    expect(matchesFilterPattern(pattern, { SomeOtherObject: "x" })).toBe(false);
    expect(matchesFilterPattern(pattern, { SomeOtherObject: "y" })).toBe(true);
  });

  test("a false operand of && settles the result", () => {
    expect(matchesFilterPattern('{ $.eventType = "Nope" && $.SomeOtherObject != "x" }', JSON_EVENT)).toBe(false);
    expect(() => matchesFilterPattern('{ $.eventType = "UpdateTrail" && $.SomeOtherObject != "x" }', JSON_EVENT)).toThrow(/does not state/);
  });

  test("= on an absent field is false, as are numeric comparisons", () => {
    expect(matchesFilterPattern('{ $.SomeOtherObject = "*" }', JSON_EVENT)).toBe(false);
    expect(matchesFilterPattern("{ $.SomeOtherObject > 1 }", JSON_EVENT)).toBe(false);
  });
});
