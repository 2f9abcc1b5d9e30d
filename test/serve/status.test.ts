// The sync states `meshc status` and the dashboard show (src/serve/status.ts), from proxy streams as the xDS
// server reports them: SYNCED (ACKed the snapshot's version), STALE (sent, not ACKed; for how long), NACKED (with
// the proxy's message), NOT SENT; a type the proxy has nothing of is no row; services without a proxy are listed
// and do not fail `allSynced`; and the table `meshc status` prints from it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderStatus, statusExitCode } from "../../src/cli/commands/status.js";
import { buildStatus, type LoadSummary, type StatusReport } from "../../src/serve/status.js";
import type { MeshSnapshot, ProxySnapshot } from "../../src/snapshot/types.js";
import type { ProxyStatus } from "../../src/xds/index.js";

const proxy = (service: string, versions: Partial<ProxySnapshot["versions"]>): ProxySnapshot => ({
  service,
  resources: { cluster: [], endpoint: [], listener: [], route: [], secret: [] },
  versions: { cluster: "", endpoint: "", listener: "", route: "", secret: "", ...versions },
});
const snap: MeshSnapshot = { proxies: new Map([["web", proxy("web", { cluster: "c2", endpoint: "e1", listener: "l2", route: "r1" })], ["db", proxy("db", { cluster: "c9" })]]) };
const NOW = Date.parse("2026-12-03T03:00:10Z");

const stream = (over: Partial<ProxyStatus>): ProxyStatus => ({
  streamId: 1,
  api: "sotw",
  service: "web",
  node: { id: "web-1", cluster: "web", userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] },
  peer: "127.0.0.1:5000",
  connectedSince: "2026-12-03T03:00:00Z",
  acked: {},
  sent: {},
  sentAt: {},
  nacked: {},
  pending: [],
  nacks: 0,
  ...over,
});

test("per type: SYNCED, STALE for how long, NACKED with the message, NOT SENT; empty types are no row", () => {
  const nack = { type: "listener" as const, typeUrl: "x", version: "l2", nonce: "3", code: 3, message: "terminal filter must be last", at: "2026-12-03T03:00:05Z" };
  const r = buildStatus(snap, [stream({
    acked: { cluster: "c1", endpoint: "e1", listener: "l1" },
    sent: { cluster: "c2", endpoint: "e1", listener: "l2" },
    sentAt: { cluster: "2026-12-03T03:00:07Z" },
    nacked: { listener: nack },
    lastNack: nack,
    nacks: 1,
  })], { now: NOW });
  const web = r.proxies[0]!;
  assert.deepEqual(web.types.map((t) => `${t.xds}=${t.state}`), ["CDS=STALE", "EDS=SYNCED", "LDS=NACKED", "RDS=NOT SENT"]);
  assert.equal(web.types[0]!.staleMs, 3000);
  assert.equal(web.types[2]!.nack!.message, "terminal filter must be last");
  assert.equal(web.state, "NACKED");
  assert.equal(r.allSynced, false);
  assert.deepEqual(r.services.map((s) => `${s.service}=${s.state}`), ["db=NO PROXY", "web=NACKED"]);
  const text = renderStatus({ ...r, omittedProxies: 0, at: "" }, { now: NOW });
  assert.match(text, /^SERVICE\s+NODE\s+ADDRESS\s+CONNECTED\s+VERSION\s+CDS\s+EDS\s+LDS\s+RDS$/m);
  assert.match(text, /^web\s+web-1\s+127\.0\.0\.1:5000\s+10s\s+\w{12}\s+STALE \(3s\)\s+SYNCED\s+NACKED\s+NOT SENT$/m);
  assert.match(text, /^db\s+\(no proxy connected\)/m);
  assert.match(text, /web-1 \(web\) LDS version l2 NACKED 2026-12-03T03:00:05Z: terminal filter must be last/);
  assert.match(text, /1 of 1 proxies not SYNCED/);
});

