// Every place the IR names another service (route backends, mirrors, TCP route backends), so reference, protocol
// and subset analyzers walk the same list. Entries are small; the phrase, path and location that only a report
// needs are computed on demand (large meshes have tens of thousands of references and almost no findings).
import type { ServiceIR, SourceLoc } from "../ir/types.js";
import type { ModelPath } from "./context.js";
import { q } from "./format.js";

export interface ServiceRef {
  /** The service whose routes hold the reference (routes describe calls *to* it). */
  owner: ServiceIR;
  kind: "backend" | "mirror" | "tcp-backend";
  service: string;
  subset: string | undefined;
  /** Route index (backend, mirror). */
  route: number;
  /** Backend index (backend, tcp-backend). */
  index: number;
}

export function serviceRefs(services: readonly ServiceIR[]): ServiceRef[] {
  const out: ServiceRef[] = [];
  for (const owner of services) {
    const routes = owner.routes;
    for (let i = 0; i < routes.length; i++) {
      const a = routes[i]!.action;
      if (a.kind !== "forward") continue;
      for (let k = 0; k < a.backends.length; k++) {
        const b = a.backends[k]!;
        out.push({ owner, kind: "backend", service: b.service, subset: b.subset, route: i, index: k });
      }
      if (a.mirror) out.push({ owner, kind: "mirror", service: a.mirror.service, subset: a.mirror.subset, route: i, index: -1 });
    }
    const tcp = owner.tcpRoute?.backends ?? [];
    for (let k = 0; k < tcp.length; k++) {
      out.push({ owner, kind: "tcp-backend", service: tcp[k]!.service, subset: tcp[k]!.subset, route: -1, index: k });
    }
  }
  return out;
}

/** Phrase for messages: route "catalog-0", the mirror of route "catalog-0", the TCP route of service "ledger". */
export function refWhere(ref: ServiceRef): string {
  if (ref.kind === "tcp-backend") return `the TCP route of service ${q(ref.owner.name)}`;
  const name = q(ref.owner.routes[ref.route]!.name);
  return ref.kind === "mirror" ? `the mirror of route ${name}` : `route ${name}`;
}

/** Path to the reference object (its `service` and `subset` fields hang below it). */
export function refPath(ref: ServiceRef): ModelPath {
  const s = ref.owner.name;
  if (ref.kind === "tcp-backend") return ["services", s, "tcpRoute", "backends", ref.index];
  const base = ["services", s, "routes", ref.route, "action"];
  return ref.kind === "mirror" ? [...base, "mirror"] : [...base, "backends", ref.index];
}

export function refSource(ref: ServiceRef): SourceLoc | undefined {
  const s = ref.owner;
  return (ref.kind === "tcp-backend" ? s.tcpRoute?.source : s.routes[ref.route]!.source) ?? s.source;
}
