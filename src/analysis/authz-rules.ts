// Shared walk for the 07xx authorization analyzers: every policy (mesh-wide first, then per service) with its rules,
// each rule's model path and how a message names it, and the services each rule protects.
import type { AuthzPolicyIR, AuthzRuleIR, MeshIR, ServiceIR } from "../ir/types.js";
import { hasSidecar } from "../ir/authz.js";
import { q } from "./format.js";

export interface RuleSite {
  policy: AuthzPolicyIR;
  rule: AuthzRuleIR;
  index: number;
  /** ["authorization", "<service>" | "mesh", "rules", i] */
  path: (string | number)[];
  /** `the policy of "api"` / `the mesh-wide policy` */
  policyText: string;
  /** Services the rule protects: the policy's service, or every service with a sidecar for mesh-wide rules. */
  targets: ServiceIR[];
}

export function policyText(p: AuthzPolicyIR): string {
  return p.service === undefined ? "the mesh-wide policy" : `the policy of ${q(p.service)}`;
}

export function policies(ir: MeshIR): AuthzPolicyIR[] {
  const a = ir.authorization;
  if (!a) return [];
  return [...(a.mesh ? [a.mesh] : []), ...a.services];
}

export function ruleSites(ir: MeshIR): RuleSite[] {
  const out: RuleSite[] = [];
  const first = new Set<string>();
  for (const policy of policies(ir)) {
    // A service's second policy (MESH0711) is not walked: only the first is compiled.
    if (policy.service !== undefined) {
      if (first.has(policy.service)) continue;
      first.add(policy.service);
    }
    const targets =
      policy.service === undefined ? ir.services.filter(hasSidecar) : ir.services.filter((s) => s.name === policy.service).slice(0, 1);
    policy.rules.forEach((rule, index) =>
      out.push({ policy, rule, index, path: ["authorization", policy.service ?? "mesh", "rules", index], policyText: policyText(policy), targets }),
    );
  }
  return out;
}
