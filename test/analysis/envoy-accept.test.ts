// "What meshc accepts, Envoy accepts", on the edges of rules found by review: each mesh is written with the DSL,
// meshc's verdict is the whole pipeline after evaluation (validate, lower, analyze, translate), and Envoy's verdict
// is the real `envoy --mode validate` on what the backend makes of the same mesh with no check in between (lowered
// and translated even when meshc refuses it). The two must agree, and meshc's refusal must carry the expected
// located code (never MESH0901, the backend's "analysis missed this").
//   - durations: Envoy 1.40 refuses 9223372036 s and more in every duration field ("Duration out-of-range"); an
//     access log's slowerThan is a uint32 of milliseconds; a defaulted backoff max (10 x base) stops at the cap;
//   - regexes: Envoy's RE2 reads patterns as Latin-1 bytes (\x{100} and above, surrogates included, are invalid
//     escapes; [\x{E9}-é] is a reversed byte range), in route matches and CORS origins alike;
//   - gateway hosts: Envoy lowercases domains before its one-owner check.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { defineMesh, http, type Duration, type Mesh } from "../../src/dsl/index.js";
import { lower, validateModel } from "../../src/frontend/index.js";
import { issueDiagnostic } from "../../src/pipeline.js";
import { mapLimit, validateProxies } from "../../src/runtime/validate-proxies.js";
import { requireEnvoy } from "../helpers/envoy.js";

const d = (s: string) => s as Duration;

/** web (routes, policy, telemetry given by `edit`) called by client. */
function withWeb(edit: (mesh: Mesh, web: ReturnType<Mesh["service"]>) => void) {
  return defineMesh({ name: "m", trustDomain: "m.local" }, (mesh) => {
    const web = mesh.service("web", { ports: { http: http(29320, { app: 29321 }) }, instances: ["127.0.0.1:29320"] });
    mesh.service("client", { ports: { http: http(29340, { app: 29341 }) }, instances: ["127.0.0.1:29340"], calls: [web], sidecar: { adminPort: 29342, outboundPort: 29343 } });
    edit(mesh, web);
  });
}
const route = (regex: string) => withWeb((mesh, web) => mesh.routes(web, (r) => [r.match({ path: { regex } }).to(web), r.match().to(web)]));
const header = (regex: string) => withWeb((mesh, web) => mesh.routes(web, (r) => [r.match({ headers: { "x-a": { regex } } }).to(web)]));
const origin = (regex: string) => withWeb((mesh, web) => mesh.cors(web, { allowOrigins: [{ regex }] }));
const gateway = (hosts: [string, ...string[]]) =>
  defineMesh({ name: "m", trustDomain: "m.local" }, (mesh) => {
    const web = mesh.service("web", { ports: { http: http(29320, { app: 29321 }) }, instances: ["127.0.0.1:29320"] });
    const edge = mesh.gateway("edge", { listeners: [{ port: 29330, protocol: "http", hosts }], instances: [{ address: "127.0.0.1" }], sidecar: { adminPort: 29331 } });
    mesh.routes(edge, (r) => [r.match().to(web)]);
  });

