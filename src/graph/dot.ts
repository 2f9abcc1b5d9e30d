// The service graph (model.ts) as Graphviz DOT: the text `meshc graph -o dot` prints and what svg.ts renders.
// Node ids are "svc-<service>" and carry a class (its kind), so the SVG can be styled and coloured by the dashboard.
// Edges: HTTP solid, gRPC blue, TCP dashed, mirrors dotted; labels say the protocols and the weighted splits.
import type { GraphEdge, GraphModel, GraphNode } from "./model.js";

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

const PROTOCOL: Record<string, string> = { http: "HTTP", http2: "HTTP/2", grpc: "gRPC", tcp: "TCP" };

/** The SVG element id of a service's node (also used by the dashboard). */
export const nodeId = (service: string) => `svc-${service}`;

export function nodeLabel(n: GraphNode): string {
  const lines = [n.kind === "sidecar" ? n.id : `${n.id}\n(${n.kind === "proxyless" ? "proxyless gRPC" : "outside the mesh"})`];
  for (const p of n.ports) lines.push(`${p.name} :${p.port} ${PROTOCOL[p.protocol] ?? p.protocol}`);
  if (n.subsets.length) lines.push(`subsets: ${n.subsets.join(", ")}`);
  return lines.join("\n");
}

export function edgeLabel(e: GraphEdge): string {
  if (e.kind === "mirror") return `mirror ${e.percent ?? 0}%`;
  return [e.protocols.map((p) => PROTOCOL[p] ?? p).join(" + "), ...e.splits].filter(Boolean).join("\n");
}

function nodeAttrs(n: GraphNode): string {
  const style = n.kind === "proxyless" ? "rounded,dashed,filled" : n.kind === "external" ? "dotted,filled" : "rounded,filled";
  return `id=${q(nodeId(n.id))}, class=${q(`service ${n.kind}`)}, label=${q(nodeLabel(n))}, style=${q(style)}`;
}

function edgeAttrs(e: GraphEdge, i: number): string {
  const a = [`id=${q(`edge-${i}`)}`, `class=${q(`call ${e.kind === "mirror" ? "mirror" : e.protocols.join(" ")}`.trim())}`];
  const label = edgeLabel(e);
  if (label) a.push(`label=${q(label)}`);
  if (e.kind === "mirror") a.push(`style="dotted"`);
  else if (e.protocols.length && e.protocols.every((p) => p === "tcp")) a.push(`style="dashed"`);
  if (e.kind !== "mirror" && e.protocols.includes("grpc")) a.push(`color="#1f6feb"`, `fontcolor="#1f6feb"`);
  return a.join(", ");
}

export function renderDot(g: GraphModel): string {
  const out = [
    `digraph ${q(g.mesh)} {`,
    `  graph [rankdir="LR", fontname="Helvetica", fontsize="11", nodesep="0.5", ranksep="0.9", bgcolor="transparent"];`,
    `  node [shape="box", fontname="Helvetica", fontsize="11", fillcolor="#ffffff", color="#57606a", margin="0.15,0.08"];`,
    `  edge [fontname="Helvetica", fontsize="10", color="#57606a", fontcolor="#24292f"];`,
  ];
  for (const n of g.nodes) out.push(`  ${q(n.id)} [${nodeAttrs(n)}];`);
  g.edges.forEach((e, i) => out.push(`  ${q(e.from)} -> ${q(e.to)} [${edgeAttrs(e, i)}];`));
  out.push("}");
  return `${out.join("\n")}\n`;
}
