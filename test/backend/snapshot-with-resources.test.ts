// withResources (src/snapshot/build.ts) is how translation makes a locality variant from its service's snapshot:
// it must give exactly makeProxySnapshot's result for the same lists (same versions, order, key order, errors).
import assert from "node:assert/strict";
import { test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { makeProxySnapshot, withResources } from "../../src/snapshot/build.js";
import { PUSH_ORDER, type EncodedResource } from "../../src/snapshot/types.js";

const plain = (p: object) => JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));

test("withResources equals makeProxySnapshot with one kind replaced", () => {
  const { snapshot } = translateMesh(syntheticMesh({ services: 12 }));
  const proxies = [...snapshot.proxies.values()];
  let checked = 0;
  for (const [i, p] of proxies.entries()) {
    const base = makeProxySnapshot(p.service, p.resources);
    const other = proxies[(i + 1) % proxies.length]!;
    for (const kind of PUSH_ORDER) {
      // Another proxy's list (unsorted: reversed), an empty one, and the variants' own lists.
      const lists: EncodedResource[][] = [[...other.resources[kind]].reverse(), [], ...[...(p.variants?.values() ?? [])].map((v) => v.resources[kind])];
      for (const list of lists) {
        assert.equal(plain(withResources(base, kind, list)), plain(makeProxySnapshot(p.service, { ...base.resources, [kind]: list })), `${p.service} ${kind}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `${checked} lists checked`);
  const p = proxies.find((x) => x.resources.cluster.length > 0)!;
  const dup = [p.resources.cluster[0]!, p.resources.cluster[0]!];
  assert.throws(() => withResources(p, "cluster", dup), /two cluster resources named/);
});
