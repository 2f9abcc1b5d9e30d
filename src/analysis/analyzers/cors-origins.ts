// MESH0352 CorsCredentialsAnyOrigin: a CORS policy (issue 13) with allowCredentials and the origin "*". Browsers
// refuse `Access-Control-Allow-Origin: *` with credentials, so Envoy echoes the request's Origin instead: every web
// page could make credentialed calls. Checked for mesh.cors() and every route's .cors().
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import type { CorsIR } from "../../ir/types.js";

const anyOrigin = (c: CorsIR) => c.allowCredentials && c.allowOrigins.some((o) => "any" in o);

export const corsOrigins: Analyzer = {
  name: "cors-origins",
  codes: ["CorsCredentialsAnyOrigin"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.cors && anyOrigin(s.cors)) ctx.report("CorsCredentialsAnyOrigin", s.cors.source ?? s.source, ["services", s.name, "cors"], { where: `service ${q(s.name)}` });
      s.routes.forEach((r, i) => {
        // A route with several matches is one route written once: report it once.
        if (r.cors && anyOrigin(r.cors) && (r.alternative === undefined || r.alternative === 1))
          ctx.report("CorsCredentialsAnyOrigin", r.cors.source ?? routeSource(s, r), ["services", s.name, "routes", i, "cors"], { where: `route ${q(r.name)}` });
      });
    }
  },
};
