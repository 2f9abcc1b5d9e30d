// MESH0501 InvalidIdentity: a service identity is a SPIFFE ID in the mesh's trust domain:
// spiffe://<trust domain>/<segment>/<segment>…, segments of letters, digits, ".", "-" and "_", none empty, "." or
// "..", at most 2048 bytes (SPIFFE ID standard §2). Anything else, regex metacharacters included, would be matched
// against certificate SANs later and must never be read as a pattern.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

const SEGMENT = /^[A-Za-z0-9._-]+$/;

export const identity: Analyzer = {
  name: "identity",
  codes: ["InvalidIdentity"],
  run(ctx) {
    const td = ctx.ir.trustDomain;
    for (const s of ctx.ir.services) {
      const reason = identityProblem(s.identity, td);
      if (!reason) continue;
      ctx.report("InvalidIdentity", s.source, ["services", s.name, "identity"], {
        identity: q(s.identity),
        service: q(s.name),
        trustDomain: q(td),
        domain: td,
        reason,
        default: q(`spiffe://${td}/service/${s.name}`),
      });
    }
  },
};

export function identityProblem(id: string, trustDomain: string): string | undefined {
  const prefix = "spiffe://";
  if (!id.startsWith(prefix)) return `it does not start with ${q(prefix)}`;
  if (Buffer.byteLength(id) > 2048) return "it is longer than 2048 bytes";
  const rest = id.slice(prefix.length);
  const slash = rest.indexOf("/");
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  if (domain !== trustDomain) return `its trust domain is ${q(domain)}, not ${q(trustDomain)}`;
  if (slash < 0 || slash === rest.length - 1) return "it has no path after the trust domain";
  const segments = rest.slice(slash + 1).split("/");
  for (const seg of segments) {
    if (seg === "") return "it has an empty path segment (\"//\" or a trailing \"/\")";
    if (seg === "." || seg === "..") return `it has a ${q(seg)} path segment`;
    if (!SEGMENT.test(seg)) {
      const bad = [...seg].find((c) => !/[A-Za-z0-9._-]/.test(c))!;
      return `path segment ${q(seg)} contains ${q(bad)}; only letters, digits, ".", "-" and "_" are allowed`;
    }
  }
  return undefined;
}
