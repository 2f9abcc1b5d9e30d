// MESH0323 DirectResponseBodyTooLarge: Envoy refuses a direct_response body over max_direct_response_body_size_bytes
// (4,096 by default; meshc does not raise it), counted in bytes of the UTF-8 encoding ("response body size is 4097
// bytes; maximum is 4096").
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

export const MAX_DIRECT_RESPONSE_BODY_BYTES = 4096;

export const directResponseBody: Analyzer = {
  name: "direct-response-body",
  codes: ["DirectResponseBodyTooLarge"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        if (r.action.kind !== "direct" || r.action.body === undefined) return;
        const bytes = Buffer.byteLength(r.action.body, "utf8");
        if (bytes <= MAX_DIRECT_RESPONSE_BODY_BYTES) return;
        ctx.report("DirectResponseBodyTooLarge", routeSource(s, r), ["services", s.name, "routes", i, "action", "body"], { route: q(r.name), bytes });
      });
    }
  },
};