const MAX = "9223372035999ms";
const OVER = "9223372036s";
/** [what, mesh, the code meshc refuses it with (undefined: meshc accepts)] */
const CASES: [string, ReturnType<typeof withWeb>, string | undefined][] = [
  ...([[MAX, undefined], [OVER, "MESH0003"]] as const).flatMap(([v, code]): [string, ReturnType<typeof withWeb>, string | undefined][] => [
    [`route timeout ${v}`, withWeb((mesh, web) => mesh.routes(web, (r) => [r.match().to(web).timeout(d(v))])), code],
    [`route idleTimeout ${v}`, withWeb((mesh, web) => mesh.routes(web, (r) => [r.match().to(web).idleTimeout(d(v))])), code],
    [`retry perTry ${v}`, withWeb((mesh, web) => mesh.routes(web, (r) => [r.match().to(web).timeout("0s").retries({ attempts: 1, perTry: d(v) })])), code],
    // No max: meshc writes 10 x base, which must stay within the cap too.
    [`retry backoff base ${v} (max defaulted)`, withWeb((mesh, web) => mesh.routes(web, (r) => [r.match().to(web).retries({ attempts: 1, backoff: { base: d(v) } })])), code],
    [`fault delay ${v}`, withWeb((mesh, web) => mesh.routes(web, (r) => [r.match().fault({ delay: { fixed: d(v) } }).to(web)])), code],
    [`connect and idle timeout ${v}`, withWeb((mesh, web) => mesh.policy(web, { connectTimeout: d(v), idleTimeout: d(v) })), code],
    [`health check ${v}`, withWeb((mesh, web) => mesh.policy(web, { healthCheck: { http: "/h", interval: d(v), timeout: d(v) } })), code],
    [`outlier detection ${v}`, withWeb((mesh, web) => mesh.policy(web, { outlierDetection: { interval: d(v), baseEjection: d(v) } })), code],
  ]),
  ["access log slowerThan 4294967295ms", withWeb((mesh, web) => mesh.telemetry(web, { accessLog: { filter: { slowerThan: "4294967295ms" } } })), undefined],
  ["access log slowerThan 4294967296ms", withWeb((mesh, web) => mesh.telemetry(web, { accessLog: { filter: { slowerThan: "4294967296ms" } } })), "MESH0003"],
  ["path regex \\x{FF}", route("/\\x{FF}"), undefined],
  ["path regex \\x{100}", route("/\\x{100}"), "MESH0309"],
  ["path regex \\x{D800}", route("/\\x{D800}"), "MESH0309"],
  ["header regex \\x{DFFF}", header("\\x{DFFF}"), "MESH0309"],
  ["path regex [\\x{D000}-\\x{E000}]", route("/[\\x{D000}-\\x{E000}]"), "MESH0309"],
  ["path regex [\\x{C3}-é]", route("/[\\x{C3}-é]"), undefined],
  ["path regex [\\x{E9}-é]", route("/[\\x{E9}-é]"), "MESH0309"],
  ["path regex é and Ā as literals", route("/caf\u00e9|[\u0100-\u017f]"), undefined],
  ["CORS origin regex https://[a-z]+", origin("https://[a-z]+"), undefined],
  ["CORS origin regex \\x{D800}", origin("https://\\x{D800}"), "MESH0309"],
  ["CORS origin regex with lookahead", origin("https://(?=a)"), "MESH0308"],
  ["gateway hosts shop.example, api.shop.example", gateway(["shop.example", "api.shop.example"]), undefined],
  ["gateway hosts Shop.example, shop.example", gateway(["Shop.example", "shop.example"]), "MESH0239"],
];

const isError = (x: Diagnostic) => x.severity === "error";

function meshcErrors(model: ReturnType<typeof withWeb>): Diagnostic[] {
  const invalid = validateModel(model);
  if (invalid.some(isError)) return invalid.filter(isError);
  const lowered = lower(model, process.cwd());
  const found = [...lowered.diagnostics, ...analyze(lowered.ir)].filter(isError);
  if (found.length) return found;
  return translateMesh(lowered.ir).issues.map(issueDiagnostic).filter(isError);
}

test("meshc and the real Envoy agree on duration caps, Latin-1 regexes and gateway host case", { timeout: 600_000 }, async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const results = await mapLimit(CASES, 2, async ([what, model, code]) => {
    const errors = meshcErrors(model);
    const tr = translateMesh(lower(model, process.cwd()).ir);
    const v = tr.issues.length ? [] : await validateProxies(lower(model, process.cwd()).ir, tr.snapshot, { envoyPath, concurrency: 1 });
    assert.ok(v.every((x) => x.kind === "accepted" || x.kind === "rejected"), `${what}: ${v.map((x) => x.message).join("; ")}`);
    const envoyAccepts = tr.issues.length === 0 && v.every((x) => x.ok);
    const message = tr.issues[0]?.message ?? v.find((x) => !x.ok)?.message ?? "";
    return { what, code, errors, envoyAccepts, message };
  });
  const wrong = results.flatMap((r) => {
    const meshcAccepts = r.errors.length === 0;
    const out: string[] = [];
    if (meshcAccepts !== r.envoyAccepts) out.push(`${r.what}: meshc ${meshcAccepts ? "accepts" : `refuses (${r.errors.map((e) => e.code).join(", ")})`}, Envoy ${r.envoyAccepts ? "accepts" : `refuses (${r.message})`}`);
    if (r.code === undefined && !meshcAccepts) out.push(`${r.what}: expected meshc to accept, got ${r.errors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
    if (r.code !== undefined && !r.errors.every((e) => e.code === r.code && (e.line ?? 0) > 0 && e.hint)) out.push(`${r.what}: expected only located ${r.code} with a hint, got ${r.errors.map((e) => `${e.code}@${e.line}`).join(", ")}`);
    return out;
  });
  assert.deepEqual(wrong, []);
  // Both verdicts occur, so the comparison can fail either way.
  assert.ok(results.some((r) => r.envoyAccepts) && results.some((r) => !r.envoyAccepts));
});
