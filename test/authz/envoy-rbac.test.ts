// Compiled authorization through real Envoy, without mTLS: a dry-run deny lets the request through, increments
// the shadow-deny stat and writes a `meshc-authz-dry-run` line to Envoy's stdout; a caller without a mesh identity is denied under default deny; and the reason MESH0701
// refuses caller rules on non-strict ports, shown on the wire: a deny naming a caller does not stop a plaintext
// caller (its principal is empty). Analysis is bypassed on purpose (hand-built IR) for that last case.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { RBAC_STATS } from "../../src/backends/envoy/rbac.js";
import { DRY_RUN_LOG_PREFIX } from "../../src/backends/envoy/rbac-dry-run-log.js";
import type { AuthzPolicyIR, AuthzRuleIR, MeshIR, ServiceIR } from "../../src/ir/types.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";
import { envoyPath, envoySkipReason } from "../helpers/envoy.js";
import { envoyCounter, rawRequest, recordingApp, startSidecar, type RecordingApp, type RunningEnvoy } from "./envoy-lib.js";

const svc = (name: string, base: number): ServiceIR => ({
  ...service(name, { ports: [port("web", "http", base, base + 1)] }),
  instances: { kind: "static", endpoints: [{ address: "127.0.0.1", ports: { web: base }, labels: {} }] },
  sidecar: { inboundAddress: "127.0.0.1", adminPort: base + 2, outboundPort: base + 3, tcpOutbound: {} },
});
const rule = (name: string, r: Partial<AuthzRuleIR>): AuthzRuleIR => ({ name, action: "deny", dryRun: false, headers: [], notHeaders: [], ...r });
const pol = (service: string, def: "allow" | "deny", rules: AuthzRuleIR[]): AuthzPolicyIR => ({ service, default: def, dryRun: false, rules });

function rbacMesh(): MeshIR {
  const ir = mesh(svc("audit", 22140), svc("locked", 22150), svc("leaky", 22160), svc("web", 22170), svc("trial", 22180), svc("verbs", 22190), svc("colon", 22200));
  ir.services = ir.services.map((s) => ({ ...s, sidecar: svc(s.name, s.ports[0]!.port).sidecar }));
  ir.authorization = {
    services: [
      pol("audit", "allow", [rule("delete-dry", { dryRun: true, paths: [{ kind: "exact", value: "/delete", ignoreCase: true }] }), rule("blocked", { paths: [{ kind: "prefix", value: "/blocked", ignoreCase: true }] })]),
      pol("leaky", "allow", [rule("no-web", { from: [{ kind: "service", service: "web" }] })]),
      pol("locked", "deny", [rule("web-only", { action: "allow", from: [{ kind: "service", service: "web" }] })]),
      pol("colon", "allow", [
        rule("no-export", { paths: [{ kind: "prefix", value: "/v1/users:export", ignoreCase: true }] }),
        rule("no-admin-exact", { paths: [{ kind: "exact", value: "/private", ignoreCase: true }, { kind: "suffix", value: ".jsp", ignoreCase: true }] }),
      ]),
      pol("verbs", "deny", [rule("no-delete", { action: "allow", notMethods: ["DELETE"] })]),
      { ...pol("trial", "deny", [rule("trial-web", { action: "allow", dryRun: true, from: [{ kind: "service", service: "web" }] })]), dryRun: true },
    ],
    mesh: { dryRun: false, rules: [rule("mesh-no-admin", { paths: [{ kind: "prefix", value: "/admin", ignoreCase: true }] })] },
  };
  return ir;
}

