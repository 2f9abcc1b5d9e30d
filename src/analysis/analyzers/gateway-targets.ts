// MESH0241 GatewayAsTarget: an ingress gateway (mesh.gateway) named where a mesh service is expected: a route's
// backend or mirror, a TCP route's backend, or a `calls` entry. A gateway takes traffic from outside the mesh: its
// listeners are plain HTTP or TLS terminated with the gateway's own certificate (a caller's sidecar would send
// plaintext, or mTLS, to it), it has no inbound cluster, and it re-routes by Host to the services behind it, which
// the caller can reach directly. So a gateway is never a target: call the service behind it.
// A calls entry that only echoes a route target (the IR's calls include the route targets of the services called,
// and a gateway's own route targets) is reported once, at the route.
import type { Analyzer } from "../context.js";
import { listing, q } from "../format.js";
import { refPath, refSource, refWhere } from "../refs.js";

export const gatewayTargets: Analyzer = {
  name: "gateway-targets",
  codes: ["GatewayAsTarget"],
  run(ctx) {
    const gateways = ctx.ir.services.filter((s) => s.gateway);
    if (gateways.length === 0) return;
    const isGateway = new Set(gateways.map((g) => g.name));
    const behind = (name: string): string => {
      const gw = ctx.service(name)!;
      const targets = [...new Set(ctx.refsOf(gw).map((r) => r.service))].filter((t) => !isGateway.has(t)).sort();
      return targets.length ? ` (its routes send to ${listing(targets.map(q))})` : "";
    };
    for (const ref of ctx.refs()) {
      if (!isGateway.has(ref.service)) continue;
      ctx.report("GatewayAsTarget", refSource(ref), [...refPath(ref), "service"], { where: refWhere(ref), gateway: q(ref.service), behind: behind(ref.service) });
    }
    for (const s of ctx.ir.services) {
      if (!s.calls.some((c) => isGateway.has(c))) continue;
      // Targets reported at their routes: those of s's own routes and of the routes of the services s calls.
      const routed = new Set(ctx.refsOf(s).map((r) => r.service));
      for (const c of s.calls) {
        const svc = ctx.service(c);
        if (svc) for (const r of ctx.refsOf(svc)) routed.add(r.service);
      }
      s.calls.forEach((c, k) => {
        if (!isGateway.has(c) || routed.has(c)) return;
        ctx.report("GatewayAsTarget", s.source, ["services", s.name, "calls", k], { where: `the calls of service ${q(s.name)}`, gateway: q(c), behind: behind(c) });
      });
    }
  },
};
