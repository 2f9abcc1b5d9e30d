// The admin dashboard page served at `/` by `meshc serve`: one self-contained HTML document (styles and the
// esbuild-bundled script inline; no CDN, no fonts, nothing fetched but its own event stream), with a
// Content-Security-Policy that allows exactly that. The script is ./client.ts: from `dist/dashboard.js` (built by
// scripts/build.mjs) when meshc runs from its bundle, bundled from source in memory when it runs from src/.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LEGEND_CSS, LEGEND_HTML } from "../graph/html.js";
import { packageInfo } from "../runtime/package-root.js";

let cached: Promise<{ html: string; csp: string }> | undefined;

async function clientScript(): Promise<string> {
  const root = packageInfo().root;
  const fromDist = fileURLToPath(import.meta.url).startsWith(join(root, "dist"));
  const built = join(root, "dist", "dashboard.js");
  if (fromDist || !existsSync(join(root, "src", "dashboard", "client.ts"))) return readFileSync(built, "utf8");
  const { build } = await import("esbuild");
  const r = await build({ ...DASHBOARD_BUILD, entryPoints: [join(root, "src", "dashboard", "client.ts")], write: false });
  return r.outputFiles[0]!.text;
}

/** esbuild options for the page's script (scripts/build.mjs builds dist/dashboard.js with the same). */
export const DASHBOARD_BUILD = { bundle: true, platform: "browser", format: "iife", target: "es2020", minify: true, legalComments: "none", logLevel: "warning" } as const;

const CSS = `
:root{--green:#1a7f37;--green-bg:#dafbe1;--red:#cf222e;--red-bg:#ffebe9;--amber:#9a6700;--amber-bg:#fff8c5;--grey:#6e7781;--grey-bg:#eaeef2}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#24292f;background:#f6f8fa;font-size:14px}
header{display:flex;flex-wrap:wrap;gap:18px;align-items:baseline;padding:12px 20px;background:#fff;border-bottom:1px solid #d0d7de}
header h1{font-size:18px;margin:0}
main{padding:16px 20px;display:grid;gap:16px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;overflow:auto}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-weight:600;color:#57606a;font-size:12px;text-transform:uppercase}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.muted{color:var(--grey)}
.good{color:var(--green)}.bad{color:var(--red)}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.pill.state-synced{background:var(--green-bg);color:var(--green)}
.pill.state-stale{background:var(--amber-bg);color:var(--amber)}
.pill.state-nacked{background:var(--red-bg);color:var(--red)}
.pill.state-not-sent{background:var(--grey-bg);color:var(--grey)}
tr.sev-error td:first-child{color:var(--red)}tr.sev-warning td:first-child{color:var(--amber)}
#graph svg{max-width:100%;height:auto}
#graph g.service path,#graph g.service polygon{transition:fill .2s,stroke .2s}
#graph g.state-synced path,#graph g.state-synced polygon{fill:var(--green-bg);stroke:var(--green);stroke-width:1.5}
#graph g.state-stale path,#graph g.state-stale polygon,#graph g.state-not-sent path,#graph g.state-not-sent polygon{fill:var(--amber-bg);stroke:var(--amber);stroke-width:1.5}
#graph g.state-nacked path,#graph g.state-nacked polygon{fill:var(--red-bg);stroke:var(--red);stroke-width:2.5}
#graph g.state-no-proxy path,#graph g.state-no-proxy polygon{fill:var(--grey-bg);stroke:var(--grey)}
#nacks{color:var(--red);margin:8px 0 0;padding-left:18px}
${LEGEND_CSS}
.legend .s{width:14px;height:10px;border:1.5px solid}.legend .s.synced{background:var(--green-bg);border-color:var(--green)}.legend .s.stale{background:var(--amber-bg);border-color:var(--amber)}.legend .s.nacked{background:var(--red-bg);border-color:var(--red)}.legend .s.none{background:var(--grey-bg);border-color:var(--grey)}
`;

const BODY = `
<header>
  <h1>meshc</h1>
  <span>snapshot <b id="version" class="mono">…</b> <span id="changed" class="muted"></span></span>
  <span id="summary"></span>
  <span id="live" class="muted">connecting…</span>
</header>
<main>
  <section>
    <h2>Service graph</h2>
    ${LEGEND_HTML}
    <ul class="legend"><li><span class="s synced"></span>all proxies SYNCED</li><li><span class="s stale"></span>STALE / NOT SENT</li><li><span class="s nacked"></span>NACKED</li><li><span class="s none"></span>no connected proxy</li></ul>
    <div id="graph"></div>
  </section>
  <section>
    <h2>Proxies</h2>
    <table id="proxies"></table>
    <p id="omitted" class="muted"></p>
    <ul id="nacks"></ul>
  </section>
  <section>
    <h2>Last load</h2>
    <p id="load"></p>
    <div id="diagnostics"></div>
  </section>
</main>`;

/** The page and the Content-Security-Policy header it needs (its inline script's hash). */
export function dashboardPage(): Promise<{ html: string; csp: string }> {
  cached ??= clientScript().then((raw) => {
    const js = raw.replace(/<\/script/gi, "<\\/script");
    const hash = createHash("sha256").update(js).digest("base64");
    const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    const html = `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>meshc dashboard</title>\n<style>${CSS}</style>\n</head>\n<body>${BODY}\n<script>${js}</script>\n</body>\n</html>\n`;
    return { html, csp };
  });
  cached.catch(() => (cached = undefined));
  return cached;
}
