// The admin dashboard's script (runs in the browser; bundled by esbuild into the page, see ./page.ts). It follows
// /debug/events (Server-Sent Events: "graph" when the service graph changes, "status" when the snapshot, a proxy's
// sync state or the last load change) and redraws: the graph's services coloured by their proxies' sync state,
// the proxies table (what `meshc status` prints), the last load's diagnostics, the snapshot version. No polling:
// the only timer re-renders "stale for N s" from the last report's own numbers.
import type { LiveReport, GraphView } from "../serve/live.js";
import type { ProxyRow, ServiceRow, TypeSync } from "../serve/status.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const KINDS = ["CDS", "EDS", "LDS", "RDS", "SDS"];

let graph: GraphView | undefined;
let report: (LiveReport & { receivedAt: number }) | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const stateClass = (s: string) => `state-${s.toLowerCase().replace(/\s+/g, "-")}`;

function ago(iso: string | undefined): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
}

function staleFor(t: TypeSync): string {
  if (t.staleMs === undefined || !report) return "";
  return ` ${Math.round((t.staleMs + Date.now() - report.receivedAt) / 1000)}s`;
}

function colourGraph(): void {
  if (!graph || !report) return;
  const byService = new Map<string, ServiceRow>(report.services.map((s) => [s.service, s]));
  for (const [service, id] of Object.entries(graph.nodes)) {
    const g = document.getElementById(id);
    if (!g) continue;
    const row = byService.get(service);
    const state = row?.state ?? "NO PROXY";
    for (const c of [...g.classList]) if (c.startsWith("state-")) g.classList.remove(c);
    g.classList.add(stateClass(state));
    g.setAttribute("data-state", state);
    const title = g.querySelector("title") ?? g.insertBefore(document.createElementNS("http://www.w3.org/2000/svg", "title"), g.firstChild);
    title.textContent = `${service}: ${state}${row ? `, ${row.proxies} prox${row.proxies === 1 ? "y" : "ies"}, ${row.nacks} NACKs` : ""}`;
  }
}

function renderGraph(): void {
  const box = $("graph");
  box.innerHTML = graph ? graph.svg.replace(/^<\?xml[^>]*>\s*/, "").replace(/^<!DOCTYPE[^>]*>\s*/, "") : "";
  if (!graph) box.append(el("p", "no graph yet (waiting for a snapshot)", "muted"));
  colourGraph();
}

function typeCell(t: TypeSync | undefined): HTMLTableCellElement {
  const td = el("td");
  if (!t) {
    td.textContent = "-";
    td.className = "muted";
    return td;
  }
  const span = el("span", t.state === "STALE" ? `STALE${staleFor(t)}` : t.state, `pill ${stateClass(t.state)}`);
  span.dataset.type = t.xds;
  if (t.state === "STALE") span.dataset.stale = "1";
  span.title = `want ${t.want || "(empty)"}; acked ${t.acked ?? "-"}; sent ${t.sent ?? "-"}${t.nack ? `\nNACK: ${t.nack.message}` : ""}`;
  td.append(span);
  return td;
}

function renderProxies(): void {
  if (!report) return;
  const kinds = KINDS.filter((k) => k !== "SDS" || report!.proxies.some((p) => p.types.some((t) => t.xds === "SDS")));
  const table = $<HTMLTableElement>("proxies");
  table.replaceChildren();
  const head = el("tr");
  for (const h of ["Service", "Node", "Address", "Connected", "Version", ...kinds]) head.append(el("th", h));
  table.append(el("thead"));
  table.tHead!.append(head);
  const body = el("tbody");
  const nacks: { p: ProxyRow; t: TypeSync }[] = [];
  for (const p of report.proxies) {
    const tr = el("tr");
    tr.dataset.service = p.service;
    tr.dataset.state = p.state;
    tr.append(el("td", p.service), el("td", p.node), el("td", p.address, "mono"), el("td", `${ago(p.connectedSince)}`), el("td", p.version, "mono"));
    for (const k of kinds) {
      const t = p.types.find((x) => x.xds === k);
      tr.append(typeCell(t));
      if (t?.nack) nacks.push({ p, t });
    }
    body.append(tr);
  }
  for (const s of report.services.filter((x) => x.proxies === 0)) {
    const tr = el("tr");
    tr.dataset.service = s.service;
    tr.dataset.state = s.state;
    tr.append(el("td", s.service), el("td", "no connected proxy", "muted"), el("td"), el("td"), el("td", s.version, "mono"));
    for (const _ of kinds) tr.append(el("td", "-", "muted"));
    body.append(tr);
  }
  table.append(body);
  const list = $("nacks");
  list.replaceChildren(...nacks.map(({ p, t }) => el("li", `${p.node} (${p.service}) ${t.xds} version ${t.nack!.version}: ${t.nack!.message}`)));
  $("omitted").textContent = report.omittedProxies ? `${report.omittedProxies} more proxies not shown` : "";
}

function renderDiagnostics(): void {
  if (!report) return;
  const load = report.load;
  const box = $("diagnostics");
  box.replaceChildren();
  $("load").textContent = load ? `${load.ok ? "loaded" : "refused (still serving the previous snapshot)"} ${ago(load.at)} from ${load.source}` : "no load finished yet";
  $("load").className = load && !load.ok ? "bad" : "";
  if (!load || load.diagnostics.length === 0) {
    box.append(el("p", "no diagnostics", "muted"));
    return;
  }
  const table = el("table");
  const head = el("tr");
  for (const h of ["Code", "Severity", "Location", "Message", "Hint"]) head.append(el("th", h));
  table.append(head);
  for (const d of load.diagnostics) {
    const tr = el("tr", undefined, `sev-${d.severity}`);
    const loc = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ""}` : "";
    tr.append(el("td", d.code, "mono"), el("td", d.severity), el("td", loc, "mono"), el("td", d.message), el("td", d.hint ?? ""));
    table.append(tr);
  }
  box.append(table);
}

function renderHeader(): void {
  if (!report) return;
  const s = report.snapshot;
  $("version").textContent = s ? s.version : "none";
  $("changed").textContent = s ? `${new Date(s.changedAt).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")} (${ago(s.changedAt)})` : "";
  const bad = report.proxies.filter((p) => p.state !== "SYNCED").length;
  const summary = $("summary");
  summary.textContent = `${report.services.length} services, ${report.proxies.length} proxies, ${bad ? `${bad} not SYNCED` : "all SYNCED"}`;
  summary.className = bad ? "bad" : "good";
}

function render(): void {
  renderHeader();
  renderProxies();
  renderDiagnostics();
  colourGraph();
}

function connect(): void {
  const live = $("live");
  const es = new EventSource("debug/events");
  es.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "good";
  });
  es.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.className = "bad";
  });
  es.addEventListener("graph", (e) => {
    graph = JSON.parse((e as MessageEvent<string>).data) as GraphView;
    renderGraph();
  });
  es.addEventListener("status", (e) => {
    report = { ...(JSON.parse((e as MessageEvent<string>).data) as LiveReport), receivedAt: Date.now() };
    render();
    document.body.dataset.version = report.snapshot?.version ?? "";
  });
}

connect();
// Ages and stale durations move with the clock; this re-renders them from the last report (no request).
setInterval(() => {
  if (report) {
    renderHeader();
    renderProxies();
  }
}, 1000);
