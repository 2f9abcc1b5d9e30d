// The service graph (model.ts) as a Mermaid flowchart (`meshc graph -o mermaid`), for Markdown that renders it
// (GitHub, GitLab). Same content as the DOT form: nodes with ports and subsets, edges with protocols and splits;
// gRPC edges thick, TCP and mirrors dotted.
import { edgeLabel, nodeLabel } from "./dot.js";
import type { GraphModel } from "./model.js";

/** Mermaid ids must be plain words: services are DNS-like names, so map each to n<index> instead. */
const text = (s: string) => `"${s.replace(/"/g, "#quot;").replace(/\n/g, "<br/>")}"`;

export function renderMermaid(g: GraphModel): string {
  const id = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = ["flowchart LR"];
  for (const n of g.nodes) {
    const label = text(nodeLabel(n));
    out.push(`  ${id.get(n.id)}${n.kind === "sidecar" ? `(${label})` : n.kind === "proxyless" ? `[/${label}/]` : `[${label}]`}`);
  }
  for (const e of g.edges) {
    const label = edgeLabel(e);
    const tcp = e.protocols.length > 0 && e.protocols.every((p) => p === "tcp");
    const arrow = e.kind === "mirror" || tcp ? "-.->" : e.protocols.includes("grpc") ? "==>" : "-->";
    out.push(`  ${id.get(e.from) ?? e.from} ${arrow}${label ? `|${text(label)}|` : ""} ${id.get(e.to) ?? e.to}`);
  }
  for (const n of g.nodes) if (n.kind !== "sidecar") out.push(`  class ${id.get(n.id)} ${n.kind}`);
  out.push("  classDef proxyless stroke-dasharray: 5 5", "  classDef external stroke-dasharray: 2 2");
  return `${out.join("\n")}\n`;
}
