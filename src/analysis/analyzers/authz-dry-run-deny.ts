// MESH0703 AuthzDryRunDenyCoveredByAllow. Deny always wins in meshc (two RBAC filters, DENY before ALLOW), so the
// rule-order shadowing users of first-match policies fear cannot happen. What remains is a deny that cannot yet
// override: a dry-run deny whose every request an enforced allow lets through. Conservative: reported only when the
// allow has no condition beyond callers and those callers include all of the deny's (or the allow names none).
import type { AuthzRuleIR, CallerIR } from "../../ir/types.js";
import { httpConditions } from "../../ir/authz.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

const key = (c: CallerIR) => JSON.stringify(c);

function covers(allow: AuthzRuleIR, deny: AuthzRuleIR): boolean {
  if (allow.dryRun || httpConditions(allow).length > 0 || allow.ports || allow.notPorts || allow.notFrom) return false;
  if (!allow.from) return true;
  if (!deny.from) return false;
  const allowed = new Set(allow.from.map(key));
  return deny.from.every((c) => allowed.has(key(c)));
}

export const authzDryRunDeny: Analyzer = {
  name: "authz-dry-run-deny",
  codes: ["AuthzDryRunDenyCoveredByAllow"],
  run(ctx) {
    const sites = ruleSites(ctx.ir);
    for (const d of sites) {
      if (d.rule.action !== "deny" || !d.rule.dryRun) continue;
      const allow = sites.find((a) => a.rule.action === "allow" && a.targets.some((t) => d.targets.includes(t)) && covers(a.rule, d.rule));
      if (!allow) continue;
      ctx.report("AuthzDryRunDenyCoveredByAllow", d.rule.source ?? d.policy.source, d.path, { rule: q(d.rule.name), policy: d.policyText, allow: q(allow.rule.name) });
    }
  },
};
