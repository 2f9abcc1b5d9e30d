// MESH0308 UnsupportedRegexSyntax, MESH0309 InvalidRegex: every regex in a route match (path, header, query) must
// be one Envoy's RE2 engine compiles. The judge is RE2 itself (src/re2/engine.ts, Google's C++ RE2 as WebAssembly),
// so acceptance is Envoy's; ../re2-syntax.ts only supplies a friendlier explanation (which construct, what to
// write instead) for a pattern RE2 refuses, and RE2's own message is the reason when it has none. One difference
// is bridged: Envoy 1.40's RE2 reads patterns as Latin-1 bytes, re2-wasm's as UTF-8, so for a pattern re2-wasm
// accepts, latin1Problem() adds what only Envoy refuses (\x{100} and above, a class range reversed as bytes).
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { corsOriginRegexes } from "../route-strings.js";
import { checkRe2, latin1Problem, type RegexProblem } from "../re2-syntax.js";
import { re2Error } from "../../re2/engine.js";

export const regexSyntax: Analyzer = {
  name: "regex-syntax",
  codes: ["UnsupportedRegexSyntax", "InvalidRegex"],
  run(ctx) {
    const verdicts = new Map<string, RegexProblem | undefined>(); // the same pattern is often used many times
    for (const { service: s, route: r, index: i, value, regex, describe } of ctx.routeStrings()) {
      if (!regex) continue;
      if (!verdicts.has(value)) verdicts.set(value, judge(value));
      const problem = verdicts.get(value);
      if (!problem) continue;
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
    }
    for (const o of corsOriginRegexes(ctx.ir.services, routeSource)) {
      if (!verdicts.has(o.value)) verdicts.set(o.value, judge(o.value));
      const problem = verdicts.get(o.value);
      if (!problem) continue;
      if (problem.kind === "unsupported") ctx.report("UnsupportedRegexSyntax", o.source, o.path, { regex: q(o.value), where: o.where, feature: problem.feature, offset: problem.offset, advice: problem.advice });
      else ctx.report("InvalidRegex", o.source, o.path, { regex: q(o.value), where: o.where, reason: problem.reason, offset: problem.offset });
    }
  },
};

/** RE2 decides; the scanner explains when it can. */
export function judge(pattern: string): RegexProblem | undefined {
  const error = re2Error(pattern);
  // re2-wasm is a UTF-8 RE2; Envoy's reads patterns as Latin-1 and refuses a few patterns re2-wasm takes.
  if (error === undefined) return latin1Problem(pattern);
  const explained = checkRe2(pattern);
  if (explained) return explained;
  // RE2 says "<what>: <the offending text>".
  const colon = error.indexOf(": ");
  const at = colon >= 0 ? pattern.indexOf(error.slice(colon + 2)) : -1;
  return { kind: "invalid", reason: `RE2 says "${error}"`, offset: Math.max(0, at) };
}
