// Runs the zod schema over the model and turns its issues into MESH0003 diagnostics positioned at the call site of
// the element at (or above) each issue's path.
import type { MeshModel } from "../dsl/model.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { codes } from "./codes.js";
import { mesh as meshSchema, meshWithoutServices } from "./schema.js";
import { meshFieldsAccepted, serviceAccepted } from "./schema-fast.js";
import { at, makeLocator, siteAt, type Locate } from "./sites.js";
import { illFormedStrings, isWellFormed, loneSurrogate } from "../ir/well-formed.js";

/** Diagnostic path: service indexes become names, e.g. ["services", "web", "routes", 0, "timeout"]. */
export function modelPath(model: MeshModel, path: readonly PropertyKey[]): (string | number)[] {
  const out = path.map((k) => (typeof k === "symbol" ? String(k.description) : k));
  if (out[0] === "services" && typeof out[1] === "number") {
    const name = model.services?.[out[1]]?.name;
    if (typeof name === "string") out[1] = name;
  }
  return out;
}

/** services.web.routes[0].timeout */
export function dotPath(path: readonly (string | number)[]): string {
  let s = "";
  for (const k of path) {
    if (typeof k === "number") s += `[${k}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(k)) s += s ? `.${k}` : k;
    else s += `[${JSON.stringify(k)}]`;
  }
  return s;
}

function allServicesAccepted(services: unknown): boolean {
  if (!Array.isArray(services)) return false;
  for (let i = 0; i < services.length; i++) if (!serviceAccepted(services[i])) return false; // a hole is refused too
  return true;
}

/** `locate` maps captured call sites to the user's files (default: sites are already source positions). */
export function validateModel(model: MeshModel, locate: Locate = makeLocator(), options: { /** The model's text is known to be well-formed (decoded from the wire, see model-wire.ts DecodeInfo). */ wellFormed?: boolean } = {}): Diagnostic[] {
  // A decoded model (plain data) whose services all pass schema-fast.ts leaves zod only the rest of the mesh, and
  // nothing when the mesh's own fields pass it too.
  const servicesOk = options.wellFormed === true && allServicesAccepted(model.services);
  const result = servicesOk && meshFieldsAccepted(model) ? undefined : (servicesOk ? meshWithoutServices : meshSchema).safeParse(model);
  // A refinement may carry a specific hint in its params ({ params: { hint } }); the rest get MESH0003's general one.
  const issues: { path: PropertyKey[]; message: string; hint?: string }[] =
    !result || result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: i.message, ...issueHint(i) }));
  for (const p of options.wellFormed === true ? [] : illFormedStrings(model)) {
    const last = p[p.length - 1];
    const value = p.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown>)?.[k], model);
    const text = typeof value === "string" && !isWellFormed(value) ? value : String(last);
    const { index, unit } = loneSurrogate(text);
    issues.push({ path: p, message: `text with a lone surrogate (${unit} at index ${index}) has no UTF-8 form, and Envoy's configuration is UTF-8: remove it or complete the pair` });
  }
  return issues.map((issue) => {
    const path = modelPath(model, issue.path);
    const where = dotPath(path);
    const d: Diagnostic = { code: codes.InvalidValue, severity: "error", message: where ? `${where}: ${issue.message}` : issue.message, path, ...(issue.hint !== undefined && { hint: issue.hint }) };
    return at(siteAt(model, issue.path, locate), d);
  });
}

function issueHint(issue: { code?: string; params?: unknown }): { hint?: string } {
  const hint = issue.code === "custom" ? (issue.params as { hint?: unknown } | undefined)?.hint : undefined;
  return typeof hint === "string" ? { hint } : {};
}
