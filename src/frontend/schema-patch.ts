// The zod schema of mesh.patch() calls in the model (src/dsl/patch.ts): what TypeScript's types cannot guarantee
// once a mesh uses `as any` or computes targets at run time. A proxy is a whole service (no subset or port), a
// name is a non-empty string, and the patch is a function (which the model carries only as an opaque stand-in).
import * as z from "zod";

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "function" ? "a function" : String(v));

/** At most this many names per patch, and patches per mesh: a patch is a scalpel, not a second backend. */
export const MAX_PATCH_NAMES = 1000;
export const MAX_PATCHES = 1000;

const proxy = z.strictObject(
  { service: z.string() },
  { error: (i) => `expected a proxy: a service reference as mesh.service() or mesh.gateway() returned it (not a subset or port), got ${show(i.input)}` },
);
const resourceName = z.string({ error: (i) => `expected a resource name (a string), got ${show(i.input)}` }).min(1, { error: "a resource name must not be empty" });

export const patch = z.strictObject({
  kind: z.enum(["listener", "cluster", "route"], { error: (i) => `expected kind "listener", "cluster" or "route", got ${show(i.input)}` }),
  proxies: z.array(proxy, { error: (i) => `expected proxies: a list of service references, got ${show(i.input)}` }).min(1, { error: "list at least one proxy" }),
  name: z.union([resourceName, z.array(resourceName).min(1, { error: "list at least one name, or leave name out" }).max(MAX_PATCH_NAMES)]).optional(),
  patch: z.custom<Function>((v) => typeof v === "function", { error: (i) => `expected a function (resource) => resource, got ${show(i.input)}` }),
});

export const patches = z.array(patch).max(MAX_PATCHES, { error: `at most ${MAX_PATCHES} patches per mesh` });
