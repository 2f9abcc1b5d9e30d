// MESH0702 AuthzRuleNeverMatches and MESH0713 AuthzAllowUnderDefaultAllow: rules with no effect. A rule never
// matches when one of its lists is empty (from: [], methods: [], paths: []) or its ports leave no port of the
// service; an allow rule has no effect when the policy's default already allows.
import { effectivePolicy, hasSidecar, ruleAppliesToPort } from "../../ir/authz.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const authzNeverMatches: Analyzer = {
  name: "authz-never-matches",
  codes: ["AuthzRuleNeverMatches", "AuthzAllowUnderDefaultAllow"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      const r = site.rule;
      const at = r.source ?? site.policy.source;
      const reasons: string[] = [];
      for (const k of ["from", "methods", "paths"] as const) if (r[k] !== undefined && r[k]!.length === 0) reasons.push(`its ${k} list is empty`);
      if (site.policy.service !== undefined && site.targets.length === 1 && (r.ports !== undefined || r.notPorts !== undefined)) {
        const svc = site.targets[0]!;
        if (svc.ports.length > 0 && !svc.ports.some((p) => ruleAppliesToPort(r, p))) reasons.push(`its ports leave no port of ${q(svc.name)}`);
      }
      if (r.methods && r.notMethods && r.methods.every((m) => r.notMethods!.includes(m)) && r.methods.length > 0) reasons.push("every method it lists is also in notMethods");
      for (const reason of reasons) ctx.report("AuthzRuleNeverMatches", at, site.path, { action: r.action === "allow" ? "Allow" : "Deny", rule: q(r.name), policy: site.policyText, reason });
      if (r.action !== "allow") continue;
      // The effective default: a service's own, else the mesh's; for mesh-wide rules, any service defaulting to deny makes them useful.
      // Services no meshc proxy enforces for (proxyless, external) have no default at all: MESH0710 says so.
      const defaults = site.targets.filter(hasSidecar).map((s) => effectivePolicy(ctx.ir, s)?.default ?? "allow");
      if (defaults.length > 0 && defaults.every((d) => d === "allow")) {
        ctx.report("AuthzAllowUnderDefaultAllow", at, site.path, { rule: q(r.name), policy: site.policyText });
      }
    }
  },
};
