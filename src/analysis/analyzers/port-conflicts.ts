// MESH0204 PortConflict, MESH0207 AppPortIsInboundPort: two sockets on one host that want the same address:port. What a service binds, on every
// host one of its instances runs on (its config is per service, so every instance binds the same set):
//   inbound   <sidecar.inboundAddress>:<port.port> for each port
//   app       127.0.0.1:<port.appPort> for each port (the application behind the sidecar)
//   outbound  127.0.0.1:<sidecar.outboundPort>
//   admin     127.0.0.1:<sidecar.adminPort>
//   tcp       127.0.0.1:<port> for each sidecar.tcpOutbound entry
//   metrics   <sidecar.inboundAddress>:<telemetry.metrics.port> when metrics are on (the prometheus|<port> listener)
// A proxyless service has no sidecar: its application binds the inbound ports itself, nothing else. Nor has a
// nonMesh service (issue 8). An external service (issue 13) binds nothing at all: no MESH0207 for a dependency
// reached by DNS without a sidecar, as docs/dsl.md promises for the app port's default.
// Hosts are the addresses of static instances (a DNS service's host is its hostname); every loopback address and
// "localhost" is the same host. 0.0.0.0 and :: overlap every address on their port. Checked: the bindings of one
// service against each other (except inbound/inbound, which is MESH0203, and app/app, which is one socket), and
// the bindings of services sharing a host. A port whose app port is its own inbound port is MESH0207 (the
// front end defaults the app port to the service port, so this is the common case and gets its own advice).
// Instances of the same service are not compared with each other: a
// service's config is per service, so two instances on one address could never both start anyway.
// The metrics listener against the rest of its own sidecar is MESH0603 (metrics-port.ts); here only against the
// sockets of other services on the host (the mesh-wide metrics default gives every sidecar the same port).
import type { ServiceIR, SourceLoc } from "../../ir/types.js";
import { declarationOrder, type Analyzer, type AnalysisContext, type ModelPath } from "../context.js";
import { q } from "../format.js";

interface Binding {
  owner: ServiceIR;
  /** Index of the owner in declaration order, then of the binding within it: "which came later". */
  rank: [number, number];
  kind: "inbound" | "app" | "outbound" | "admin" | "tcp" | "metrics";
  /** Index into the owner's ports (inbound, app), or the tcpOutbound key (tcp). */
  portIndex: number;
  tcpKey: string;
  address: string;
  port: number;
}

const LOOPBACK = "127.0.0.1";

export const portConflicts: Analyzer = {
  name: "port-conflicts",
  codes: ["PortConflict", "AppPortIsInboundPort"],
  run(ctx) {
    const services = declarationOrder(ctx.ir.services);
    const all = services.map((s, i) => bindingsOf(s, i));
    const reported = new Set<string>();

    // Within one sidecar, wherever it runs.
    for (const list of all) {
      for (const [a, b] of overlappingPairs(list)) {
        if (a.kind === b.kind && (a.kind === "inbound" || a.kind === "app")) continue;
        if (a.kind === "metrics" || b.kind === "metrics") continue; // MESH0603
        const inbound = a.kind === "inbound" ? a : b.kind === "inbound" ? b : undefined;
        const app = a.kind === "app" ? a : b.kind === "app" ? b : undefined;
        if (inbound && app && inbound.portIndex === app.portIndex) {
          const p = app.owner.ports[app.portIndex]!;
          ctx.report("AppPortIsInboundPort", bindingSource(app, ctx), bindingPath(app), {
            port: q(p.name),
            service: q(app.owner.name),
            number: p.appPort,
            address: inbound.address,
            ctor: p.protocol,
          });
          continue;
        }
        report(ctx, reported, a, b, undefined);
      }
    }

    // Across services that share a host.
    const byHost = new Map<string, Binding[]>();
    services.forEach((s, i) => {
      for (const h of hostsOf(s)) {
        const list = byHost.get(h) ?? [];
        list.push(...all[i]!);
        byHost.set(h, list);
      }
    });
    for (const host of [...byHost.keys()].sort()) {
      const list = byHost.get(host)!;
      // A host only one service runs on (most hosts) has no pair of different owners.
      if (list.every((b) => b.owner === list[0]!.owner)) continue;
      for (const [a, b] of overlappingPairs(list)) {
        if (a.owner === b.owner) continue;
        report(ctx, reported, a, b, host);
      }
    }
  },
};

function report(ctx: AnalysisContext, done: Set<string>, x: Binding, y: Binding, host: string | undefined): void {
  const [first, second] = compareRank(x.rank, y.rank) <= 0 ? [x, y] : [y, x];
  const key = `${first.rank.join(".")}|${second.rank.join(".")}`;
  if (done.has(key)) return;
  done.add(key);
  ctx.report("PortConflict", bindingSource(second, ctx), bindingPath(second), {
    port: second.port,
    onHost: host === undefined ? "" : ` on host ${q(host)}`,
    first: bindingLabel(first),
    second: bindingLabel(second),
    fix: fixOf(first, second),
  });
}

/** The hint: how to move the later socket (or the earlier one, when only it is a metrics listener). */
function fixOf(first: Binding, second: Binding): string {
  const metrics = second.kind === "metrics" ? second : first.kind === "metrics" ? first : undefined;
  if (metrics) {
    const other = metrics.port === 15091 ? 15092 : 15091;
    return (
      `Give the sidecar of ${q(metrics.owner.name)} its own metrics port, e.g. mesh.telemetry(${metrics.owner.name}, { metrics: { port: ${other} } }) ` +
      `(telemetry.metrics in defineMesh() gives every sidecar the same port), or run the services on different hosts.`
    );
  }
  return "Give one of them another port (every sidecar port is settable per service), or run the services on different hosts.";
}

