// Stage 3 for authorization: the zod schema of mesh.authorize() / mesh.authorizeDefaults() models. Objects are
// strict (an unknown key, e.g. `regex`, is reported, never ignored); what needs the whole mesh (ports that exist,
// mTLS on them, callers that exist) is judged by the 07xx analyzers.
import * as z from "zod";

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const method = z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"], {
  error: (i) => `expected an upper-case HTTP method (GET, POST, ...), got ${show(i.input)}`,
});

function exactlyOne<T extends Record<string, unknown>>(schema: z.ZodType<T>, keys: string[], what: string) {
  return schema.refine((v) => keys.filter((k) => v[k] !== undefined).length === 1, {
    error: (i) => `${what} needs exactly one of ${keys.join(", ")}, got ${show(Object.keys(i.input as object).filter((k) => keys.includes(k)))}`,
  });
}

const nonEmpty = z.string().min(1, { error: "must not be empty" });
const caller = z.union(
  [
    z.strictObject({ service: z.string() }),
    z.strictObject({ identity: z.string().startsWith("spiffe://", { error: (i) => `a caller identity is a SPIFFE ID "spiffe://<trust domain>/<path>", got ${show(i.input)}` }) }),
    z.strictObject({ trustDomain: z.string().regex(TRUST_DOMAIN, { error: (i) => `a trust domain must be lowercase letters, digits, ".", "_" or "-", got ${show(i.input)}` }) }),
  ],
  { error: (i) => `expected a caller: a service reference, { identity: "spiffe://..." } or { trustDomain }, got ${show(i.input)}` },
);
const path = exactlyOne(
  z.strictObject({ exact: nonEmpty.optional(), prefix: nonEmpty.optional(), suffix: nonEmpty.optional(), ignoreCase: z.boolean().optional() }),
  ["exact", "prefix", "suffix"],
  "a path condition",
);
const headerValue = z.union([
  z.string(),
  exactlyOne(
    z.strictObject({ exact: z.string().optional(), prefix: nonEmpty.optional(), suffix: nonEmpty.optional(), present: z.literal(true).optional() }),
    ["exact", "prefix", "suffix", "present"],
    "a header condition",
  ),
]);
// Names are checked here rather than as the record's key schema, whose failures zod reports as "Invalid key in
// record". Envoy matches "host" as :authority, byte for byte: DB.internal, db.internal:80 and db.internal. would each
// walk past a deny written for db.internal, so a host condition is refused rather than compiled into one that leaks.
const headers = z.record(z.string(), headerValue).superRefine((rec, ctx) => {
  for (const name of Object.keys(rec)) {
    if (!HEADER.test(name)) {
      ctx.addIssue({ code: "custom", path: [name], message: `a header condition names a regular header (pseudo-headers such as ":path" are refused: use paths/methods), got ${show(name)}` });
    } else if (name.toLowerCase() === "host") {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `a header condition cannot name "host": Envoy matches it as :authority exactly, so a different case, a ":port" or a trailing dot would not match; give the service its own host or port, or route unwanted hosts to a direct response`,
      });
    }
  }
});
const portName = z.string({ error: (i) => `expected a port name or port reference, got ${show(i.input)}` });

const to = z.strictObject({
  ports: z.array(portName).optional(),
  notPorts: z.array(portName).optional(),
  methods: z.array(method).optional(),
  notMethods: z.array(method).optional(),
  paths: z.array(path).optional(),
  notPaths: z.array(path).optional(),
  headers: headers.optional(),
  notHeaders: headers.optional(),
});

const rule = z.strictObject(
  {
    action: z.enum(["allow", "deny"], { error: (i) => `a rule's action is "allow" or "deny", got ${show(i.input)}` }),
    name: z.string().regex(NAME, { error: (i) => `a rule name must be letters, digits, "-", "_" or ".", got ${show(i.input)}` }).optional(),
    from: z.array(caller).optional(),
    notFrom: z.array(caller).optional(),
    to: to.optional(),
    dryRun: z.boolean().optional(),
  },
  { error: (i) => `expected a rule { action, from?, to?, dryRun? }, got ${show(i.input)}` },
);

export const authorization = z
  .strictObject({
    service: z.string().optional(),
    default: z.enum(["allow", "deny"], { error: (i) => `default is "allow" or "deny", got ${show(i.input)}` }).optional(),
    rules: z.array(rule).optional(),
    dryRun: z.boolean().optional(),
  })
  .superRefine((a, ctx) => {
    if (a.service !== undefined) return;
    (a.rules ?? []).forEach((r, i) => {
      for (const k of ["ports", "notPorts"] as const) {
        if (r.to?.[k] !== undefined) ctx.addIssue({ code: "custom", path: ["rules", i, "to", k], message: `mesh-wide rules cannot name ports (ports belong to one service); use mesh.authorize() on the service` });
      }
    });
  });
