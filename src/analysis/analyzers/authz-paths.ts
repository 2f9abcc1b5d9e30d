// MESH0707 AuthzPathNotNormalized: RBAC path conditions are matched against the path after the connection
// manager's normalization (RFC 3986 dot segments removed, unreserved percent-escapes decoded, slashes merged,
// escaped slashes rejected; query and fragment never part of it). A condition written in a form that normalization
// never produces could never match as it reads: a deny would protect nothing. The compiler never pre-decodes a
// policy string (no double decoding): "%" is refused outright.
import type { AuthzPathIR } from "../../ir/types.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export function pathProblem(p: AuthzPathIR): string | undefined {
  const v = p.value;
  if (/[\u0000-\u001f\u007f]/.test(v)) return "it contains a control character (NUL included)";
  if (p.kind !== "suffix" && !v.startsWith("/")) return 'it does not start with "/"';
  if (v.includes("%")) return 'it contains "%" (percent-escapes of unreserved characters are decoded before matching, others never are)';
  if (v.includes("\\")) return 'it contains "\\"';
  if (v.includes("?")) return 'it contains "?" (the query is not part of the matched path)';
  if (v.includes("#")) return 'it contains "#" (fragments are rejected)';
  if (v.includes(";")) return 'it contains ";"';
  if (v.includes("//")) return 'it contains "//" (slashes are merged)';
  const segs = v.split("/");
  // The last segment of a prefix may be a partial one ("/adm"): "." or ".." there still never occurs alone.
  if (segs.some((s, i) => (s === "." || s === "..") && !(p.kind === "suffix" && i === 0))) return "it contains a dot segment (dot segments are removed)";
  return undefined;
}

function suggestion(p: AuthzPathIR): string {
  const cleaned = p.value.replace(/[\u0000-\u001f\u007f%\\?#;]/g, "").replace(/\/{2,}/g, "/").replace(/\/\.{1,2}(?=\/|$)/g, "");
  return q(p.kind === "suffix" || cleaned.startsWith("/") ? cleaned || "/" : `/${cleaned}`);
}

export const authzPaths: Analyzer = {
  name: "authz-paths",
  codes: ["AuthzPathNotNormalized"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      for (const p of [...(site.rule.paths ?? []), ...(site.rule.notPaths ?? [])]) {
        const reason = pathProblem(p);
        if (!reason) continue;
        ctx.report("AuthzPathNotNormalized", site.rule.source ?? site.policy.source, site.path, {
          path: q(p.value),
          rule: q(site.rule.name),
          policy: site.policyText,
          reason,
          suggestion: suggestion(p),
        });
      }
    }
  },
};
