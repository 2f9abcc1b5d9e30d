// MESH0710 AuthzServiceWithoutSidecar, MESH0711 AuthzPolicyGivenTwice, MESH0712 AuthzUnknownPort and MESH0714
// AuthzDuplicateRuleName: what a policy is attached to must exist and be enforceable, once.
import { hasSidecar } from "../../ir/authz.js";
import { policies, policyText, ruleSites } from "../authz-rules.js";
import { locText, portsText, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const authzTargets: Analyzer = {
  name: "authz-targets",
  codes: ["AuthzServiceWithoutSidecar", "AuthzPolicyGivenTwice", "AuthzUnknownPort", "AuthzDuplicateRuleName"],
  run(ctx) {
    const seen = new Map<string, ReturnType<typeof policies>[number]>();
    for (const p of policies(ctx.ir)) {
      if (p.service === undefined) continue;
      const path = ["authorization", p.service];
      const first = seen.get(p.service);
      if (first) {
        ctx.report("AuthzPolicyGivenTwice", p.source, path, { service: q(p.service), first: locText(first.source) });
        continue;
      }
      seen.set(p.service, p);
      const svc = ctx.service(p.service);
      if (svc && !hasSidecar(svc)) {
        ctx.report("AuthzServiceWithoutSidecar", p.source, path, { service: q(svc.name), why: svc.proxyless ? "a proxyless gRPC client" : "a nonMesh service" });
      }
    }
    for (const site of ruleSites(ctx.ir)) {
      const svc = site.policy.service !== undefined ? site.targets[0] : undefined;
      if (!svc) continue;
      for (const port of [...(site.rule.ports ?? []), ...(site.rule.notPorts ?? [])]) {
        if (svc.ports.some((p) => p.name === port)) continue;
        ctx.report("AuthzUnknownPort", site.rule.source ?? site.policy.source, site.path, {
          rule: q(site.rule.name),
          policy: site.policyText,
          port: q(port),
          service: q(svc.name),
          ports: portsText(svc),
        });
      }
    }
    // Rule names are Envoy policy ids: unique among the mesh-wide rules plus each service's own.
    const meshRules = ctx.ir.authorization?.mesh?.rules ?? [];
    const groups: { service: string; names: string[]; at: typeof meshRules }[] = [];
    for (const [service, p] of seen) groups.push({ service, names: [...meshRules, ...p.rules].map((r) => r.name), at: [...meshRules, ...p.rules] });
    if (seen.size === 0 && meshRules.length) groups.push({ service: "mesh", names: meshRules.map((r) => r.name), at: meshRules });
    for (const g of groups) {
      const dup = new Set<string>();
      g.names.forEach((n, i) => {
        if (g.names.indexOf(n) === i || dup.has(n)) return;
        dup.add(n);
        ctx.report("AuthzDuplicateRuleName", g.at[i]!.source, ["authorization", g.service], { rule: q(n), service: g.service === "mesh" ? "the mesh" : q(g.service) });
      });
    }
    void policyText;
  },
};
