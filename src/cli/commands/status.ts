// `meshc status`: one row per proxy connected to a running `meshc serve` (service, node id, address, connected
// since, the snapshot version it should have, and per type CDS/EDS/LDS/RDS/SDS: SYNCED, STALE for how long,
// NACKED with Envoy's message, NOT SENT), then the services no proxy is connected for. Reads /debug/status.
// Exit 0 when the server serves a snapshot, its newest load succeeded and every connected proxy is SYNCED; 1
// otherwise (a deploy script waits for exit 0: nothing served yet, or a rejected mesh.ts, must not pass it); 2 when
// the server cannot be asked. -o json is the report as the server gives it; -o wide adds the API and each type's versions.
import { Option, type Command } from "@commander-js/extra-typings";
import type { LiveReport } from "../../serve/live.js";
import type { ProxyRow, TypeSync } from "../../serve/status.js";
import { printable } from "../printable.js";
import { ADMIN_OPTION, AdminError, DEFAULT_ADMIN_URL, TOKEN_OPTION, adminTarget, getJson, table } from "../admin-client.js";

const KINDS = ["CDS", "EDS", "LDS", "RDS", "SDS"];

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

function cell(t: TypeSync | undefined, wide: boolean): string {
  if (!t) return "-";
  const state = t.state === "STALE" && t.staleMs !== undefined ? `STALE (${Math.round(t.staleMs / 1000)}s)` : t.state;
  return wide ? `${state} ${t.acked ?? "-"}/${t.want || "-"}` : state;
}

export function renderStatus(r: LiveReport, o: { wide?: boolean; now?: number } = {}): string {
  const wide = o.wide === true;
  const kinds = KINDS.filter((k) => k !== "SDS" || r.proxies.some((p) => p.types.some((t) => t.xds === "SDS")));
  const head = ["SERVICE", "NODE", "ADDRESS", "CONNECTED", "VERSION", ...(wide ? ["API"] : []), ...kinds];
  const rows = [head];
  for (const p of r.proxies) {
    const since = `${p.connectedSince.replace(/\.\d+Z$/, "Z")} (${age(p.connectedSince, o.now)})`;
    rows.push([p.service, p.node, p.address, wide ? since : age(p.connectedSince, o.now), p.version, ...(wide ? [p.api] : []), ...kinds.map((k) => cell(p.types.find((t) => t.xds === k), wide))]);
  }
  for (const s of r.services.filter((x) => x.proxies === 0)) rows.push([s.service, "(no proxy connected)", "-", "-", s.version, ...(wide ? ["-"] : []), ...kinds.map(() => "-")]);
  let out = r.snapshot ? `snapshot ${r.snapshot.version} since ${r.snapshot.changedAt.replace(/\.\d+Z$/, "Z")}; ${r.services.length} services, ${r.proxies.length} proxies connected\n` : "no snapshot loaded yet\n";
  out += table(rows);
  // Node ids and NACK messages come from whoever opened the stream: printable, one line each.
  const nacked = r.proxies.flatMap((p: ProxyRow) => p.types.filter((t) => t.nack).map((t) => printable(`  ${p.node} (${p.service}) ${t.xds} version ${t.nack!.version} NACKED ${t.nack!.at}: ${t.nack!.message}`)));
  if (nacked.length) out += `\nNACKs:\n${nacked.join("\n")}\n`;
  if (r.omittedProxies) out += `\n(${r.omittedProxies} more proxies not listed; -o json has the same limit)\n`;
  if (r.load && !r.load.ok) out += `\nthe newest load of ${printable(r.load.source)} failed (${r.load.diagnostics.filter((d) => d.severity === "error").length} errors); ${r.snapshot ? "still serving the previous snapshot" : "nothing is served"}\n`;
  const bad = r.proxies.filter((p) => p.state !== "SYNCED").length;
  out += bad ? `\n${bad} of ${r.proxies.length} proxies not SYNCED\n` : r.proxies.length ? `\nall ${r.proxies.length} proxies SYNCED\n` : "";
  return out;
}

/** 0 only when what the server serves is the newest mesh and every connected proxy runs it. */
export function statusExitCode(r: LiveReport): 0 | 1 {
  return r.snapshot !== null && (r.load === null || r.load.ok) && r.allSynced ? 0 : 1;
}

export function register(program: Command): void {
  const cmd = program
    .command("status")
    .description("sync state of every proxy connected to a running `meshc serve` (SYNCED, STALE, NACKED, NOT SENT per xDS type); exit 1 if any is not SYNCED, nothing is served or the newest load failed")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "wide", "json"] as const).default("table" as const))
    .option("--admin <url>", ADMIN_OPTION, DEFAULT_ADMIN_URL)
    .option("--admin-token-file <file>", TOKEN_OPTION);
  cmd.action(async (opts, command) => {
    let report: LiveReport;
    try {
      report = await getJson<LiveReport>(adminTarget(opts), "/debug/status");
    } catch (e) {
      if (e instanceof AdminError) return command.error(`meshc status: ${e.message}`, { exitCode: 2 }) as never;
      throw e;
    }
    process.stdout.write(opts.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, { wide: opts.output === "wide" }));
    process.exitCode = statusExitCode(report);
  });
}
