// Authorization over the IR, shared by the analyzers, the Envoy backend and `meshc explain authz`: which policy
// governs a service, which rules apply on one of its ports, and which conditions only HTTP can evaluate. One
// definition, so what analysis judges is what the backend emits.
import type { AuthzActionIR, AuthzPolicyIR, AuthzRuleIR, MeshIR, PortIR, ServiceIR } from "./types.js";

export interface EffectivePolicy {
  service: string;
  /** The default as written (the service's own, else the mesh-wide one): what the dry-run shadow rules apply. */
  default: AuthzActionIR;
  /**
   * The default Envoy enforces: a dry-run policy's default is not (the service's own in dry run leaves the
   * mesh-wide one; a mesh-wide one in dry run leaves "allow").
   */
  enforcedDefault: AuthzActionIR;
  /** The whole service's policy is dry-run (mesh-wide rules keep their own dryRun). */
  dryRun: boolean;
  /** Mesh-wide rules first, then the service's own. */
  rules: AuthzRuleIR[];
  /** The service's own policy, if any. */
  own?: AuthzPolicyIR;
  mesh?: AuthzPolicyIR;
}

/** The service's first mesh.authorize() policy (a second is MESH0712). */
export function ownPolicy(ir: MeshIR, service: string): AuthzPolicyIR | undefined {
  return ir.authorization?.services.find((p) => p.service === service);
}

/**
 * A service is enforceable when a meshc proxy carries its inbound traffic: its sidecar, or for an ingress gateway
 * the gateway proxy itself (its listeners get the RBAC filters; Istio's root-namespace policies cover gateways too).
 */
export function hasSidecar(s: ServiceIR): boolean {
  return !s.proxyless && (s as { nonMesh?: boolean }).nonMesh !== true;
}

/** An ingress gateway (mesh.gateway): its callers are outside the mesh and carry no mesh identity. */
export function isGateway(s: ServiceIR): boolean {
  return s.gateway !== undefined;
}

/** The policy governing `s`, or undefined when no authorization applies to it (everything allowed, no filter). */
export function effectivePolicy(ir: MeshIR, s: ServiceIR): EffectivePolicy | undefined {
  if (!ir.authorization || !hasSidecar(s)) return undefined;
  const own = ownPolicy(ir, s.name);
  const mesh = ir.authorization.mesh;
  if (!own && !mesh) return undefined;
  const out: EffectivePolicy = {
    service: s.name,
    default: own?.default ?? mesh?.default ?? "allow",
    enforcedDefault: (own && !own.dryRun ? own.default : undefined) ?? (mesh && !mesh.dryRun ? mesh.default : undefined) ?? "allow",
    dryRun: own?.dryRun ?? false,
    rules: [...(mesh?.rules ?? []), ...(own?.rules ?? [])],
  };
  if (own) out.own = own;
  if (mesh) out.mesh = mesh;
  return out;
}

export function ruleAppliesToPort(r: AuthzRuleIR, port: PortIR): boolean {
  if (r.ports && !r.ports.includes(port.name)) return false;
  if (r.notPorts && r.notPorts.includes(port.name)) return false;
  return true;
}

/** The HTTP-only conditions a rule sets (methods, paths, headers and their not-forms), by field name. */
export function httpConditions(r: AuthzRuleIR): string[] {
  const out: string[] = [];
  for (const k of ["methods", "notMethods", "paths", "notPaths"] as const) if (r[k] !== undefined) out.push(k);
  if (r.headers.length) out.push("headers");
  if (r.notHeaders.length) out.push("notHeaders");
  return out;
}

export function usesIdentity(r: AuthzRuleIR): boolean {
  return r.from !== undefined || r.notFrom !== undefined;
}

export function hasPathCondition(r: AuthzRuleIR): boolean {
  return r.paths !== undefined || r.notPaths !== undefined;
}

/** Effective mTLS mode of a port ("off" on meshes compiled before mTLS existed). */
export function portMtls(port: PortIR): "strict" | "permissive" | "off" {
  return ((port as { mtls?: "strict" | "permissive" | "off" }).mtls ?? "off");
}

/**
 * The mTLS mode callers of `s` on `port` really meet: a gateway's listeners never ask for a client certificate
 * (plain HTTP or edge TLS), whatever an IR says about the port, so a gateway is always "off".
 */
export function inboundMtlsMode(s: ServiceIR, port: PortIR): "strict" | "permissive" | "off" {
  return isGateway(s) ? "off" : portMtls(port);
}

/**
 * Whether a rule's caller conditions can match a caller without a mesh identity (Envoy's principal is then empty:
 * an `authenticated` matcher never matches, so `from` never does and `notFrom` always does).
 */
export function matchesAnonymous(r: AuthzRuleIR): boolean {
  return r.from === undefined;
}

/** Rules that apply on `port`; on a TCP port, allow rules with HTTP-only conditions are left out (they allow less). */
export function rulesForPort(p: EffectivePolicy, port: PortIR): AuthzRuleIR[] {
  return p.rules.filter((r) => ruleAppliesToPort(r, port) && (port.protocol !== "tcp" || r.action === "deny" || httpConditions(r).length === 0));
}
