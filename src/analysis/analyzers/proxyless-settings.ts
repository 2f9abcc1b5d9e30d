// MESH0313 ProxylessUnsupportedSetting: gRPC's xDS client (gRFC A27 and later) implements a subset of what Envoy
// does (rows of src/proxyless/capabilities.ts; least-request is kept for grpc-go callers, which implement it). The backend maps what it can (least-request and random to round robin, maglev to ring hash) and drops
// what it cannot (route rate limits; consecutive-error outlier detection and active health checks are ignored by
// the client); each such difference is reported once per proxyless caller and upstream setting.
import type { ServiceIR, SourceLoc } from "../../ir/types.js";
import { capability, type GrpcChoice } from "../../proxyless/capabilities.js";
import type { Analyzer, ModelPath } from "../context.js";
import { q } from "../format.js";

interface Finding {
  setting: string;
  effect: string;
  supported: string;
  at: SourceLoc | undefined;
  path: ModelPath;
}

function findings(up: ServiceIR, choice: GrpcChoice): Finding[] {
  const out: Finding[] = [];
  const policyAt = up.policy.source ?? up.source;
  const lb = up.policy.loadBalancer.kind;
  // grpc-go implements least-request (gRFC A48): the capability table says which implementation does.
  const lrSupported = lb === "least-request" && capability("leastRequest", choice).support === "supported";
  if ((lb === "least-request" && !lrSupported) || lb === "random" || lb === "maglev") {
    out.push({
      setting: `load balancer "${lb}"`,
      effect: lb === "maglev" ? "they use ring hash instead" : "they use round robin instead",
      supported: "round-robin or ringHash",
      at: policyAt,
      path: ["services", up.name, "policy", "loadBalancer"],
    });
  }
  const od = up.policy.outlierDetection;
  // Sidecars eject after consecutive 5xx (5 unless set; 0 turns it off) or gateway errors; gRPC clients never do.
  if (od && (od.consecutive5xx !== 0 || od.consecutiveGatewayErrors !== undefined)) {
    out.push({
      setting: "consecutive-error outlier detection",
      effect: "they eject only on success rate or failure percentage, so it does nothing for them",
      supported: "no consecutive-error ejection for gRPC clients",
      at: policyAt,
      path: ["services", up.name, "policy", "outlierDetection"],
    });
  }
  if (up.policy.healthCheck) {
    out.push({
      setting: "active health check",
      effect: "they do not run active health checks",
      supported: "outlier detection instead of active checks",
      at: policyAt,
      path: ["services", up.name, "policy", "healthCheck"],
    });
  }
  up.routes.forEach((r, i) => {
    if (!r.rateLimit) return;
    out.push({
      setting: `route ${q(r.name)} rate limit`,
      effect: "meshc leaves it out of their configuration",
      supported: "a rate limit on the upstream's own sidecar (mesh.service rateLimit)",
      at: r.source ?? up.source,
      path: ["services", up.name, "routes", i, "rateLimit"],
    });
  });
  return out;
}

export const proxylessSettings: Analyzer = {
  name: "proxyless-settings",
  codes: ["ProxylessUnsupportedSetting"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (!s.proxyless) continue;
      for (const name of s.calls) {
        const up = ctx.service(name);
        if (!up || !up.ports.some((p) => p.protocol === "grpc")) continue; // MESH0103 / MESH0312
        for (const f of findings(up, s.grpcImplementation ?? "any")) {
          ctx.report("ProxylessUnsupportedSetting", f.at, f.path, {
            service: q(s.name),
            upstream: q(up.name),
            setting: f.setting,
            effect: f.effect,
            supported: f.supported,
          });
        }
      }
    }
  },
};
