// Which services each proxy's translation read (issue 12 item 5: `meshc serve` re-translates only the proxies whose
// inputs changed). Recorded, not predicted: the translator looks services up through a MeshIndex whose service()
// records the name, and reads the mesh through an IR view whose `services` records "every service"; what a cached
// build (a cluster, an assignment, a virtual host) read is stored with it and added to every proxy that takes it
// from the cache. Everything else a proxy's translation reads is its own ServiceIR or mesh-wide (the IR without its
// services), which the caller fingerprints as a whole (src/serve/incremental-translate.ts).
import type { MeshIR } from "../../ir/types.js";
import { MeshIndex } from "./model.js";

/** A read of `ir.services` as a whole: the proxy depends on every service. */
export const EVERY_SERVICE = "\0every-service";

export class DependencyRecorder {
  private readonly stack: Set<string>[] = [];

  /** Starts recording reads (a proxy's translation, or a cached build within it). */
  enter(): void {
    this.stack.push(new Set());
  }

  /** Ends the innermost recording; its reads also count for the one around it. */
  leave(): Set<string> {
    const top = this.stack.pop();
    if (!top) throw new Error("meshc bug: DependencyRecorder.leave() without enter()");
    this.merge(top);
    return top;
  }

  read(name: string): void {
    this.stack[this.stack.length - 1]?.add(name);
  }

  /** Adds what a cached build read to the recording under way. */
  merge(names: ReadonlySet<string> | undefined): void {
    const top = this.stack[this.stack.length - 1];
    if (top && names) for (const n of names) top.add(n);
  }

  /** An IR view whose `services` counts as reading every service (outside a recording it counts for nothing). */
  trackedIr(ir: MeshIR): MeshIR {
    return new Proxy(ir, {
      get: (target, key, receiver) => {
        if (key === "services") this.read(EVERY_SERVICE);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  }

  /** A MeshIndex over `ir` whose lookups are recorded (by name: a lookup of a missing service is an input too). */
  trackedIndex(ir: MeshIR): MeshIndex {
    const index = new MeshIndex(ir);
    const lookup = index.service.bind(index);
    index.service = (name: string) => {
      this.read(name);
      return lookup(name);
    };
    return index;
  }
}
