// The build writer assembles route tables and assignments from shared segments (src/build/render-segments.ts):
// for every resource of the backend golden meshes and a synthetic mesh with locality failover (priorities spliced
// into shared groups), the segments concatenate to exactly renderResource's text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { SegmentRenderer } from "../../src/build/render-segments.js";
import { renderResource } from "../../src/build/render.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import type { ResourceKind } from "../../src/snapshot/types.js";
import { caseNames, loadCase } from "./cases.js";

test("segments concatenate to each resource's rendering, shared pieces copied once", () => {
  let allocated = 0;
  const seg = new SegmentRenderer((n) => {
    allocated += n;
    return Buffer.alloc(n);
  });
  let resources = 0;
  let rendered = 0;
  let spliced = 0;
  let lists = 0;
  for (const ir of [...caseNames().map(loadCase), syntheticMesh({ services: 20 })]) {
    const { snapshot } = translateMesh(ir);
    for (const p of snapshot.proxies.values()) {
      for (const v of [p, ...(p.variants?.values() ?? [])]) {
        for (const [kind, list] of Object.entries(v.resources) as [ResourceKind, typeof v.resources.route][]) {
          for (const r of list) {
            const segs = seg.resource(kind, r);
            const text = renderResource(kind, r);
            assert.equal(Buffer.concat(segs).toString(), text, `${kind} ${r.name}`);
            assert.equal(seg.resource(kind, r), segs, "the same segments for the same resource");
            if (segs.length > 1) spliced++;
            // A separator rides on the item before it: a route table is its head, one segment per virtual host
            // but the last, which ends with the list's close (two), whatever the hosts' number.
            const hosts = (canonicalOf(kind, r).virtual_hosts as unknown[] | undefined)?.length ?? 0;
            if (kind === "route" && segs.length > 1) {
              assert.equal(segs.length, hosts + 2, `${r.name}: ${hosts} virtual hosts in ${segs.length} segments`);
              lists++;
            }
            resources++;
            rendered += Buffer.byteLength(text);
          }
        }
      }
    }
  }
  assert.ok(spliced > 100, `${spliced} resources assembled from segments`);
  assert.ok(lists > 10, `${lists} route tables assembled from virtual hosts`);
  assert.ok(allocated < rendered / 2, `${allocated} bytes copied for ${rendered} bytes of ${resources} resources`);
});
