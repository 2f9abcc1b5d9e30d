// mesh.patch() (issue 13, the typed escape hatch) through the whole compiler: the function runs in the evaluation
// worker on the generated resources, and what it returns is checked like generated configuration. Each failure
// mode fails closed (no snapshot) with its code at the mesh.patch() call's file:line:col.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { compileMesh, type CompileResult } from "../../src/pipeline.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { positionOf, writeMesh, type TmpMesh } from "../frontend/tmp-mesh.js";

const made: TmpMesh[] = [];
after(() => made.forEach((m) => m.remove()));

const HEAD = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  const partner = mesh.external("partner", { hosts: ["partner.example"], ports: { web: http(80) }, resolution: "dns" });
  void partner;
`;
const TAIL = "\n});\n";

interface Compiled {
  text: string;
  result: CompileResult;
  /** Position of the first `mesh.patch(` call's "patch" (where V8 reports the call). */
  at: { line: number; column: number };
}

async function compile(patches: string, options: { typecheck?: boolean; timeoutMs?: number } = {}): Promise<Compiled> {
  const text = HEAD + patches + TAIL;
  const m = writeMesh({ "mesh.ts": text });
  made.push(m);
  const result = await compileMesh(m.entry, { typecheck: options.typecheck ?? false, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  const p = text.includes("mesh.patch(") ? positionOf(text, "patch(", text.indexOf("mesh.patch(")) : { line: 0, column: 0 };
  return { text, result, at: p };
}

const codes = (ds: readonly Diagnostic[]) => ds.map((d) => d.code);

/** Fails closed: no snapshot, exactly the expected code(s), every one at the mesh.patch() call. */
function failsAt(c: Compiled, code: string, message?: RegExp): Diagnostic {
  assert.equal(c.result.snapshot, undefined, "no snapshot after a failed patch");
  const errors = c.result.diagnostics.filter((d) => d.severity === "error");
  assert.ok(errors.length > 0, "an error");
  for (const d of errors) {
    assert.equal(d.code, code, `${d.code}: ${d.message}`);
    assert.ok(d.file?.endsWith("mesh.ts"), d.file);
    assert.equal(d.line, c.at.line, d.message);
    assert.equal(d.column, c.at.column, d.message);
    assert.ok(d.hint, "a hint");
  }
  if (message) assert.match(errors[0]!.message, message);
  return errors[0]!;
}

const TIMEOUT = { timeout: 120_000 };

describe("mesh.patch() applies", () => {
  test("a cluster patch and a route patch change the targeted proxy only; output is deterministic", TIMEOUT, async () => {
    const patches = `
  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => {
    c.per_connection_buffer_limit_bytes = { value: 65536 };
  });
  mesh.patch({ proxies: [web], kind: "route" }, (rc) => ({
    ...rc,
    virtual_hosts: (rc.virtual_hosts ?? []).map((vh) => ({ ...vh, response_headers_to_add: [{ header: { key: "x-patched", value: "yes" } }] })),
  }));`;
    const [a, b, plain] = await Promise.all([compile(patches, { typecheck: true }), compile(patches), compile("")]);
    assert.deepEqual(codes(a.result.diagnostics), []);
    const web = a.result.snapshot!.proxies.get("web")!;
    const cluster = web.resources.cluster.find((r) => r.name === "outbound|8080||catalog")!;
    assert.deepEqual(canonicalOf("cluster", cluster).per_connection_buffer_limit_bytes, { value: 65536 });
    const inbound = web.resources.cluster.find((r) => r.name === "inbound|8081")!;
    assert.equal(canonicalOf("cluster", inbound).per_connection_buffer_limit_bytes, undefined, "name narrows the patch");
    const rc = canonicalOf("route", web.resources.route[0]!);
    assert.match(JSON.stringify(rc), /x-patched/);
    // The other proxy is as meshc generated it.
    const catalogPlain = plain.result.snapshot!.proxies.get("catalog")!;
    assert.deepEqual(a.result.snapshot!.proxies.get("catalog")!.versions, catalogPlain.versions);
    assert.notDeepEqual(web.versions, plain.result.snapshot!.proxies.get("web")!.versions);
    // Same bytes from an independent compile (a second worker).
    assert.deepEqual(b.result.snapshot!.proxies.get("web")!.versions, web.versions);
    // The report: which proxies, which resources, which mesh.ts line.
    assert.deepEqual(
      a.result.patches!.map((r) => [r.source?.line, r.kind, r.changed]),
      [
        [a.at.line, "cluster", { web: ["outbound|8080||catalog"] }],
        [a.at.line + 3, "route", { web: ["outbound|15001|http"] }],
      ],
    );
  });

  test("a patch that changes nothing is a warning (MESH0360) and the output equals the unpatched one", TIMEOUT, async () => {
    const [c, plain] = await Promise.all([compile(`\n  mesh.patch({ proxies: [web], kind: "listener" }, (l) => l);`), compile("")]);
    assert.deepEqual(codes(c.result.diagnostics), ["MESH0360"]);
    assert.equal(c.result.diagnostics[0]!.line, c.at.line);
    assert.deepEqual(c.result.snapshot!.proxies.get("web")!.versions, plain.result.snapshot!.proxies.get("web")!.versions);
  });
});

describe("mesh.patch() fails closed at its call", () => {
  test("the patch throws: MESH0245 with the error and the line that threw", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    if (c.name) throw new Error("no such knob");\n  });`);
    const d = failsAt(c, "MESH0245", /no such knob/);
    assert.match(d.message, /\(at mesh\.ts:9:\d+\)/, "names the line that threw");
  });

  test("the patch never returns: MESH0246 after --eval-timeout", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    for (;;) c.name = String(c.name);\n  });`, { timeoutMs: 3000 });
    failsAt(c, "MESH0246", /did not finish within 3 s/);
  });

  test("the patch reads the clock or randomness: MESH0247", TIMEOUT, async () => {
    for (const call of ["Date.now()", "new Date().getTime()", "Math.random()", "performance.now()", "crypto.randomUUID()"]) {
      const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    c.alt_stat_name = String(${call});\n  });`);
      failsAt(c, "MESH0247", /not available to a patch/);
    }
  });

  test("a timer the module left cannot change a patch's input between compiles: timers are cancelled", TIMEOUT, async () => {
    const c = await compile(`
  let n = 0;
  setInterval(() => n++, 1);
  mesh.patch({ proxies: [web], kind: "cluster", name: "inbound|8081" }, (c) => {
    c.alt_stat_name = "n" + n;
  });`);
    assert.deepEqual(codes(c.result.diagnostics), []);
    const inbound = c.result.snapshot!.proxies.get("web")!.resources.cluster.find((r) => r.name === "inbound|8081")!;
    assert.equal(canonicalOf("cluster", inbound).alt_stat_name, "n0");
  });

  test("an unknown field: MESH0248 from the strict codec", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    (c as unknown as Record<string, unknown>).conect_timeout = "1s";\n  });`);
    failsAt(c, "MESH0248", /unknown field "conect_timeout"/);
  });

  test("a (validate.rules) violation: MESH0248 from Envoy's schema rules", TIMEOUT, async () => {
    // Cluster.connect_timeout has `duration.gt: {}`: zero is refused.
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    c.connect_timeout = { seconds: 0, nanos: 0 };\n  });`);
    failsAt(c, "MESH0248", /connect_timeout/);
  });

  test("a route to a cluster the proxy lacks: MESH0248 from the consistency check", TIMEOUT, async () => {
    const c = await compile(`
  mesh.patch({ proxies: [web], kind: "route" }, (rc) => {
    for (const vh of rc.virtual_hosts ?? []) for (const r of vh.routes ?? []) if (r.route) r.route = { ...r.route, cluster: "nope" };
  });`);
    failsAt(c, "MESH0248", /"nope" is not in its snapshot/);
  });

  test("a promise or a non-object: MESH0248", TIMEOUT, async () => {
    const a = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (async (c: object) => c) as never);`);
    failsAt(a, "MESH0248", /promise/);
    const b = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (() => 42) as never);`);
    failsAt(b, "MESH0248", /returned number/);
  });

  test("a renamed resource: MESH0249", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster", name: "inbound|8081" }, (c) => ({ ...c, name: "other" }));`);
    failsAt(c, "MESH0249", /to "other"/);
  });

  test("a name the proxy does not have: MESH0244, listing what it has", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalgo" }, (c) => c);`);
    failsAt(c, "MESH0244", /"outbound\|8080\|\|catalog"/);
  });

  test("a proxy meshc does not run (an external service): MESH0243", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [partner], kind: "cluster" }, (c) => c);`);
    failsAt(c, "MESH0243", /"partner".*external/);
  });

  test("the callback is typed with Envoy's messages, not any: a misspelt field is a type error (MESH0001)", TIMEOUT, async () => {
    const c = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => {\n    c.conect_timeout = { seconds: 1 };\n  });`, { typecheck: true });
    assert.equal(c.result.snapshot, undefined);
    assert.deepEqual(codes(c.result.diagnostics), ["MESH0001"]);
    assert.match(c.result.diagnostics[0]!.message, /conect_timeout/);
    assert.equal(c.result.diagnostics[0]!.line, c.at.line + 1);
  });
});

