// Authorization policies in the DSL: `mesh.authorize(svc, {...})` and `mesh.authorizeDefaults({...})`. This file
// holds the public option types and turns what the user passed into plain model data (service references become
// names); validation (src/frontend/schema-authz.ts) and lowering (src/frontend/lower-authz.ts) judge it.
//
// Semantics (docs/dsl.md, "Authorization"): a request is denied when any enforced deny rule matches it (deny wins,
// whatever the order or level of the rules); otherwise it is allowed when the default is "allow" or an enforced
// allow rule matches; otherwise denied. Within a rule every given condition must hold; within a list one entry
// must match; a `not…` list must match none of its entries.
import { PORT_REF, SERVICE_REF, hasBrand } from "./brand.js";
import type { Located } from "./model.js";
import type { PortRef, ServiceRef } from "./service.js";
import type { HttpMethod, SpiffeId } from "./types.js";

export type AuthzAction = "allow" | "deny";

/**
 * A caller: a service of this mesh (its typed reference; matched on its SPIFFE ID), one SPIFFE ID (a workload
 * outside the mesh), or every identity of a trust domain. Identities come from the caller's mTLS certificate, so
 * rules naming callers need strict mTLS on the ports they apply to (MESH0701).
 */
export type Caller = ServiceRef | { identity: SpiffeId } | { trustDomain: string };

type PathOne = { exact: string; prefix?: never; suffix?: never } | { prefix: string; exact?: never; suffix?: never } | { suffix: string; exact?: never; prefix?: never };

/**
 * A path condition on the normalized path (docs/dsl.md says how a path is normalized), never on the raw `:path`:
 * no query, no fragment. `ignoreCase` defaults to true in deny rules (denying `/ADMIN` along with `/admin` is the
 * safe reading for case-insensitive apps) and to false in allow rules (allowing less is the safe reading).
 */
export type PathMatch = PathOne & { ignoreCase?: boolean };

/** A header value condition: exact value (a plain string), prefix, suffix, or presence. Never a regex. */
export type HeaderValueMatch =
  | string
  | { exact: string; prefix?: never; suffix?: never; present?: never }
  | { prefix: string; exact?: never; suffix?: never; present?: never }
  | { suffix: string; exact?: never; prefix?: never; present?: never }
  | { present: true; exact?: never; prefix?: never; suffix?: never };

/** What a rule matches about the request. HTTP-only conditions (methods, paths, headers) cannot apply to TCP ports. */
export interface AuthzRequestMatch<P extends string = string> {
  /** Ports of the protected service (names or typed refs). @default every port */
  ports?: readonly (P | PortRef<string, P>)[];
  notPorts?: readonly (P | PortRef<string, P>)[];
  /** Upper-case HTTP methods. */
  methods?: readonly HttpMethod[];
  notMethods?: readonly HttpMethod[];
  paths?: readonly PathMatch[];
  notPaths?: readonly PathMatch[];
  /** Every listed header must match (names are case-insensitive; pseudo-headers are refused). */
  headers?: Readonly<Record<string, HeaderValueMatch>>;
  /** No listed header may match. */
  notHeaders?: Readonly<Record<string, HeaderValueMatch>>;
}

export interface AuthorizationRule<P extends string = string> {
  action: AuthzAction;
  /** Optional name (letters, digits, "-", "_", "."), shown by `meshc explain authz` and in Envoy's policy ids. */
  name?: string;
  /** Callers the rule applies to. @default any caller, identified or not */
  from?: readonly Caller[];
  /** Callers the rule does not apply to. */
  notFrom?: readonly Caller[];
  to?: AuthzRequestMatch<P>;
  /** Evaluate and count (shadow rules, `rbac.*shadow_*` stats) but do not enforce. @default false */
  dryRun?: boolean;
}

export interface AuthorizeOptions<P extends string = string> {
  /** What happens to a request no rule decides. @default the mesh default (authorizeDefaults), else "allow" */
  default?: AuthzAction;
  /** Evaluated in no particular order: any matching deny wins over every allow. */
  rules?: readonly AuthorizationRule<P>[];
  /** Dry-run the whole policy: nothing is enforced, every rule is shadow-evaluated. @default false */
  dryRun?: boolean;
}

/** Mesh-wide rules: they apply to every service with a sidecar, before (and beside) its own rules. */
export type MeshAuthorizeOptions = AuthorizeOptions<never> & { rules?: readonly AuthorizationRule<never>[] };

// ---- model (plain data) ----

export interface CallerModel {
  service?: string;
  identity?: string;
  trustDomain?: string;
}

export interface AuthzRequestMatchModel {
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: PathMatch[];
  notPaths?: PathMatch[];
  headers?: Record<string, HeaderValueMatch>;
  notHeaders?: Record<string, HeaderValueMatch>;
}

export interface AuthzRuleModel {
  action: AuthzAction;
  name?: string;
  from?: CallerModel[];
  notFrom?: CallerModel[];
  to?: AuthzRequestMatchModel;
  dryRun?: boolean;
}

export interface AuthorizationModel extends Located {
  /** The protected service; absent for the mesh-wide defaults. */
  service?: string;
  default?: AuthzAction;
  rules?: AuthzRuleModel[];
  dryRun?: boolean;
}

function callerModel(c: unknown): CallerModel {
  if (hasBrand(c, SERVICE_REF)) return { service: (c as { name: string }).name };
  return c as CallerModel;
}

function portName(p: unknown): string {
  return hasBrand(p, PORT_REF) ? (p as { port: string }).port : (p as string);
}

const list = <T, U>(v: unknown, f: (x: T) => U): U[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v.map(f) : (v as never);

/** Options as given -> model; anything malformed is kept as is for the schema to report. */
export function authorizationModel(service: string | undefined, options: AuthorizeOptions): AuthorizationModel {
  if (options === null || typeof options !== "object") return { service, ...(options as object) } as never;
  const rules = list(options.rules, (r: AuthorizationRule) => {
    if (r === null || typeof r !== "object") return r as never;
    const out: AuthzRuleModel = { ...r } as never;
    if (r.from !== undefined) out.from = list(r.from, callerModel);
    if (r.notFrom !== undefined) out.notFrom = list(r.notFrom, callerModel);
    if (r.to !== undefined && r.to !== null && typeof r.to === "object") {
      const to: AuthzRequestMatchModel = { ...(r.to as object) } as never;
      if (r.to.ports !== undefined) to.ports = list(r.to.ports, portName);
      if (r.to.notPorts !== undefined) to.notPorts = list(r.to.notPorts, portName);
      out.to = to;
    }
    return out;
  });
  const model: AuthorizationModel = { ...(options as object) } as AuthorizationModel;
  if (service !== undefined) model.service = service;
  if (rules !== undefined) model.rules = rules;
  return model;
}
