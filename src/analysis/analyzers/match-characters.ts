// MESH0310 InvalidMatchCharacter: NUL, CR or LF in a path, header or query value (Envoy's HTTP_HEADER_VALUE
// rule rejects them; in a header value they would also split the header). Regexes are left to MESH0308/0309.
// MESH0311 PathWithoutLeadingSlash: a path exact/prefix match that does not start with "/" never matches (the empty
// prefix, which matches everything, is fine).
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

const CONTROL = /[\0\r\n]/;
const NAMES: Record<string, string> = { "\0": "NUL", "\r": "CR", "\n": "LF" };

export const matchCharacters: Analyzer = {
  name: "match-characters",
  codes: ["InvalidMatchCharacter", "PathWithoutLeadingSlash"],
  run(ctx) {
    for (const { service: s, route: r, index: i, value, regex, pathKind, describe } of ctx.routeStrings()) {
      const bad = regex ? null : CONTROL.exec(value);
      if (bad) {
        const { field, path } = describe(["services", s.name, "routes", i]);
        ctx.report("InvalidMatchCharacter", routeSource(s, r), path, {
          field,
          route: q(r.name),
          char: NAMES[bad[0]]!,
          value: q(value),
        });
        continue;
      }
      if (pathKind && !value.startsWith("/") && !(pathKind === "prefix" && value === "")) {
        ctx.report("PathWithoutLeadingSlash", routeSource(s, r), describe(["services", s.name, "routes", i]).path, {
          kind: pathKind,
          value: q(value),
          route: q(r.name),
          fixed: q(`/${value}`),
        });
      }
    }
  },
};
