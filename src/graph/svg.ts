// The service graph as SVG, rendered in process by Graphviz compiled to WebAssembly (@viz-js/viz): no `dot`
// binary needed. The instance is created once and reused (creating it costs ~100 ms). Output is deterministic for
// a given DOT text and @viz-js/viz version. The module (1.2 MB with its WebAssembly) is imported on first use, so
// commands that draw nothing do not pay for loading it.
import type { Viz } from "@viz-js/viz";
import { renderDot } from "./dot.js";
import type { GraphModel } from "./model.js";

let viz: Promise<Viz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  viz ??= import("@viz-js/viz").then((m) => m.instance());
  const r = (await viz).render(dot, { format: "svg" });
  if (r.status !== "success") throw new Error(`graphviz: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.output;
}

export async function renderSvg(g: GraphModel): Promise<string> {
  return dotToSvg(renderDot(g));
}
