// MESH0308 UnsupportedRegexSyntax and MESH0309 InvalidRegex, plus the RE2 scanner on its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRe2 } from "../../src/analysis/re2-syntax.js";
import { at, mesh, messageOf, route, service, table } from "./ir-fixtures.js";

const VALID_RE2 = [
  "/api/v[0-9]+/.*",
  "^/users/\\d+$",
  "(?i)/Admin/.*",
  "(?i:abc)|(?s:x.y)",
  "(?P<id>[a-z]+)-(?<rev>\\d+)",
  "\\Qa.b*c\\E+",
  "\\A/health\\z",
  "[[:alpha:]][[:^digit:]]*",
  "\\pL\\p{Greek}\\PN\\P{^Latin}",
  "\\x41\\x{FF}\\012\\0",
  "[\\d-z]",
  "[]a]",
  "a{2}b{1,}c{0,1000}",
  "x{,3}",
  "a{",
  "\\C",
  "\\.\\-\\/\\#",
  "a*?b+?c??",
  "[^/]+\\b",
  "caf\u00e9|[\u0100-\u017f]",
];

test("RE2 scanner accepts RE2 syntax", () => {
  for (const p of VALID_RE2) assert.equal(checkRe2(p), undefined, p);
});

const UNSUPPORTED: [string, RegExp, number][] = [
  ["/api/(?=v2)", /lookahead/, 5],
  ["/api/(?!internal)", /negative lookahead/, 5],
  ["(?<=/api)/x", /lookbehind/, 0],
  ["(?<!a)b", /negative lookbehind/, 0],
  ["(a|b)\\1", /backreference \\1/, 5],
  ["(?<n>a)\\k<n>", /named backreference/, 7],
  ["(?P<n>a)(?P=n)", /named backreference/, 8],
  ["a*+", /possessive/, 1],
  ["a{2,3}+", /possessive/, 1],
  ["(?>abc)", /atomic group/, 0],
  ["/end\\Z", /\\Z/, 4],
  ["\\Gx", /\\G/, 0],
  ["a\\Kb", /\\K/, 1],
  ["\\R", /\\R/, 0],
  ["\\e", /escape \\e/, 0],
  ["\\cA", /control escape/, 0],
  ["(?x)a b", /flag "x"/, 0],
  ["(?#comment)a", /comment/, 0],
  ["(?(1)a|b)", /conditional/, 0],
  ["(?R)", /recursion/, 0],
  ["(*FAIL)", /PCRE verb/, 0],
  ["a{1001}", /over 1000/, 1],
  ["[\\b]", /backspace/, 1],
];

test("RE2 scanner reports unsupported constructs with their offset", () => {
  for (const [p, feature, offset] of UNSUPPORTED) {
    const r = checkRe2(p);
    assert.equal(r?.kind, "unsupported", p);
    assert.match(r.kind === "unsupported" ? r.feature : "", feature, p);
    assert.equal(r.offset, offset, p);
  }
});

const INVALID: [string, RegExp, number][] = [
  ["(abc", /missing closing "\)"/, 0],
  ["abc)", /unmatched/, 3],
  ["[abc", /missing closing "\]"/, 0],
  ["*a", /nothing to repeat/, 0],
  ["a|*", /nothing to repeat/, 2],
  ["a**", /applied to a repetition/, 2],
  ["[z-a]", /reversed/, 1],
  ["a{3,2}", /maximum below its minimum/, 1],
  ["abc\\", /trailing backslash/, 3],
  ["\\q", /unknown escape/, 0],
  ["[[:foo:]]", /unknown POSIX class/, 1],
  ["(?P<a>x)(?P<a>y)", /duplicate group name/, 8],
  ["(?i)*", /nothing to repeat/, 4],
  ["\\xZZ", /hex digits/, 0],
];

test("RE2 scanner reports malformed patterns with their offset", () => {
  for (const [p, reason, offset] of INVALID) {
    const r = checkRe2(p);
    assert.equal(r?.kind, "invalid", p);
    assert.match(r.kind === "invalid" ? r.reason : "", reason, p);
    assert.equal(r.offset, offset, p);
  }
});

test("every scanner verdict agrees with JavaScript where JavaScript has an opinion", () => {
  // Malformed patterns in the common dialect are rejected by JavaScript's parser too.
  for (const p of ["(abc", "abc)", "[abc", "*a", "a**", "[z-a]", "a{3,2}", "abc\\"]) {
    assert.throws(() => new RegExp(p), SyntaxError, p);
  }
});

const withRegex = (where: "path" | "header" | "query", regex: string, line = 6) =>
  mesh(
    service("api", {
      routes: [
        route("api-0", {
          source: at(line, 5),
          match:
            where === "path"
              ? { path: { regex } }
              : where === "header"
                ? { headers: [{ name: "x-user", match: { regex }, invert: false }] }
                : { query: [{ name: "q", match: { regex } }] },
        }),
      ],
    }),
  );

table(test, "MESH0308", [
  { name: "RE2 path regex", ir: withRegex("path", "/v[0-9]+/(?P<rest>.*)"), expect: [] },
  { name: "lookahead in a path regex", ir: withRegex("path", "/api/(?!internal).*"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 6, column: 5 }] },
  {
    name: "backreference in a header regex",
    ir: withRegex("header", "(a)\\1"),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "headers", 0, "match", "regex"], line: 6, column: 5 }],
  },
  {
    name: "\\Z in a query regex",
    ir: withRegex("query", "x\\Z"),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "query", 0, "match", "regex"], line: 6, column: 5 }],
  },
]);

