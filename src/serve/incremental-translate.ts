// Translation across `meshc serve` reloads (issue 12 item 5: a one-line edit of a 1,000-service mesh reaches the
// affected proxies within a second). Two kinds of reuse, both checked against a fresh translation by
// test/serve/incremental-translate.test.ts (random edits; every proxy's and variant's versions and bytes):
// - per proxy: a proxy is translated again only when one of its inputs changed. Its inputs are the mesh-wide part
//   of the IR (everything but the services, plus what the translator derives from all services), its own ServiceIR
//   and the ServiceIRs its last translation read, as recorded by translate-deps.ts (a proxy that read the service
//   list as a whole depends on every service). Each input is compared by a hash of its JSON: a difference in
//   anything the IR holds, even one the backend ignores, translates the proxy again.
// - per resource: whatever is translated again is encoded through an EncodeCarry (encode-carry.ts), so unchanged
//   content is not re-encoded and keeps the very same EncodedResource.
// A translation that reported issues is not reused (the next one translates everything): reused proxies then never
// hide an issue a fresh translation would report.
import { EncodeCarry } from "../backends/envoy/encode-carry.js";
import { translateMesh, type TranslateOptions, type TranslateResult } from "../backends/envoy/translate.js";
import { translateMeshCancellable } from "../backends/envoy/translate-async.js";
import { DependencyRecorder } from "../backends/envoy/translate-deps.js";
import type { MeshIR } from "../ir/types.js";
import type { EncodedResource, ProxySnapshot } from "../snapshot/types.js";
import { translationInputs } from "../backends/envoy/translation-inputs.js";

export interface IncrementalStats {
  /** Proxies translated this time, and taken unchanged from the last translation. */
  translated: number;
  reused: number;
  /** Why every proxy was translated, when it was. */
  full?: "first" | "mesh-wide change" | "last translation had issues" | "duplicate service names";
  /** Resources and virtual hosts taken from the carry instead of being encoded again. */
  carried: number;
  /** Messages encoded. */
  encodes: number;
}

interface Kept {
  proxy: ProxySnapshot;
  /** Services (by name) the proxy's translation read, sorted; EVERY_SERVICE for all of them. */
  reads: string[];
  /** The hash of those inputs when it was translated. */
  key: string;
}


export class IncrementalTranslator {
  private readonly carry = new EncodeCarry();
  private last: { meshKey: string; proxies: Map<string, Kept> } | undefined;
  /** Why there is no `last` to reuse. */
  private noBase: NonNullable<IncrementalStats["full"]> = "first";
  stats: IncrementalStats = { translated: 0, reused: 0, carried: 0, encodes: 0 };

  translate(ir: MeshIR): TranslateResult {
    const run = this.prepare(ir);
    return run.finish(translateMesh(ir, run.options));
  }

  /**
   * translate() for a `meshc serve` load that can be cancelled (translate-async.ts). A cancelled translation leaves
   * the last one as the base of the next; what it encoded stays in the carry (content-keyed, so never stale).
   */
  async translateCancellable(ir: MeshIR, signal: AbortSignal): Promise<TranslateResult> {
    const run = this.prepare(ir);
    return run.finish(await translateMeshCancellable(ir, signal, undefined, run.options));
  }

  private prepare(ir: MeshIR): { options: TranslateOptions; finish: (result: TranslateResult) => TranslateResult } {
    const { duplicates, meshKey, inputsKey } = translationInputs(ir);

    const full: IncrementalStats["full"] = duplicates ? "duplicate service names" : !this.last ? this.noBase : this.last.meshKey !== meshKey ? "mesh-wide change" : undefined;
    const previous = full ? undefined : this.last;
    const kept = new Map<string, Kept>();
    let reused = 0;
    let translated = 0;
    const deps = new DependencyRecorder();
    const options: TranslateOptions = {
      carry: this.carry,
      deps,
      reuse: (svc) => {
        const k = previous?.proxies.get(svc.name);
        if (!k || k.key !== inputsKey(k.reads)) return undefined;
        kept.set(svc.name, k);
        reused++;
        return k.proxy;
      },
      translated: (svc, proxy, reads) => {
        translated++;
        const sorted = [...reads].sort();
        kept.set(svc.name, { proxy, reads: sorted, key: inputsKey(sorted) });
      },
    };
    const finish = (result: TranslateResult): TranslateResult => {
      this.stats = { translated, reused, carried: this.carry.reused, encodes: result.stats.encodes, ...(full ? { full } : {}) };

      // Resources of reused proxies did not pass through the encoder: the carry keeps them for their next translation.
      const live = new Set<EncodedResource>();
      for (const k of kept.values()) if (previous?.proxies.get(k.proxy.service) === k) addResources(live, k.proxy);
      this.carry.endTranslation(live);
      this.last = result.issues.length === 0 && !duplicates ? { meshKey, proxies: kept } : undefined;
      this.noBase = duplicates ? "duplicate service names" : "last translation had issues";
      return result;
    };
    return { options, finish };
  }
}

function addResources(into: Set<EncodedResource>, p: ProxySnapshot): void {
  for (const list of Object.values(p.resources)) for (const r of list) into.add(r);
  for (const v of p.variants?.values() ?? []) addResources(into, v);
}
