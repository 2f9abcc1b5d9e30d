// MESH0308 UnsupportedRegexSyntax, MESH0309 InvalidRegex: every regex in a route match (path, header, query) must
// be one Envoy's RE2 engine compiles. See ../re2-syntax.ts for what is checked and what is not.
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { checkRe2 } from "../re2-syntax.js";
import { visitRouteStrings } from "../route-strings.js";

export const regexSyntax: Analyzer = {
  name: "regex-syntax",
  codes: ["UnsupportedRegexSyntax", "InvalidRegex"],
  run(ctx) {
    const verdicts = new Map<string, ReturnType<typeof checkRe2>>(); // the same pattern is often used many times
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        visitRouteStrings(r, (value, regex, _kind, describe) => {
          if (!regex) return;
          if (!verdicts.has(value)) verdicts.set(value, checkRe2(value));
          const problem = verdicts.get(value);
          if (!problem) return;
          const { field, path } = describe(["services", s.name, "routes", i]);
          const where = `the ${field} of route ${q(r.name)}`;
          if (problem.kind === "unsupported") {
            ctx.report("UnsupportedRegexSyntax", routeSource(s, r), path, {
              regex: q(value),
              where,
              feature: problem.feature,
              offset: problem.offset,
              advice: problem.advice,
            });
          } else {
            ctx.report("InvalidRegex", routeSource(s, r), path, { regex: q(value), where, reason: problem.reason, offset: problem.offset });
          }
        });
      });
    }
  },
};
