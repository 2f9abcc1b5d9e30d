// `meshc graph -o html`: one self-contained page (no scripts, no external fonts or CDN) with the rendered SVG of
// the service graph and a legend, to attach to a pull request or open from disk.
import type { GraphModel } from "./model.js";
import { renderSvg } from "./svg.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The legend shared by this page and the dashboard. */
export const LEGEND_HTML = `<ul class="legend">
<li><span class="l-http"></span>HTTP</li><li><span class="l-grpc"></span>gRPC</li><li><span class="l-tcp"></span>TCP</li><li><span class="l-mirror"></span>mirror</li>
<li><span class="l-box"></span>sidecar</li><li><span class="l-box dashed"></span>proxyless gRPC client</li><li><span class="l-box dotted"></span>outside the mesh</li>
</ul>`;

export const LEGEND_CSS = `.legend{list-style:none;display:flex;flex-wrap:wrap;gap:14px;padding:0;margin:8px 0;font-size:12px;color:#57606a}
.legend li{display:flex;align-items:center;gap:6px}
.legend span{display:inline-block;width:26px;height:0;border-top:2px solid #57606a}
.legend .l-grpc{border-top-color:#1f6feb}.legend .l-tcp{border-top-style:dashed}.legend .l-mirror{border-top-style:dotted}
.legend .l-box{width:16px;height:10px;border:1.5px solid #57606a;border-radius:3px}.legend .l-box.dashed{border-style:dashed}.legend .l-box.dotted{border-style:dotted;border-radius:0}`;

export async function renderHtml(g: GraphModel): Promise<string> {
  const svg = (await renderSvg(g)).replace(/^<\?xml[^>]*>\s*/, "").replace(/^<!DOCTYPE[^>]*>\s*/, "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(g.mesh)}: service graph</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#24292f;background:#f6f8fa}
h1{font-size:18px;margin:0 0 4px}
.graph{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;overflow:auto}
${LEGEND_CSS}
</style>
</head>
<body>
<h1>${esc(g.mesh)}: service graph</h1>
<p>${g.nodes.length} services, ${g.edges.length} edges (meshc graph)</p>
${LEGEND_HTML}
<div class="graph">
${svg.trim()}
</div>
</body>
</html>
`;
}
