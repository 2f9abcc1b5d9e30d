// MESH0240 AuthzGatewayRefusesEveryCaller: a gateway's callers are outside the mesh and carry no mesh identity, so
// Envoy evaluates the gateway's RBAC filters with an empty principal (backends/envoy/rbac.ts): an allow rule naming
// callers (`from`) matches nobody, a deny rule with `notFrom` matches everybody. Rules written for the sidecars
// (mesh-wide ones) can thus leave a gateway refusing every request on a listener; warned here, per gateway port,
// from the same per-port view the backend compiles (effectivePolicy, rulesForPort), rather than denying silently.
import { effectivePolicy, httpConditions, isGateway, matchesAnonymous, rulesForPort } from "../../ir/authz.js";
import type { AuthzRuleIR } from "../../ir/types.js";
import { policyText } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

/** A deny rule that matches every caller without a mesh identity: notFrom, nothing else. */
function deniesEveryAnonymous(r: AuthzRuleIR): boolean {
  return r.action === "deny" && r.from === undefined && (r.notFrom?.length ?? 0) > 0 && httpConditions(r).length === 0;
}

export const authzGateway: Analyzer = {
  name: "authz-gateway",
  codes: ["AuthzGatewayRefusesEveryCaller"],
  run(ctx) {
    for (const gw of ctx.ir.services) {
      if (!isGateway(gw)) continue;
      const policy = effectivePolicy(ctx.ir, gw);
      if (!policy) continue;
      const gwText = q(gw.name);
      for (const port of gw.ports) {
        const rules = rulesForPort(policy, port).filter((r) => !r.dryRun);
        // The gateway's own identity rules are MESH0701 errors already; only mesh-wide ones are looked at here.
        const meshDeny = rules.find((r) => deniesEveryAnonymous(r) && policy.mesh?.rules.includes(r));
        if (meshDeny) {
          ctx.report("AuthzGatewayRefusesEveryCaller", meshDeny.source ?? policy.mesh!.source, ["authorization", "mesh", "rules", policy.mesh!.rules.indexOf(meshDeny)], {
            service: gwText,
            port: q(port.name),
            reason: `deny rule ${q(meshDeny.name)} of ${policyText(policy.mesh!)} excludes callers by identity (notFrom) and has no other condition, and a caller without a mesh identity is never one of the callers it excludes`,
            fix: `Deny wins over every allow: narrow ${q(meshDeny.name)} with a request condition (to.paths, to.methods, to.headers), or move it into the policies of the services behind ${gwText}, which see ${gwText}'s own identity.`,
          });
          continue;
        }
        // What Envoy enforces: a dry-run policy's default is not (rbac.ts).
        const enforcedDefault = policy.enforcedDefault;
        if (enforcedDefault !== "deny") continue;
        const allows = rules.filter((r) => r.action === "allow");
        if (allows.some(matchesAnonymous)) continue;
        const at = policy.own && !policy.dryRun ? policy.own : policy.mesh!;
        ctx.report("AuthzGatewayRefusesEveryCaller", at.source, ["authorization", at.service ?? "mesh"], {
          service: gwText,
          port: q(port.name),
          reason: allows.length
            ? `the default is "deny" and every allow rule that applies names callers (from), which a caller without a mesh identity never is`
            : `the default is "deny" and no allow rule applies`,
          fix: policy.own
            ? `Add allow rules to the policy of ${gwText} that match requests rather than callers (to.paths, to.methods, to.headers), or set its default to "allow".`
            : `Give ${gwText} a policy of its own whose allow rules match requests rather than callers (mesh.authorize(${gw.name}, { rules: [{ action: "allow", to: { paths: [...] } }] })), or set its default to "allow".`,
        });
      }
    }
  },
};
