// MESH0603 MetricsPortConflict: the Prometheus listener binds <inboundAddress>:<metrics port> on the sidecar, so the
// port must differ from every other port that sidecar binds (service ports, admin, outbound, TCP outbound).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";
import { valueSite } from "../value-site.js";

export const metricsPort: Analyzer = {
  name: "metrics-port",
  codes: ["MetricsPortConflict"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const m = s.telemetry?.metrics;
      if (!m || s.proxyless) continue;
      const taken: [number, string][] = [
        ...s.ports.map((p): [number, string] => [p.port, `service port ${q(p.name)}`]),
        ...s.ports.filter((p) => p.appPort !== p.port).map((p): [number, string] => [p.appPort, `app port of ${q(p.name)}`]),
        [s.sidecar.adminPort, "admin port"],
        [s.sidecar.outboundPort, "outbound port"],
        ...Object.entries(s.sidecar.tcpOutbound).map(([k, v]): [number, string] => [v, `TCP outbound port for ${q(k)}`]),
      ];
      const hit = taken.find(([p]) => p === m.port);
      if (hit) {
        // At the port value itself when it is written out: in mesh.telemetry(svc, { metrics: { port } }) or, for the
        // mesh-wide setting, in defineMesh({ telemetry: { metrics: { port } } }) (else the call, as before).
        const call = s.telemetry?.source;
        const value = call && (valueSite(call, [1, "metrics", "port"], ctx.baseDir) ?? valueSite(call, [0, "telemetry", "metrics", "port"], ctx.baseDir));
        ctx.report("MetricsPortConflict", value ?? call ?? s.source, ["services", s.name, "telemetry", "metrics", "port"], {
          port: m.port,
          service: q(s.name),
          other: hit[1],
        });
      }
    }
  },
};
