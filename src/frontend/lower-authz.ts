// Stage 4 for authorization: mesh.authorize() / mesh.authorizeDefaults() models -> the IR's `authorization`
// section. Mechanical like lower.ts: names resolved, defaults applied (rule names, ignoreCase, dryRun), headers
// lower-cased and sorted; nothing judged here except a second mesh-wide policy (MESH0005), which the IR cannot hold.
import type { AuthorizationModel, AuthzRuleModel, CallerModel, HeaderValueMatch, PathMatch } from "../dsl/authorize.js";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { AuthorizationIR, AuthzHeaderIR, AuthzPathIR, AuthzPolicyIR, AuthzRuleIR, CallerIR, SourceLoc } from "../ir/types.js";
import { codes } from "./codes.js";
import { siteOf } from "./sites.js";

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function callerIR(c: CallerModel): CallerIR {
  if (c.service !== undefined) return { kind: "service", service: c.service };
  if (c.identity !== undefined) return { kind: "identity", identity: c.identity };
  return { kind: "trust-domain", trustDomain: c.trustDomain! };
}

/**
 * The default case rule is the safe side of the rule: `paths` of a deny rule and `notPaths` of an allow rule match
 * case-insensitively (the rule then denies more, or allows less); the other two match case-sensitively.
 */
function pathIR(p: PathMatch, action: "allow" | "deny", negated: boolean): AuthzPathIR {
  const ignoreCase = p.ignoreCase ?? (action === "deny") !== negated;
  if (p.exact !== undefined) return { kind: "exact", value: p.exact, ignoreCase };
  if (p.prefix !== undefined) return { kind: "prefix", value: p.prefix, ignoreCase };
  return { kind: "suffix", value: p.suffix!, ignoreCase };
}

function headersIR(h: Readonly<Record<string, HeaderValueMatch>> | undefined): AuthzHeaderIR[] {
  return Object.keys(h ?? {})
    .map((name): AuthzHeaderIR => {
      const v = h![name]!;
      const lower = name.toLowerCase();
      if (typeof v === "string") return { name: lower, match: { kind: "exact", value: v } };
      if (v.present) return { name: lower, match: { kind: "present" } };
      if (v.exact !== undefined) return { name: lower, match: { kind: "exact", value: v.exact } };
      if (v.prefix !== undefined) return { name: lower, match: { kind: "prefix", value: v.prefix } };
      return { name: lower, match: { kind: "suffix", value: v.suffix! } };
    })
    .sort((a, b) => byString(a.name, b.name));
}

function ruleIR(owner: string, r: AuthzRuleModel, i: number, policyDryRun: boolean, source: SourceLoc | undefined): AuthzRuleIR {
  const to = r.to ?? {};
  const out: AuthzRuleIR = { name: r.name ?? `${owner}-${i}`, action: r.action, dryRun: policyDryRun || r.dryRun === true, headers: headersIR(to.headers), notHeaders: headersIR(to.notHeaders) };
  if (r.from) out.from = r.from.map(callerIR);
  if (r.notFrom) out.notFrom = r.notFrom.map(callerIR);
  if (to.ports) out.ports = [...to.ports];
  if (to.notPorts) out.notPorts = [...to.notPorts];
  if (to.methods) out.methods = [...to.methods];
  if (to.notMethods) out.notMethods = [...to.notMethods];
  if (to.paths) out.paths = to.paths.map((p) => pathIR(p, r.action, false));
  if (to.notPaths) out.notPaths = to.notPaths.map((p) => pathIR(p, r.action, true));
  if (source) out.source = source;
  return out;
}

function policyIR(a: AuthorizationModel, source: SourceLoc | undefined): AuthzPolicyIR {
  const dryRun = a.dryRun === true;
  const owner = a.service ?? "mesh";
  const p: AuthzPolicyIR = { dryRun, rules: (a.rules ?? []).map((r, i) => ruleIR(owner, r, i, dryRun, source)) };
  if (a.service !== undefined) p.service = a.service;
  if (a.default !== undefined) p.default = a.default;
  if (source) p.source = source;
  return p;
}

/** `loc` maps a model's raw site to an IR SourceLoc; `here` to a diagnostic position. */
export function lowerAuthorization(
  models: readonly AuthorizationModel[] | undefined,
  loc: (site: SourceSite | undefined) => SourceLoc | undefined,
  here: (value: unknown) => SourceSite | undefined,
  diagnostics: Diagnostic[],
): AuthorizationIR | undefined {
  if (!models || models.length === 0) return undefined;
  const out: AuthorizationIR = { services: [] };
  for (const [i, m] of models.entries()) {
    const p = policyIR(m, loc(siteOf(m)));
    if (m.service !== undefined) {
      out.services.push(p);
      continue;
    }
    if (out.mesh) {
      const site = here(m);
      const first = out.mesh.source ? ` (first at ${out.mesh.source.file}:${out.mesh.source.line}:${out.mesh.source.column})` : "";
      diagnostics.push({
        code: codes.ConflictingSetting,
        severity: "error",
        message: `mesh.authorizeDefaults() is called twice${first}; call it once per mesh`,
        path: ["authorizations", i],
        ...(site ? { file: site.file, line: site.line, column: site.column } : {}),
      });
      continue;
    }
    out.mesh = p;
  }
  // Stable sort: a service given twice keeps its call order (MESH0712 reports the second).
  out.services.sort((a, b) => byString(a.service!, b.service!));
  return out;
}
