// R16 (reliability-cases.md): identity strings with ".", "*" or "+" must be emitted as exact matchers, so that no
// second string matches. Property test over generated identities full of regex metacharacters: the encoded cluster's
// SAN matcher (decoded back from the protobuf bytes) is a single URI `exact` matcher holding the identity verbatim,
// and evaluating it with Envoy's StringMatcher semantics accepts the identity and rejects every mutation of it
// (each character replaced, dropped or doubled, a prefix, an extension). Real Envoy refusing a wrong identity is
// covered end to end by test/e2e/mtls.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { MtlsMode } from "../../src/ir/types.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";

/** Envoy's StringMatcher (exact, prefix, suffix, contains, safe_regex as a whole-string match). */
function matches(m: Record<string, unknown>, s: string): boolean {
  const ic = m.ignore_case === true;
  const v = ic ? s.toLowerCase() : s;
  const lit = (x: unknown) => (ic ? String(x).toLowerCase() : String(x));
  if (m.exact !== undefined) return v === lit(m.exact);
  if (m.prefix !== undefined) return v.startsWith(lit(m.prefix));
  if (m.suffix !== undefined) return v.endsWith(lit(m.suffix));
  if (m.contains !== undefined) return v.includes(lit(m.contains));
  if (m.safe_regex !== undefined) return new RegExp(`^(?:${(m.safe_regex as { regex: string }).regex})$`).test(s);
  throw new Error(`unknown matcher ${JSON.stringify(m)}`);
}

function rng(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const ALPHABET = "ab.*+?()[]{}|^$\\-_1";

test("R16: SAN matchers for identities with '.', '*', '+' are exact and match nothing else", () => {
  const rand = rng(16);
  for (let i = 0; i < 200; i++) {
    const len = 1 + Math.floor(rand() * 12);
    let path = "";
    for (let k = 0; k < len; k++) path += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    const identity = `spiffe://r16.example/ns/${path}`;
    const strict: MtlsMode = "strict";
    const up = { ...service("up", { identity, mtls: strict }), ports: [{ ...port("web", "http", 8080, 3000), mtls: strict }] };
    const ir = mesh(up, service("caller", { calls: ["up"] }));
    const caller = translateMesh(ir).snapshot.proxies.get("caller")!;
    const cluster = canonicalOf("cluster", caller.resources.cluster.find((c) => c.name === "outbound|8080||up")!) as any;
    const ctx = cluster.transport_socket.typed_config.common_tls_context;
    const sans = ctx.combined_validation_context.default_validation_context.match_typed_subject_alt_names as { san_type: string; matcher: Record<string, unknown> }[];
    assert.equal(sans.length, 1);
    assert.equal(sans[0]!.san_type, "URI");
    assert.deepEqual(Object.keys(sans[0]!.matcher), ["exact"], `only an exact matcher for ${identity}`);
    assert.equal(sans[0]!.matcher.exact, identity);
    const m = sans[0]!.matcher;
    assert.ok(matches(m, identity));
    const others = new Set<string>([identity.slice(0, -1), `${identity}x`, `${identity}/x`, identity.toUpperCase()]);
    for (let k = "spiffe://r16.example/ns/".length; k < identity.length; k++) {
      for (const c of ["a", "x", "/", "."]) others.add(identity.slice(0, k) + c + identity.slice(k + 1));
      others.add(identity.slice(0, k) + identity.slice(k + 1));
      others.add(identity.slice(0, k) + identity[k] + identity.slice(k));
    }
    others.delete(identity);
    for (const o of others) assert.equal(matches(m, o), false, `${JSON.stringify(o)} must not match ${JSON.stringify(identity)}`);
  }
});

test("R16: the property check can fail: a regex built from the identity would match a second string", () => {
  const identity = "spiffe://r16.example/ns/a.b";
  assert.equal(matches({ safe_regex: { regex: identity } }, "spiffe://r16.example/ns/aXb"), true);
  assert.equal(matches({ exact: identity }, "spiffe://r16.example/ns/aXb"), false);
});