test("a later version sent after a NACK is STALE, not NACKED; everything ACKed is SYNCED and allSynced", () => {
  const nack = { type: "listener" as const, typeUrl: "x", version: "l1", nonce: "3", code: 3, message: "bad", at: "2026-12-03T03:00:05Z" };
  const stale = buildStatus(snap, [stream({ acked: { listener: "l0" }, sent: { listener: "l2" }, sentAt: { listener: "2026-12-03T03:00:09Z" }, nacked: { listener: nack } })], { now: NOW });
  assert.equal(stale.proxies[0]!.types.find((t) => t.xds === "LDS")!.state, "STALE");
  const synced = buildStatus(snap, [stream({ acked: { cluster: "c2", endpoint: "e1", listener: "l2", route: "r1" }, sent: { cluster: "c2", endpoint: "e1", listener: "l2", route: "r1" } })], { now: NOW });
  assert.equal(synced.proxies[0]!.state, "SYNCED");
  assert.equal(synced.allSynced, true, "a service without a proxy (db) does not make status fail");
  assert.deepEqual(synced.proxies[0]!.types.map((t) => t.xds), ["CDS", "EDS", "LDS", "RDS"], "no SDS row without secrets");
});

const live = (r: StatusReport) => ({ ...r, omittedProxies: 0, at: "" });

test("node ids and NACK messages print as one visible line each: no terminal escapes, no forged lines", () => {
  const id = "web-1\u001b[8m\u001b]0;pwned title\u0007";
  const message = "ok\n  web-2 (web) LDS fine\u001b[2K\r\u001b[32mall 9 proxies SYNCED\u001b[0m\u202e";
  const nack = { type: "listener" as const, typeUrl: "x", version: "l2", nonce: "3", code: 3, message, at: "2026-12-03T03:00:05Z" };
  const r = buildStatus(snap, [stream({ node: { ...stream({}).node, id }, acked: {}, sent: { listener: "l2" }, nacked: { listener: nack }, lastNack: nack, nacks: 1 })], { now: NOW });
  const out = renderStatus(live(r), { now: NOW });
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, "only the table's own newlines are control characters");
  assert.ok(out.includes("web-1\\u001b[8m\\u001b]0;pwned title\\u0007"), out);
  assert.ok(out.includes("NACKED 2026-12-03T03:00:05Z: ok\\n  web-2 (web) LDS fine\\u001b[2K\\r\\u001b[32mall 9 proxies SYNCED\\u001b[0m\\u202e"), out);
  assert.equal(out.split("\n").filter((l) => /all \d+ proxies SYNCED/.test(l) && !l.includes("NACKED")).length, 0, "no line of its own says all are SYNCED");
  assert.match(out, /\n1 of 1 proxies not SYNCED\n$/);
});

test("exit 0 only when a snapshot is served, its newest load succeeded and every proxy is SYNCED", () => {
  const synced = stream({ acked: { cluster: "c2", endpoint: "e1", listener: "l2", route: "r1" }, sent: { cluster: "c2", endpoint: "e1", listener: "l2", route: "r1" } });
  const failed = { ok: false, source: "mesh.ts", at: "2026-12-03T03:00:05Z", diagnostics: [{ severity: "error" }] } as unknown as LoadSummary;
  assert.equal(statusExitCode(live(buildStatus(snap, [synced], { now: NOW }))), 0);
  const nothing = live(buildStatus(undefined, [], { now: NOW, load: failed }));
  assert.equal(nothing.allSynced, true, "no proxy is out of sync...");
  assert.equal(statusExitCode(nothing), 1, "...but nothing is served");
  assert.match(renderStatus(nothing, { now: NOW }), /failed \(1 errors\); nothing is served/);
  assert.equal(statusExitCode(live(buildStatus(undefined, [], { now: NOW }))), 1, "no snapshot loaded yet");
  const rejected = live(buildStatus(snap, [synced], { now: NOW, load: failed }));
  assert.equal(statusExitCode(rejected), 1, "the newest mesh.ts was rejected: proxies run the previous one");
  assert.match(renderStatus(rejected, { now: NOW }), /still serving the previous snapshot/);
});

test("an error answer from the admin address prints as one visible line (its body is whoever answers there)", async () => {
  const { createServer } = await import("node:http");
  const { getText, AdminError } = await import("../../src/cli/admin-client.js");
  const server = createServer((_req, res) => {
    res.writeHead(500);
    res.end(JSON.stringify({ error: "boom\u001b]0;PWNED\u0007\u001b[2JFAKE: all proxies SYNCED\r\n" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    const err = await getText(`http://127.0.0.1:${port}`, "/debug/status").then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof AdminError);
    assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f]/);
    assert.match(err.message, /HTTP 500: boom\\u001b\]0;PWNED\\u0007\\u001b\[2JFAKE: all proxies SYNCED\\r\\n/);
  } finally {
    server.close();
  }
});
