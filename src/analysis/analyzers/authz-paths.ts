// MESH0707 AuthzPathNotNormalized: RBAC path conditions are matched against the path after the connection
// manager's normalization (RFC 3986 dot segments removed, unreserved percent-escapes decoded, slashes merged,
// escaped slashes rejected; query and fragment never part of it). A condition written in a form that normalization
// never produces could never match as it reads: a deny would protect nothing. The compiler never pre-decodes a
// policy string (no double decoding): "%" is refused outright.
import type { AuthzPathIR } from "../../ir/types.js";
import { ENCODABLE_RESERVED, MAX_ENCODABLE_IN_PATH } from "../../backends/envoy/rbac.js";
import { ruleSites } from "../authz-rules.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

/**
 * `everySpelling`: the rule matches this path on its safe side by matching more (a deny's paths, an allow's
 * notPaths), so each reserved character is matched raw and percent-encoded (rbac.ts), which has a bound.
 */
export function pathProblem(p: AuthzPathIR, everySpelling = false): string | undefined {
  const v = p.value;
  if (/[\u0000-\u001f\u007f]/.test(v)) return "it contains a control character (NUL included)";
  // Envoy's normalization percent-encodes these (a raw space or non-ASCII byte is refused with 400): the app
  // receives /a%22b for /a"b, and a condition holding the raw character never matches.
  const encoded = /[ "<>^`{|}]|[^\u0000-\u007f]/.exec(v);
  if (encoded) return `it contains ${JSON.stringify(encoded[0])}, which Envoy percent-encodes (or refuses) before matching`;
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
  if (everySpelling && [...v].filter((c) => ENCODABLE_RESERVED.includes(c)).length > MAX_ENCODABLE_IN_PATH) {
    return `it has more than ${MAX_ENCODABLE_IN_PATH} of the characters ${ENCODABLE_RESERVED}, which may also arrive percent-encoded: too many spellings to match them all`;
  }
  return undefined;
}

function suggestion(p: AuthzPathIR): string {
  const cleaned = p.value.replace(/[\u0000-\u001f\u007f%\\?#; "<>^`{|}]|[^\u0000-\u007f]/g, "").replace(/\/{2,}/g, "/").replace(/\/\.{1,2}(?=\/|$)/g, "");
  return q(p.kind === "suffix" || cleaned.startsWith("/") ? cleaned || "/" : `/${cleaned}`);
}

export const authzPaths: Analyzer = {
  name: "authz-paths",
  codes: ["AuthzPathNotNormalized"],
  run(ctx) {
    for (const site of ruleSites(ctx.ir)) {
      const deny = site.rule.action === "deny";
      for (const [p, negated] of [...(site.rule.paths ?? []).map((x) => [x, false] as const), ...(site.rule.notPaths ?? []).map((x) => [x, true] as const)]) {
        const reason = pathProblem(p, deny !== negated);
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
