// The service graph `meshc graph` draws and the admin dashboard colours: services (ports, subsets, proxyless or
// outside the mesh) as nodes, calls as edges labelled with what the callee's routes do (weighted splits, mirrors)
// and its protocols (HTTP, HTTP/2, gRPC, TCP). Built from the IR (mesh.ts), or, when `meshc serve` serves a build
// directory, from the snapshot's cluster names (no routes there: plain edges). Plain data, sorted: every renderer
// (dot.ts, mermaid.ts, svg.ts, html.ts) is deterministic because this is.
import type { MeshIR, Protocol, ServiceIR } from "../ir/types.js";
import type { MeshSnapshot } from "../snapshot/types.js";

export type NodeKind = "sidecar" | "proxyless" | "external";

export interface GraphNode {
  /** Service name (unique). */
  id: string;
  kind: NodeKind;
  ports: { name: string; protocol: Protocol; port: number }[];
  subsets: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  /** "call": from calls to (its proxy gets config for it); "mirror": shadow traffic. */
  kind: "call" | "mirror";
  /** Protocols of the callee's ports, sorted. Empty when unknown (snapshot-derived graph). */
  protocols: Protocol[];
  /** Weighted splits of the callee's routes, e.g. ["v1 90%", "v2 10%"] per split, one string per split. */
  splits: string[];
  /** Mirror edges: the percentage mirrored. */
  percent?: number;
}

export interface GraphModel {
  mesh: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const pct = (n: number) => `${Math.round(n * 10) / 10}%`;

function splitText(backends: { service: string; subset?: string; weight: number }[], callee: string): string {
  const total = backends.reduce((n, b) => n + b.weight, 0) || 1;
  return backends.map((b) => `${b.service === callee ? (b.subset ?? b.service) : `${b.service}${b.subset ? `/${b.subset}` : ""}`} ${pct((100 * b.weight) / total)}`).join(" / ");
}

function kindOf(s: ServiceIR): NodeKind {
  return s.nonMesh ? "external" : s.proxyless ? "proxyless" : "sidecar";
}

export function graphFromIr(ir: MeshIR): GraphModel {
  const byName = new Map(ir.services.map((s) => [s.name, s]));
  const nodes: GraphNode[] = [...ir.services]
    .sort((a, b) => cmp(a.name, b.name))
    .map((s) => ({
      id: s.name,
      kind: kindOf(s),
      ports: [...s.ports].sort((a, b) => cmp(a.name, b.name)).map((p) => ({ name: p.name, protocol: p.protocol, port: p.port })),
      subsets: s.subsets.map((x) => x.name).sort(cmp),
    }));
  const edges = new Map<string, GraphEdge>();
  for (const caller of ir.services) {
    for (const calleeName of caller.calls) {
      const callee = byName.get(calleeName);
      if (!callee) continue;
      const splits = new Set<string>();
      for (const r of callee.routes) {
        if (r.action.kind !== "forward") continue;
        if (r.action.backends.length > 1) splits.add(splitText(r.action.backends, callee.name));
        const m = r.action.mirror;
        if (m) {
          const key = `${caller.name}\0${m.service}\0mirror`;
          const prev = edges.get(key);
          const percent = Math.max(prev?.percent ?? 0, m.percent);
          edges.set(key, { from: caller.name, to: m.service, kind: "mirror", protocols: [], splits: [], percent });
        }
      }
      if (callee.tcpRoute && callee.tcpRoute.backends.length > 1) splits.add(splitText(callee.tcpRoute.backends, callee.name));
      const protocols = [...new Set(callee.ports.map((p) => p.protocol))].sort(cmp);
      edges.set(`${caller.name}\0${callee.name}\0call`, { from: caller.name, to: callee.name, kind: "call", protocols, splits: [...splits].sort(cmp) });
    }
  }
  return { mesh: ir.name, nodes, edges: sortEdges([...edges.values()]) };
}

/** Cluster names meshc emits: "outbound|<port>|<subset>|<service>" (see src/backends/envoy/names.ts). */
const OUTBOUND = /^outbound\|\d+\|[^|]*\|(.+)$/;

/** A graph from a served snapshot alone (a build directory has no IR): services, and who holds clusters of whom. */
export function graphFromSnapshot(meshName: string, snap: MeshSnapshot): GraphModel {
  const names = [...snap.proxies.keys()].sort(cmp);
  const nodes: GraphNode[] = names.map((id) => ({ id, kind: "sidecar", ports: [], subsets: [] }));
  const known = new Set(names);
  const edges = new Map<string, GraphEdge>();
  for (const from of names) {
    for (const c of snap.proxies.get(from)!.resources.cluster) {
      const to = OUTBOUND.exec(c.name)?.[1];
      if (!to) continue;
      if (!known.has(to)) {
        known.add(to);
        nodes.push({ id: to, kind: "external", ports: [], subsets: [] });
      }
      edges.set(`${from}\0${to}`, { from, to, kind: "call", protocols: [], splits: [] });
    }
  }
  nodes.sort((a, b) => cmp(a.id, b.id));
  return { mesh: meshName, nodes, edges: sortEdges([...edges.values()]) };
}

function sortEdges(edges: GraphEdge[]): GraphEdge[] {
  return edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.kind, b.kind));
}
