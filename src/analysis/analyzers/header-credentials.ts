// MESH0332 CredentialInHeader: a route that adds or sets Authorization or Proxy-Authorization to literal text puts
// a token in mesh.ts and from there in the build output, served snapshots, `meshc diff` and debug endpoints, where
// secrets may not go. A value made only of formatter commands (%REQ(x-upstream-auth)%) copies the request's own.
import { AUTH_HEADERS } from "../../frontend/schema-patterns.js";
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";


/** Whether `value` has text of its own once Envoy's %COMMAND(param):len% and %% are taken out. */
export function literalText(value: string): boolean {
  return value.replace(/%%|%[A-Z_0-9]+(\([^)]*\))?(:[0-9]+)?%/g, "").trim().length > 0;
}

export const headerCredentials: Analyzer = {
  name: "header-credentials",
  codes: ["CredentialInHeader"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        for (const [field, side] of [["requestHeaders", "request"], ["responseHeaders", "response"]] as const) {
          for (const kind of ["add", "set"] as const) {
            r[field][kind].forEach((h, k) => {
              if (!AUTH_HEADERS.has(h.name.toLowerCase()) || !literalText(h.value)) return;
              ctx.report("CredentialInHeader", routeSource(s, r), ["services", s.name, "routes", i, field, kind, k, "value"], {
                route: q(r.name),
                op: kind === "add" ? "adds" : "sets",
                side,
                header: q(h.name),
              });
            });
          }
        }
      });
    }
  },
};
