// MESH0404 HashPolicyMissing: ring hash and Maglev pick a host from a hash of the request; with no hash keys
// Envoy hashes a random value, so there is no affinity and the choice of balancer is pointless.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const hashPolicy: Analyzer = {
  name: "hash-policy",
  codes: ["HashPolicyMissing"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const lb = s.policy.loadBalancer;
      if ((lb.kind !== "ring-hash" && lb.kind !== "maglev") || lb.hashOn.length > 0) continue;
      ctx.report("HashPolicyMissing", s.policy.source ?? s.source, ["services", s.name, "policy", "loadBalancer", "hashOn"], {
        service: q(s.name),
        lb: lb.kind,
      });
    }
  },
};
