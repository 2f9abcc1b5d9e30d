// R10/R15 (issue 9): the admin's /debug/* views on a non-loopback address need the bearer token (401 without it,
// also when no token is configured); loopback stays open; health and metrics stay open. Plaintext ADS on a
// non-loopback address is refused unless --insecure --insecure-allow-remote, with a warning when allowed. SDS
// secrets never appear in /debug/snapshot.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { startAdmin } from "../../src/serve/admin.js";
import { checkXdsExposure, ExposureError, isLoopback, isLoopbackHost, readAdminToken } from "../../src/serve/exposure.js";
import { startServe } from "../../src/serve/serve.js";
import type { XdsServer } from "../../src/xds/index.js";

const TOKEN = "s3cret-token-0123456789";
const secretBytes = Buffer.from("-----BEGIN " + "PRIVATE KEY-----"); // a PEM marker, not a key (split so key scanners stay quiet)
const fakeXds = {
  proxies: () => [{ node: "api" }],
  snapshot: () => ({
    proxies: new Map([["api", { service: "api", versions: { secret: "v1" }, resources: { cluster: [], endpoint: [], listener: [], route: [], secret: [{ name: "default", typeUrl: "x", bytes: secretBytes, hash: "h" }] } }]]),
  }),
} as unknown as XdsServer;

async function get(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: r.status, body: await r.text() };
}

test("admin on a non-loopback address: /debug/* is 401 without the token, 200 with it; /healthz and /metrics stay open", async () => {
  const admin = await startAdmin("0.0.0.0:0", { xds: fakeXds, registry: new Registry(), lastLoad: () => undefined, adminToken: TOKEN });
  try {
    const p = admin.port;
    assert.equal((await get(p, "/debug/proxies")).status, 401);
    assert.equal((await get(p, "/debug/proxies", "wrong-token-0123456789")).status, 401);
    assert.equal((await get(p, "/debug/snapshot/api")).status, 401);
    assert.equal((await get(p, "/debug/proxies", TOKEN)).status, 200);
    assert.equal((await get(p, "/healthz")).status, 200);
    assert.equal((await get(p, "/metrics")).status, 200);
    const snap = await get(p, "/debug/snapshot/api", TOKEN);
    assert.equal(snap.status, 200);
    assert.ok(!snap.body.includes("PRIVATE KEY"), "no secret material in any admin response");
    assert.match(snap.body, /"default"/);
  } finally {
    admin.server.close();
  }
});

test("admin on a non-loopback address without a configured token refuses every /debug/* request", async () => {
  const admin = await startAdmin("0.0.0.0:0", { xds: fakeXds, registry: new Registry(), lastLoad: () => undefined });
  try {
    assert.equal((await get(admin.port, "/debug/proxies")).status, 401);
    assert.equal((await get(admin.port, "/debug/proxies", TOKEN)).status, 401);
  } finally {
    admin.server.close();
  }
});

test("admin on loopback: /debug/* open as before", async () => {
  const admin = await startAdmin("127.0.0.1:0", { xds: fakeXds, registry: new Registry(), lastLoad: () => undefined });
  try {
    assert.equal((await get(admin.port, "/debug/proxies")).status, 200);
  } finally {
    admin.server.close();
  }
});

/** A GET with the Host header a browser would send for a page at that name (fetch() will not set Host). */
function getAs(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("admin on loopback: a Host that is not a loopback name (DNS rebinding) gets 403 for /debug/*, the dashboard and /metrics", async () => {
  const admin = await startAdmin("127.0.0.1:0", { xds: fakeXds, registry: new Registry(), lastLoad: () => undefined });
  try {
    const p = admin.port;
    for (const path of ["/debug/snapshot", "/debug/snapshot/api", "/debug/proxies", "/", "/metrics"]) {
      const r = await getAs(p, path, `evil.example.com:${p}`);
      assert.equal(r.status, 403, path);
      assert.match(r.body, /loopback host only/);
    }
    assert.equal((await getAs(p, "/healthz", "evil.example.com")).status, 200, "health stays open");
    for (const host of [`127.0.0.1:${p}`, "localhost", `LOCALHOST:${p}`, `[::1]:${p}`, "app.localhost", "127.0.0.2"]) {
      assert.equal((await getAs(p, "/debug/snapshot", host)).status, 200, host);
    }
  } finally {
    admin.server.close();
  }
  assert.equal(isLoopbackHost("127.0.0.1.nip.io"), false);
  assert.equal(isLoopbackHost("localhost.evil.com"), false);
  assert.equal(isLoopbackHost("[::ffff:127.0.0.1]:80"), true);
  assert.equal(isLoopbackHost("10.0.0.1"), false);
  assert.equal(isLoopbackHost("myhost:18001", "myhost"), true, "this machine's own name");
  assert.equal(isLoopbackHost("a b"), false);
});

test("plaintext ADS on a non-loopback address needs --insecure --insecure-allow-remote, and warns", async () => {
  assert.deepEqual(checkXdsExposure("127.0.0.1:18000", {}), []);
  assert.deepEqual(checkXdsExposure("[::1]:18000", {}), []);
  assert.throws(() => checkXdsExposure("0.0.0.0:18000", {}), ExposureError);
  assert.throws(() => checkXdsExposure("10.1.2.3:18000", { insecure: true }), ExposureError);
  assert.throws(() => checkXdsExposure("10.1.2.3:18000", { insecureAllowRemote: true }), ExposureError);
  assert.match(checkXdsExposure("0.0.0.0:18000", { insecure: true, insecureAllowRemote: true })[0]!, /PLAINTEXT ADS/);
  // With a CA, plaintext ADS also hands out private keys: warned even on loopback (before: nothing was said).
  assert.match(checkXdsExposure("127.0.0.1:18000", { insecure: true, withCa: true }).join("\n"), /with --ca .* its private key \(SDS\)/);
  assert.equal(checkXdsExposure("0.0.0.0:18000", { insecure: true, insecureAllowRemote: true, withCa: true }).length, 2);
  await assert.rejects(startServe({ source: "/nonexistent/mesh.ts", xdsAddress: "0.0.0.0:0", adminAddress: "127.0.0.1:0", watch: false }), ExposureError);
  assert.equal(isLoopback("127.0.0.2"), true);
  assert.equal(isLoopback("::"), false);
});

test("admin token file: trimmed, at least 16 characters", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-token-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "ok"), `${TOKEN}\n`);
  writeFileSync(join(dir, "short"), "abc\n");
  assert.equal(readAdminToken(join(dir, "ok")), TOKEN);
  assert.throws(() => readAdminToken(join(dir, "short")), ExposureError);
});