describe("RBAC through real Envoy (no mTLS)", { skip: envoySkipReason() }, () => {
  const ir = rbacMesh();
  const running = new Map<string, { port: number; app: RecordingApp; envoy: RunningEnvoy }>();
  before(async () => {
    for (const name of ["audit", "locked", "leaky", "trial", "verbs", "colon"]) {
      const s = ir.services.find((x) => x.name === name)!;
      const app = await recordingApp(s.ports[0]!.appPort);
      running.set(name, { port: s.ports[0]!.port, app, envoy: await startSidecar(envoyPath(), ir, name, s.ports[0]!.port) });
    }
  });
  after(async () => {
    for (const r of running.values()) {
      await r.envoy.stop();
      await r.app.close();
    }
  });

  test("a dry-run deny lets the request through, increments the shadow-deny stat and logs it", async () => {
    const r = running.get("audit")!;
    const stat = `http.inbound_22140.rbac.${RBAC_STATS.dryRunDeny}.shadow_denied`;
    const before = await envoyCounter(r.envoy.adminPort, stat);
    const reply = await rawRequest(r.port, "/delete");
    assert.equal(reply.status, 200);
    assert.equal(r.app.seen.at(-1), "/delete");
    assert.equal(await envoyCounter(r.envoy.adminPort, stat), before + 1, stat);
    // A request the dry-run rule does not match leaves the stat alone; the enforced deny still denies.
    assert.equal((await rawRequest(r.port, "/other")).status, 200);
    assert.equal(await envoyCounter(r.envoy.adminPort, stat), before + 1);
    assert.equal((await rawRequest(r.port, "/blocked/x")).status, 403);
    assert.ok((await envoyCounter(r.envoy.adminPort, `http.inbound_22140.rbac.${RBAC_STATS.deny}.denied`)) >= 1);
    // ...and logs it (issue 9 test 1): one stdout line for the request the dry-run rule would deny, naming the rule;
    // none for the request it lets through or for the one the enforced deny stopped.
    const lines = async () => readFileSync(r.envoy.stdoutPath, "utf8").split("\n").filter((l) => l.startsWith(DRY_RUN_LOG_PREFIX));
    const deadline = Date.now() + 20_000;
    while ((await lines()).length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    await new Promise((res) => setTimeout(res, 500)); // Envoy flushes stdout logs on its own schedule
    const logged = await lines();
    assert.equal(logged.length, 1, logged.join("\n"));
    assert.match(logged[0]!, / service=audit port=22140 method=GET path=\/delete /);
    assert.match(logged[0]!, / deny_layer=denied deny_policy=delete-dry$/);
  });

  test("a caller without a mesh identity is denied (403 from the callee's sidecar) under default deny", async () => {
    const r = running.get("locked")!;
    const reply = await rawRequest(r.port, "/anything");
    assert.equal(reply.status, 403);
    assert.match(reply.raw, /RBAC: access denied/);
    assert.equal(r.app.seen.length, 0);
  });

  test("why MESH0701 exists: a deny naming a caller lets a plaintext caller through", async () => {
    const r = running.get("leaky")!;
    assert.equal((await rawRequest(r.port, "/x")).status, 200);
  });

  test("a service's dry-run policy leaves the mesh-wide deny enforced, and its own default deny in dry run", async () => {
    // Before, a dry-run policy on the service put every rule in shadow_rules only, the mesh-wide deny included.
    const r = running.get("trial")!;
    assert.equal((await rawRequest(r.port, "/admin/x")).status, 403);
    assert.equal((await rawRequest(r.port, "/ADMIN/x")).status, 403);
    assert.ok(!r.app.seen.some((p) => p.toLowerCase().startsWith("/admin")), r.app.seen.join(" "));
    const stat = `http.inbound_22180.rbac.${RBAC_STATS.dryRunAllow}.shadow_denied`;
    const before = await envoyCounter(r.envoy.adminPort, stat);
    assert.equal((await rawRequest(r.port, "/x")).status, 200, "the dry-run default deny is not enforced");
    assert.equal(await envoyCounter(r.envoy.adminPort, stat), before + 1, "...but counted: no caller identity matches trial-web");
  });

  test("an allow rule's notMethods keeps out every spelling of the method (HTTP/2 forwards \"delete\" as sent)", async () => {
    // Before, notMethods matched case-sensitively in allow rules: DELETE was refused, "delete" reached the app.
    const r = running.get("verbs")!;
    assert.equal(await h2Status(r.port, "GET", "/x"), 200);
    for (const m of ["DELETE", "delete", "Delete"]) assert.equal(await h2Status(r.port, m, "/x"), 403, m);
  });
  test("a deny path with a reserved character also denies its percent-encoded spellings", async () => {
    // Envoy decodes only unreserved escapes: /v1/users%3Aexport reached an app that decodes paths as the denied one.
    const r = running.get("colon")!;
    for (const path of ["/v1/users:export", "/v1/users%3Aexport", "/v1/users%3aexport", "/V1/USERS%3AEXPORT/all"]) assert.equal((await rawRequest(r.port, path)).status, 403, path);
    assert.equal((await rawRequest(r.port, "/v1/users/export")).status, 200);
    assert.deepEqual(r.app.seen, ["/v1/users/export"]);
  });

  test("an exact or suffix deny also denies the path followed by servlet path parameters (;x, %3Bx)", async () => {
    // Tomcat and Spring strip ;params before routing: /private;x was /private to them and reached them (200).
    const r = running.get("colon")!;
    for (const path of ["/private", "/private;x", "/private%3bx", "/PRIVATE%3B", "/a.jsp", "/a.jsp;jsessionid=1", "/a.JSP%3Bjsessionid=1"]) assert.equal((await rawRequest(r.port, path)).status, 403, path);
    for (const path of ["/privatex", "/a.jspx"]) assert.equal((await rawRequest(r.port, path)).status, 200, path);
  });
});

/** One HTTP/2 (prior knowledge) request: Envoy's codec sniffs the preface; HTTP/2 lets a method be lower-case. */
async function h2Status(port: number, method: string, path: string): Promise<number> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<number>((resolve, reject) => {
      session.on("error", reject);
      const req = session.request({ ":method": method, ":path": path, ":authority": "verbs", ":scheme": "http" });
      req.on("response", (h) => resolve(Number(h[":status"])));
      req.on("error", reject);
      req.resume();
      req.end();
    });
  } finally {
    session.close();
  }
}

describe("a mesh-wide policy in dry run (real Envoy)", { skip: envoySkipReason() }, () => {
  // Before, authorizeDefaults({ default: "deny", dryRun: true }) enforced its default: every service without a
  // policy of its own answered 403 to everything, though a dry run enforces nothing.
  const ir = mesh(svc("quiet", 22240), svc("web", 22250));
  ir.services = ir.services.map((s) => ({ ...s, sidecar: svc(s.name, s.ports[0]!.port).sidecar }));
  ir.authorization = { services: [], mesh: { dryRun: true, default: "deny", rules: [rule("mesh-web", { action: "allow", dryRun: true, from: [{ kind: "service", service: "web" }] })] } };
  let app: RecordingApp;
  let envoy: RunningEnvoy;
  before(async () => {
    const s = ir.services.find((x) => x.name === "quiet")!;
    app = await recordingApp(s.ports[0]!.appPort);
    envoy = await startSidecar(envoyPath(), ir, "quiet", 22240);
  });
  after(async () => {
    await envoy.stop();
    await app.close();
  });
  test("nothing is refused; what the default would refuse is counted", async () => {
    const stat = `http.inbound_22240.rbac.${RBAC_STATS.dryRunAllow}.shadow_denied`;
    const before = await envoyCounter(envoy.adminPort, stat);
    assert.equal((await rawRequest(22240, "/a")).status, 200);
    assert.deepEqual(app.seen, ["/a"]);
    assert.equal(await envoyCounter(envoy.adminPort, stat), before + 1);
  });
});
