// Idle-time preparation of a newly published snapshot: each distinct resource's wire field (the Any wrapper the SotW
// responses copy, ./wire.ts), each proxy's name index (./cache.ts), each cluster's EDS service name
// (./resource-types.ts) and whether a proxy's listeners carry RBAC filters (./version-skew.ts) are otherwise built
// by the first stream that needs them, i.e. during a full sync, when the main thread is the bottleneck. Right after
// `meshc serve` is ready (or a reload is published) the server is mostly idle while proxies connect, so the work is
// done then, in slices of a few milliseconds between which the event loop serves whatever arrived (a stream that
// needs something first simply builds it itself). The results are caches keyed by the snapshot's objects
// (WeakMaps), so nothing here changes what is sent, only when it is computed; a newer snapshot cancels the walk
// over the older one.
import type { MeshSnapshot, ProxySnapshot, ResourceKind } from "../snapshot/types.js";
import { resourceIndex } from "./cache.js";
import { edsServiceName } from "./resource-types.js";
import { usesAuthorization } from "./version-skew.js";
import { prepareResource } from "./wire.js";

/** CPU per slice before yielding to the event loop. */
const SLICE_MS = 4;

const KINDS: readonly ResourceKind[] = ["cluster", "endpoint", "listener", "route", "secret"];

/** Walks the snapshot in idle slices; returns a function that stops the walk. */
export function prewarm(mesh: MeshSnapshot): () => void {
  let stopped = false;
  const proxies: ProxySnapshot[] = [];
  for (const p of mesh.proxies.values()) {
    proxies.push(p);
    for (const v of p.variants?.values() ?? []) proxies.push(v);
  }
  let i = 0;
  const slice = () => {
    if (stopped) return;
    const until = performance.now() + SLICE_MS;
    while (i < proxies.length) {
      const p = proxies[i++]!;
      usesAuthorization(p);
      for (const kind of KINDS) {
        const list = p.resources[kind];
        if (!list) continue;
        resourceIndex(p, kind);
        for (const r of list) {
          prepareResource(r);
          if (kind === "cluster") edsServiceName(r);
        }
      }
      if (performance.now() >= until) break;
    }
    if (i < proxies.length) setImmediate(slice).unref();
  };
  setImmediate(slice).unref();
  return () => {
    stopped = true;
  };
}