test("MESH0308 names the construct and gives advice", () => {
  const { message, hint } = messageOf(withRegex("path", "/api/(?!internal).*"), "MESH0308");
  assert.equal(message, 'Regex "/api/(?!internal).*" in the path regex of route "api-0" uses negative lookahead (?!…) at offset 5, which Envoy\'s RE2 engine does not support.');
  assert.match(hint, /more specific route/);
});

table(test, "MESH0309", [
  { name: "well-formed header regex", ir: withRegex("header", "^[a-z]+$"), expect: [] },
  { name: "unbalanced group in a path regex", ir: withRegex("path", "/api/(v1|v2", 9), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 9, column: 5 }] },
  {
    name: "nothing to repeat in a header regex",
    ir: withRegex("header", "+1"),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "headers", 0, "match", "regex"], line: 6, column: 5 }],
  },
]);

test("MESH0309 message gives the reason and offset", () => {
  assert.equal(
    messageOf(withRegex("path", "/api/(v1|v2"), "MESH0309").message,
    'Regex "/api/(v1|v2" in the path regex of route "api-0" is invalid: missing closing ")" at offset 5.',
  );
});

// Acceptance is RE2's own (src/re2/engine.ts, the C++ engine Envoy links): the scanner only explains refusals.
// Each case below was checked against `envoy --mode validate` (Envoy 1.40) on a route's safe_regex.
table(test, "MESH0308", [
  { name: "\\C (any byte) compiles in RE2 and Envoy", ir: withRegex("path", "/a\\C"), expect: [] },
  { name: "(?<name>…) compiles in Envoy 1.40's RE2", ir: withRegex("path", "/(?<id>[0-9]+)"), expect: [] },
]);
table(test, "MESH0309", [
  {
    name: "an unknown Unicode class is refused by RE2 (the scanner does not know the tables)",
    ir: withRegex("path", "/\\p{Foo}"),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 6, column: 5 }],
  },
  {
    name: "nested repetition is refused by RE2",
    ir: withRegex("header", "a{2}{3}"),
    expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "headers", 0, "match", "regex"], line: 6, column: 5 }],
  },
]);

test("a refusal only RE2 knows carries RE2's message", () => {
  assert.equal(
    messageOf(withRegex("path", "/\\p{Foo}"), "MESH0309").message,
    'Regex "/\\p{Foo}" in the path regex of route "api-0" is invalid: RE2 says "invalid character class range: \\p{Foo}" at offset 1.',
  );
});

// Envoy 1.40's RE2 reads patterns as Latin-1 bytes (re2-wasm's as UTF-8): checked with `envoy --mode validate`,
// \x{100} and above (UTF-16 surrogates included) are "invalid escape sequence", and a class range is reversed when
// its ends, as bytes, are: [\x{E9}-é] is \xE9 to \xC3 (é is C3 A9). test/analysis/envoy-accept.test.ts runs these
// against the real Envoy.
const corsRegex = (regex: string) => mesh(service("api", { cors: { allowOrigins: [{ regex }], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, source: at(4, 3) } }));
table(test, "MESH0309", [
  { name: "\\x{FF}, the last escape Envoy takes", ir: withRegex("path", "/\\x{FF}"), expect: [] },
  { name: "[\\x{C3}-é] (bytes C3 to C3)", ir: withRegex("path", "/[\\x{C3}-é]"), expect: [] },
  { name: "é and Ā as literals", ir: withRegex("path", "/caf\u00e9|[\u0100-\u017f]"), expect: [] },
  { name: "\\x{100}", ir: withRegex("path", "/\\x{100}"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 6, column: 5 }] },
  { name: "surrogate \\x{D800} in a path regex", ir: withRegex("path", "/\\x{D800}"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 6, column: 5 }] },
  { name: "surrogate \\x{DFFF} in a header regex", ir: withRegex("header", "\\x{DFFF}"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "headers", 0, "match", "regex"], line: 6, column: 5 }] },
  { name: "a class range across the surrogates", ir: withRegex("query", "[\\x{D000}-\\x{E000}]"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "query", 0, "match", "regex"], line: 6, column: 5 }] },
  { name: "[\\x{E9}-é] (bytes E9 to C3)", ir: withRegex("path", "/[\\x{E9}-é]"), expect: [{ severity: "error", path: ["services", "api", "routes", 0, "match", "path", "regex"], line: 6, column: 5 }] },
  { name: "a surrogate in a CORS origin regex", ir: corsRegex("https://\\x{D800}"), expect: [{ severity: "error", path: ["services", "api", "cors", "allowOrigins", 0, "regex"], line: 4, column: 3 }] },
]);
table(test, "MESH0308", [
  { name: "a CORS origin regex is checked like a route's", ir: corsRegex("https://(?=a)"), expect: [{ severity: "error", path: ["services", "api", "cors", "allowOrigins", 0, "regex"], line: 4, column: 3 }] },
  { name: "an RE2 CORS origin regex", ir: corsRegex("https://[a-z]+\\.example"), expect: [] },
]);

test("MESH0309 explains Envoy's Latin-1 reading", () => {
  assert.match(messageOf(withRegex("path", "/\\x{D800}"), "MESH0309").message, /hex escape \\x\{D800\} is above \\x\{FF\}: Envoy's RE2 reads patterns as Latin-1 bytes/);
  assert.match(messageOf(withRegex("path", "/[\\x{E9}-é]"), "MESH0309").message, /range "\\x\{E9\}-é" is reversed in Envoy's RE2.*byte 0xE9 to byte 0xC3/);
});