describe("mesh.patch() keeps secrets out of the output", () => {
  test("an inline private key added by a patch is refused (MESH0248), and the key is not echoed", TIMEOUT, async () => {
    const c = await compile(`
  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => {
    c.transport_socket = {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        common_tls_context: { tls_certificates: [{ certificate_chain: { filename: "/etc/c.pem" }, private_key: { inline_string: "SECRET-KEY-MATERIAL" } }] },
      },
    };
  });`);
    const d = failsAt(c, "MESH0248", /private_key: key material may not be inlined/);
    assert.doesNotMatch(JSON.stringify(c.result.diagnostics), /SECRET-KEY-MATERIAL/);
    assert.match(d.message, /transport_socket\.typed_config\.common_tls_context\.tls_certificates\[0\]\.private_key/);
  });
});

describe("mesh.patch() keeps gRPC credentials out of the output", () => {
  // A gRPC access logger whose Google gRPC client carries call credentials: the token, the service account's JSON
  // key, an IAM token would be written to lds.json. Token files (sts_service) and the GCE metadata server are fine.
  const grpcLogger = (credentials: string) => `
  mesh.patch({ proxies: [web], kind: "listener", name: "inbound|8081" }, (l) => {
    l.access_log = [{
      name: "envoy.access_loggers.http_grpc",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig",
        common_config: {
          log_name: "x", transport_api_version: "V3",
          grpc_service: { google_grpc: { target_uri: "logs.example:443", stat_prefix: "al", call_credentials: [${credentials}] } },
        },
      },
    } as never];
  });`;
  const base = "access_log[0].typed_config.common_config.grpc_service.google_grpc.call_credentials[0]";
  for (const [what, credentials, field] of [
    ["a service account's JSON key", `{ service_account_jwt_access: { json_key: "{\\"private_key\\": \\"SECRET-KEY-MATERIAL\\"}", token_lifetime_seconds: "3600" } }`, "service_account_jwt_access"],
    ["an access token", `{ access_token: "SECRET-KEY-MATERIAL" }`, "access_token"],
    ["a refresh token", `{ google_refresh_token: "SECRET-KEY-MATERIAL" }`, "google_refresh_token"],
    ["an IAM authorization token", `{ google_iam: { authorization_token: "SECRET-KEY-MATERIAL", authority_selector: "x" } }`, "google_iam"],
  ] as const) {
    test(`${what} in call credentials is refused (MESH0248), and not echoed`, TIMEOUT, async () => {
      const c = await compile(grpcLogger(credentials));
      const d = failsAt(c, "MESH0248", /key material may not be inlined/);
      assert.ok(d.message.includes(`${base}.${field}:`), d.message);
      assert.doesNotMatch(JSON.stringify(c.result.diagnostics), /SECRET-KEY-MATERIAL/);
    });
  }
  test("a token in a gRPC service's initial_metadata authorization header is refused (MESH0248), and not echoed", TIMEOUT, async () => {
    const metadata = (header: string) => `
  mesh.patch({ proxies: [web], kind: "listener", name: "inbound|8081" }, (l) => {
    l.access_log = [{
      name: "envoy.access_loggers.http_grpc",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig",
        common_config: { log_name: "x", transport_api_version: "V3", grpc_service: { envoy_grpc: { cluster_name: "outbound|8080||catalog" }, initial_metadata: [${header}] } },
      },
    } as never];
  });`;
    for (const header of [`{ key: "Authorization", value: "Bearer SECRET-KEY-MATERIAL" }`, `{ key: "proxy-authorization", raw_value: "${Buffer.from("Basic SECRET-KEY-MATERIAL").toString("base64")}" }`]) {
      const c = await compile(metadata(header));
      const d = failsAt(c, "MESH0248", /key material may not be inlined/);
      assert.ok(d.message.includes("grpc_service.initial_metadata[0].value:"), d.message);
      assert.doesNotMatch(JSON.stringify(c.result.diagnostics), /SECRET-KEY-MATERIAL|U0VDUkVU/);
    }
    const other = await compile(metadata(`{ key: "x-tenant", value: "blue" }`));
    assert.deepEqual(other.result.diagnostics.filter((d) => d.severity === "error"), []);
  });
  test("a route header carrying a literal credential is refused; one copied from the request is not", TIMEOUT, async () => {
    const add = (value: string) => `
  mesh.patch({ proxies: [web], kind: "route" }, (rc) => {
    for (const vh of rc.virtual_hosts ?? []) vh.request_headers_to_add = [{ header: { key: "authorization", value: ${JSON.stringify(value)} } }];
  });`;
    const c = await compile(add("Bearer SECRET-KEY-MATERIAL"));
    failsAt(c, "MESH0248", /request_headers_to_add\[0\]\.header\.value: key material may not be inlined/);
    assert.doesNotMatch(JSON.stringify(c.result.diagnostics), /SECRET-KEY-MATERIAL/);
    const copied = await compile(add("%REQ(x-upstream-auth)%"));
    assert.deepEqual(copied.result.diagnostics.filter((d) => d.severity === "error"), []);
  });
  test("token files (sts_service) and the GCE metadata server are not secrets", TIMEOUT, async () => {
    const c = await compile(grpcLogger(`{ google_compute_engine: {} }, { sts_service: { token_exchange_service_uri: "https://sts.example/token", subject_token_path: "/var/run/token", subject_token_type: "urn:ietf:params:oauth:token-type:jwt" } }`));
    assert.deepEqual(c.result.diagnostics.filter((d) => d.severity === "error"), []);
    assert.ok(c.result.snapshot);
  });
});

