// Which SPIFFE identity each service's proxies must present on authenticated ADS, from a compiled mesh's IR or from
// a build directory's certificate plan. Kept apart from ./xds-tls.ts (the --ca server certificate) so that `meshc
// serve` without --ca binds identities without loading the X.509 library at start-up (issue 12: start -> ready).
import type { MeshIR } from "../ir/types.js";
import type { CertificatePlan } from "../pki/plan.js";

/** service -> SPIFFE ID for every service that runs with a meshc identity (sidecars and proxyless clients). */
export function serviceIdentities(ir: MeshIR): Map<string, string> {
  return new Map(ir.services.filter((s) => !s.nonMesh).map((s) => [s.name, s.identity]));
}

/**
 * The same from a build directory's (or stored snapshot's) certificate plan, when there is no IR: the plan lists
 * sidecars only, so proxyless clients of a build-directory source cannot authenticate. The trust domain is the
 * authority of the identities' SPIFFE IDs.
 */
export function planIdentities(plan: CertificatePlan): { identities: Map<string, string>; trustDomain?: string } {
  const identities = new Map(Object.entries(plan.identities));
  const first = [...identities.values()][0];
  const trustDomain = first === undefined ? undefined : /^spiffe:\/\/([^/]+)/.exec(first)?.[1];
  return { identities, ...(trustDomain !== undefined && { trustDomain }) };
}
