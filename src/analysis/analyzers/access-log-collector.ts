// MESH0607 AccessLogCollectorUnknown, MESH0608 AccessLogCollectorUnreachable: a sidecar whose access log goes to an
// OpenTelemetry collector (`accessLog.to.otel`) sends log records over OTLP/gRPC (HTTP/2) through a cluster meshc
// builds from the collector service's instances, with the same rules as the tracing collector (MESH0601/0602).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";
import { unreachableReason } from "./telemetry-collector.js";

export const accessLogCollector: Analyzer = {
  name: "access-log-collector",
  codes: ["AccessLogCollectorUnknown", "AccessLogCollectorUnreachable"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const d = s.telemetry?.accessLog?.destination;
      if (d?.kind !== "otel" || d.collector.kind !== "service") continue;
      const c = d.collector;
      const at = s.telemetry?.source ?? s.source;
      const path = ["services", s.name, "telemetry", "accessLog", "to", "otel"];
      const target = ctx.service(c.service);
      if (!target) {
        ctx.report("AccessLogCollectorUnknown", at, path, { collector: q(c.service), service: q(s.name) });
        continue;
      }
      const reason = unreachableReason(target, c.port);
      if (reason) ctx.report("AccessLogCollectorUnreachable", at, path, { collector: q(c.service), service: q(s.name), reason });
    }
  },
};
