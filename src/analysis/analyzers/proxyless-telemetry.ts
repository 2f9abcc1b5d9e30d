// MESH0605 ProxylessTelemetryIgnored: a proxyless gRPC client has no Envoy, so nothing serves a Prometheus
// listener or writes access logs for it, and gRPC's xDS client ignores the connection manager's tracing config
// (gRPC traces through its own OpenTelemetry plugin). meshc leaves those settings out of its snapshot.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const proxylessTelemetry: Analyzer = {
  name: "proxyless-telemetry",
  codes: ["ProxylessTelemetryIgnored"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (!s.proxyless || !s.telemetry) continue;
      const at = s.telemetry.source ?? s.source;
      const sections: [keyof typeof s.telemetry, string][] = [
        ["accessLog", "gRPC's xDS client writes no access logs"],
        ["metrics", "there is no sidecar to serve a Prometheus endpoint"],
        ["tracing", "gRPC's xDS client ignores the tracing settings of its connection managers"],
      ];
      for (const [section, effect] of sections) {
        if (s.telemetry[section] === undefined) continue;
        ctx.report("ProxylessTelemetryIgnored", at, ["services", s.name, "telemetry", section], { section: q(section), service: q(s.name), effect });
      }
    }
  },
};
