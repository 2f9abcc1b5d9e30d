// Snapshot variants (issue 13 items 1 and 7; src/snapshot/variants.ts): which snapshot a node gets, that only the
// ClusterLoadAssignments of a locality variant differ (every other resource is the default's own object), that a
// build directory and its reader round-trip every variant with the same versions, and that the xDS cache reports a
// change that touches only one variant.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BuildDirReader } from "../../src/backends/envoy/build-dir-reader.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { makeProxySnapshot } from "../../src/snapshot/build.js";
import type { MeshSnapshot, ProxySnapshot } from "../../src/snapshot/types.js";
import { resolveProxy } from "../../src/snapshot/variants.js";
import { SnapshotCache } from "../../src/xds/cache.js";
import { loadCase, translateCase } from "../backend/cases.js";

const root = mkdtempSync(join(tmpdir(), "meshc-variants-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("a node gets its instance's variant, else its locality's, else the default (a fallback when undeclared)", () => {
  const { result } = translateCase("zones");
  const web = result.snapshot.proxies.get("web")!;
  const batch = result.snapshot.proxies.get("batch")!;
  const api = result.snapshot.proxies.get("api")!;
  assert.deepEqual([...web.variants!.keys()], ["instance:10.0.1.5%3A8081", "instance:10.0.1.5%3A8082"]);
  assert.deepEqual([...batch.variants!.keys()], ["locality:eu,eu-a", "locality:eu,eu-b", "locality:us,us-a"]);
  assert.equal(api.variants, undefined, "api's instances call nothing with failover: no variants");

  const own = resolveProxy(web, { id: "10.0.1.5:8082", locality: { region: "eu", zone: "eu-b" } });
  assert.equal(own.variant, "instance:10.0.1.5%3A8082");
  assert.equal(own.fallback, false);
  const zoneB = resolveProxy(batch, { id: "anything", locality: { region: "eu", zone: "eu-b" } });
  assert.equal(zoneB.variant, "locality:eu,eu-b");
  const unknown = resolveProxy(batch, { id: "x", locality: { region: "ap", zone: "ap-1" } });
  assert.equal(unknown.proxy, batch);
  assert.equal(unknown.fallback, true);
  const none = resolveProxy(api, { id: "x", locality: { region: "ap", zone: "ap-1" } });
  assert.equal(none.fallback, false, "a service without locality variants has nothing to fall back from");

  // Only the ClusterLoadAssignments of a locality variant differ; the rest is the same objects.
  const v = batch.variants!.get("locality:eu,eu-b")!;
  for (const kind of ["cluster", "listener", "route"] as const) {
    assert.equal(v.resources[kind].length, batch.resources[kind].length, kind);
    v.resources[kind].forEach((r, i) => assert.equal(r, batch.resources[kind][i], `${kind} ${r.name} is the default's object`));
  }
  assert.notEqual(v.versions.endpoint, batch.versions.endpoint);
  // The same locality's assignments in another caller are the same encoded objects (encoded once).
  const reports = result.snapshot.proxies.get("reports")!.variants!.get("locality:eu,eu-b")!;
  const name = "outbound|9090||api";
  assert.equal(reports.resources.endpoint.find((r) => r.name === name), v.resources.endpoint.find((r) => r.name === name));
  // An instance variant has its own listeners, on its own ports.
  const inst = web.variants!.get("instance:10.0.1.5%3A8082")!;
  assert.deepEqual(inst.resources.listener.map((r) => r.name), ["inbound|8082", "outbound|15201|http", "outbound|15202|tcp|db"]);
});

test("translation is deterministic: variants and versions are equal across runs", () => {
  const a = translateMesh(loadCase("zones")).snapshot;
  const b = translateMesh(loadCase("zones")).snapshot;
  const versions = (s: MeshSnapshot) => [...s.proxies].map(([k, p]) => [k, p.versions, [...(p.variants ?? [])].map(([v, x]) => [v, x.versions])]);
  assert.deepEqual(versions(a), versions(b));
});

test("a build directory round-trips every variant (files that differ only) with equal versions", async () => {
  const { ir, result } = translateCase("zones");
  const dir = join(root, "build");
  const files = renderBuild(ir.name, result.snapshot);
  assert.ok(files.has("batch/locality/eu,eu-b/eds.json"));
  assert.ok(!files.has("batch/locality/eu,eu-b/cds.json"), "a locality variant's folder holds only its eds.json");
  assert.ok(files.has("web/instance/10.0.1.5%3A8081/lds.json"));
  await writeBuildDir(dir, files);
  const r = await new BuildDirReader().read(dir);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  for (const [name, p] of result.snapshot.proxies) {
    const got: ProxySnapshot = r.snapshot.proxies.get(name)!;
    assert.deepEqual(got.versions, p.versions, name);
    assert.deepEqual([...(got.variants?.keys() ?? [])].sort(), [...(p.variants?.keys() ?? [])].sort(), `${name} variants`);
    for (const [k, v] of p.variants ?? []) assert.deepEqual(got.variants!.get(k)!.versions, v.versions, `${name} ${k}`);
  }
});

test("the xDS cache reports a service changed when only one of its variants changed", () => {
  const { result } = translateCase("zones");
  const cache = new SnapshotCache();
  cache.setSnapshot(result.snapshot);
  const batch = result.snapshot.proxies.get("batch")!;
  const usA = batch.variants!.get("locality:us,us-a")!;
  // The us-a variant loses its assignments; the default and the other variants stay as they were.
  const changedVariant = { ...makeProxySnapshot("batch", { ...usA.resources, endpoint: usA.resources.endpoint.slice(1) }), variant: usA.variant! };
  const next: MeshSnapshot = { proxies: new Map([...result.snapshot.proxies, ["batch", { ...batch, variants: new Map([...batch.variants!, ["locality:us,us-a", changedVariant]]) }]]) };
  let seen: string[] = [];
  cache.watch("batch", (_p, kinds) => (seen = [...kinds]));
  const change = cache.setSnapshot(next);
  assert.deepEqual(change.changed, [{ service: "batch", kinds: ["endpoint"] }]);
  assert.deepEqual(seen, ["endpoint"]);
});
