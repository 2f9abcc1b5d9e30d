// MESH0701 AuthzIdentityWithoutStrictMtls: caller conditions (from/notFrom) are checked against the identity in the
// caller's verified mTLS certificate. On a port that also accepts plaintext (permissive or off) that identity is
// empty: an allow on it matches nobody, but a deny or a notFrom lets every plaintext caller through. Refused, so
// meshc never emits a rule whose principal could match everyone.
import { portMtls, ruleAppliesToPort, usesIdentity } from "../../ir/authz.js";
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
        for (const port of svc.ports) {
          if (!ruleAppliesToPort(site.rule, port)) continue;
          const mode = portMtls(port);
          if (mode === "strict") continue;
          ctx.report("AuthzIdentityWithoutStrictMtls", site.rule.source ?? site.policy.source, site.path, {
            rule: q(site.rule.name),
            policy: site.policyText,
            port: q(port.name),
            service: q(svc.name),
            mode: q(mode),
          });
        }
      }
    }
  },
};
