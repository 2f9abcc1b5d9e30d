// Brands mark DSL objects with registry symbols instead of classes, so a check still works when two copies of the
// DSL are loaded (a bundled mesh and the CLI's own import), as cdk8s does with Symbol.for("cdk8s.ApiObject").

export const MESH: unique symbol = Symbol.for("meshc.Mesh");
export const SERVICE_REF: unique symbol = Symbol.for("meshc.ServiceRef");
export const SUBSET_REF: unique symbol = Symbol.for("meshc.SubsetRef");
export const PORT_REF: unique symbol = Symbol.for("meshc.PortRef");
export const PORT_SPEC: unique symbol = Symbol.for("meshc.PortSpec");
export const DNS: unique symbol = Symbol.for("meshc.Dns");
/** Type-level marker of the port names a dns() call gives numbers for (never set at run time). */
export const PORT_NAMES: unique symbol = Symbol.for("meshc.PortNames");
export const ROUTE: unique symbol = Symbol.for("meshc.Route");
/** Hidden link from a ServiceRef/SubsetRef/PortRef to the declaration it names. */
export const DECL: unique symbol = Symbol.for("meshc.ServiceDecl");
/** Where a model object was declared (a SourceSite). */
export const SITE: unique symbol = Symbol.for("meshc.site");
/** Per-field call sites of a model object, e.g. the `.timeout()` call of a route. */
export const FIELD_SITES: unique symbol = Symbol.for("meshc.fieldSites");

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
