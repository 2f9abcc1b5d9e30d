// MESH0706 AuthzHttpConditionOnTcpPort: the network RBAC filter on a TCP port sees the caller's identity and
// nothing of HTTP. A rule with methods, paths or headers that applies to a TCP port is refused: an allow would be
// read as broader than written, a deny as narrower. (An allow without explicit ports simply skips TCP ports, which
// allows less; a deny without explicit ports is refused too, so it is never silently dropped.)
import { httpConditions, ruleAppliesToPort } from "../../ir/authz.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { listing, q } from "../format.js";

export const authzTcp: Analyzer = {
  name: "authz-tcp",
  codes: ["AuthzHttpConditionOnTcpPort"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      const conditions = httpConditions(site.rule);
      if (conditions.length === 0) continue;
      if (site.rule.action === "allow" && site.rule.ports === undefined) continue;
      for (const svc of site.targets) {
        for (const port of svc.ports) {
          if (port.protocol !== "tcp" || !ruleAppliesToPort(site.rule, port)) continue;
          ctx.report("AuthzHttpConditionOnTcpPort", site.rule.source ?? site.policy.source, site.path, {
            action: site.rule.action === "allow" ? "Allow" : "Deny",
            rule: q(site.rule.name),
            policy: site.policyText,
            conditions: listing(conditions),
            port: q(port.name),
            service: q(svc.name),
          });
        }
      }
    }
  },
};
