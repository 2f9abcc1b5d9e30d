// The admin dashboard's routes in process (issue 14), with a real xDS server: `/` is one self-contained page (its
// script inline and allowed by hash in the CSP, nothing loaded from elsewhere); `/` and /debug/events follow the
// admin's access rules (401 without the token on a non-loopback address); /debug/events pushes a "status" event when
// the snapshot changes, with no request from the client; the number of event streams is bounded (503 beyond); and
// closing the admin ends them. The browser test (test/e2e/dashboard.test.ts) covers the page itself.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { graphFromIr, type GraphNode } from "../../src/graph/model.js";
import { startAdmin } from "../../src/serve/admin.js";
import { LIVE_LIMITS, LiveStatus, type LiveReport } from "../../src/serve/live.js";
import { startXdsServer } from "../../src/xds/index.js";
import { translateCase } from "../backend/cases.js";

const TOKEN = "dashboard-token-0123456789";

/** Reads SSE events from a streaming fetch until `stop` says so (or the timeout). */
async function readEvents(res: Response, stop: (events: { event: string; data: string }[]) => boolean, timeoutMs = 20_000): Promise<{ event: string; data: string }[]> {
  const reader = res.body!.getReader();
  const events: { event: string; data: string }[] = [];
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  while (!stop(events)) {
    if (Date.now() > deadline) throw new Error(`timed out; events so far: ${events.map((e) => e.event).join(", ")}`);
    const r = await reader.read();
    if (r.done) break;
    buf += Buffer.from(r.value).toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (ev && data) events.push({ event: ev, data });
    }
  }
  await reader.cancel().catch(() => undefined);
  return events;
}

async function setup(adminAddress: string, adminToken?: string) {
  const { ir, result } = translateCase("subsets-canary");
  const xds = await startXdsServer({ address: "127.0.0.1:0", snapshot: result.snapshot });
  const live = new LiveStatus(xds, () => ({ ok: true, at: new Date().toISOString(), source: "mesh.ts", diagnostics: [] }));
  live.setGraph(graphFromIr(ir));
  const admin = await startAdmin(adminAddress, { xds, registry: new Registry(), lastLoad: () => undefined, live, ...(adminToken && { adminToken }) });
  return {
    xds,
    live,
    admin,
    result,
    async close() {
      await admin.close(1000);
      await xds.close(1000);
    },
  };
}

test("the page: self-contained, its inline script allowed by hash, nothing from elsewhere", async () => {
  const s = await setup("127.0.0.1:0");
  try {
    const r = await fetch(`http://127.0.0.1:${s.admin.port}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type")!, /^text\/html/);
    const csp = r.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    const html = await r.text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
    assert.ok(script && script.length > 1000, "the bundled script is inline");
    const { createHash } = await import("node:crypto");
    assert.ok(csp.includes(`'sha256-${createHash("sha256").update(script).digest("base64")}'`), "the CSP allows exactly that script");
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "no external scripts, styles or images");
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/, "no absolute URLs (CDN, fonts)");
  } finally {
    await s.close();
  }
});

test("access: on a non-loopback admin address `/`, /debug/status and /debug/events need the bearer token", async () => {
  const s = await setup("0.0.0.0:0", TOKEN);
  try {
    for (const path of ["/", "/index.html", "/debug/status", "/debug/events", "/debug/graph.svg"]) {
      const r = await fetch(`http://127.0.0.1:${s.admin.port}${path}`);
      assert.equal(r.status, 401, `${path} without the token`);
      await r.body?.cancel();
    }
    const page = await fetch(`http://127.0.0.1:${s.admin.port}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(page.status, 200);
    await page.body?.cancel();
    const status = await fetch(`http://127.0.0.1:${s.admin.port}/debug/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(status.status, 200);
    assert.deepEqual(((await status.json()) as LiveReport).services.map((x) => x.service), [...s.result.snapshot.proxies.keys()].sort());
  } finally {
    await s.close();
  }
});

test("/debug/events: graph and status at once, then a status event when the snapshot changes (the client asks nothing)", async () => {
  const s = await setup("127.0.0.1:0");
  try {
    // The graph renders asynchronously (WebAssembly); wait until it is there so the first events include it.
    for (let i = 0; i < 200 && !s.live.graphView(); i++) await new Promise((r) => setTimeout(r, 25));
    const res = await fetch(`http://127.0.0.1:${s.admin.port}/debug/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
    let changed = false;
    const events = await readEvents(res, (ev) => {
      if (!changed && ev.some((e) => e.event === "status")) {
        changed = true;
        // A new snapshot: one service gone.
        const next = new Map(s.result.snapshot.proxies);
        next.delete([...next.keys()].sort()[0]!);
        s.xds.setSnapshot({ proxies: next });
      }
      return ev.filter((e) => e.event === "status").length >= 2;
    });
    const graph = JSON.parse(events.find((e) => e.event === "graph")!.data) as { svg: string; nodes: Record<string, string> };
    assert.match(graph.svg, /<svg/);
    for (const id of Object.values(graph.nodes)) assert.ok(graph.svg.includes(`id="${id.replace(/-/g, "&#45;")}"`), `node ${id} in the SVG`);
    const [first, second] = events.filter((e) => e.event === "status").map((e) => JSON.parse(e.data) as LiveReport);
    assert.equal(second!.services.length, first!.services.length - 1);
    assert.notEqual(second!.snapshot!.version, first!.snapshot!.version);
  } finally {
    await s.close();
  }
});

test("event streams are bounded: one more than allowed gets 503; closing the admin ends them", async () => {
  const saved = LIVE_LIMITS.maxSseClients;
  LIVE_LIMITS.maxSseClients = 3;
  const s = await setup("127.0.0.1:0");
  try {
    const open = await Promise.all([1, 2, 3].map(() => fetch(`http://127.0.0.1:${s.admin.port}/debug/events`)));
    for (const r of open) assert.equal(r.status, 200);
    for (let i = 0; i < 100 && s.live.clientCount() < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.live.clientCount(), 3);
    const extra = await fetch(`http://127.0.0.1:${s.admin.port}/debug/events`);
    assert.equal(extra.status, 503);
    await extra.body?.cancel();
    const ended = Promise.all(open.map(async (r) => {
      const reader = r.body!.getReader();
      for (;;) if ((await reader.read()).done) return true;
    }));
    const t0 = Date.now();
    await s.admin.close(5000);
    assert.ok(await ended, "every stream ended");
    assert.ok(Date.now() - t0 < 4000, "close did not wait out its grace for the event streams");
  } finally {
    LIVE_LIMITS.maxSseClients = saved;
    await s.xds.close(1000);
  }
});

test("a mesh past maxGraphNodes gets a note instead of a Graphviz drawing (seconds on the event loop, or a stack overflow, at 1,000 services)", async () => {
  const { result } = translateCase("subsets-canary");
  const xds = await startXdsServer({ address: "127.0.0.1:0", snapshot: result.snapshot });
  try {
    const live = new LiveStatus(xds, () => undefined);
    const n = LIVE_LIMITS.maxGraphNodes + 1;
    const nodes: GraphNode[] = Array.from({ length: n }, (_, i) => ({ id: `svc-${i}`, kind: "sidecar", ports: [], subsets: [] }));
    live.setGraph({ mesh: "big", nodes, edges: [] });
    const view = live.graphView(); // past the bound the note is there at once: no Graphviz run
    assert.ok(view, "a view for the large mesh");
    assert.match(view.svg, new RegExp(`${n} services: more than the dashboard draws`));
    assert.deepEqual(view.nodes, {});
  } finally {
    await xds.close(1000);
  }
});
