// MESH0601 TelemetryCollectorUnknown, MESH0602 TelemetryCollectorUnreachable: a sidecar sends spans over OTLP/gRPC
// (HTTP/2) to its tracing collector through a cluster meshc builds from the collector service's instances, so the
// service must exist, have instances, and have an HTTP/2 port (grpc or http2; the named one when a port is given).
import type { ServiceIR } from "../../ir/types.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

/** Why no proxy can reach `collector` on the given port, or undefined when one can. */
export function unreachableReason(collector: ServiceIR, portName: string | undefined): string | undefined {
  if (collector.instances.kind === "static" && collector.instances.endpoints.length === 0) return "it has no instances";
  if (portName !== undefined) {
    const p = collector.ports.find((x) => x.name === portName);
    if (!p) return `it has no port ${q(portName)}`;
    if (p.protocol !== "grpc" && p.protocol !== "http2") return `port ${q(portName)} is ${p.protocol}, and OTLP/gRPC needs grpc or http2`;
    return undefined;
  }
  if (!collector.ports.some((p) => p.protocol === "grpc" || p.protocol === "http2")) return "it has no grpc or http2 port (OTLP/gRPC needs HTTP/2)";
  return undefined;
}

export const telemetryCollector: Analyzer = {
  name: "telemetry-collector",
  codes: ["TelemetryCollectorUnknown", "TelemetryCollectorUnreachable"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const c = s.telemetry?.tracing?.collector;
      if (!c || c.kind !== "service") continue;
      const at = s.telemetry?.source ?? s.source;
      const path = ["services", s.name, "telemetry", "tracing", "collector"];
      const target = ctx.service(c.service);
      if (!target) {
        ctx.report("TelemetryCollectorUnknown", at, path, { collector: q(c.service), service: q(s.name) });
        continue;
      }
      const reason = unreachableReason(target, c.port);
      if (reason) ctx.report("TelemetryCollectorUnreachable", at, path, { collector: q(c.service), service: q(s.name), reason });
    }
  },
};
