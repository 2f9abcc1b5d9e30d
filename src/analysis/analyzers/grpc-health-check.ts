// MESH0328 GrpcHealthCheckOnHttp1: a service's health check runs on every outbound cluster of the service (one per
// port), and Envoy refuses a gRPC health check on a cluster that does not speak HTTP/2 ("cluster must support
// HTTP/2 for gRPC healthchecking"): any http (HTTP/1.1) or tcp port of a service with a gRPC health check.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const grpcHealthCheck: Analyzer = {
  name: "grpc-health-check",
  codes: ["GrpcHealthCheckOnHttp1"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.policy.healthCheck?.kind !== "grpc") continue;
      for (const p of s.ports) {
        if (p.protocol !== "http" && p.protocol !== "tcp") continue;
        ctx.report("GrpcHealthCheckOnHttp1", s.policy.source ?? ctx.ir.source ?? s.source, ["services", s.name, "policy", "healthCheck"], {
          service: q(s.name),
          port: q(p.name),
          protocol: p.protocol,
        });
      }
    }
  },
};
