// MESH0236 InstanceSidecarPortConflict, MESH0237 InstanceSidecarWithoutSidecar, MESH0238 UnknownInstanceAppPort:
// instances with their own sidecar ports (issue 13, `instances: [{ …, sidecar: { adminPort, outboundPort, app } }]`).
// Such an instance's sidecar binds, on its own address (the host):
//   inbound   <sidecar.inboundAddress>:<instance port number> for each service port
//   app       127.0.0.1:<app port> for each port (the application behind it)
//   outbound  127.0.0.1:<outboundPort>, admin 127.0.0.1:<adminPort>, tcp 127.0.0.1:<port> per TCP upstream
//   metrics   <sidecar.inboundAddress>:<telemetry.metrics.port> when metrics are on: the service's port, as there is
//             no per-instance one, so two instances of one service on one host cannot both serve metrics
// Checked against every other sidecar on that host: the other instances with their own ports (of any service), and
// the service-level bindings of services with instances there that use the service's ports (port-conflicts.ts
// checks those among themselves, MESH0204). Two instances that both use their service's ports are not compared
// (as before: a service's config was per service).
import type { EndpointIR, ServiceIR } from "../../ir/types.js";
import { declarationOrder, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { addressesOverlap, bindingsOf } from "./port-conflicts.js";
import { endpointLabel } from "./duplicate-endpoints.js";

interface Bound {
  /** Who binds it, for the message (built only for a conflict: issue 12 item 5, ~15,000 bindings per mesh). */
  label: () => string;
  /** The sidecar that binds it (a service, or one instance with its own ports). */
  owner: string;
  address: string;
  port: number;
  /** Where to report it. */
  service: ServiceIR;
  index: number;
  /** The Prometheus listener (the hint differs: its port is per service, not per instance). */
  metrics?: boolean;
}

const LOOPBACK = "127.0.0.1";

function normalize(a: string): string {
  const x = a.trim().toLowerCase();
  return x === "localhost" || x === "::1" || x === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(x) ? LOOPBACK : x;
}

function instanceBindings(s: ServiceIR, e: EndpointIR, index: number): Bound[] {
  const sc = e.sidecar!;
  const who = () => `instance ${q(endpointLabel(e))} of ${q(s.name)}`;
  const owner = `${s.name}#${index}`;
  const out: Bound[] = [];
  const add = (what: () => string, address: string, port: number, metrics = false) =>
    out.push({ label: () => `${what()} of ${who()} (${address})`, owner, address, port, service: s, index, ...(metrics && { metrics }) });
  for (const p of s.ports) add(() => `the inbound listener ${q(p.name)}`, s.sidecar.inboundAddress, e.ports[p.name] ?? p.port);
  for (const p of s.ports) add(() => `the app port of port ${q(p.name)}`, LOOPBACK, sc.appPorts[p.name] ?? p.appPort);
  add(() => "the outbound listener", LOOPBACK, sc.outboundPort);
  add(() => "the admin listener", LOOPBACK, sc.adminPort);
  for (const key of Object.keys(sc.tcpOutbound).sort()) add(() => `the TCP outbound listener ${q(key)}`, LOOPBACK, sc.tcpOutbound[key]!);
  const m = s.telemetry?.metrics;
  if (m) add(() => "the metrics listener", s.sidecar.inboundAddress, m.port, true);
  return out;
}

export const instanceSidecars: Analyzer = {
  name: "instance-sidecars",
  codes: ["InstanceSidecarPortConflict", "InstanceSidecarWithoutSidecar", "UnknownInstanceAppPort"],
  run(ctx) {
    const services = declarationOrder(ctx.ir.services);
    const byHost = new Map<string, Bound[]>();
    const own: Bound[][] = [];
    // Without any instance that has its own ports there is nothing to compare, and no service-level bindings to list.
    const anyOwn = services.some((s) => s.instances.kind === "static" && s.instances.endpoints.some((e) => e.sidecar));
    services.forEach((s, rank) => {
      if (s.instances.kind !== "static") return;
      s.instances.endpoints.forEach((e, index) => {
        if (!e.sidecar) return;
        const path = ["services", s.name, "instances", "endpoints", index, "sidecar"];
        const what = s.external ? "an external service" : s.nonMesh ? "nonMesh" : s.proxyless ? "a proxyless gRPC client" : s.gateway ? "a gateway" : undefined;
        if (what) {
          ctx.report("InstanceSidecarWithoutSidecar", s.source, path, { instance: q(endpointLabel(e)), service: q(s.name), what });
          return;
        }
        const known = s.ports.map((p) => p.name);
        for (const name of Object.keys(e.sidecar.appPorts)) {
          if (!known.includes(name)) ctx.report("UnknownInstanceAppPort", s.source, [...path, "app", name], { instance: q(endpointLabel(e)), service: q(s.name), port: q(name), known: known.map(q).join(", ") || "none" });
        }
        const list = instanceBindings(s, e, index);
        own.push(list);
        const host = normalize(e.address);
        const onHost = byHost.get(host);
        if (onHost) onHost.push(...list);
        else byHost.set(host, [...list]);
      });
      // The service-level bindings, on the hosts of its instances that use the service's ports.
      if (!anyOwn) return;
      const shared = s.instances.endpoints.filter((e) => !e.sidecar || s.proxyless || s.gateway || s.nonMesh || s.external);
      if (shared.length === 0) return;
      const hosts = new Set(shared.map((e) => normalize(e.address)));
      for (const b of bindingsOf(s, rank)) {
        const label = () => `${b.kind === "inbound" || b.kind === "app" ? `the ${b.kind} port ${b.port}` : `the ${b.kind} listener`} of ${q(s.name)} (${b.address})`;
        for (const host of hosts) {
          const bound: Bound = { label, owner: s.name, address: b.address, port: b.port, service: s, index: -1, ...(b.kind === "metrics" && { metrics: true }) };
          const onHost = byHost.get(host);
          if (onHost) onHost.push(bound);
          else byHost.set(host, [bound]);
        }
      }
    });
    // Every conflict reported involves an instance with its own ports: none, nothing to compare.
    if (own.length === 0) return;
    const done = new Set<string>();
    for (const host of [...byHost.keys()].sort()) {
      const list = byHost.get(host)!;
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i]!;
          const b = list[j]!;
          if (a.port !== b.port || !addressesOverlap(a.address, b.address)) continue;
          if (a.index < 0 && b.index < 0) continue; // service-level against service-level: MESH0204
          const [first, second] = b.index >= 0 ? [a, b] : [b, a];
          const firstLabel = first.label();
          const secondLabel = second.label();
          const key = `${host}|${firstLabel}|${secondLabel}`;
          if (done.has(key)) continue;
          done.add(key);
          ctx.report("InstanceSidecarPortConflict", second.service.source, ["services", second.service.name, "instances", "endpoints", second.index, "sidecar"], {
            port: second.port,
            host: q(host),
            first: firstLabel,
            second: secondLabel,
            fix: fixOf(first, second),
          });
        }
      }
    }
  },
};

function fixOf(first: Bound, second: Bound): string {
  const metrics = second.metrics ? second : first.metrics ? first : undefined;
  if (!metrics) return "Give each instance on this host its own adminPort, outboundPort, app ports and instance port numbers (instances[].sidecar and instances[].ports).";
  const svc = metrics.service.name;
  if (first.service === second.service) {
    return (
      `The metrics port is per service, not per instance: two sidecars of ${q(svc)} on one host cannot both serve metrics on ${metrics.port}. ` +
      `Turn metrics off for it (mesh.telemetry(${svc}, { metrics: false })), or run its instances on different hosts.`
    );
  }
  return `Give ${q(svc)} its own metrics port, e.g. mesh.telemetry(${svc}, { metrics: { port: ${metrics.port === 15091 ? 15092 : 15091} } }), or run the services on different hosts.`;
}
