// MESH0708 AuthzUnknownCaller and MESH0709 AuthzInvalidCallerIdentity: callers must resolve to an exact identity.
// A service caller is its SPIFFE ID; an identity caller must itself be a SPIFFE ID whose segments hold only
// letters, digits, ".", "-" and "_" (SPIFFE ID standard), so "*", "+" and other regex metacharacters are refused
// rather than read as patterns (CVE-2026-39350, R16); "." is allowed and matched literally by an exact matcher.
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const DOMAIN = /^[a-z0-9._-]+$/;

export function callerIdentityProblem(id: string): string | undefined {
  const prefix = "spiffe://";
  if (!id.startsWith(prefix)) return `it does not start with ${q(prefix)}`;
  if (Buffer.byteLength(id) > 2048) return "it is longer than 2048 bytes";
  const rest = id.slice(prefix.length);
  const slash = rest.indexOf("/");
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  if (!DOMAIN.test(domain)) return `its trust domain ${q(domain)} is not lowercase letters, digits, ".", "-" and "_"`;
  if (slash < 0 || slash === rest.length - 1) return "it has no path after the trust domain";
  for (const seg of rest.slice(slash + 1).split("/")) {
    if (seg === "" || seg === "." || seg === "..") return `it has an empty, "." or ".." path segment`;
    if (!SEGMENT.test(seg)) return `path segment ${q(seg)} holds a character other than letters, digits, ".", "-" and "_" (identities are matched exactly, never as patterns)`;
  }
  return undefined;
}

export const authzCallers: Analyzer = {
  name: "authz-callers",
  codes: ["AuthzUnknownCaller", "AuthzInvalidCallerIdentity"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      const at = site.rule.source ?? site.policy.source;
      for (const c of [...(site.rule.from ?? []), ...(site.rule.notFrom ?? [])]) {
        if (c.kind === "service" && !ctx.service(c.service)) {
          ctx.report("AuthzUnknownCaller", at, site.path, { rule: q(site.rule.name), policy: site.policyText, caller: q(c.service) });
        }
        if (c.kind === "identity") {
          const reason = callerIdentityProblem(c.identity);
          if (reason) ctx.report("AuthzInvalidCallerIdentity", at, site.path, { identity: q(c.identity), rule: q(site.rule.name), policy: site.policyText, reason });
        }
      }
    }
  },
};
