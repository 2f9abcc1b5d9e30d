// MESH0704 AuthzCallerWithoutCall and MESH0705 AuthzDeclaredCallDenied: the policy and the call graph disagree.
// An allowed caller that never declares the call gets no route to the service from its sidecar; a declared call
// that the policy refuses outright fails every time.
import type { AuthzRuleIR, CallerIR, ServiceIR } from "../../ir/types.js";
import { effectivePolicy, httpConditions } from "../../ir/authz.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

function callerIs(c: CallerIR, s: ServiceIR): boolean {
  if (c.kind === "service") return c.service === s.name;
  if (c.kind === "identity") return c.identity === s.identity;
  return s.identity.startsWith(`spiffe://${c.trustDomain}/`);
}

/** The rule's caller conditions can hold for `s`. */
function mayMatchCaller(r: AuthzRuleIR, s: ServiceIR): boolean {
  if (r.from && !r.from.some((c) => callerIs(c, s))) return false;
  return !(r.notFrom ?? []).some((c) => callerIs(c, s));
}

/** The rule surely matches every request of `s` (no condition beyond callers naming it). */
function matchesAllOf(r: AuthzRuleIR, s: ServiceIR): boolean {
  if (httpConditions(r).length || r.ports || r.notPorts || r.notFrom) return false;
  return !r.from || r.from.some((c) => callerIs(c, s));
}

export const authzCalls: Analyzer = {
  name: "authz-calls",
  codes: ["AuthzCallerWithoutCall", "AuthzDeclaredCallDenied"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      if (site.rule.action !== "allow" || site.policy.service === undefined) continue;
      const target = site.targets[0];
      if (!target) continue;
      for (const c of site.rule.from ?? []) {
        if (c.kind !== "service") continue;
        const caller = ctx.service(c.service);
        if (!caller || caller.name === target.name || caller.calls.includes(target.name)) continue;
        ctx.report("AuthzCallerWithoutCall", site.rule.source ?? site.policy.source, site.path, {
          rule: q(site.rule.name),
          policy: site.policyText,
          caller: q(caller.name),
          service: q(target.name),
        });
      }
    }
    for (const caller of ctx.ir.services) {
      for (const name of caller.calls) {
        const target = ctx.service(name);
        const p = target && effectivePolicy(ctx.ir, target);
        if (!target || !p) continue;
        const enforced = p.rules.filter((r) => !r.dryRun);
        const deniedOutright = enforced.some((r) => r.action === "deny" && matchesAllOf(r, caller));
        const neverAllowed = p.enforcedDefault === "deny" && !enforced.some((r) => r.action === "allow" && mayMatchCaller(r, caller));
        if (!deniedOutright && !neverAllowed) continue;
        ctx.report("AuthzDeclaredCallDenied", caller.source, ["services", caller.name, "calls"], { caller: q(caller.name), service: q(target.name) });
      }
    }
  },
};
