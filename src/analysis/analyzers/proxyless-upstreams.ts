// MESH0312 ProxylessNonGrpcUpstream: a proxyless service is a gRPC client configured over xDS (gRFC A27); it can
// only call services that speak gRPC. Unknown upstreams are MESH0103.
import { portsText, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const proxylessUpstreams: Analyzer = {
  name: "proxyless-upstreams",
  codes: ["ProxylessNonGrpcUpstream"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (!s.proxyless) continue;
      s.calls.forEach((name, k) => {
        const up = ctx.service(name);
        if (!up || up.ports.some((p) => p.protocol === "grpc")) return;
        ctx.report("ProxylessNonGrpcUpstream", s.source, ["services", s.name, "calls", k], {
          service: q(s.name),
          upstream: q(up.name),
          ports: portsText(up),
        });
      });
    }
  },
};
