// MESH0701 AuthzIdentityWithoutStrictMtls: caller conditions (from/notFrom) are checked against the identity in the
// caller's verified mTLS certificate. On a port that also accepts plaintext (permissive or off) that identity is
// empty: an allow on it matches nobody, but a deny or a notFrom lets every plaintext caller through. Refused, so
// meshc never emits a rule whose principal could match everyone.
//
// A gateway's listeners are always "off" (inboundMtlsMode): its callers are outside the mesh and never present a
// client certificate. Its own policy naming callers is refused with a gateway's hint. Mesh-wide rules naming
// callers are not: they are written for the sidecars, and at a gateway they compile as Envoy evaluates them with
// an empty principal (Istio's semantics for root-namespace policies): a deny `from` never matches, a deny
// `notFrom` matches every caller, an allow `from` matches nobody. MESH0240 warns when that leaves a gateway
// refusing everything.
import { inboundMtlsMode, isGateway, ruleAppliesToPort, usesIdentity } from "../../ir/authz.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const authzMtls: Analyzer = {
  name: "authz-mtls",
  codes: ["AuthzIdentityWithoutStrictMtls"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      if (!usesIdentity(site.rule)) continue;
      for (const svc of site.targets) {
        const gateway = isGateway(svc);
        if (gateway && site.policy.service === undefined) continue;
        for (const port of svc.ports) {
          if (!ruleAppliesToPort(site.rule, port)) continue;
          const mode = inboundMtlsMode(svc, port);
          if (mode === "strict") continue;
          const where = `port ${q(port.name)} of ${gateway ? "gateway " : ""}${q(svc.name)}`;
          ctx.report("AuthzIdentityWithoutStrictMtls", site.rule.source ?? site.policy.source, site.path, {
            rule: q(site.rule.name),
            policy: site.policyText,
            reason: gateway
              ? `${where} takes callers from outside the mesh: they carry no mesh identity (a gateway asks for no client certificate)`
              : `${where} is in ${q(mode)} mTLS mode: plaintext callers have no verified identity there`,
            fix: gateway
              ? `A gateway cannot tell its callers apart by mesh identity: match the request instead (to.paths, to.methods, to.headers), or put the caller rule on the services behind ${q(svc.name)}, which see ${q(svc.name)}'s own identity.`
              : `Set ${where} to mtls: "strict", or limit the rule to strict ports with to.ports.`,
          });
        }
      }
    }
  },
};