function compareRank(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Pairs of bindings on the same port whose addresses overlap. */
function overlappingPairs(list: Binding[]): [Binding, Binding][] {
  if (!sharesAPort(list)) return [];
  const byPort = new Map<number, Binding[]>();
  for (const b of list) {
    const same = byPort.get(b.port);
    if (same) same.push(b);
    else byPort.set(b.port, [b]);
  }
  const out: [Binding, Binding][] = [];
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const same = byPort.get(port)!;
    if (same.length < 2) continue;
    for (let i = 0; i < same.length; i++) {
      for (let j = i + 1; j < same.length; j++) {
        if (addressesOverlap(same[i]!.address, same[j]!.address)) out.push([same[i]!, same[j]!]);
      }
    }
  }
  return out;
}

/** Whether two bindings of `list` have the same port number (a sidecar's handful of bindings usually do not). */
function sharesAPort(list: Binding[]): boolean {
  if (list.length > 32) return true; // not worth the quadratic scan: let the caller group them
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) if (list[i]!.port === list[j]!.port) return true;
  return false;
}

function isWildcard(a: string): boolean {
  return a === "0.0.0.0" || a === "::" || a === "[::]" || a === "";
}

function normalizeAddress(a: string): string {
  const x = a.trim().toLowerCase();
  if (x === "localhost" || x === "::1" || x === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(x)) return LOOPBACK;
  return x;
}

export function addressesOverlap(a: string, b: string): boolean {
  return isWildcard(a) || isWildcard(b) || normalizeAddress(a) === normalizeAddress(b);
}

/**
 * The hosts a service's sidecars run on (see the header comment). An instance with its own sidecar ports (issue 13)
 * does not bind the service's: instance-sidecars.ts checks it (MESH0236).
 */
export function hostsOf(s: ServiceIR): string[] {
  const ownPorts = !s.proxyless && !s.gateway && !s.nonMesh && !s.external;
  const hosts =
    s.instances.kind === "static" ? s.instances.endpoints.filter((e) => !(e.sidecar && ownPorts)).map((e) => e.address) : [s.instances.hostname];
  return [...new Set(hosts.map(normalizeAddress))].sort();
}

export function bindingsOf(s: ServiceIR, rank: number): Binding[] {
  const out: Binding[] = [];
  // An external service (mesh.external) binds nothing meshc runs: its ports are somebody else's server.
  if (s.external) return out;
  const add = (kind: Binding["kind"], address: string, port: number, portIndex = -1, tcpKey = "") =>
    out.push({ owner: s, rank: [rank, out.length], kind, portIndex, tcpKey, address, port });
  s.ports.forEach((p, i) => add("inbound", s.sidecar.inboundAddress, p.port, i));
  if (s.proxyless || s.nonMesh) return out;
  // An ingress gateway (issue 13) has no app and no outbound listener: its listeners and its admin port.
  if (s.gateway) {
    add("admin", LOOPBACK, s.sidecar.adminPort);
    return out;
  }
  s.ports.forEach((p, i) => add("app", LOOPBACK, p.appPort, i));
  add("outbound", LOOPBACK, s.sidecar.outboundPort);
  add("admin", LOOPBACK, s.sidecar.adminPort);
  for (const key of Object.keys(s.sidecar.tcpOutbound).sort()) add("tcp", LOOPBACK, s.sidecar.tcpOutbound[key]!, -1, key);
  // The Prometheus listener (telemetry-resources.ts): on the inbound address, like the inbound listeners.
  const m = s.telemetry?.metrics;
  if (m) add("metrics", s.sidecar.inboundAddress, m.port);
  return out;
}

function bindingLabel(b: Binding): string {
  const who = q(b.owner.name);
  const port = b.portIndex >= 0 ? q(b.owner.ports[b.portIndex]!.name) : "";
  const what = {
    inbound: `the inbound listener ${port} of ${who}`,
    app: `the app port of ${who}'s port ${port}`,
    outbound: `the outbound listener of ${who}`,
    admin: `the admin listener of ${who}`,
    tcp: `the TCP outbound listener ${q(b.tcpKey)} of ${who}`,
    metrics: `the metrics listener of ${who}`,
  }[b.kind];
  return `${what} (${b.address})`;
}

function bindingPath(b: Binding): ModelPath {
  const base = ["services", b.owner.name];
  switch (b.kind) {
    case "inbound":
      return [...base, "ports", b.portIndex, "port"];
    case "app":
      return [...base, "ports", b.portIndex, "appPort"];
    case "outbound":
      return [...base, "sidecar", "outboundPort"];
    case "admin":
      return [...base, "sidecar", "adminPort"];
    case "tcp":
      return [...base, "sidecar", "tcpOutbound", b.tcpKey];
    case "metrics":
      return [...base, "telemetry", "metrics", "port"];
  }
}

/**
 * A port's own call site for inbound/app bindings; for the metrics listener the service's own mesh.telemetry() call
 * when it has one (not the mesh-wide default in defineMesh(), which every sidecar shares); else the service's.
 */
function bindingSource(b: Binding, ctx: AnalysisContext): SourceLoc | undefined {
  if (b.kind === "metrics") return metricsSource(b.owner, ctx.ir.source);
  return (b.portIndex >= 0 ? b.owner.ports[b.portIndex]!.source : undefined) ?? b.owner.source;
}

/** Where a service's metrics port is set: its own mesh.telemetry() call, else its declaration. */
export function metricsSource(s: ServiceIR, meshSource: SourceLoc | undefined): SourceLoc | undefined {
  const t = s.telemetry?.source;
  const own = t && !(meshSource && t.file === meshSource.file && t.line === meshSource.line && t.column === meshSource.column);
  return own ? t : s.source;
}