describe("mesh.patch() results meet Envoy's run-time rules", () => {
  // Envoy's validateTerminalFilters: the router ends an HTTP filter chain, a terminal network filter ends its chain.
  const outbound = (body: string) => `
  mesh.patch({ proxies: [web], kind: "listener", name: "outbound|15001|http" }, (l) => {
    const hcm = l.filter_chains![0]!.filters![0]!.typed_config as unknown as { http_filters: { name: string; typed_config?: object }[] };
    ${body}
  });`;
  test("the router moved before another HTTP filter: MESH0248 (Envoy: the router must be the last filter)", TIMEOUT, async () => {
    const c = await compile(outbound(`hcm.http_filters = [...hcm.http_filters, { name: "f", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault" } }];`));
    failsAt(c, "MESH0248", /http_filters\[\d+\]: Envoy refuses a terminal filter \(envoy\.filters\.http\.router/);
  });
  test("an HTTP filter chain ending in a non-terminal filter (the router removed): MESH0248", TIMEOUT, async () => {
    const c = await compile(outbound(`hcm.http_filters = [{ name: "f", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault" } }];`));
    failsAt(c, "MESH0248", /ends in a non-terminal filter \(f of type envoy\.filters\.http\.fault\)/);
  });
  test("a filter inserted before the router, or one meshc does not know last, passes", TIMEOUT, async () => {
    const fault = `{ name: "f", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault" } }`;
    const c = await compile(outbound(`hcm.http_filters = [${fault}, ...hcm.http_filters];`));
    assert.deepEqual(c.result.diagnostics.filter((d) => d.severity === "error"), []);
    assert.ok(c.result.snapshot);
  });
  test("a network filter after the connection manager: MESH0248", TIMEOUT, async () => {
    const c = await compile(`
  mesh.patch({ proxies: [web], kind: "listener", name: "outbound|15001|http" }, (l) => {
    const fc = l.filter_chains![0]!;
    fc.filters = [...fc.filters!, { name: "envoy.filters.network.rbac", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC", stat_prefix: "x" } as never }];
  });`);
    failsAt(c, "MESH0248", /filter_chains\[0\]\.filters\[0\]: Envoy refuses a terminal filter \(envoy\.filters\.network\.http_connection_manager/);
  });
  test("a listener moved onto another listener's address: MESH0248 (Envoy: duplicate address)", TIMEOUT, async () => {
    const c = await compile(`
  mesh.patch({ proxies: [web], kind: "listener", name: "outbound|15001|http" }, (l) => {
    l.address = { socket_address: { address: "0.0.0.0", port_value: 8081 } };
  });`);
    failsAt(c, "MESH0248", /listener "outbound\|15001\|http" of proxy "web" invalid: address: Envoy refuses a second listener on 0\.0\.0\.0:8081: listener "inbound\|8081" binds it already/);
  });
  test("an EDS cluster turned STRICT_DNS with its eds_cluster_config left: MESH0248; without it, it passes", TIMEOUT, async () => {
    const bad = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => {\n    c.type = "STRICT_DNS";\n  });`);
    failsAt(bad, "MESH0248", /eds_cluster_config: Envoy refuses it on a STRICT_DNS cluster/);
    const good = await compile(`\n  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => {\n    c.type = "STRICT_DNS";\n    delete c.eds_cluster_config;\n  });`);
    assert.deepEqual(good.result.diagnostics.filter((d) => d.severity === "error"), []);
  });

  test("a header Envoy refuses to modify, or a value its formatter refuses: MESH0248", TIMEOUT, async () => {
    const add = (key: string, value: string) => `
  mesh.patch({ proxies: [web], kind: "route" }, (rc) => {
    for (const vh of rc.virtual_hosts ?? []) vh.response_headers_to_add = [{ header: { key: ${JSON.stringify(key)}, value: ${JSON.stringify(value)} } }];
  });`;
    failsAt(await compile(add(":status", "200")), "MESH0248", /refuses to modify ":status"/);
    failsAt(await compile(add("x-when", "%START_TIME(%s")), "MESH0248", /substitution formatter/);
  });
});
